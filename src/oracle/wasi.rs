//! WASI preview1 as hullvm provides it, for the engines that run wasm
//! themselves (wasmi 2 and the arbiters, wasmi 0.31 and wasmtime): the
//! functions of [`host::WASI_FUNCTIONS`] with exactly the behaviour the
//! transformer's `wasi.wat` has, memory accesses in the same order, so the
//! engines can only disagree about the module, never about the host.
//!
//! Hand-written rather than wasmi's WASI crate (wasmi_wasi, on wasi-common):
//! that crate does real I/O on the process's stdout, knows the real argv
//! and environment, and gives its own answers for fds and rights; none of
//! that can be compiled into flat ISA code, and a host that differed from
//! the transformer's would make every run a disagreement about the host.
//! Each engine adapts these functions to its own linker.

use crate::compile::host::{self, EBADF, ENOSYS, ENOTSUP, ESPIPE, WASI_ARGV0};

/// How a WASI call did not return an errno.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// `proc_exit` with this status.
    Exit(i32),
    /// An address outside memory: `out of bounds memory access`.
    OutOfBounds,
}

/// The memory and output a WASI call works on.
pub(crate) struct Io<'a> {
    pub(crate) memory: &'a mut [u8],
    pub(crate) output: &'a mut Vec<u8>,
}

impl Io<'_> {
    /// The bytes at `addr + offset .. + len`, as a wasm access sees them
    /// (the effective address does not wrap).
    fn range(&self, addr: u32, offset: u32, len: usize) -> Result<std::ops::Range<usize>, Stop> {
        let start = u64::from(addr) + u64::from(offset);
        let end = start + len as u64;
        if end > self.memory.len() as u64 {
            return Err(Stop::OutOfBounds);
        }
        Ok(start as usize..end as usize)
    }

    fn load(&self, addr: u32, offset: u32) -> Result<u32, Stop> {
        let r = self.range(addr, offset, 4)?;
        let b = &self.memory[r];
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn load8(&self, addr: u32) -> Result<u8, Stop> {
        let r = self.range(addr, 0, 1)?;
        Ok(self.memory[r.start])
    }

    fn store(&mut self, addr: u32, offset: u32, value: u32) -> Result<(), Stop> {
        let r = self.range(addr, offset, 4)?;
        self.memory[r].copy_from_slice(&value.to_le_bytes());
        Ok(())
    }

    /// Call the WASI function `name` with its arguments (an i32 zero
    /// extended, an i64 as is); returns its errno. A WASI function hullvm
    /// does not implement returns `ENOSYS`.
    pub(crate) fn call(&mut self, name: &str, args: &[u64]) -> Result<i32, Stop> {
        let arg = |i: usize| args.get(i).map_or(0, |&a| a as u32);
        let std = |fd: u32| fd <= 2;
        match name {
            "proc_exit" => Err(Stop::Exit(arg(0) as i32)),
            "fd_write" => self.fd_write(arg(0), arg(1), arg(2), arg(3)),
            "fd_read" if arg(0) == 0 => self.store(arg(3), 0, 0).map(|()| 0),
            "fd_read" => Ok(EBADF),
            "fd_fdstat_get" if std(arg(0)) => self.fdstat(arg(0), arg(1)).map(|()| 0),
            "fd_fdstat_get" => Ok(EBADF),
            // fd_seek's offset is an i64: its fd is argument 0, as ever.
            "fd_seek" => Ok(if std(arg(0)) { ESPIPE } else { EBADF }),
            "fd_close" => Ok(if std(arg(0)) { ENOTSUP } else { EBADF }),
            "fd_prestat_get" | "fd_prestat_dir_name" => Ok(EBADF),
            "args_sizes_get" => {
                self.store(arg(0), 0, 1)?;
                self.store(arg(1), 0, WASI_ARGV0.len() as u32)?;
                Ok(0)
            }
            "args_get" => {
                let word = |k: usize| u32::from_le_bytes(WASI_ARGV0[k..k + 4].try_into().unwrap());
                self.store(arg(0), 0, arg(1))?;
                self.store(arg(1), 0, word(0))?;
                self.store(arg(1), 4, word(4))?;
                Ok(0)
            }
            "environ_sizes_get" => {
                self.store(arg(0), 0, 0)?;
                self.store(arg(1), 0, 0)?;
                Ok(0)
            }
            "environ_get" => Ok(0),
            _ => Ok(ENOSYS),
        }
    }

    fn fd_write(&mut self, fd: u32, iovs: u32, count: u32, written: u32) -> Result<i32, Stop> {
        if fd.wrapping_sub(1) > 1 {
            return Ok(EBADF);
        }
        let (mut iovs, mut total) = (iovs, 0u32);
        for _ in 0..count {
            let buf = self.load(iovs, 0)?;
            let len = self.load(iovs, 4)?;
            total = total.wrapping_add(len);
            for k in 0..len {
                let b = self.load8(buf.wrapping_add(k))?;
                self.output.push(b);
            }
            iovs = iovs.wrapping_add(8);
        }
        self.store(written, 0, total)?;
        Ok(0)
    }

    /// A character device without seek or tell rights; `fd_read` rights
    /// for stdin, `fd_write` for stdout and stderr.
    fn fdstat(&mut self, fd: u32, stat: u32) -> Result<(), Stop> {
        const CHARACTER_DEVICE: u32 = 2;
        const FD_READ: u32 = 1 << 1;
        const FD_WRITE: u32 = 1 << 6;
        let rights = if fd == 0 { FD_READ } else { FD_WRITE };
        let words = [CHARACTER_DEVICE, 0, rights, 0, 0, 0];
        for (k, word) in (0u32..).zip(words) {
            self.store(stat, 4 * k, word)?;
        }
        Ok(())
    }
}

/// The WASI functions `wasm` imports that hullvm links (as
/// [`host::provided`] decides, by name and type): each engine defines
/// exactly these, with these types, so an import hullvm refuses stays
/// unlinked everywhere.
pub(crate) fn linked_imports(wasm: &[u8]) -> Vec<(String, wasmparser::FuncType)> {
    use wasmparser::{Payload, TypeRef};
    let mut types = Vec::new();
    let mut linked = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload {
            Ok(Payload::TypeSection(r)) => {
                types.extend(r.into_iter_err_on_gc_types().map_while(Result::ok))
            }
            Ok(Payload::ImportSection(r)) => {
                for imp in r.into_imports().map_while(Result::ok) {
                    let (TypeRef::Func(t) | TypeRef::FuncExact(t)) = imp.ty else {
                        continue;
                    };
                    let linked_here = imp.module == host::WASI_MODULE
                        && host::provided(imp.module, imp.name, imp.ty, &types).is_some();
                    if let (true, Some(ty)) = (linked_here, types.get(t as usize)) {
                        linked.push((imp.name.to_string(), ty.clone()));
                    }
                }
            }
            Ok(Payload::CodeSectionStart { .. }) | Err(_) => break,
            Ok(_) => {}
        }
    }
    linked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io_call(memory: &mut [u8], name: &str, args: &[u64]) -> (Result<i32, Stop>, Vec<u8>) {
        let mut output = Vec::new();
        let r = Io {
            memory,
            output: &mut output,
        }
        .call(name, args);
        (r, output)
    }

    #[test]
    fn fd_write_prints_every_iovec_and_counts_the_bytes() {
        let mut memory = vec![0u8; 64];
        memory[32..37].copy_from_slice(b"hello");
        memory[40..42].copy_from_slice(b"!\n");
        // iovecs at 0: (32, 5), (40, 2)
        for (at, word) in [(0, 32u32), (4, 5), (8, 40), (12, 2)] {
            memory[at..at + 4].copy_from_slice(&word.to_le_bytes());
        }
        let (r, out) = io_call(&mut memory, "fd_write", &[2, 0, 2, 16]);
        assert_eq!((r, out.as_slice()), (Ok(0), &b"hello!\n"[..]));
        assert_eq!(memory[16..20], 7u32.to_le_bytes());
        assert_eq!(
            io_call(&mut memory, "fd_write", &[3, 0, 2, 16]).0,
            Ok(EBADF)
        );
        assert_eq!(
            io_call(&mut memory, "fd_write", &[0, 0, 2, 16]).0,
            Ok(EBADF)
        );
    }

    #[test]
    fn a_pointer_outside_memory_traps_after_the_bytes_before_it() {
        let mut memory = vec![0u8; 16];
        memory[8] = b'x';
        // one iovec at 0: (8, 100): 'x' and the zeros up to the end
        memory[0..4].copy_from_slice(&8u32.to_le_bytes());
        memory[4..8].copy_from_slice(&100u32.to_le_bytes());
        let (r, out) = io_call(&mut memory, "fd_write", &[1, 0, 1, 0]);
        assert_eq!(r, Err(Stop::OutOfBounds));
        assert_eq!(out.len(), 8);
        assert_eq!(out[0], b'x');
    }

    #[test]
    fn exit_args_and_unknown_calls() {
        let mut memory = vec![0u8; 32];
        assert_eq!(
            io_call(&mut memory, "proc_exit", &[3]).0,
            Err(Stop::Exit(3))
        );
        assert_eq!(io_call(&mut memory, "args_get", &[0, 16]).0, Ok(0));
        assert_eq!(&memory[16..24], WASI_ARGV0);
        assert_eq!(memory[0..4], 16u32.to_le_bytes());
        assert_eq!(io_call(&mut memory, "path_open", &[]).0, Ok(ENOSYS));
        assert_eq!(io_call(&mut memory, "fd_seek", &[1, 0, 0, 0]).0, Ok(ESPIPE));
    }
}

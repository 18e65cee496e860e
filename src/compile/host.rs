//! What hullvm provides to a module's imports: `env.output_byte`, the C
//! convention's output, WASI preview1 for command modules ([`WASI_MODULE`],
//! [`WASI_FUNCTIONS`]), and the spec suite's `spectest` module (its print
//! functions, which have no effect a run can observe, its constant
//! globals, its one-page memory and its ten-slot table). An import links
//! when its type matches what is provided, as wasm's linking rules say; the
//! oracles define the same items ([`SPECTEST_GLOBALS`],
//! [`SPECTEST_MEMORY_PAGES`], [`SPECTEST_TABLE`]).
//!
//! Each run gets a fresh `spectest`, on every engine: what one module of a
//! script writes into its memory or table, a later module does not see.

use wasmparser::{FuncType, TypeRef, ValType};

/// An item hullvm provides for an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Provided {
    /// `env.output_byte`: the `output` op.
    Output,
    /// A `spectest.print*` function: its arguments are dropped.
    Ignore,
    /// A constant global with this value (an i32 in the low word).
    Global(u64),
    /// `spectest.memory`.
    Memory,
    /// `spectest.table`.
    Table,
    /// A WASI function hullvm implements (`wasi.wat` on the transformer,
    /// `oracle::wasi` on wasmi).
    Wasi,
    /// `wasi_snapshot_preview1.proc_exit`: the run ends with its argument
    /// as the exit status.
    Exit,
    /// Any other WASI function that returns an errno: it returns
    /// [`ENOSYS`] without looking at its arguments.
    NotImplemented,
}

/// The WASI preview1 module name.
pub const WASI_MODULE: &str = "wasi_snapshot_preview1";

/// The WASI functions hullvm implements, with their parameters; each
/// returns an errno (an i32). What they do, on every engine:
///
/// - `fd_write` to fd 1 (stdout) or 2 (stderr): every byte of every iovec,
///   in order, becomes an output byte (the two streams interleave as
///   written, as `2>&1` shows them); other fds: `EBADF`.
/// - `fd_read` from fd 0: end of file (0 bytes); other fds: `EBADF`.
/// - `fd_fdstat_get` on fds 0..=2: a character device without seek or
///   tell rights (a terminal: wasi-libc line-buffers stdout), rights
///   `fd_read` for 0 and `fd_write` for 1 and 2; other fds: `EBADF`.
/// - `fd_seek`: `ESPIPE` on fds 0..=2, `EBADF` elsewhere; `fd_close`:
///   `ENOTSUP` on fds 0..=2 (they stay open), `EBADF` elsewhere;
///   `fd_prestat_get`/`fd_prestat_dir_name`: `EBADF` (no preopened
///   directories).
/// - `args_sizes_get`/`args_get`: one argument, [`WASI_ARGV0`];
///   `environ_sizes_get`/`environ_get`: no variables.
///
/// Memory is read and written in the order the transformer's code does
/// (`wasi.wat`); an address outside memory traps (`out of bounds memory
/// access`) where that code's load or store would.
pub const WASI_FUNCTIONS: &[(&str, &[ValType])] = &[
    ("fd_write", &[ValType::I32; 4]),
    ("fd_read", &[ValType::I32; 4]),
    ("fd_fdstat_get", &[ValType::I32; 2]),
    (
        "fd_seek",
        &[ValType::I32, ValType::I64, ValType::I32, ValType::I32],
    ),
    ("fd_close", &[ValType::I32]),
    ("fd_prestat_get", &[ValType::I32; 2]),
    ("fd_prestat_dir_name", &[ValType::I32; 3]),
    ("args_sizes_get", &[ValType::I32; 2]),
    ("args_get", &[ValType::I32; 2]),
    ("environ_sizes_get", &[ValType::I32; 2]),
    ("environ_get", &[ValType::I32; 2]),
];

/// argv[0] of every WASI run (8 bytes with its NUL: `wasi.wat` writes it
/// as two words).
pub const WASI_ARGV0: &[u8; 8] = b"program\0";

/// WASI errno values hullvm returns.
pub const EBADF: i32 = 8;
pub const ENOSYS: i32 = 52;
pub const ENOTSUP: i32 = 58;
pub const ESPIPE: i32 = 70;

/// What the WASI import `name` of type `ty` links to, if anything.
fn wasi(name: &str, ty: &FuncType) -> Option<Provided> {
    let errno = ty.results() == [ValType::I32];
    if name == "proc_exit" {
        return (ty.params() == [ValType::I32] && ty.results().is_empty())
            .then_some(Provided::Exit);
    }
    match WASI_FUNCTIONS.iter().find(|(n, _)| *n == name) {
        Some((_, params)) => (errno && ty.params() == *params).then_some(Provided::Wasi),
        None => {
            let integers = ty
                .params()
                .iter()
                .all(|t| matches!(t, ValType::I32 | ValType::I64));
            (errno && integers).then_some(Provided::NotImplemented)
        }
    }
}

/// `spectest`'s print functions and their parameters.
pub(crate) const SPECTEST_PRINTS: &[(&str, &[ValType])] = &[
    ("print", &[]),
    ("print_i32", &[ValType::I32]),
    ("print_i64", &[ValType::I64]),
    ("print_f32", &[ValType::F32]),
    ("print_f64", &[ValType::F64]),
    ("print_i32_f32", &[ValType::I32, ValType::F32]),
    ("print_f64_f64", &[ValType::F64, ValType::F64]),
];

/// `spectest`'s globals, by their bits (666 and 666.6 in each type).
pub(crate) const SPECTEST_GLOBALS: &[(&str, ValType, u64)] = &[
    ("global_i32", ValType::I32, 666),
    ("global_i64", ValType::I64, 666),
    ("global_f32", ValType::F32, 0x4426_a666),
    ("global_f64", ValType::F64, 0x4084_d4cc_cccc_cccd),
];

/// `spectest.memory`: (initial, maximum) pages.
pub(crate) const SPECTEST_MEMORY_PAGES: (u64, u64) = (1, 2);

/// `spectest.table`: (initial, maximum) funcref slots, all null.
pub(crate) const SPECTEST_TABLE: (u64, u64) = (10, 20);

/// What hullvm provides for the import `module.name` of type `ty`, if the
/// types match (`types`: the module's function types).
pub(crate) fn provided(
    module: &str,
    name: &str,
    ty: TypeRef,
    types: &[FuncType],
) -> Option<Provided> {
    let func = |t: u32| types.get(t as usize);
    match (module, ty) {
        ("env", TypeRef::Func(t)) if name == "output_byte" => func(t)
            .filter(|f| f.params() == [ValType::I32] && f.results().is_empty())
            .map(|_| Provided::Output),
        (WASI_MODULE, TypeRef::Func(t)) => wasi(name, func(t)?),
        ("spectest", TypeRef::Func(t)) => {
            let (_, params) = SPECTEST_PRINTS.iter().find(|(n, _)| *n == name)?;
            func(t)
                .filter(|f| f.params() == *params && f.results().is_empty())
                .map(|_| Provided::Ignore)
        }
        ("spectest", TypeRef::Global(g)) => {
            let &(_, ty, value) = SPECTEST_GLOBALS.iter().find(|(n, ..)| *n == name)?;
            (g.content_type == ty && !g.mutable && !g.shared).then_some(Provided::Global(value))
        }
        ("spectest", TypeRef::Memory(m)) if name == "memory" => {
            let (initial, maximum) = SPECTEST_MEMORY_PAGES;
            let fits = m.initial <= initial && m.maximum.is_none_or(|max| maximum <= max);
            (fits && !m.memory64 && !m.shared && m.page_size_log2.is_none())
                .then_some(Provided::Memory)
        }
        ("spectest", TypeRef::Table(t)) if name == "table" => {
            let (initial, maximum) = SPECTEST_TABLE;
            let fits = t.initial <= initial && t.maximum.is_none_or(|max| maximum <= max);
            let funcref = t.element_type == wasmparser::RefType::FUNCREF;
            (fits && funcref && !t.table64 && !t.shared).then_some(Provided::Table)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmparser::{GlobalType, MemoryType};

    #[test]
    fn imports_link_only_with_matching_types() {
        let types = [
            FuncType::new([ValType::I32], []),
            FuncType::new([ValType::I64], []),
            FuncType::new([ValType::I32], [ValType::I32]),
        ];
        let p = |m, n, ty| provided(m, n, ty, &types);
        assert_eq!(
            p("env", "output_byte", TypeRef::Func(0)),
            Some(Provided::Output)
        );
        assert_eq!(p("env", "output_byte", TypeRef::Func(2)), None);
        assert_eq!(
            p("spectest", "print_i32", TypeRef::Func(0)),
            Some(Provided::Ignore)
        );
        assert_eq!(p("spectest", "print_i32", TypeRef::Func(1)), None);
        assert_eq!(
            p("spectest", "print_i64", TypeRef::Func(1)),
            Some(Provided::Ignore)
        );
        assert_eq!(p("spectest", "unknown", TypeRef::Func(0)), None);
        let global = |ty, mutable| {
            TypeRef::Global(GlobalType {
                content_type: ty,
                mutable,
                shared: false,
            })
        };
        assert_eq!(
            p("spectest", "global_i32", global(ValType::I32, false)),
            Some(Provided::Global(666))
        );
        assert_eq!(
            p("spectest", "global_i32", global(ValType::I32, true)),
            None
        );
        assert_eq!(
            p("spectest", "global_i32", global(ValType::I64, false)),
            None
        );
        let memory = |initial, maximum| {
            TypeRef::Memory(MemoryType {
                memory64: false,
                shared: false,
                initial,
                maximum,
                page_size_log2: None,
            })
        };
        assert_eq!(
            p("spectest", "memory", memory(1, None)),
            Some(Provided::Memory)
        );
        assert_eq!(
            p("spectest", "memory", memory(0, Some(2))),
            Some(Provided::Memory)
        );
        assert_eq!(p("spectest", "memory", memory(2, None)), None);
        assert_eq!(p("spectest", "memory", memory(1, Some(1))), None);
        let table = |initial, maximum| {
            TypeRef::Table(wasmparser::TableType {
                element_type: wasmparser::RefType::FUNCREF,
                table64: false,
                initial,
                maximum,
                shared: false,
            })
        };
        assert_eq!(
            p("spectest", "table", table(10, Some(20))),
            Some(Provided::Table)
        );
        assert_eq!(p("spectest", "table", table(11, None)), None);
    }
}

//! Memory as a compiled program's run left it, read from the run's trace.
//!
//! A trap ends a call, not a `.wast` script: the calls after it run on the
//! memory the trapping run left (linear memory and the reserved area with
//! the globals' slots, all of a compiled module's state). That memory is
//! read here from the transformer's own tokens, so the next program starts
//! from what the transformer computed.
//!
//! The walk follows the trace instruction by instruction, its pc from the
//! trace's own `branch_taken` lines, and keeps a shadow of the value stack
//! built only from the trace, as [`crate::verify::lift`] does. A store's
//! line carries the bytes it wrote; its address is the value the trace
//! showed pushed beneath them, plus the store's static offset. The program
//! gives only each step's op and immediate.

use crate::compile::{Compiled, MAX_MEMORY_BYTES};
use crate::isa::{Op, Token};
use crate::verify::tokens::{ends_instruction, next_pc};

/// Memory after the run of `compiled` whose trace (the tokens after `}`)
/// is `trace`, without trailing zeros.
pub(crate) fn memory_after(compiled: &Compiled, trace: &[Token]) -> Result<Vec<u8>, String> {
    let program = &compiled.program;
    let mut memory = Vec::new();
    let mut stack: Vec<u32> = Vec::new();
    let (mut pc, mut line_start) = (0u32, 0usize);
    for (i, &t) in trace.iter().enumerate() {
        if !ends_instruction(t) {
            continue;
        }
        let line = &trace[line_start..=i];
        line_start = i + 1;
        let ins = program
            .instrs
            .get(pc as usize)
            .ok_or_else(|| format!("the trace leaves the program at pc {pc}"))?;
        match ins.op {
            Op::Halt => break,
            Op::InputBase => {
                let bytes: Vec<u8> = program.input.iter().copied().chain([0]).collect();
                write(&mut memory, u64::from(ins.imm), &bytes)?;
            }
            Op::I32Store | Op::I32Store16 | Op::I32Store8 => {
                let size = match ins.op {
                    Op::I32Store => 4,
                    Op::I32Store16 => 2,
                    _ => 1,
                };
                let base = stack
                    .len()
                    .checked_sub(2)
                    .map(|k| stack[k])
                    .ok_or_else(|| format!("a store at pc {pc} with fewer than two values"))?;
                let bytes = line_bytes(line);
                if bytes.len() < size {
                    return Err(format!("the store at pc {pc} shows {} bytes", bytes.len()));
                }
                write(
                    &mut memory,
                    u64::from(base) + u64::from(ins.imm),
                    &bytes[..size],
                )?;
            }
            _ => {}
        }
        shadow(&mut stack, ins.op, line);
        pc = next_pc(pc, line);
    }
    let used = memory.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    memory.truncate(used);
    Ok(memory)
}

/// The byte values a trace line carries, in order.
fn line_bytes(line: &[Token]) -> Vec<u8> {
    line.iter().filter_map(|t| t.kind().byte_value()).collect()
}

/// An instruction's effect on the shadow stack: it pops its operands and,
/// if it stores to the stack, pushes the 4 bytes its line carries.
fn shadow(stack: &mut Vec<u32>, op: Op, line: &[Token]) {
    let delta = op.stack_delta() as i32;
    let pops = if op.stores_to_stack() {
        1 - delta
    } else {
        -delta
    };
    for _ in 0..pops.max(0) {
        stack.pop();
    }
    if op.stores_to_stack() {
        let bytes = line_bytes(line);
        let mut v = 0u32;
        for (k, b) in bytes.iter().take(4).enumerate() {
            v |= u32::from(*b) << (8 * k);
        }
        stack.push(v);
    }
}

/// Most bytes a compiled program addresses: the largest linear memory and
/// its reserved area above.
const MEMORY_CAP: u64 = MAX_MEMORY_BYTES + (1 << 16);

fn write(memory: &mut Vec<u8>, addr: u64, bytes: &[u8]) -> Result<(), String> {
    let end = addr + bytes.len() as u64;
    if end > MEMORY_CAP {
        return Err(format!(
            "a store at {addr:#x}, beyond any compiled program's memory"
        ));
    }
    let (addr, end) = (addr as usize, end as usize);
    if memory.len() < end {
        memory.resize(end, 0);
    }
    memory[addr..end].copy_from_slice(bytes);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::{self, Entry, Invocation};
    use crate::oracle::reference;

    /// The memory read from a trace is the memory the run left, stores of
    /// every width and globals included; here the reference tracer's
    /// trace is read and compared with the tracer's own memory.
    #[test]
    fn the_memory_read_from_a_trace_is_the_runs() {
        let wat = r#"(module
          (memory 1)
          (global $g (mut i32) (i32.const 7))
          (data (i32.const 100) "\01\02\03")
          (func (export "f") (param i32)
            (i32.store (local.get 0) (i32.const 0x11223344))
            (i32.store16 offset=9 (local.get 0) (i32.const 0xabcd))
            (i32.store8 offset=13 (local.get 0) (i32.const 0x1ff))
            (global.set $g (i32.add (global.get $g) (local.get 0)))
            (i32.store (i32.const 70000) (i32.const 1))))"#;
        let entry = Entry::Invoke(vec![Invocation {
            export: "f".into(),
            args: vec![40],
        }]);
        let compiled = compile::compile(wat.as_bytes(), &entry).unwrap();
        let (run, memory) = reference::run_with_memory(&compiled.program, 100_000);
        assert!(
            matches!(run.outcome, reference::Outcome::Halted { pc } if compiled.exit_at(pc).is_some())
        );
        let read = memory_after(&compiled, &run.trace).unwrap();
        assert_eq!(read, memory);
        assert_eq!(&read[40..44], &[0x44, 0x33, 0x22, 0x11]);
        assert_eq!(&read[49..51], &[0xcd, 0xab]);
        assert_eq!(read[53], 0xff);
        assert_eq!(&read[100..103], &[1, 2, 3]);
    }
}

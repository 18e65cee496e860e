//! Lifting and the source-level diff: a flat token trace (the transformer's
//! or the reference's) becomes the same [`SourceStep`]s that wasmi's
//! instrumented run reports ([`crate::oracle::instrument`]), through the compiler's
//! source map; then the two step sequences are compared and the first
//! difference is named at the wasm instruction.
//!
//! How a trace is lifted. The walk follows the trace instruction by
//! instruction (the pc from its own `branch_taken` lines, as
//! [`crate::verify::tokens::locate`] does) and keeps a shadow of the value stack
//! built only from the trace: an instruction that stores to the stack
//! pushes the 4 bytes its line carries after popping its operands, the
//! others pop what they consume. Each flat instruction's [`Origin`] names
//! the wasm function and instruction it was compiled from; consecutive flat
//! instructions with the same origin are one execution of that wasm
//! instruction (an *instance*). A call into a runtime helper (a lowered op)
//! stays inside the calling instance until the helper returns; a call into
//! a user function suspends the caller's instance, which ends when the
//! callee returns. For the instance's [`Report`]:
//! - `Before`: a step with the shadow stack's top when the instance starts;
//! - `After`: a step with the top when the instance ends, unless it ends at
//!   a `halt` (a trap: wasmi reports nothing for a trapping instruction);
//! - `Path`: a step without a value when the instance ends (at the callee's
//!   return);
//! - `Jump`: a step without a value when the instance starts.
//!
//! The values come from the trace being lifted, so lifting the
//! transformer's tokens checks the transformer, and lifting a run of a
//! wrongly compiled program shows where the compilation went wrong.

use crate::compile::{Compiled, Num, Report, SourceOrigin as Origin, SourceStep};
use crate::isa::{Op, Token};
use crate::verify::tokens::{ends_instruction, next_pc, Position};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A source step lifted from a flat trace, with where the trace shows it:
/// the first flat instruction of the wasm instruction's execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LiftedStep {
    pub step: SourceStep,
    pub at: Position,
}

/// What the walk knows about one flat pc.
#[derive(Clone, Copy)]
struct PcInfo {
    /// Same value for the flat instructions of one wasm instruction (or of
    /// one function's prologue, or of the glue).
    key: u64,
    /// The wasm instruction (function index, instruction index, offset,
    /// report) for code compiled from a user operator.
    source: Option<(u32, u32, u32, Report)>,
    /// For a `call`: whether it enters a runtime helper.
    runtime_call: bool,
}

fn pc_table(compiled: &Compiled) -> Vec<PcInfo> {
    let instrs = &compiled.program.instrs;
    let origins = &compiled.origins;
    let origin = |pc: usize| origins.get(pc).copied().unwrap_or_default();
    let is_runtime = |o: Origin| {
        o.function
            .and_then(|f| compiled.functions.get(f as usize))
            .is_some_and(|f| f.wasm_index.is_none())
    };
    (0..instrs.len())
        .map(|pc| {
            let o = origin(pc);
            let key = match o.function {
                None => 0,
                Some(f) => ((f as u64 + 1) << 32) | o.instr.map_or(u32::MAX, |i| i) as u64,
            };
            let wasm = o
                .function
                .and_then(|f| compiled.functions.get(f as usize))
                .and_then(|f| f.wasm_index);
            let source = match (wasm, o.instr) {
                (Some(func), Some(instr)) => compiled
                    .source_map
                    .op(func, instr)
                    .map(|op| (func, instr, op.offset, op.report)),
                _ => None,
            };
            let ins = instrs[pc];
            let runtime_call = ins.op == Op::Call && {
                let target = (pc as u32).wrapping_add(1).wrapping_add(ins.imm) as usize;
                target < instrs.len() && is_runtime(origin(target))
            };
            PcInfo {
                key,
                source,
                runtime_call,
            }
        })
        .collect()
}

/// One execution of a wasm instruction (or of glue) in progress.
#[derive(Clone, Copy)]
struct Instance {
    key: u64,
    source: Option<(u32, u32, u32, Report)>,
    at: Position,
}

enum Frame {
    Runtime,
    /// A user call; the caller's instance resumes (and ends) at the return.
    User(Option<Instance>),
}

/// The 4-byte value a trace line carries: its last four byte tokens
/// (`i32.mul` writes scratch bytes before them).
fn line_value(line: &[Token]) -> u32 {
    let bytes: Vec<u8> = line.iter().filter_map(|t| t.kind().byte_value()).collect();
    let value = &bytes[bytes.len().saturating_sub(4)..];
    value
        .iter()
        .enumerate()
        .fold(0, |v, (i, &b)| v | (b as u32) << (8 * i))
}

/// The value of type `num` on top of the shadow stack: one word, or for a
/// 64-bit type the top two (the high word on top). A float NaN reads as the
/// canonical NaN, as wasmi's side of the diff does (see
/// [`Num::comparable`]).
fn top(stack: &[u32], num: Num) -> Option<u64> {
    let value = match (stack, num.words()) {
        ([.., lo, hi], 2) => (*hi as u64) << 32 | *lo as u64,
        ([.., v], 1) => *v as u64,
        _ => return None,
    };
    Some(num.comparable(value))
}

/// Lift a flat trace (the tokens after `}`) of `compiled`'s program into
/// source steps. See the module documentation for the rule.
pub fn lift(compiled: &Compiled, trace: &[Token]) -> Vec<LiftedStep> {
    let table = pc_table(compiled);
    let instrs = &compiled.program.instrs;
    let mut steps = Vec::new();
    let mut stack: Vec<u32> = Vec::new();
    let mut frames: Vec<Frame> = Vec::new();
    let mut current: Option<Instance> = None;
    let finish = |inst: Instance, stack: &[u32], steps: &mut Vec<LiftedStep>| {
        let Some((func, instr, offset, report)) = inst.source else {
            return;
        };
        let value = match report {
            Report::After(num) => top(stack, num),
            Report::Path => None,
            Report::Before(_) | Report::Jump | Report::None => return,
        };
        steps.push(LiftedStep {
            step: SourceStep {
                func,
                instr,
                offset,
                value,
            },
            at: inst.at,
        });
    };
    let (mut pc, mut step, mut line_start) = (0u32, 0u64, 0usize);
    for (i, &t) in trace.iter().enumerate() {
        if !ends_instruction(t) {
            continue;
        }
        let line = &trace[line_start..=i];
        let at = Position {
            token_index: line_start,
            step,
            pc,
        };
        let (Some(&ins), Some(&info)) = (instrs.get(pc as usize), table.get(pc as usize)) else {
            break;
        };
        if ins.op == Op::Halt {
            // The end, or a trap: a pending After step is never reported.
            break;
        }
        if !matches!(frames.last(), Some(Frame::Runtime))
            && current.map(|c| c.key) != Some(info.key)
        {
            if let Some(c) = current.take() {
                finish(c, &stack, &mut steps);
            }
            let inst = Instance {
                key: info.key,
                source: info.source,
                at,
            };
            let before = match inst.source {
                Some((func, instr, offset, Report::Before(num))) => {
                    Some((func, instr, offset, top(&stack, num)))
                }
                Some((func, instr, offset, Report::Jump)) => Some((func, instr, offset, None)),
                _ => None,
            };
            if let Some((func, instr, offset, value)) = before {
                steps.push(LiftedStep {
                    step: SourceStep {
                        func,
                        instr,
                        offset,
                        value,
                    },
                    at,
                });
            }
            current = Some(inst);
        }
        // The instruction's effect on the shadow stack.
        let delta = ins.op.stack_delta() as i32;
        if ins.op.stores_to_stack() {
            for _ in 0..(1 - delta) {
                stack.pop();
            }
            stack.push(line_value(line));
        } else {
            for _ in 0..(-delta) {
                stack.pop();
            }
        }
        match ins.op {
            Op::Call if info.runtime_call => frames.push(Frame::Runtime),
            Op::Call => frames.push(Frame::User(current.take())),
            Op::Return => {
                if let Some(Frame::User(caller)) = frames.pop() {
                    if let Some(c) = current.take() {
                        finish(c, &stack, &mut steps);
                    }
                    if let Some(c) = caller {
                        finish(c, &stack, &mut steps);
                    }
                }
            }
            _ => {}
        }
        pc = next_pc(pc, line);
        step += 1;
        line_start = i + 1;
    }
    steps
}

/// A source step as a report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    /// Index of the step in the source-level trace.
    pub index: u64,
    pub step: SourceStep,
    /// The function's name (from the name section or exports, else `func[i]`).
    pub function: String,
    /// The wasm instruction as wat text, e.g. `i32.rem_u` or `local.get 2`.
    pub wat: String,
    /// Where the flat trace shows it (lifted steps only).
    pub at: Option<Position>,
}

impl fmt::Display for StepView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "#{} {} (func {}) instr {} `{}` @{:#x}",
            self.index, self.function, self.step.func, self.step.instr, self.wat, self.step.offset
        )?;
        if let Some(v) = self.step.value {
            // Signed as the value's own width (an i64 that fits 32 bits
            // reads as an i32 here; the hex is exact either way).
            let signed = match u32::try_from(v) {
                Ok(w) => w as i32 as i64,
                Err(_) => v as i64,
            };
            write!(f, " = {v:#x} ({signed})")?;
        }
        if let Some(at) = self.at {
            write!(
                f,
                " [pc {}, step {}, token {}]",
                at.pc, at.step, at.token_index
            )?;
        }
        Ok(())
    }
}

/// The first source step where the lifted trace leaves wasmi's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceDivergence {
    /// Index of the first differing source step.
    pub index: u64,
    /// wasmi's step there; `None` when wasmi's run had no more steps.
    pub expected: Option<StepView>,
    /// The lifted step there; `None` when the lifted trace had no more.
    pub got: Option<StepView>,
    /// Where in the flat trace: the lifted step's first flat instruction,
    /// or, when the lifted trace has no step there, its last step's.
    pub at: Position,
    /// The flat instruction at `at.pc`, as text.
    pub flat_instruction: String,
    /// The last steps before the divergence (they agree), oldest first.
    pub context: Vec<StepView>,
}

impl fmt::Display for SourceDivergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let view = |v: &Option<StepView>| {
            v.as_ref()
                .map_or_else(|| "no more steps".to_string(), |s| s.to_string())
        };
        let (func, instr, wat) = match (&self.expected, &self.got) {
            (Some(e), _) => (e.function.as_str(), e.step.instr, e.wat.as_str()),
            (None, Some(g)) => (g.function.as_str(), g.step.instr, g.wat.as_str()),
            (None, None) => ("?", 0, "?"),
        };
        writeln!(
            f,
            "source step {} differs from wasmi at `{wat}` (instr {instr} of {func}), flat pc {} ({}), step {}, token {}",
            self.index, self.at.pc, self.flat_instruction, self.at.step, self.at.token_index
        )?;
        writeln!(f, "  expected (wasmi): {}", view(&self.expected))?;
        writeln!(f, "  got (lifted):     {}", view(&self.got))?;
        if !self.context.is_empty() {
            writeln!(f, "  last steps before it:")?;
            for s in &self.context {
                writeln!(f, "    {s}")?;
            }
        }
        Ok(())
    }
}

/// The source-level verdict of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceCheck {
    /// Source steps compared and found equal.
    pub steps_compared: u64,
    pub divergence: Option<SourceDivergence>,
}

/// Steps shown before a divergence.
pub const CONTEXT_STEPS: usize = 5;

/// Compare lifted steps with wasmi's. `lifted_complete`: the flat run
/// halted (otherwise only the prefix it reached is compared);
/// `oracle_complete`: wasmi's steps were all recorded. `wasm` (binary or
/// text) gives the instructions' wat text.
pub fn diff(
    compiled: &Compiled,
    wasm: &[u8],
    expected: &[SourceStep],
    got: &[LiftedStep],
    lifted_complete: bool,
    oracle_complete: bool,
) -> SourceCheck {
    let n = expected.len().min(got.len());
    let first = (0..n).find(|&i| expected[i] != got[i].step);
    let index = match first {
        Some(i) => i,
        None if expected.len() > n && lifted_complete => n,
        None if got.len() > n && oracle_complete => n,
        None => {
            return SourceCheck {
                steps_compared: n as u64,
                divergence: None,
            }
        }
    };
    let texts = WatTexts::new(wasm);
    let view = |i: usize, step: SourceStep, at: Option<Position>| StepView {
        index: i as u64,
        step,
        function: function_name(compiled, step.func),
        wat: texts.text(step.func, step.instr),
        at,
    };
    // The lifted step's position, or the last one the lifted trace has.
    let at = got
        .get(index)
        .or(got.last())
        .map_or(Position::default(), |g| g.at);
    SourceCheck {
        steps_compared: index as u64,
        divergence: Some(SourceDivergence {
            index: index as u64,
            expected: expected.get(index).map(|&s| view(index, s, None)),
            got: got.get(index).map(|g| view(index, g.step, Some(g.at))),
            at,
            flat_instruction: flat_text(compiled, at.pc),
            context: (index.saturating_sub(CONTEXT_STEPS)..index)
                .map(|i| view(i, got[i].step, Some(got[i].at)))
                .collect(),
        }),
    }
}

/// A flat instruction as text, with the helper a call enters and whether
/// it belongs to a lowering: `call +14 -> hullvm.rem_u (lowered)`.
fn flat_text(compiled: &Compiled, pc: u32) -> String {
    let Some(ins) = compiled.program.instrs.get(pc as usize) else {
        return "outside the program".into();
    };
    let mut text = ins.to_string();
    if ins.op == Op::Call {
        let target = pc.wrapping_add(1).wrapping_add(ins.imm);
        if let Some(f) = compiled.function_at(target) {
            text.push_str(&format!(" -> {}", f.name));
        }
    }
    if compiled.origins.get(pc as usize).is_some_and(|o| o.lowered) {
        text.push_str(" (lowered)");
    }
    text
}

fn function_name(compiled: &Compiled, func: u32) -> String {
    compiled
        .functions
        .iter()
        .find(|f| f.wasm_index == Some(func))
        .map_or_else(|| format!("func[{func}]"), |f| f.name.clone())
}

/// Wat text of a module's instructions, read on demand.
struct WatTexts {
    bytes: Vec<u8>,
}

impl WatTexts {
    fn new(wasm: &[u8]) -> Self {
        WatTexts {
            bytes: crate::compile::to_binary(wasm)
                .map(|b| b.into_owned())
                .unwrap_or_default(),
        }
    }

    fn text(&self, func: u32, instr: u32) -> String {
        self.find(func, instr).unwrap_or_else(|| "?".into())
    }

    fn find(&self, func: u32, instr: u32) -> Option<String> {
        use wasmparser::{Parser, Payload, TypeRef};
        let mut imported = 0u32;
        let mut body = 0u32;
        for payload in Parser::new(0).parse_all(&self.bytes) {
            match payload.ok()? {
                Payload::ImportSection(r) => {
                    for imp in r.into_imports() {
                        if matches!(imp.ok()?.ty, TypeRef::Func(_) | TypeRef::FuncExact(_)) {
                            imported += 1;
                        }
                    }
                }
                Payload::CodeSectionEntry(b) => {
                    if imported + body == func {
                        let mut ops = b.get_operators_reader().ok()?;
                        for _ in 0..instr {
                            ops.read().ok()?;
                        }
                        return Some(wat_text(&ops.read().ok()?));
                    }
                    body += 1;
                }
                _ => {}
            }
        }
        None
    }
}

/// An operator as wat text: its name and the immediates that matter for
/// locating it (`i32.const 5`, `local.get 2`, `call 3`, `br_if 1`,
/// `i32.load offset=4`).
pub(crate) fn wat_text(op: &wasmparser::Operator) -> String {
    use wasmparser::Operator as O;
    let name = crate::compile::operator_name(op);
    let memarg = |m: &wasmparser::MemArg| {
        let mut s = name.clone();
        if let wasmparser::MemArgTarget::Memory(index @ 1..) = m.target {
            s.push_str(&format!(" {index}"));
        }
        if m.offset != 0 {
            s.push_str(&format!(" offset={}", m.offset));
        }
        s
    };
    match op {
        O::I32Const { value } => format!("{name} {value}"),
        O::LocalGet { local_index } | O::LocalSet { local_index } | O::LocalTee { local_index } => {
            format!("{name} {local_index}")
        }
        O::GlobalGet { global_index } | O::GlobalSet { global_index } => {
            format!("{name} {global_index}")
        }
        O::Call { function_index } => format!("{name} {function_index}"),
        O::Br { relative_depth } | O::BrIf { relative_depth } => {
            format!("{name} {relative_depth}")
        }
        O::BrTable { targets } => {
            let mut s = name.clone();
            for t in targets.targets().flatten() {
                s.push_str(&format!(" {t}"));
            }
            s.push_str(&format!(" {}", targets.default()));
            s
        }
        O::I32Load { memarg: m }
        | O::I32Load8S { memarg: m }
        | O::I32Load8U { memarg: m }
        | O::I32Load16S { memarg: m }
        | O::I32Load16U { memarg: m }
        | O::I32Store { memarg: m }
        | O::I32Store8 { memarg: m }
        | O::I32Store16 { memarg: m } => memarg(m),
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::{compile, Entry, Invocation};

    const MODULE: &str = r#"(module
      (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
      (func (export "f") (param i32) (result i32)
        (local $s i32)
        (local.set $s (i32.add (call $sq (local.get 0)) (i32.const 3)))
        (if (i32.gt_u (local.get $s) (i32.const 10))
          (then (local.set $s (i32.sub (local.get $s) (i32.const 1)))))
        (local.get $s)))"#;

    fn entry() -> Entry {
        Entry::Invoke(vec![Invocation {
            export: "f".into(),
            args: vec![4],
        }])
    }

    #[test]
    fn lifting_reads_values_from_the_trace_being_lifted() {
        let compiled = compile(MODULE.as_bytes(), &entry()).unwrap();
        let run = crate::oracle::reference::run(&compiled.program, 100_000);
        let (oracle, steps) = crate::oracle::wasmi::run_instrumented(
            MODULE.as_bytes(),
            &entry(),
            crate::oracle::wasmi::Budget::fuel(1 << 20),
            &compiled.source_map,
            1000,
        )
        .unwrap();
        assert_eq!(
            oracle.ending,
            crate::ending::Ending::Finished { results: vec![18] }
        );
        let lifted = lift(&compiled, &run.trace);
        let check = diff(
            &compiled,
            MODULE.as_bytes(),
            &steps.steps,
            &lifted,
            true,
            true,
        );
        assert!(check.divergence.is_none(), "{:?}", check.divergence);
        assert_eq!(check.steps_compared, lifted.len() as u64);
        // Path through the call: `local.get 0` in f, then sq's steps, then
        // the call's result, 16.
        let call = lifted
            .iter()
            .position(|s| s.step.func == 1 && s.step.value == Some(16))
            .unwrap();
        assert!(lifted[..call].iter().any(|s| s.step.func == 0));
        // Corrupt the `i32.add` result byte in the trace: the lifted step
        // of that wasm instruction now differs from wasmi's.
        let add = lifted
            .iter()
            .find(|s| s.step.func == 1 && s.step.value == Some(19))
            .unwrap();
        // i32.add is one flat instruction: its line starts with the low
        // result byte, 19 = 0x13 (no carry), which becomes 0x14.
        let mut bad = run.trace.clone();
        assert_eq!(bad[add.at.token_index], Token::byte(0x13, false));
        bad[add.at.token_index] = Token::byte(0x14, false);
        let got = lift(&compiled, &bad);
        let d = diff(&compiled, MODULE.as_bytes(), &steps.steps, &got, true, true)
            .divergence
            .unwrap();
        let e = d.expected.unwrap();
        assert_eq!((e.wat.as_str(), e.step.value), ("i32.add", Some(19)));
        assert_eq!(d.got.unwrap().step.value, Some(20));
        // A lifted trace that stops early diverges where it stops if its
        // run halted there, and is a clean prefix if it hit a token limit.
        let good = lift(&compiled, &run.trace);
        let short = &good[..good.len() - 2];
        let d = diff(
            &compiled,
            MODULE.as_bytes(),
            &steps.steps,
            short,
            true,
            true,
        );
        let d = d.divergence.unwrap();
        assert_eq!((d.index, d.got.is_none()), (short.len() as u64, true));
        assert_eq!(d.at, short.last().unwrap().at);
        let prefix = diff(
            &compiled,
            MODULE.as_bytes(),
            &steps.steps,
            short,
            false,
            true,
        );
        assert_eq!(
            (prefix.steps_compared, prefix.divergence),
            (short.len() as u64, None)
        );
    }
}

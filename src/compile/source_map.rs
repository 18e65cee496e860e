//! The source map: for every wasm instruction of every compiled user
//! function, its byte offset and whether (and when) it reports a value to
//! the step-by-step diff against wasmi.
//!
//! Both sides of that diff read this one table: the instrumented oracle
//! ([`crate::oracle::instrument`]) inserts a host call exactly at the instructions
//! marked here, and the lifting of a flat trace ([`crate::verify::lift`]) emits a
//! source step exactly for them. The rule for each wasm operator is
//! [`Report`]; the compiler decides it while it compiles the operator.

use super::Num;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What one executed wasm instruction contributes to the source-level trace.
///
/// A *source step* is one execution of a reported instruction: its function,
/// instruction index and one value (or none, for [`Report::Path`]). Only
/// values both sides see exactly are compared:
///
/// - [`Report::After`]: instructions that leave a value on the stack (consts,
///   `local.get`/`tee`, `global.get`, loads, every arithmetic and comparison
///   operator, conversions, `select`, `memory.size`, and `call` of a
///   function with results), with the value's type. The value is the top of
///   the stack once the instruction is done: on wasmi right after it, in the
///   flat trace when the instruction's flat sequence ends (a lowered op's
///   sequence includes the runtime helper it calls; a `call`'s ends with the
///   callee's `return`). An instruction that traps produces no step.
/// - [`Report::Before`]: instructions that consume a value that decides the
///   path or changes state, and produce nothing: `local.set`, `global.set`,
///   stores (the stored value), `br_if`, `if` (the condition), `br_table`
///   (the index), and `call` of the imported `env.output_byte` (the byte).
///   The value is the top of the stack before the instruction runs.
///
///   A 64-bit value is the top two words of the flat trace. A float is
///   compared by its bits, except that every NaN counts as the canonical
///   NaN ([`Num::comparable`]).
/// - [`Report::Path`]: `call` of a function without results: a step without
///   a value, taken when the call returns.
/// - [`Report::Jump`]: `br` and `return`: a step without a value, taken as
///   the instruction starts (so the path shows branches and returns).
/// - [`Report::None`]: structure (`block`, `loop`, `else`, `end` — a
///   function's final `end` too, which a branch to the function's label
///   skips in wasm but not in the flat code), `nop`, `drop`, `unreachable`,
///   reinterprets (no flat code at all), code the compiler found
///   unreachable, and a constant the compiler folded into the next operator
///   (`x & 0xff` becomes a byte store and load). Their effect shows in the
///   steps that follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Report {
    None,
    Before(Num),
    After(Num),
    Path,
    Jump,
}

/// One wasm instruction of a compiled function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SourceOp {
    /// Byte offset of the instruction in the module.
    pub(crate) offset: u32,
    pub report: Report,
}

/// Every compiled user function's instructions, by wasm function index;
/// each function's list is indexed by instruction index (operators in
/// order, the final `end` included).
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceMap {
    pub functions: BTreeMap<u32, Vec<SourceOp>>,
}

impl SourceMap {
    pub fn op(&self, func: u32, instr: u32) -> Option<&SourceOp> {
        self.functions.get(&func)?.get(instr as usize)
    }
}

/// One executed wasm instruction as the source-level diff sees it: which
/// instruction ran and the value it reported (see [`Report`]). wasmi's
/// instrumented run and the lifted flat trace both produce these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SourceStep {
    /// wasm function index in the module (imports counted first).
    pub func: u32,
    /// Instruction index in the function body.
    pub instr: u32,
    /// Byte offset of the instruction in the module.
    pub(crate) offset: u32,
    /// The value, an i32 zero-extended.
    pub value: Option<u64>,
}

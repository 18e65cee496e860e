//! f32 and f64 on an integer machine: a float is its IEEE bits (an f32 one
//! machine word, an f64 two, low word first, like an i64), so moving,
//! loading, storing and reinterpreting a float is moving bits, and every
//! operator that computes on floats is a call of the soft-float runtime
//! (`float/softfloat.c`, built into `float/softfloat.wasm`), whose exports
//! are named as the operators they implement.
//!
//! Why a runtime rather than new circuits: the transformer stays the
//! published 36-op machine, and IEEE 754's rounding, subnormals and NaNs
//! are written once, in C checked bit for bit against the host's floats
//! (`tests/softfloat.rs`), then executed like any other code.

use super::function::FunctionCompiler;
use super::source_map::Report;
use super::{operator_name, CompileError, Num};
use crate::isa::Op;
use wasmparser::{MemArg, Operator};

/// Whether `op` is a float operator: one that takes or makes a float
/// (conversions from and to integers, reinterprets, loads and stores
/// included).
pub(super) fn is_float(op: &Operator) -> bool {
    let name = operator_name(op);
    name.starts_with("f32.")
        || name.starts_with("f64.")
        || name.contains("_f32")
        || name.contains("_f64")
}

/// The bit moves among the float operators: they compile to integer code of
/// the same width, and the runtime has no function for them.
enum Move {
    Const(u64, Num),
    Load(MemArg, Num),
    Store(MemArg, Num),
    /// A reinterpret: the same bits as another type, no code at all.
    Reinterpret,
}

fn bit_move(op: &Operator) -> Option<Move> {
    use Operator as O;
    Some(match *op {
        O::F32Const { value } => Move::Const(value.bits() as u64, Num::F32),
        O::F64Const { value } => Move::Const(value.bits(), Num::F64),
        O::F32Load { memarg } => Move::Load(memarg, Num::F32),
        O::F64Load { memarg } => Move::Load(memarg, Num::F64),
        O::F32Store { memarg } => Move::Store(memarg, Num::F32),
        O::F64Store { memarg } => Move::Store(memarg, Num::F64),
        O::I32ReinterpretF32
        | O::F32ReinterpretI32
        | O::I64ReinterpretF64
        | O::F64ReinterpretI64 => Move::Reinterpret,
        _ => return None,
    })
}

/// The type an operator of the runtime leaves, from its wasm name: a
/// comparison's is i32, any other's is the type that begins its name
/// (`i32.trunc_f32_s`, `f64.convert_i64_u`). The runtime's own signature
/// cannot say: it passes an f32 as an i32.
fn result_type(name: &str) -> Num {
    let comparison = ["eq", "ne", "lt", "gt", "le", "ge"]
        .iter()
        .any(|c| name.ends_with(&format!(".{c}")));
    match name.get(..3) {
        _ if comparison => Num::I32,
        Some("f32") => Num::F32,
        Some("f64") => Num::F64,
        Some("i64") => Num::I64,
        _ => Num::I32,
    }
}

impl FunctionCompiler<'_, '_, '_> {
    /// What a float operator reports to the source-level diff: the value it
    /// leaves or stores, at its type. A reinterpret compiles to nothing, so
    /// it has no flat instruction to report at: its value shows in the next
    /// step.
    pub(super) fn float_report(&self, op: &Operator) -> Option<Report> {
        if let Some(m) = bit_move(op) {
            return Some(match m {
                Move::Const(_, num) | Move::Load(_, num) => Report::After(num),
                Move::Store(_, num) => Report::Before(num),
                Move::Reinterpret => Report::None,
            });
        }
        let name = operator_name(op);
        self.cx.float_helper(&name)?;
        Some(Report::After(result_type(&name)))
    }

    /// Compile a float operator: a bit move, or a call of the runtime.
    pub(super) fn float_operator(&mut self, op: Operator) -> Result<(), CompileError> {
        match bit_move(&op) {
            Some(Move::Const(bits, num)) => {
                self.height += num.words();
                for w in num.to_words(bits) {
                    self.emit(Op::I32Const, w);
                }
            }
            Some(Move::Load(memarg, Num::F32)) => self.load(Op::I32Load, memarg, 4)?,
            Some(Move::Load(memarg, _)) => self.load64(memarg)?,
            Some(Move::Store(memarg, Num::F32)) => self.store(Op::I32Store, memarg, 4)?,
            Some(Move::Store(memarg, _)) => self.store64(memarg)?,
            Some(Move::Reinterpret) => {}
            None => {
                let name = operator_name(&op);
                let key = self
                    .cx
                    .float_helper(&name)
                    .ok_or_else(|| CompileError::unsupported(name))?;
                let ty = self.cx.float.func_type(key.index);
                let (params, results) = (
                    super::slot_count(ty.params())?,
                    super::slot_count(ty.results())?,
                );
                self.height = self.height - params + results;
                self.mark_lowered();
                self.cx.call(key);
            }
        }
        Ok(())
    }
}

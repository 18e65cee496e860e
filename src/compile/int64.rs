//! i64 on a 32-bit machine: every i64 value is two machine slots, its low
//! word first (deeper) and its high word on top; an i64 local or global is
//! two consecutive slots or words. Moving values (locals, globals, `drop`,
//! `select`, calls, block results) is handled where the i32 case is, by
//! slot count; this file lowers the operators that compute on i64s.
//!
//! Why lower instead of extending the machine: the machine stays 32-bit,
//! and every i64 operation is checked by the same exact machinery as i32
//! code. Cheap ones are inline (`and`, `or`, `xor` are the machine's own
//! ops word by word, comparisons compare words); the rest call helpers of
//! `runtime.wat` that take and return word pairs.

use super::function::{FunctionCompiler, TEMP_FIRST};
use super::source_map::Report;
use super::{operator_name, CompileError, Num};
use crate::isa::Op;
use wasmparser::{MemArg, Operator};

/// How a lowered i64 operator changes the stack, in slots.
enum Shape {
    /// (i64, i64) -> i64
    Binary,
    /// i64 -> i64
    Unary,
}

/// An i64 comparison, as the i32 ops that compare its words.
#[derive(Clone, Copy)]
pub(super) enum Comparison {
    /// `eq` (`word` eq, `join` and) or `ne` (ne, or), word by word.
    Equality { word: Op, join: Op },
    /// An ordering: the high words compared by `strict` (signed or not)
    /// decide unless they are equal, and then the low words, unsigned, by
    /// `low`.
    Ordering { strict: Op, low: Op },
}

/// Where a word of an inline lowering's right operand comes from.
#[derive(Clone, Copy)]
pub(super) enum Word {
    /// A temporary holding it.
    Local(u32),
    /// A constant's word, pushed by `i32.const`.
    Const(u32),
}

/// The comparison an i64 operator makes, if it is one.
fn comparison(op: &Operator) -> Option<Comparison> {
    use Comparison::*;
    use Operator as O;
    let order = |strict, low| Ordering { strict, low };
    Some(match op {
        O::I64Eq => Equality {
            word: Op::I32Eq,
            join: Op::I32And,
        },
        O::I64Ne => Equality {
            word: Op::I32Ne,
            join: Op::I32Or,
        },
        O::I64LtU => order(Op::I32LtU, Op::I32LtU),
        O::I64LtS => order(Op::I32LtS, Op::I32LtU),
        O::I64GtU => order(Op::I32GtU, Op::I32GtU),
        O::I64GtS => order(Op::I32GtS, Op::I32GtU),
        O::I64LeU => order(Op::I32LtU, Op::I32LeU),
        O::I64LeS => order(Op::I32LtS, Op::I32LeU),
        O::I64GeU => order(Op::I32GtU, Op::I32GeU),
        O::I64GeS => order(Op::I32GtS, Op::I32GeU),
        _ => return None,
    })
}

/// The runtime helper of an i64 operator that calls one, with its shape.
fn helper(op: &Operator) -> Option<(&'static str, Shape)> {
    use Operator as O;
    use Shape::*;
    Some(match op {
        O::I64Mul => ("mul64", Binary),
        O::I64DivS => ("div_s64", Binary),
        O::I64DivU => ("div_u64", Binary),
        O::I64RemS => ("rem_s64", Binary),
        O::I64RemU => ("rem_u64", Binary),
        O::I64Shl => ("shl64", Binary),
        O::I64ShrS => ("shr_s64", Binary),
        O::I64ShrU => ("shr_u64", Binary),
        O::I64Rotl => ("rotl64", Binary),
        O::I64Rotr => ("rotr64", Binary),
        O::I64Ctz => ("ctz64", Unary),
        O::I64Popcnt => ("popcnt64", Unary),
        _ => return None,
    })
}

/// What an i64 operator (or a conversion between i32 and i64) reports to the
/// source-level diff: the value it leaves, an i64 as both words. `None`
/// for operators this file does not compile.
pub(super) fn report(op: &Operator) -> Option<Report> {
    use Operator as O;
    if helper(op).is_some() {
        return Some(Report::After(Num::I64));
    }
    if comparison(op).is_some() {
        return Some(Report::After(Num::I32));
    }
    Some(match op {
        O::I64Eqz | O::I32WrapI64 => Report::After(Num::I32),
        O::I64Clz
        | O::I64Add
        | O::I64Sub
        | O::I64And
        | O::I64Or
        | O::I64Xor
        | O::I64Const { .. }
        | O::I64Load { .. }
        | O::I64Load8S { .. }
        | O::I64Load8U { .. }
        | O::I64Load16S { .. }
        | O::I64Load16U { .. }
        | O::I64Load32S { .. }
        | O::I64Load32U { .. }
        | O::I64ExtendI32S
        | O::I64ExtendI32U
        | O::I64Extend8S
        | O::I64Extend16S
        | O::I64Extend32S => Report::After(Num::I64),
        O::I64Store { .. } | O::I64Store8 { .. } | O::I64Store16 { .. } | O::I64Store32 { .. } => {
            Report::Before(Num::I64)
        }
        _ => return None,
    })
}

impl FunctionCompiler<'_, '_, '_> {
    /// Compile an i64 operator, or refuse what neither this nor the i32
    /// code compiles.
    pub(super) fn i64_operator(&mut self, op: Operator) -> Result<(), CompileError> {
        use Operator as O;
        if let Some((name, shape)) = helper(&op) {
            self.height -= match shape {
                Shape::Binary => 2,
                Shape::Unary => 0,
            };
            self.mark_lowered();
            if !self.constant_operand64(name) {
                self.call_helper(name);
            }
            return Ok(());
        }
        if let Some(comparison) = comparison(&op) {
            self.height -= 3;
            self.mark_lowered();
            if !self.constant_comparison64(comparison) {
                self.compare64(comparison);
            }
            return Ok(());
        }
        match op {
            O::I64Const { value } => {
                self.height += 2;
                for word in super::words_of_u64(value as u64) {
                    self.emit(Op::I32Const, word);
                }
            }
            O::I64And => self.word_by_word(Op::I32And),
            O::I64Or => self.word_by_word(Op::I32Or),
            O::I64Xor => self.word_by_word(Op::I32Xor),
            O::I64Eqz => self.eqz64(),
            O::I64Clz => self.clz64(),
            O::I64Add => self.add64(false),
            O::I64Sub => self.add64(true),
            O::I32WrapI64 => {
                self.height -= 1;
                self.drop_word();
            }
            O::I64ExtendI32U => {
                self.height += 1;
                self.emit(Op::I32Const, 0);
            }
            O::I64ExtendI32S => self.extend_s(),
            O::I64Extend8S => self.narrow_extend(Some((Op::I32Store8, Op::I32Load8S))),
            O::I64Extend16S => self.narrow_extend(Some((Op::I32Store16, Op::I32Load16S))),
            O::I64Extend32S => self.narrow_extend(None),
            O::I64Load { memarg } => self.load64(memarg)?,
            O::I64Load8S { memarg } => self.load_narrow(Op::I32Load8S, memarg, 1, true)?,
            O::I64Load8U { memarg } => self.load_narrow(Op::I32Load8U, memarg, 1, false)?,
            O::I64Load16S { memarg } => self.load_narrow(Op::I32Load16S, memarg, 2, true)?,
            O::I64Load16U { memarg } => self.load_narrow(Op::I32Load16U, memarg, 2, false)?,
            O::I64Load32S { memarg } => self.load_narrow(Op::I32Load, memarg, 4, true)?,
            O::I64Load32U { memarg } => self.load_narrow(Op::I32Load, memarg, 4, false)?,
            O::I64Store { memarg } => self.store64(memarg)?,
            O::I64Store8 { memarg } => self.store_narrow(Op::I32Store8, memarg, 1)?,
            O::I64Store16 { memarg } => self.store_narrow(Op::I32Store16, memarg, 2)?,
            O::I64Store32 { memarg } => self.store_narrow(Op::I32Store, memarg, 4)?,
            other => return Err(CompileError::unsupported(operator_name(&other))),
        }
        Ok(())
    }

    /// (lo, hi) -> lo == 0 && hi == 0
    fn eqz64(&mut self) {
        self.height -= 1;
        self.mark_lowered();
        let t = self.temp(TEMP_FIRST);
        self.emit(Op::I32Eqz, 0);
        self.emit(Op::LocalSet, t);
        self.emit(Op::I32Eqz, 0);
        self.emit(Op::LocalGet, t);
        self.emit(Op::I32Add, 0);
        self.emit(Op::I32Const, 2);
        self.emit(Op::I32Eq, 0);
    }

    /// (a_lo, a_hi, b_lo, b_hi) -> a <op> b, inline: b's words to
    /// temporaries, then [`Self::compare64_with`]. 9 instructions for
    /// `eq`/`ne`, 12 for an ordering.
    fn compare64(&mut self, comparison: Comparison) {
        let b = self.right_words_to_temporaries();
        self.compare64_with(comparison, b);
    }

    /// (a_lo, a_hi) -> a <op> b, b's words pushed by `b` (low, high): the
    /// words compared, joined (`eq`/`ne`), or the low words' answer where
    /// the high words are equal and theirs otherwise (an ordering).
    pub(super) fn compare64_with(&mut self, comparison: Comparison, [b_lo, b_hi]: [Word; 2]) {
        let a_hi = self.temp(TEMP_FIRST + 2);
        self.emit(Op::LocalSet, a_hi);
        self.push_word(b_lo);
        match comparison {
            Comparison::Equality { word, join } => {
                self.emit(word, 0);
                self.emit(Op::LocalGet, a_hi);
                self.push_word(b_hi);
                self.emit(word, 0);
                self.emit(join, 0);
            }
            Comparison::Ordering { strict, low } => {
                // select(a_lo low b_lo, a_hi strict b_hi, a_hi == b_hi)
                self.emit(low, 0);
                self.emit(Op::LocalGet, a_hi);
                self.push_word(b_hi);
                self.emit(strict, 0);
                self.emit(Op::LocalGet, a_hi);
                self.push_word(b_hi);
                self.emit(Op::I32Eq, 0);
                self.emit(Op::Select, 0);
            }
        }
    }

    /// (a_lo, a_hi, b_lo, b_hi) -> a + b, or a - b with `subtract`, inline
    /// (13 instructions, against a call's 19 and 16), or with a constant b
    /// (`function/constant.rs`).
    fn add64(&mut self, subtract: bool) {
        self.height -= 2;
        self.mark_lowered();
        if self.constant_add64(subtract) {
            return;
        }
        let b = self.right_words_to_temporaries();
        if subtract {
            self.sub64_with(b);
        } else {
            self.add64_with(b);
        }
    }

    /// (a_lo, a_hi) -> (lo, a_hi + b_hi + (lo < b_lo)) with lo = a_lo + b_lo:
    /// the low words' sum is below either of them exactly when it carried.
    pub(super) fn add64_with(&mut self, [b_lo, b_hi]: [Word; 2]) {
        let [a_hi, lo] = [2, 3].map(|k| self.temp(TEMP_FIRST + k));
        self.emit(Op::LocalSet, a_hi);
        self.push_word(b_lo);
        self.emit(Op::I32Add, 0);
        self.emit(Op::LocalTee, lo);
        self.emit(Op::LocalGet, a_hi);
        self.push_word(b_hi);
        self.emit(Op::I32Add, 0);
        self.emit(Op::LocalGet, lo);
        self.push_word(b_lo);
        self.emit(Op::I32LtU, 0);
        self.emit(Op::I32Add, 0);
    }

    /// (a_lo, a_hi) -> (a_lo - b_lo, a_hi - b_hi - (a_lo < b_lo)).
    fn sub64_with(&mut self, [b_lo, b_hi]: [Word; 2]) {
        let [a_hi, a_lo] = [2, 3].map(|k| self.temp(TEMP_FIRST + k));
        self.emit(Op::LocalSet, a_hi);
        self.emit(Op::LocalTee, a_lo);
        self.push_word(b_lo);
        self.emit(Op::I32Sub, 0);
        self.emit(Op::LocalGet, a_hi);
        self.push_word(b_hi);
        self.emit(Op::I32Sub, 0);
        self.emit(Op::LocalGet, a_lo);
        self.push_word(b_lo);
        self.emit(Op::I32LtU, 0);
        self.emit(Op::I32Sub, 0);
    }

    /// (a_lo, a_hi, b_lo, b_hi) -> (a_lo, a_hi), b's words kept in
    /// temporaries.
    fn right_words_to_temporaries(&mut self) -> [Word; 2] {
        let [b_hi, b_lo] = [0, 1].map(|k| self.temp(TEMP_FIRST + k));
        self.emit(Op::LocalSet, b_hi);
        self.emit(Op::LocalSet, b_lo);
        [Word::Local(b_lo), Word::Local(b_hi)]
    }

    fn push_word(&mut self, word: Word) {
        match word {
            Word::Local(slot) => self.emit(Op::LocalGet, slot),
            Word::Const(c) => self.emit(Op::I32Const, c),
        }
    }

    /// (lo, hi) -> (clz64, 0): the machine counts both words at once.
    fn clz64(&mut self) {
        self.mark_lowered();
        self.emit(Op::Clz64, 0);
        self.emit(Op::I32Const, 0);
    }

    /// x -> (x, 0 - (x < 0)): the high word of x sign-extended.
    fn extend_s(&mut self) {
        self.height += 1;
        self.mark_lowered();
        let t = self.temp(TEMP_FIRST);
        self.emit(Op::LocalTee, t);
        self.emit(Op::I32Const, 0);
        self.emit(Op::LocalGet, t);
        self.emit(Op::I32Const, 0);
        self.emit(Op::I32LtS, 0);
        self.emit(Op::I32Sub, 0);
    }

    /// i64.extend{8,16,32}_s: the low word, narrowed and sign-extended
    /// (through a store and a signed load), then widened.
    fn narrow_extend(&mut self, narrow: Option<(Op, Op)>) {
        self.height -= 1;
        self.mark_lowered();
        self.emit(Op::Drop, 0);
        if let Some((store, load)) = narrow {
            self.sign_extend(store, load);
        }
        self.extend_s();
    }

    /// addr -> (lo, hi): one bounds check for all 8 bytes, two word loads.
    pub(super) fn load64(&mut self, memarg: MemArg) -> Result<(), CompileError> {
        self.height += 1;
        let imm = self.checked_address(memarg, 8)?;
        self.mark_lowered();
        let a = self.temp(TEMP_FIRST + 1);
        self.emit(Op::LocalTee, a);
        self.emit(Op::I32Load, imm);
        self.emit(Op::LocalGet, a);
        // An offset past the memory traps above; this code is then dead.
        self.emit(Op::I32Load, imm.wrapping_add(4));
        Ok(())
    }

    fn load_narrow(
        &mut self,
        op: Op,
        memarg: MemArg,
        size: u64,
        signed: bool,
    ) -> Result<(), CompileError> {
        self.load(op, memarg, size)?;
        self.mark_lowered();
        if signed {
            self.extend_s();
        } else {
            self.height += 1;
            self.emit(Op::I32Const, 0);
        }
        Ok(())
    }

    /// (addr, lo, hi) -> (): one bounds check, two word stores.
    pub(super) fn store64(&mut self, memarg: MemArg) -> Result<(), CompileError> {
        self.height -= 3;
        let [hi, lo, a] = [2, 3, 4].map(|k| self.temp(TEMP_FIRST + k));
        self.emit(Op::LocalSet, hi);
        self.emit(Op::LocalSet, lo);
        let imm = self.checked_address(memarg, 8)?;
        self.mark_lowered();
        self.emit(Op::LocalTee, a);
        self.emit(Op::LocalGet, lo);
        self.emit(Op::I32Store, imm);
        self.emit(Op::LocalGet, a);
        self.emit(Op::LocalGet, hi);
        self.emit(Op::I32Store, imm.wrapping_add(4));
        Ok(())
    }

    /// (addr, lo, hi) -> (): the low word's store of `size` bytes.
    fn store_narrow(&mut self, op: Op, memarg: MemArg, size: u64) -> Result<(), CompileError> {
        self.height -= 1;
        self.emit(Op::Drop, 0);
        self.store(op, memarg, size)
    }
}

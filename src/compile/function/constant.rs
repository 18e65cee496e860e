//! Operators whose right operand is a constant the compiler sees: clang
//! writes most i64 shifts and rotations this way (`h >> 33`). Knowing the
//! constant, the compiler writes the operation out of the machine's ops
//! instead of calling a runtime helper:
//!
//! - an i64 shift or rotation by a constant is i32 shifts of its two words
//!   (`i64.const` is two `i32.const`s, low word first), the bits that
//!   cross from one word to the other added in;
//! - an i32 rotation by a constant is two shifts added;
//! - an i64 comparison with a constant compares words with the constant's
//!   words (`x < 0` is only the high word's sign), an i64 addition adds
//!   them with the carry.
//!
//! Where none of these fits, the constant stays and the helper runs.
//! Otherwise the constant's own instruction is folded into the lowering,
//! so it no longer reports to the source-level diff (the operator's result
//! still does).

use super::{FunctionCompiler, TEMP_FIRST};
use crate::compile::int64::{Comparison, Word};
use crate::compile::source_map::Report;
use crate::compile::ModuleId;
use crate::isa::Op;

/// Temporaries of these lowerings: each composite keeps its operand in its
/// own slot, so one lowering may call another.
const PART: u32 = TEMP_FIRST + 2;
/// The words of an i64 operand.
const HIGH: u32 = TEMP_FIRST + 3;
const LOW: u32 = TEMP_FIRST + 4;

impl FunctionCompiler<'_, '_, '_> {
    /// Compile `x <op> c` where the instruction just emitted is `i32.const
    /// c`; false (nothing emitted) when no lowering here applies.
    pub(super) fn constant_operand(&mut self, helper: &str) -> bool {
        let Some(c) = self.cx.asm.last_const() else {
            return false;
        };
        let lower: fn(&mut Self, u32) = match helper {
            "rotl" => |f, c| f.rotl_const(c & 31),
            "rotr" => |f, c| f.rotl_const(32 - (c & 31)),
            _ => return false,
        };
        self.fold_constant();
        self.lower_folded(|f| lower(f, c));
        true
    }

    /// Compile `x <op> c` for i64 x where the two instructions just emitted
    /// are the words of c; false (nothing emitted) when none applies.
    pub(in crate::compile) fn constant_operand64(&mut self, helper: &str) -> bool {
        let lower: fn(&mut Self, u64) = match helper {
            "shl64" => |f, c| f.shl64_const((c & 63) as u32),
            "shr_u64" => |f, c| f.shr64_const((c & 63) as u32, false),
            "shr_s64" => |f, c| f.shr64_const((c & 63) as u32, true),
            "rotl64" => |f, c| f.rotl64_const((c & 63) as u32),
            "rotr64" => |f, c| f.rotl64_const(((64 - (c & 63)) % 64) as u32),
            _ => return false,
        };
        self.fold_constant64(lower)
    }

    /// Compile an i64 comparison `x <op> c` where the two instructions just
    /// emitted are the words of c; false (nothing emitted) when they are
    /// not constants.
    pub(in crate::compile) fn constant_comparison64(&mut self, comparison: Comparison) -> bool {
        self.fold_constant64(|f, c| f.compare64_const(comparison, c))
    }

    /// Compile `x + c` (or `x - c`, as `x + -c`) for i64 x where the two
    /// instructions just emitted are the words of c; false (nothing
    /// emitted) when they are not constants.
    pub(in crate::compile) fn constant_add64(&mut self, subtract: bool) -> bool {
        self.fold_constant64(|f, c| f.add64_const(if subtract { c.wrapping_neg() } else { c }))
    }

    /// When the two instructions just emitted are the words of an i64
    /// constant c, fold them into what `lower` emits for c; false (nothing
    /// emitted) otherwise.
    fn fold_constant64(&mut self, lower: impl FnOnce(&mut Self, u64)) -> bool {
        let Some((low, high)) = self.cx.asm.last_two_consts() else {
            return false;
        };
        let c = u64::from(high) << 32 | u64::from(low);
        self.fold_constant();
        self.fold_constant();
        self.lower_folded(|f| lower(f, c));
        true
    }

    /// (lo, hi) -> x + c; with a low word of 0 only the high word changes.
    fn add64_const(&mut self, c: u64) {
        let [c_low, c_high] = crate::compile::words_of_u64(c);
        if c_low != 0 {
            self.add64_with([Word::Const(c_low), Word::Const(c_high)]);
        } else if c_high != 0 {
            self.emit(Op::I32Const, c_high);
            self.emit(Op::I32Add, 0);
        }
    }

    /// Emit a lowering whose constant was folded. An operator that leaves
    /// its operand as it is (`x & -1`, `x << 0`) still runs an instruction,
    /// `x + 0`: the source-level diff sees each operator execute by its flat
    /// code (the soft-float runtime's operators are not diffed, and its
    /// peepholes may leave the pc where it was with code changed).
    fn lower_folded(&mut self, lower: impl FnOnce(&mut Self)) {
        let start = self.cx.asm.pc();
        lower(self);
        if self.cx.asm.pc() == start && self.module_id != ModuleId::Float {
            self.emit(Op::I32Const, 0);
            self.emit(Op::I32Add, 0);
        }
    }

    /// (lo, hi) -> x <op> c. Where an ordering's low comparison has one
    /// answer for every low word (`lo < 0`, `lo >= 0`, ...), the high
    /// words alone decide: `x < 0` is `hi < 0`.
    fn compare64_const(&mut self, comparison: Comparison, c: u64) {
        let [c_low, c_high] = crate::compile::words_of_u64(c);
        if let Comparison::Ordering { strict, low } = comparison {
            let low_always = match (low, c_low) {
                (Op::I32LtU, 0) | (Op::I32GtU, u32::MAX) => Some(false),
                (Op::I32GeU, 0) | (Op::I32LeU, u32::MAX) => Some(true),
                _ => None,
            };
            if let Some(always) = low_always {
                let h = self.temp(HIGH);
                self.emit(Op::LocalSet, h);
                self.emit(Op::Drop, 0);
                self.emit(Op::LocalGet, h);
                self.emit(Op::I32Const, c_high);
                self.emit(if always { or_equal(strict) } else { strict }, 0);
                return;
            }
        }
        self.compare64_with(comparison, [Word::Const(c_low), Word::Const(c_high)]);
    }

    /// (lo, hi) -> x << k.
    fn shl64_const(&mut self, k: u32) {
        let (l, h) = (self.temp(LOW), self.temp(HIGH));
        if k >= 32 {
            // (0, lo << (k - 32))
            self.drop_word();
            self.emit(Op::LocalSet, l);
            self.emit(Op::I32Const, 0);
            self.emit(Op::LocalGet, l);
            self.shl_const(k - 32);
        } else if k > 0 {
            // (lo << k, hi << k + lo >> (32 - k))
            self.emit(Op::LocalSet, h);
            self.emit(Op::LocalTee, l);
            self.shl_const(k);
            self.funnel(h, l, k);
        }
    }

    /// -> (a << k) + (b >> (32 - k)) for 0 < k < 32, from temporaries a and
    /// b: the high word of (a, b) shifted left by k.
    fn funnel(&mut self, a: u32, b: u32, k: u32) {
        self.emit(Op::LocalGet, a);
        self.shl_const(k);
        self.emit(Op::LocalGet, b);
        self.shr_u_const(32 - k);
        self.emit(Op::I32Add, 0);
    }

    /// (lo, hi) -> x >> k, arithmetic when `signed`.
    fn shr64_const(&mut self, k: u32, signed: bool) {
        let h = self.temp(HIGH);
        let shr = |f: &mut Self, k| {
            if signed {
                f.shr_s_const(k)
            } else {
                f.shr_u_const(k)
            }
        };
        if k >= 32 {
            // (hi >> (k - 32), sign or 0)
            if let Some([_, hi]) = self.take_runtime_pushes(2).as_deref() {
                // both words pushed just now: push the high one alone
                self.emit(hi.op, hi.imm);
                if signed {
                    self.emit(Op::LocalTee, h);
                }
            } else {
                self.emit(Op::LocalSet, h);
                self.emit(Op::Drop, 0);
                self.emit(Op::LocalGet, h);
            }
            shr(self, k - 32);
            if signed {
                self.emit(Op::LocalGet, h);
                self.shr_s_const(31);
            } else {
                self.emit(Op::I32Const, 0);
            }
        } else if k > 0 {
            // (lo >> k + hi << (32 - k), hi >> k)
            self.emit(Op::LocalSet, h);
            self.shr_u_const(k);
            self.emit(Op::LocalGet, h);
            self.shl_const(32 - k);
            self.emit(Op::I32Add, 0);
            self.emit(Op::LocalGet, h);
            shr(self, k);
        }
    }

    /// (lo, hi) -> x rotl k: the words swap for k >= 32, then each takes
    /// the other's top bits.
    fn rotl64_const(&mut self, k: u32) {
        let (l, h) = (self.temp(LOW), self.temp(HIGH));
        if k >= 32 {
            self.emit(Op::LocalSet, h);
            self.emit(Op::LocalSet, l);
            self.emit(Op::LocalGet, h);
            self.emit(Op::LocalGet, l);
        }
        let k = k % 32;
        if k == 0 {
            return;
        }
        self.emit(Op::LocalSet, h);
        self.emit(Op::LocalTee, l);
        self.shl_const(k);
        self.emit(Op::LocalGet, h);
        self.shr_u_const(32 - k);
        self.emit(Op::I32Add, 0);
        self.funnel(h, l, k);
    }

    /// Drop the `i32.const` just emitted: the lowering knows its value.
    fn fold_constant(&mut self) {
        let folded = self.cx.asm.pop_last();
        if let (Some(i), ModuleId::User) = (folded.instr, self.module_id) {
            if let Some(op) = self.ops.get_mut(i as usize) {
                op.report = Report::None;
            }
        }
    }

    /// x -> x `op` k, for a shift op; nothing for k = 0.
    fn shift_const(&mut self, op: Op, k: u32) {
        if k > 0 {
            self.emit(Op::I32Const, k);
            self.emit(op, 0);
        }
    }

    fn shl_const(&mut self, k: u32) {
        self.shift_const(Op::I32Shl, k);
    }

    fn shr_u_const(&mut self, k: u32) {
        self.shift_const(Op::I32ShrU, k);
    }

    fn shr_s_const(&mut self, k: u32) {
        self.shift_const(Op::I32ShrS, k);
    }

    /// x rotl k = (x << k) + (x >> (32 - k)): the two parts share no bit.
    fn rotl_const(&mut self, k: u32) {
        let k = k % 32;
        if k == 0 {
            return;
        }
        let x = self.temp(PART);
        self.emit(Op::LocalTee, x);
        self.shl_const(k);
        self.emit(Op::LocalGet, x);
        self.shr_u_const(32 - k);
        self.emit(Op::I32Add, 0);
    }
}

/// The comparison that also holds on equal operands: `<` -> `<=`.
fn or_equal(strict: Op) -> Op {
    match strict {
        Op::I32LtU => Op::I32LeU,
        Op::I32LtS => Op::I32LeS,
        Op::I32GtU => Op::I32GeU,
        Op::I32GtS => Op::I32GeS,
        other => other,
    }
}

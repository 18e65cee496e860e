//! i32 operators whose right operand is a constant the compiler sees
//! (`x << 2`, `x >> 24`, `x * 10`): clang emits most shifts and
//! multiplications in this form. Knowing the constant,
//! the compiler writes the operation out of core ops instead of calling a
//! runtime helper that loops over bits:
//!
//! - whole-byte shifts and byte masks re-address the value through the
//!   8 scratch bytes (store the word, load it at a byte offset or narrower);
//! - a shift by the remaining 0-7 bits is doublings (`x + x`), and a right
//!   shift by j is a left shift by 8 - j followed by a whole-byte shift
//!   right, split so that no doubling overflows;
//! - `x * c` is an addition chain over c's bits (or -c's, negated).
//!
//! (`and`, `or` and `xor` need none of this: the machine has them.) i64
//! shifts and rotations by a constant are the same on its two words
//! (`i64.const` is two `i32.const`s, low word first).
//!
//! Where none of these fits, the constant stays and the helper runs.
//! Otherwise the constant's own instruction is folded into the lowering,
//! so it no longer reports to the source-level diff (the operator's result
//! still does).

use super::{FunctionCompiler, TEMP_FIRST};
use crate::compile::source_map::Report;
use crate::compile::ModuleId;
use crate::isa::Op;

/// Temporaries of these lowerings: the byte moves and doublings use
/// BYTES; each composite keeps its operand in its own slot, so one
/// lowering may call another.
const BYTES: u32 = TEMP_FIRST;
const OPERAND: u32 = TEMP_FIRST + 1;
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
            "mul" => Self::mul_const,
            "shl" => |f, c| f.shl_const(c & 31),
            "shr_u" => |f, c| f.shr_u_const(c & 31),
            "shr_s" => |f, c| f.shr_s_const(c & 31),
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
        let Some((low, high)) = self.cx.asm.last_two_consts() else {
            return false;
        };
        let c = u64::from(high) << 32 | u64::from(low);
        let lower: fn(&mut Self, u64) = match helper {
            "shl64" => |f, c| f.shl64_const((c & 63) as u32),
            "shr_u64" => |f, c| f.shr64_const((c & 63) as u32, false),
            "shr_s64" => |f, c| f.shr64_const((c & 63) as u32, true),
            "rotl64" => |f, c| f.rotl64_const((c & 63) as u32),
            "rotr64" => |f, c| f.rotl64_const(((64 - (c & 63)) % 64) as u32),
            _ => return false,
        };
        self.fold_constant();
        self.fold_constant();
        self.lower_folded(|f| lower(f, c));
        true
    }

    /// Emit a lowering whose constant was folded. An operator that leaves
    /// its operand as it is (`x & -1`, `x << 0`) still runs an instruction,
    /// `x + 0`: the source-level diff sees each operator execute by its flat
    /// code.
    fn lower_folded(&mut self, lower: impl FnOnce(&mut Self)) {
        let start = self.cx.asm.pc();
        lower(self);
        if self.cx.asm.pc() == start {
            self.emit(Op::I32Const, 0);
            self.emit(Op::I32Add, 0);
        }
    }

    /// (lo, hi) -> x << k.
    fn shl64_const(&mut self, k: u32) {
        let (l, h) = (self.temp(LOW), self.temp(HIGH));
        if k >= 32 {
            // (0, lo << (k - 32))
            self.emit(Op::Drop, 0);
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
            self.emit(Op::LocalSet, h);
            self.emit(Op::Drop, 0);
            self.emit(Op::LocalGet, h);
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

    /// x -> x << k by k doublings.
    fn double(&mut self, k: u32) {
        let t = self.temp(BYTES);
        for _ in 0..k {
            self.emit(Op::LocalTee, t);
            self.emit(Op::LocalGet, t);
            self.emit(Op::I32Add, 0);
        }
    }

    /// x -> its bytes stored at scratch + `at`, then `load` at scratch +
    /// `from`, after `zero` (a word of zeros stored at scratch + `zero`).
    fn through_scratch(&mut self, at: u32, zero: Option<u32>, load: Op, from: u32) {
        let s = self.cx.layout.scratch;
        let t = self.temp(BYTES);
        self.emit(Op::LocalSet, t);
        if let Some(z) = zero {
            self.emit(Op::I32Const, 0);
            self.emit(Op::I32Const, 0);
            self.emit(Op::I32Store, s + z);
        }
        self.emit(Op::I32Const, 0);
        self.emit(Op::LocalGet, t);
        self.emit(Op::I32Store, s + at);
        self.emit(Op::I32Const, 0);
        self.emit(load, s + from);
    }

    /// x -> x << 8 b, for b in 1..=3.
    fn shl_bytes(&mut self, b: u32) {
        self.through_scratch(b, Some(0), Op::I32Load, 0);
    }

    /// x -> x >> 8 b (unsigned), for b in 1..=3.
    fn shr_bytes(&mut self, b: u32) {
        match b {
            3 => self.through_scratch(0, None, Op::I32Load8U, 3),
            2 => self.through_scratch(0, None, Op::I32Load16U, 2),
            _ => self.through_scratch(0, Some(4), Op::I32Load, b),
        }
    }

    fn shl_const(&mut self, k: u32) {
        if k >= 8 {
            self.shl_bytes(k / 8);
        }
        self.double(if k >= 8 { k % 8 } else { k });
    }

    /// x >> k (unsigned): x >> 8b by bytes, then y >> j as `(y << (8 - j))
    /// >> 8`. When y may use all 32 bits (b = 0), its high bytes and its
    /// low byte go separately so that no doubling overflows:
    /// `y >> j = (y >> 8) << (8 - j) + ((y & 255) << (8 - j)) >> 8`.
    fn shr_u_const(&mut self, k: u32) {
        let (b, j) = (k / 8, k % 8);
        if b > 0 {
            self.shr_bytes(b);
        }
        if j == 0 {
            return;
        }
        if b > 0 {
            self.double(8 - j);
            self.shr_bytes(1);
            return;
        }
        let x = self.temp(OPERAND);
        self.emit(Op::LocalTee, x);
        self.shr_bytes(1);
        self.double(8 - j);
        self.emit(Op::LocalGet, x);
        self.through_scratch(0, None, Op::I32Load8U, 0);
        self.double(8 - j);
        self.shr_bytes(1);
        self.emit(Op::I32Add, 0);
    }

    /// x >> k (signed) = ((x + 2^31) >> k unsigned) - 2^(31 - k): adding
    /// 2^31 maps the signed range onto the unsigned one in order.
    fn shr_s_const(&mut self, k: u32) {
        match k {
            0 => {}
            24 => self.through_scratch(0, None, Op::I32Load8S, 3),
            16 => self.through_scratch(0, None, Op::I32Load16S, 2),
            _ => {
                self.emit(Op::I32Const, 1 << 31);
                self.emit(Op::I32Add, 0);
                self.shr_u_const(k);
                self.emit(Op::I32Const, 1 << (31 - k));
                self.emit(Op::I32Sub, 0);
            }
        }
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

    /// x * c by an addition chain over the bits of c or of -c, whichever
    /// is shorter (then negated): at most 157 instructions, where the
    /// helper's loop runs several hundred.
    fn mul_const(&mut self, c: u32) {
        let negate = chain_cost(c.wrapping_neg()) + 3 < chain_cost(c);
        let m = if negate { c.wrapping_neg() } else { c };
        if m == 0 {
            self.emit(Op::Drop, 0);
            self.emit(Op::I32Const, 0);
            return;
        }
        let x = self.temp(OPERAND);
        self.emit(Op::LocalSet, x);
        if negate {
            self.emit(Op::I32Const, 0);
        }
        self.emit(Op::LocalGet, x);
        // Horner over the bits below the top one.
        let top = 31 - m.leading_zeros();
        for bit in (0..top).rev() {
            self.double(1);
            if m >> bit & 1 == 1 {
                self.emit(Op::LocalGet, x);
                self.emit(Op::I32Add, 0);
            }
        }
        if negate {
            self.emit(Op::I32Sub, 0);
        }
    }
}

/// Instructions the addition chain for `x * m` takes.
fn chain_cost(m: u32) -> u32 {
    if m == 0 {
        return 2;
    }
    let top = 31 - m.leading_zeros();
    2 + 3 * top + 2 * (m.count_ones() - 1)
}

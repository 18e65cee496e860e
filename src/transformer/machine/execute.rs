//! What the instruction computes: byte-serial arithmetic, comparisons on
//! whole u32 values, and the byte (with its flag) that each op emits.

use super::fetch::{Fetched, Place};
use super::read::{Crumbs, Operands, Stack};
use super::{byte, one, Builder};
use crate::isa::Op;
use crate::transformer::graph::{step_units, unit, Dim, Expr, Graph, Unit};

/// One byte of a byte-serial sum or difference, and the carry or borrow it
/// passes to the next byte.
pub(super) struct Carried {
    pub(super) byte: Expr,
    pub(super) carry: Dim,
}

pub(super) struct Arithmetic {
    /// second + top
    pub(super) add: Carried,
    /// second - top
    pub(super) sub: Carried,
    /// A return's jump offset: its immediate minus its call's.
    pub(super) ret: Carried,
}

/// Byte-serial, with the carry of the previous token: the byte just
/// emitted is this token, and its flag is the carry into the next.
pub(super) fn arithmetic(b: &mut Builder, fetched: &Fetched, read: &Operands) -> Arithmetic {
    let carry_in = b.i.flag;
    let top_byte = byte(read.stack.top_b1);
    let sec_byte = byte(read.stack.sec_b1);
    let add_sum = sec_byte.clone() + top_byte.clone() + carry_in;
    let add_carry = b.g.step("add_carry", Graph::ONE, add_sum.clone() - 256.0);
    let sub_diff = sec_byte - top_byte - carry_in;
    let sub_borrow = borrow(&mut b.g, "sub_borrow", sub_diff.clone());
    let ret_diff = byte(fetched.imm_byte1) - byte(read.call_b1) - carry_in;
    let ret_borrow = borrow(&mut b.g, "return_borrow", ret_diff.clone());
    Arithmetic {
        add: Carried {
            byte: add_sum - Expr::from(add_carry) * 256.0,
            carry: add_carry,
        },
        sub: Carried {
            byte: sub_diff + Expr::from(sub_borrow) * 256.0,
            carry: sub_borrow,
        },
        ret: Carried {
            byte: ret_diff + Expr::from(ret_borrow) * 256.0,
            carry: ret_borrow,
        },
    }
}

/// `[diff < 0]` for integer diff.
fn borrow(g: &mut Graph, name: &str, diff: Expr) -> Dim {
    let mut u = vec![unit(Graph::ONE, Graph::ONE, 1.0)];
    u.extend(step_units(Graph::ONE, diff).into_iter().map(|mut x| {
        x.coef = -x.coef;
        x
    }));
    g.ffn(name, u)
}

pub(super) struct Comparisons {
    /// `[top != 0]`
    pub(super) nonzero: Dim,
    /// `[second < 0]`, signed.
    pub(super) sec_neg: Dim,
    /// Each comparison op and its result, 0 or 1.
    pub(super) results: [(Op, Expr); 11],
}

/// The comparison ops compare second (a) with top (b).
pub(super) fn comparisons(g: &mut Graph, stack: &Stack) -> Comparisons {
    let (top_val, sec_val) = (stack.top_val, stack.sec_val);
    let nonzero = g.step("top!=0", Graph::ONE, Expr::from(top_val) - 1.0);
    let top_neg = g.step("top<0", Graph::ONE, Expr::from(top_val) - 2147483648.0);
    let sec_neg = g.step("second<0", Graph::ONE, Expr::from(sec_val) - 2147483648.0);
    let (a, b) = (Expr::from(sec_val), Expr::from(top_val));
    let gt_u = g.step("a>b", Graph::ONE, a.clone() - b.clone() - 1.0);
    let lt_u = g.step("a<b", Graph::ONE, b.clone() - a.clone() - 1.0);
    let a_s = a - Expr::from(sec_neg) * 4294967296.0;
    let b_s = b - Expr::from(top_neg) * 4294967296.0;
    let gt_s = g.step("a>b signed", Graph::ONE, a_s.clone() - b_s.clone() - 1.0);
    let lt_s = g.step("a<b signed", Graph::ONE, b_s - a_s - 1.0);
    let eq = one() - gt_u - lt_u;
    Comparisons {
        nonzero,
        sec_neg,
        results: [
            (Op::I32Eqz, one() - nonzero),
            (Op::I32Eq, eq.clone()),
            (Op::I32Ne, one() - eq),
            (Op::I32GtU, gt_u.into()),
            (Op::I32LeU, one() - gt_u),
            (Op::I32LtU, lt_u.into()),
            (Op::I32GeU, one() - lt_u),
            (Op::I32GtS, gt_s.into()),
            (Op::I32LeS, one() - gt_s),
            (Op::I32LtS, lt_s.into()),
            (Op::I32GeS, one() - lt_s),
        ],
    }
}

/// The units of `and`, `or` and `xor`'s result byte, from the eight bits
/// of the top two stack bytes (0 or 1 each where the byte is a value's).
pub(super) fn bitwise(b: &mut Builder, stack: &Stack, crumbs: &Crumbs) -> Vec<Unit> {
    let top = byte_bits(&mut b.g, "top_bit", stack.top_b1, crumbs.top);
    let sec = byte_bits(&mut b.g, "second_bit", stack.sec_b1, crumbs.sec);
    bitwise_units(b, &top, &sec, &byte(stack.top_b1), &byte(stack.sec_b1))
}

/// A crumb's high bit is one step and its low bit what remains; the top
/// crumb is what the byte leaves over the three read ones.
fn byte_bits(g: &mut Graph, name: &str, b1: Dim, [c0, c1, c2]: [Dim; 3]) -> [Expr; 8] {
    let c3 = (byte(b1) - c0 - Expr::from(c1) * 4.0 - Expr::from(c2) * 16.0) * (1.0 / 64.0);
    let crumbs = [c0.into(), c1.into(), c2.into(), c3];
    let mut bits: [Expr; 8] = Default::default();
    for (j, crumb) in crumbs.into_iter().enumerate() {
        let high = g.step(
            &format!("{name}{}", 2 * j + 1),
            Graph::ONE,
            crumb.clone() - 2.0,
        );
        bits[2 * j] = crumb - Expr::from(high) * 2.0;
        bits[2 * j + 1] = high.into();
    }
    bits
}

/// The units of a bit operation's result byte: with both bits of position
/// i set, `relu(a_i + b_i + is(op) - 2)` is 1 for that op and 0 for any
/// other, so `and` sums them, and `or` and `xor` take them from the sum.
fn bitwise_units(
    b: &Builder,
    top: &[Expr; 8],
    sec: &[Expr; 8],
    top_byte: &Expr,
    sec_byte: &Expr,
) -> Vec<Unit> {
    let mut r = Vec::new();
    for (op, both) in [(Op::I32And, 1.0), (Op::I32Or, -1.0), (Op::I32Xor, -2.0)] {
        if op != Op::I32And {
            r.push(unit(b.is(op), top_byte.clone() + sec_byte.clone(), 1.0));
        }
        for (i, (a, c)) in top.iter().zip(sec).enumerate() {
            let gate = a.clone() + c.clone() + b.is(op) - 2.0;
            r.push(unit(gate, Graph::ONE, both * (1u32 << i) as f64));
        }
    }
    r
}

/// The result byte of `i32.clz` and `clz64`: 32 minus a value's bit
/// length, which counts the powers of two at or below it (one step each).
/// `clz64`'s high word is on top; where it is 0 (`nonzero` is
/// `[top != 0]`) the low word beneath is counted instead, plus 32. Their
/// other bytes are 0.
pub(super) fn leading_zeros(
    b: &mut Builder,
    stack: &Stack,
    k0: Dim,
    nonzero: Dim,
    ops: &[Op],
) -> Vec<Unit> {
    let mut counted = Expr::from(stack.top_val);
    if ops.contains(&Op::Clz64) {
        // The high word is a non-negative integer, so this gate is 1 only
        // for clz64 with a zero high word (and reads no FFN's output, so it
        // costs no layer).
        let high_word_zero = b.is(Op::Clz64) - stack.top_val;
        let low = vec![unit(high_word_zero, stack.sec_val, 1.0)];
        counted = counted + b.g.ffn("clz64_low_word", low);
    }
    let steps = (0..32)
        .flat_map(|j| step_units(Graph::ONE, counted.clone() - 2f64.powi(j)))
        .collect();
    let bit_length = b.g.ffn("bit_length", steps);
    let mut units: Vec<Unit> = ops
        .iter()
        .map(|&op| unit(b.is(op) + k0 - 1.0, one() * 32.0 - bit_length, 1.0))
        .collect();
    if ops.contains(&Op::Clz64) {
        let whole_high_word = b.is(Op::Clz64) + k0 - nonzero - 1.0;
        units.push(unit(whole_high_word, one() * 32.0, 1.0));
    }
    units
}

/// The extension ops' units of the result byte and of its score scale.
#[derive(Default)]
pub(super) struct Extension {
    pub(super) value: Vec<Unit>,
    pub(super) scale: Vec<Unit>,
}

pub(super) struct ResultByte {
    pub(super) value: Dim,
    pub(super) flag: Dim,
    /// How much more a byte's square weighs in its score (0 but where
    /// `i32.div_u` emits a quotient digit).
    pub(super) scale: Dim,
}

/// The byte each op emits at `byte_index`, and its flag: one unit per case,
/// gated on the opcode (and on the byte index or branch where that matters).
pub(super) fn result_byte(
    b: &mut Builder,
    place: &Place,
    fetched: &Fetched,
    read: &Operands,
    arith: &Arithmetic,
    cmp: &Comparisons,
    extension: Extension,
) -> ResultByte {
    let &Place {
        k0,
        k1,
        k_le1,
        in_bt,
        ..
    } = place;
    let carry_in = b.i.flag;
    let nonzero = cmp.nonzero;
    let (found, mem_sign) = (read.memory.found, read.memory.sign);
    let imm_byte = byte(fetched.imm_byte1);
    let top_byte = byte(read.stack.top_b1);
    let mem_byte = byte(read.memory.byte1);
    let mut r: Vec<Unit> = Vec::new();
    let mut f: Vec<Unit> = Vec::new();
    r.push(unit(b.is(Op::I32Const), imm_byte.clone(), 1.0));
    r.push(unit(b.is(Op::LocalGet), byte(read.local_b1), 1.0));
    for op in [
        Op::LocalSet,
        Op::LocalTee,
        Op::I32Store,
        Op::I32Store8,
        Op::I32Store16,
    ] {
        r.push(unit(b.is(op), top_byte.clone(), 1.0));
    }
    r.push(unit(
        b.is(Op::Select) + nonzero - 1.0,
        byte(read.stack.third_b1),
        1.0,
    ));
    r.push(unit(
        b.is(Op::Select) - nonzero,
        byte(read.stack.sec_b1),
        1.0,
    ));
    r.push(unit(b.is(Op::I32Add), arith.add.byte.clone(), 1.0));
    f.push(unit(b.is(Op::I32Add), arith.add.carry, 1.0));
    r.push(unit(b.is(Op::I32Sub), arith.sub.byte.clone(), 1.0));
    f.push(unit(b.is(Op::I32Sub), arith.sub.carry, 1.0));
    r.extend(extension.value);
    for (op, value) in &cmp.results {
        r.push(unit(b.is(*op) + k0 - 1.0, value, 1.0));
    }
    r.push(unit(b.is(Op::I32Load) + found - 1.0, mem_byte.clone(), 1.0));
    for op in [Op::I32Load8U, Op::I32Load8S] {
        r.push(unit(b.is(op) + found + k0 - 2.0, mem_byte.clone(), 1.0));
    }
    for op in [Op::I32Load16U, Op::I32Load16S] {
        r.push(unit(b.is(op) + found + k_le1 - 2.0, mem_byte.clone(), 1.0));
    }
    // Sign extension: later bytes repeat the sign the earlier byte flagged.
    r.push(unit(b.is(Op::I32Load8S) - k0, carry_in, 255.0));
    f.push(unit(b.is(Op::I32Load8S) + found + k0 - 2.0, mem_sign, 1.0));
    f.push(unit(b.is(Op::I32Load8S) - k0, carry_in, 1.0));
    r.push(unit(b.is(Op::I32Load16S) - k_le1, carry_in, 255.0));
    f.push(unit(b.is(Op::I32Load16S) + found + k1 - 2.0, mem_sign, 1.0));
    f.push(unit(b.is(Op::I32Load16S) - k_le1, carry_in, 1.0));
    for op in [Op::Br, Op::BrIf, Op::Call] {
        r.push(unit(b.is(op) + in_bt - 1.0, imm_byte.clone(), 1.0));
    }
    r.push(unit(
        b.is(Op::Return) + in_bt - 1.0,
        arith.ret.byte.clone(),
        1.0,
    ));
    f.push(unit(b.is(Op::Return) + in_bt - 1.0, arith.ret.carry, 1.0));
    let value = b.g.ffn("result_byte", r);
    let flag = b.g.ffn("result_flag", f);
    let scale = b.g.ffn("result_scale", extension.scale);
    ResultByte { value, flag, scale }
}

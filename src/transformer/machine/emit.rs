//! What comes next: the kind of the next token (and a commit's fields),
//! and the score of every token of the vocabulary.

use super::execute::ResultByte;
use super::fetch::{LongPlace, Place};
use super::{byte, run_by, Builder};
use crate::isa::{Op, Token, TokenKind, Vocab};
use crate::transformer::graph::{unit, Dim, Expr, Graph};

/// Score bonus of the token kind that must come next; larger than any
/// byte-matching score (at most 255^2 + 1).
const EMIT: f64 = 1048576.0;

/// Ops whose result is 4 value bytes (no branch), closed by a commit; so
/// is every extension op's but the long ones'.
const FOUR_BYTE_OPS: [Op; 24] = [
    Op::I32Const,
    Op::LocalGet,
    Op::LocalSet,
    Op::LocalTee,
    Op::Select,
    Op::I32Add,
    Op::I32Sub,
    Op::I32Eqz,
    Op::I32Eq,
    Op::I32Ne,
    Op::I32LtS,
    Op::I32LtU,
    Op::I32GtS,
    Op::I32GtU,
    Op::I32LeS,
    Op::I32LeU,
    Op::I32GeS,
    Op::I32GeU,
    Op::I32Load,
    Op::I32Load8S,
    Op::I32Load8U,
    Op::I32Load16S,
    Op::I32Load16U,
    Op::I32Store,
];

/// 1 on the kind of token that comes next, and a commit's fields.
pub(super) struct Next {
    pub(super) emit_byte: Dim,
    pub(super) emit_commit: Dim,
    pub(super) emit_halt: Dim,
    pub(super) emit_out: Dim,
    pub(super) emit_bt: Dim,
    pub(super) emit_call: Dim,
    pub(super) emit_return: Dim,
    pub(super) commit_sd: Dim,
    pub(super) commit_sts: Dim,
}

/// Ops that write 4 scratch bytes before their 4 result bytes.
pub(super) const LONG_OPS: [Op; 2] = [Op::I32Mul, Op::I32DivU];

/// `nonzero` is `[top != 0]`: whether br_if branches. `extension` is the
/// extension ops the machine runs; `long_place` is there when one of them
/// is long.
pub(super) fn next_token_kind(
    b: &mut Builder,
    place: &Place,
    nonzero: Dim,
    extension: &[Op],
    long_place: Option<&LongPlace>,
) -> Next {
    let &Place {
        in_bt,
        k0,
        k1,
        k2,
        k4,
        k_le3,
        k_le1,
        ..
    } = place;
    let four_byte: Vec<Op> = FOUR_BYTE_OPS
        .iter()
        .chain(extension.iter().filter(|op| !LONG_OPS.contains(op)))
        .copied()
        .collect();
    let four = b.is_any("four_byte_op", &four_byte);
    let long_ops = run_by(extension, &LONG_OPS);
    let long = long_place.map(|at| (b.is_any("long_op", &long_ops), at));
    let store16 = b.is_any("is_store16", &[Op::I32Store16]);
    let store8 = b.is_any("is_store8", &[Op::I32Store8]);
    let mut byte_units = vec![
        unit(Expr::from(four) + k_le3 - 1.0, Graph::ONE, 1.0),
        unit(Expr::from(store16) + k_le1 - 1.0, Graph::ONE, 1.0),
        unit(Expr::from(store8) + k0 - 1.0, Graph::ONE, 1.0),
        unit(Expr::from(in_bt) + k_le3 - 1.0, Graph::ONE, 1.0),
    ];
    byte_units.extend(
        long.map(|(long, at)| unit(Expr::from(long) + at.emits_byte - 1.0, Graph::ONE, 1.0)),
    );
    let emit_byte = b.g.ffn("emit_byte", byte_units);
    let mut commit_units = vec![
        unit(Expr::from(four) + k4 - 1.0, Graph::ONE, 1.0),
        unit(Expr::from(store16) + k2 - 1.0, Graph::ONE, 1.0),
        unit(Expr::from(store8) + k1 - 1.0, Graph::ONE, 1.0),
        unit(b.is(Op::Drop) + k0 - 1.0, Graph::ONE, 1.0),
        unit(b.is(Op::GlobalSet) + k0 - 1.0, Graph::ONE, 1.0),
        unit(b.is(Op::BrIf) + k0 - nonzero - in_bt - 1.0, Graph::ONE, 1.0),
        unit(b.is(Op::Br) + k4 + in_bt - 2.0, Graph::ONE, 1.0),
        unit(b.is(Op::BrIf) + k4 + in_bt - 2.0, Graph::ONE, 1.0),
    ];
    commit_units
        .extend(long.map(|(long, at)| unit(Expr::from(long) + at.k[8] - 1.0, Graph::ONE, 1.0)));
    let emit_commit = b.g.ffn("emit_commit", commit_units);
    let emit_halt = b.g.ffn(
        "emit_halt",
        vec![unit(b.is(Op::Halt) + k0 - 1.0, Graph::ONE, 1.0)],
    );
    let emit_out = b.g.ffn(
        "emit_out",
        vec![unit(b.is(Op::Output) + k0 - 1.0, Graph::ONE, 1.0)],
    );
    let emit_bt = b.g.ffn(
        "emit_branch_taken",
        vec![
            unit(b.is(Op::Br) + k0 - 1.0 - in_bt, Graph::ONE, 1.0),
            unit(b.is(Op::Call) + k0 - 1.0 - in_bt, Graph::ONE, 1.0),
            unit(b.is(Op::Return) + k0 - 1.0 - in_bt, Graph::ONE, 1.0),
            unit(b.is(Op::BrIf) + k0 + nonzero - 2.0 - in_bt, Graph::ONE, 1.0),
        ],
    );
    let emit_call = b.g.ffn(
        "emit_call_commit",
        vec![unit(b.is(Op::Call) + k4 + in_bt - 2.0, Graph::ONE, 1.0)],
    );
    let emit_return = b.g.ffn(
        "emit_return_commit",
        vec![unit(b.is(Op::Return) + k4 + in_bt - 2.0, Graph::ONE, 1.0)],
    );
    // The commit's fields, from the opcode (of the ops this machine runs).
    let ops = run_by(extension, &Op::ALL);
    let commit_sd = b.g.ffn(
        "commit_stack_delta",
        ops.iter()
            .filter(|op| op.stack_delta() != 0)
            .map(|&op| unit(b.is(op), Graph::ONE, op.stack_delta() as f64))
            .collect(),
    );
    let commit_sts = b.is_any(
        "commit_sts",
        &ops.iter()
            .copied()
            .filter(|op| op.stores_to_stack())
            .collect::<Vec<_>>(),
    );
    Next {
        emit_byte,
        emit_commit,
        emit_halt,
        emit_out,
        emit_bt,
        emit_call,
        emit_return,
        commit_sd,
        commit_sts,
    }
}

/// Marks the dims the scores read as outputs and returns every token's
/// score; the top stack byte is what `out(..)` prints, and `in_bt` is a
/// commit's branch-taken field.
pub(super) fn output_scores(
    g: &mut Graph,
    result: &ResultByte,
    next: &Next,
    top_b1: Dim,
    in_bt: Dim,
) -> Vec<Expr> {
    let outputs = [
        result.value,
        result.flag,
        result.scale,
        next.emit_byte,
        next.emit_commit,
        next.emit_halt,
        next.emit_out,
        next.emit_bt,
        next.emit_call,
        next.emit_return,
        next.commit_sd,
        next.commit_sts,
        top_b1,
        in_bt,
    ];
    for d in outputs {
        g.mark_output(d);
    }
    // 2 x target - x^2 is largest where x = target: the token whose field
    // matches.
    let matching = |x: f64, target: Expr| target * (2.0 * x) - x * x;
    Vocab::get()
        .tokens()
        .map(|t: Token| match t.kind() {
            TokenKind::Byte { value, flag } => {
                let v = value as f64;
                Expr::from(next.emit_byte) * EMIT + matching(v, result.value.into())
                    - Expr::from(result.scale) * (v * v)
                    + matching(flag as u8 as f64, result.flag.into())
            }
            TokenKind::Out(v) => {
                Expr::from(next.emit_out) * EMIT + matching(v as f64, byte(top_b1))
            }
            TokenKind::Commit(c) => {
                Expr::from(next.emit_commit) * EMIT
                    + matching(c.stack_delta as f64, next.commit_sd.into())
                    + matching(c.store_to_stack as u8 as f64, next.commit_sts.into())
                    + matching(c.branch_taken as u8 as f64, in_bt.into())
            }
            TokenKind::Op(Op::Halt) => Expr::from(next.emit_halt) * EMIT,
            TokenKind::BranchTaken => Expr::from(next.emit_bt) * EMIT,
            TokenKind::CallCommit => Expr::from(next.emit_call) * EMIT,
            TokenKind::ReturnCommit => Expr::from(next.emit_return) * EMIT,
            // Prompt-only tokens are never generated.
            _ => Expr::constant(-EMIT * 4.0),
        })
        .collect()
}

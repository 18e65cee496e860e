//! The input dims and what the embedding writes into them for each token.

use crate::isa::{TokenKind, Vocab};
use crate::transformer::graph::{Dim, Graph};

pub(super) struct Inputs {
    /// A byte token's value + 1 (a character's too); 0 on any other token.
    pub(super) byte1: Dim,
    /// A byte token's flag: the carry, borrow or sign it passes on to the
    /// next byte of its value.
    pub(super) flag: Dim,
    /// Bits 0-1, 2-3 and 4-5 of a byte token's value (a character's too),
    /// as numbers 0..=3: with `byte1` they give every bit of the byte by one
    /// step each, which the bit operations need.
    pub(super) crumbs: [Dim; 3],
    /// A byte token's value mod 2, 8, 32 and 128: with `byte1` and the
    /// crumbs, the byte modulo every power of two, which a shift's result
    /// byte is made of.
    pub(super) odd_mods: [Dim; 4],
    /// A byte token's value read as a shift count's low byte: its bits
    /// (value mod 8) and whole bytes ((value >> 3) mod 4).
    pub(super) count: [Dim; 2],
    /// 1 on every token that is not a byte or a character.
    pub(super) boundary: Dim,
    pub(super) start: Dim,
    pub(super) d_pc: Dim,
    pub(super) d_sp: Dim,
    /// 1 unless the token is a commit that writes the stack.
    pub(super) not_sts: Dim,
    pub(super) jump: Dim,
    pub(super) bt_token: Dim,
    pub(super) d_call: Dim,
    pub(super) op_x: Dim,
    pub(super) op_y: Dim,
}

impl Inputs {
    pub(super) fn new(g: &mut Graph) -> Inputs {
        Inputs {
            byte1: g.input("byte1"),
            flag: g.input("flag"),
            crumbs: [g.input("crumb0"), g.input("crumb1"), g.input("crumb2")],
            odd_mods: [1, 3, 5, 7].map(|bits| g.input(&format!("mod{}", 1 << bits))),
            count: [g.input("count_bits"), g.input("count_bytes")],
            boundary: g.input("boundary"),
            start: g.input("start"),
            d_pc: g.input("d_pc"),
            d_sp: g.input("d_sp"),
            not_sts: g.input("not_sts"),
            jump: g.input("jump"),
            bt_token: g.input("bt_token"),
            d_call: g.input("d_call"),
            op_x: g.input("op_x"),
            op_y: g.input("op_y"),
        }
    }

    /// The embedding of every token of the vocabulary, by token id.
    pub(super) fn embedding(&self, points: &[(i64, i64)]) -> Vec<Vec<(Dim, f64)>> {
        Vocab::get()
            .tokens()
            .map(|t| self.embed(t.kind(), points))
            .collect()
    }

    /// What the embedding writes for one token.
    fn embed(&self, kind: TokenKind, points: &[(i64, i64)]) -> Vec<(Dim, f64)> {
        let mut e = vec![(Graph::ONE, 1.0), (self.not_sts, 1.0)];
        if let Some(value) = kind.byte_value() {
            e.push((self.byte1, value as f64 + 1.0));
            for (i, &crumb) in self.crumbs.iter().enumerate() {
                e.push((crumb, (value >> (2 * i) & 3) as f64));
            }
            for (i, &m) in self.odd_mods.iter().enumerate() {
                e.push((m, (value & ((2 << (2 * i)) - 1)) as f64));
            }
            e.push((self.count[0], (value & 7) as f64));
            e.push((self.count[1], (value >> 3 & 3) as f64));
            if let TokenKind::Byte { flag: true, .. } = kind {
                e.push((self.flag, 1.0));
            }
            return merge(e);
        }
        e.push((self.boundary, 1.0));
        match kind {
            TokenKind::Open => {
                e.push((self.start, 1.0));
                e.push((self.not_sts, -1.0));
            }
            TokenKind::Close => e.push((self.d_sp, 1.0)),
            TokenKind::Op(op) => {
                let (x, y) = points[op.index()];
                e.push((self.op_x, x as f64));
                e.push((self.op_y, y as f64));
            }
            TokenKind::Commit(c) => {
                e.push((self.d_pc, 1.0));
                e.push((self.d_sp, c.stack_delta as f64));
                e.push((self.not_sts, -(c.store_to_stack as u8 as f64)));
                e.push((self.jump, c.branch_taken as u8 as f64));
            }
            TokenKind::Out(_) => {
                e.push((self.d_pc, 1.0));
                e.push((self.d_sp, -1.0));
            }
            TokenKind::BranchTaken => e.push((self.bt_token, 1.0)),
            TokenKind::CallCommit => {
                e.push((self.d_pc, 1.0));
                e.push((self.jump, 1.0));
                e.push((self.d_call, 1.0));
            }
            TokenKind::ReturnCommit => {
                e.push((self.d_pc, 1.0));
                e.push((self.jump, 1.0));
                e.push((self.d_call, -1.0));
            }
            TokenKind::Byte { .. } | TokenKind::Char(_) => unreachable!(),
        }
        merge(e)
    }
}

/// Sum the values written to the same dim and drop zeros.
fn merge(e: Vec<(Dim, f64)>) -> Vec<(Dim, f64)> {
    let mut out: Vec<(Dim, f64)> = Vec::new();
    for (d, v) in e {
        match out.iter_mut().find(|(x, _)| *x == d) {
            Some(slot) => slot.1 += v,
            None => out.push((d, v)),
        }
    }
    out.retain(|&(_, v)| v != 0.0);
    out
}

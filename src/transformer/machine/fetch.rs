//! Where the machine is: the tokens just before this one, its place in the
//! instruction's output, the running sums, and the instruction they point
//! at.

use super::embedding::Inputs;
use super::{byte, is_zero, one, p, p_sq};
use crate::transformer::graph::{step_units, unit, Dim, Expr, Graph};

pub(super) struct Previous {
    /// The u32 whose bytes are the four tokens before this one (low first);
    /// `{` reads as 0 so that it can seed the stack.
    pub(super) word: Expr,
    /// `byte1` of the four tokens before this one, the nearest first
    /// (`prev1` .. `prev4`): `prev1` is the word's high byte.
    pub(super) byte1: [Dim; 4],
}

impl Previous {
    /// The bytes of this token and the three before it, the nearest first
    /// (-1 where a token is not a byte).
    pub(super) fn recent(&self, i: &Inputs) -> [Expr; 4] {
        let [prev1, prev2, prev3, _] = self.byte1;
        [i.byte1, prev1, prev2, prev3].map(byte)
    }
}

pub(super) fn previous_tokens(g: &mut Graph, i: &Inputs) -> Previous {
    let [prev1, prev2, prev3, prev4] = [1, 2, 3, 4].map(|k| {
        let name = format!("prev{k}");
        g.lookup(
            &name,
            p() - k as f64,
            p(),
            p_sq(),
            None,
            vec![i.byte1.into()],
        )[0]
    });
    let word = Expr::from(prev4)
        + Expr::from(prev3) * 256.0
        + Expr::from(prev2) * 65536.0
        + Expr::from(prev1) * 16777216.0
        + (i.start - 1.0) * 16843009.0;
    Previous {
        word,
        byte1: [prev1, prev2, prev3, prev4],
    }
}

/// Where this token sits among the tokens of the instruction it belongs to.
pub(super) struct Place {
    /// How far this token is past the latest boundary token (an opcode,
    /// `branch_taken`, ...; 0 on that token itself): the index of the byte
    /// the next token would be.
    pub(super) byte_index: Expr,
    /// 1 when that token is `branch_taken`: the bytes are a jump's offset.
    pub(super) in_bt: Dim,
    /// `[byte_index == k]` for k = 0, 1, 2, 4.
    pub(super) k0: Dim,
    pub(super) k1: Dim,
    pub(super) k2: Dim,
    pub(super) k4: Dim,
    /// `[byte_index <= k]` for k = 3, 1.
    pub(super) k_le3: Dim,
    pub(super) k_le1: Dim,
}

pub(super) fn place_in_instruction(g: &mut Graph, i: &Inputs) -> Place {
    let boundary = g.lookup(
        "last_boundary",
        Expr::zero(),
        Expr::zero(),
        Expr::zero(),
        Some(one() - i.boundary),
        vec![p(), i.bt_token.into()],
    );
    let byte_index = p() - boundary[0];
    let k_is = |g: &mut Graph, name: &str, k: f64| is_zero(g, name, byte_index.clone() - k);
    let k0 = k_is(g, "k==0", 0.0);
    let k1 = k_is(g, "k==1", 1.0);
    let k2 = k_is(g, "k==2", 2.0);
    let k4 = k_is(g, "k==4", 4.0);
    let k_le3 = g.step("k<=3", Graph::ONE, Expr::constant(3.0) - byte_index.clone());
    let k_le1 = g.step("k<=1", Graph::ONE, Expr::constant(1.0) - byte_index.clone());
    Place {
        byte_index,
        in_bt: boundary[1],
        k0,
        k1,
        k2,
        k4,
        k_le3,
        k_le1,
    }
}

/// Where this token sits in a long op (`i32.mul`, `i32.div_u`): 4 scratch
/// bytes, then 4 result bytes, then the commit.
pub(super) struct LongPlace {
    /// `[byte_index == k]` for k in 0..=8.
    pub(super) k: [Dim; 9],
    /// `[byte_index <= 7]`.
    pub(super) emits_byte: Dim,
}

/// `Place`'s one-hots and the ones it lacks.
pub(super) fn long_place(g: &mut Graph, place: &Place) -> LongPlace {
    let mut new = |k: f64| is_zero(g, &format!("k=={k}"), place.byte_index.clone() - k);
    let (k3, k5, k6, k7, k8) = (new(3.0), new(5.0), new(6.0), new(7.0), new(8.0));
    let k = [place.k0, place.k1, place.k2, k3, place.k4, k5, k6, k7, k8];
    let emits_byte = g.step(
        "k<=7",
        Graph::ONE,
        Expr::constant(7.0) - place.byte_index.clone(),
    );
    LongPlace { k, emits_byte }
}

/// Program counter, stack depth and call depth.
pub(super) struct Sums {
    pub(super) pc: Dim,
    pub(super) sp: Dim,
    pub(super) call: Dim,
}

pub(super) fn running_sums(g: &mut Graph, i: &Inputs, prev: &Previous) -> Sums {
    // A jump commits its offset: the u32 in the 4 bytes before it, signed
    // by its high byte. (Testing the high byte, not the whole word, keeps
    // every product in this FFN below 2^53, so its sum is exact.)
    let mut pc_units = vec![
        unit(Graph::ONE, i.d_pc, 1.0),
        unit(i.jump, prev.word.clone(), 1.0),
    ];
    for mut u in step_units(i.jump, Expr::from(prev.byte1[0]) - 129.0) {
        u.coef *= -4294967296.0;
        pc_units.push(u);
    }
    let pc_delta = g.ffn("pc_delta", pc_units);
    let sums = g.cumsum("sums", vec![i.d_sp.into(), pc_delta.into()]);
    let call = g.cumsum("call_depth", vec![i.d_call.into()])[0];
    Sums {
        sp: sums[0],
        pc: sums[1],
        call,
    }
}

/// The instruction at the program counter, read from the prompt: its
/// opcode at 5pc+1, its immediate's bytes at 5pc+2 .. 5pc+5.
pub(super) struct Fetched {
    /// The opcode's point on the opcode circle.
    pub(super) op_x: Dim,
    pub(super) op_y: Dim,
    /// The immediate, as a u32.
    pub(super) imm: Expr,
    /// `byte1` of the immediate's byte number `byte_index`.
    pub(super) imm_byte1: Dim,
}

pub(super) fn fetch(g: &mut Graph, i: &Inputs, pc: Dim, byte_index: &Expr) -> Fetched {
    let op = g.lookup(
        "fetch_op",
        pc * 5.0 + 1.0,
        p(),
        p_sq(),
        None,
        vec![i.op_x.into(), i.op_y.into()],
    );
    // The immediate's four bytes, each read from its prompt token (a value
    // that depends on the token alone needs no per-position storage in the
    // decoder).
    let imm_bytes: Vec<Dim> = (0..4)
        .map(|j| {
            g.lookup(
                &format!("fetch_imm[{j}]"),
                pc * 5.0 + 2.0 + j as f64,
                p(),
                p_sq(),
                None,
                vec![i.byte1.into()],
            )[0]
        })
        .collect();
    let imm = imm_bytes
        .iter()
        .enumerate()
        .fold(Expr::constant(-16843009.0), |e, (j, &b)| {
            e + Expr::from(b) * 256f64.powi(j as i32)
        });
    let imm_byte1 = g.lookup(
        "fetch_imm_byte",
        pc * 5.0 + 2.0 + byte_index.clone(),
        p(),
        p_sq(),
        None,
        vec![i.byte1.into()],
    )[0];
    Fetched {
        op_x: op[0],
        op_y: op[1],
        imm,
        imm_byte1,
    }
}

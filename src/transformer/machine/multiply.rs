//! `i32.mul`, as the byte schoolbook, with the output scores doing the
//! division the FFN cannot.
//!
//! Result byte k is `Y_k mod 256`, where `Y_k = c_k + C_k` is column k of
//! the schoolbook (`c_k`, the sum of the byte products `a_i b_j` with
//! `i + j = k`) plus the carry into it (`C_k = floor(Y_(k-1) / 256)`).
//! `Y_k` reaches 2^18, so its quotient by 256 takes a thousand values: too
//! many steps for an FFN. But a byte token's score, `2 v x - v^2`, picks
//! the byte v nearest x, so emitting `x = (Y - 511.5) / 1024` *is*
//! `floor(Y / 1024)`. So `i32.mul` writes 4 scratch bytes first,
//! `s_k = floor(Y_k / 1024)`, then the 4 result bytes, then its commit:
//! with `s_k` known, `Y_k - 1024 s_k` is below 1024 and three steps finish
//! its quotient by 256.
//!
//! Every quantity is linear in the column sums, this token and the three
//! before it (`prev1` .. `prev3`), so no head looks further back. The
//! token at instruction index i predicts index i + 1:
//! - scratch `s_k` (index k): `C_k = 4 s_(k-1) + floor(rho / 256^k)` with
//!   `rho = P_k - 4 * 256^k s_(k-1)` below `4 * 256^k`, where
//!   `P_k = sum over s < k of c_s 256^s` and `s_(k-1)` is this token;
//! - result byte k (index 4 + k): `s_k` is `prev3`, the result bytes so
//!   far are this token and the ones before it, and
//!   `C_k = (P_k - those bytes) / 256^k`.
//!
//! Both phases scale their remainder into one dim below `4 * 2^24`, so the
//! same three steps serve both.

use super::fetch::LongPlace;
use super::read::stack_byte;
use super::{byte, p, p_sq, Builder};
use crate::isa::Op;
use crate::transformer::graph::{step_units, unit, Dim, Expr, Graph, Unit};

/// The step scale both phases share (see the module comment).
const QUARTER: f64 = 16_777_216.0;

/// The multiply's result-byte units; `recent` is this token's byte and
/// the three before it.
pub(super) fn multiply(
    b: &mut Builder,
    sec_pos: Dim,
    top_pos: Dim,
    long: &LongPlace,
    recent: &[Expr; 4],
) -> Vec<Unit> {
    let sec = operand_bytes(b, "mul_second", sec_pos);
    let top = operand_bytes(b, "mul_top", top_pos);
    let k = long.k;
    let is_mul = b.is(Op::I32Mul);
    let active = |k_is: Dim| is_mul.clone() + k_is - 1.0;
    let scale = |power: usize| 256f64.powi(power as i32);
    let (at_scratch, at_result) = (&k[..4], &k[4..8]);
    // The products a_i b_t with i + t in `sums`, each times coef(i + t),
    // in units open only where `gate` is 1: a byte is below 256, so the
    // product's gate is shut by 256 (gate - 1).
    let products = |gate: Expr, sums: std::ops::Range<usize>, coef: &dyn Fn(usize) -> f64| {
        let mut units = Vec::new();
        for (i, a) in sec.iter().enumerate().take(sums.end) {
            let from = sums.start.saturating_sub(i);
            for (t, c) in top.iter().enumerate().take(sums.end - i).skip(from) {
                let shut = a.clone() + (gate.clone() - 1.0) * 256.0;
                units.push(unit(shut, c.clone(), coef(i + t)));
            }
        }
        units
    };

    // Both phases' remainder, scaled so that its quotient by 256 (result
    // bytes) or by 256^j (the carry into scratch j) is its quotient by
    // 2^24. Its products are its own, so it is ready one layer after the
    // operands.
    let mut remainder = Vec::new();
    for (j, (&scratch, &result)) in at_scratch.iter().zip(at_result).enumerate() {
        if j > 0 {
            // rho = P_j - 4 * 256^j s_(j-1), times 256^(3-j).
            remainder.extend(products(active(scratch), 0..j, &|s| scale(s + 3 - j)));
            let s = recent[0].clone() * (-4.0 * scale(3));
            remainder.push(unit(active(scratch), s, 1.0));
        }
        // Y_j - 1024 s_j, times 65536, with C_j = (P_j - written) / 256^j.
        let y = |s: usize| 65536.0 * scale(s) / scale(j);
        remainder.extend(products(active(result), 0..j + 1, &y));
        let written = (0..j).fold(Expr::zero(), |e, s| {
            e + recent[j - s - 1].clone() * scale(s)
        });
        let rest = written * (-65536.0 / scale(j)) - recent[3].clone() * (1024.0 * 65536.0);
        remainder.push(unit(active(result), rest, 1.0));
    }
    let remainder: Expr = b.g.ffn("mul_remainder", remainder).into();
    let phase = |b: &mut Builder, name: &str, at: &[Dim]| -> Expr {
        let units = at
            .iter()
            .map(|&k| unit(active(k), Graph::ONE, 1.0))
            .collect();
        b.g.ffn(name, units).into()
    };
    let scratch_phase = phase(b, "mul_scratch", at_scratch);
    let result_phase = phase(b, "mul_result", at_result);

    // The remainder's quotient by 2^24: a carry's part in a scratch byte
    // (over 1024), 256 times less of a result byte.
    let quotient_weight = scratch_phase * (1.0 / 1024.0) - result_phase * 256.0;
    let mut units: Vec<Unit> = (1..4)
        .flat_map(|t| {
            step_units(
                quotient_weight.clone(),
                remainder.clone() - t as f64 * QUARTER,
            )
        })
        .collect();
    for (j, (&scratch, &result)) in at_scratch.iter().zip(at_result).enumerate() {
        // Scratch j: floor(Y_j / 1024) is the byte nearest
        // (c_j + 4 s_(j-1) + quotient - 511.5) / 1024.
        units.extend(products(active(scratch), j..j + 1, &|_| 1.0 / 1024.0));
        let carry = match j {
            0 => Expr::zero(),
            _ => recent[0].clone() * 4.0,
        };
        units.push(unit(active(scratch), (carry - 511.5) * (1.0 / 1024.0), 1.0));
        units.push(unit(
            active(result),
            remainder.clone() * (1.0 / 65536.0),
            1.0,
        ));
    }
    units
}

/// The four bytes (low first) of the stack value whose commit is at `pos`,
/// each read by a position head.
fn operand_bytes(b: &mut Builder, name: &str, pos: Dim) -> [Expr; 4] {
    let byte1 = b.i.byte1;
    let mut read = |j: usize| {
        let at = stack_byte(pos, Expr::constant(j as f64));
        let d = b.g.lookup(
            &format!("{name}[{j}]"),
            at,
            p(),
            p_sq(),
            None,
            vec![byte1.into()],
        );
        byte(d[0])
    };
    [read(0), read(1), read(2), read(3)]
}

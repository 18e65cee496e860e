//! `i32.div_u`, quotient byte by quotient byte, with the output scores
//! doing the division.
//!
//! A byte token v scores `2 v x - v^2 (1 + scale)` (`emit.rs`). With
//! `scale = B - 1` and `x = R - (B - 1) / 2`, that is
//! `-(v B - x)^2 / B` plus what no token changes, so the best v is the one
//! whose multiple `v B` is nearest x: `floor(R / B)`, the next score at
//! least 1 below (R, B integers). The quotient's bytes come first, high
//! first, as scratch: digit m is `floor(R_m / (b 256^m))`, where
//! `R_m = a - b * (the digits above m, at their places)`, and those digits
//! are this token and the two before it. Then the result bytes, low first,
//! copy the digits (one position head reads digit k, 2k tokens back), and
//! the commit.
//!
//! The divisor b is clamped to `2^(32 - 8m)` for digit m: a larger one
//! gives digit 0 anyway (a < 2^32), and the clamp keeps B, x and every
//! product below 2^33. The compiler never runs the op on b = 0.

use super::execute::Extension;
use super::fetch::{LongPlace, Place};
use super::read::Stack;
use super::{byte, p, Builder};
use crate::isa::Op;
use crate::transformer::graph::{unit, Dim, Expr, Graph};

pub(super) fn divide(
    b: &mut Builder,
    stack: &Stack,
    place: &Place,
    long: &LongPlace,
    recent: &[Expr; 4],
) -> Extension {
    let (a, d) = (Expr::from(stack.sec_val), Expr::from(stack.top_val));
    let is_div = b.is(Op::I32DivU);
    let active = |k_is: Dim| is_div.clone() + k_is - 1.0;
    let place_value = |m: usize| 256f64.powi(m as i32);
    let mut units = Vec::new();
    let mut scale = Vec::new();
    for m in 0..4 {
        // Digit m is token 3 - m of the instruction.
        let gate = active(long.k[3 - m]);
        let cap = 2f64.powi(32 - 8 * m as i32);
        let divisor: Expr = match m {
            0 => d.clone(),
            _ => {
                let clamp = vec![
                    unit(Graph::ONE, d.clone(), 1.0),
                    unit(d.clone() - cap, Graph::ONE, -1.0),
                ];
                b.g.ffn(&format!("div_divisor{m}"), clamp).into()
            }
        };
        let big = divisor * place_value(m);
        units.push(unit(gate.clone(), a.clone() - big.clone() * 0.5 + 0.5, 1.0));
        for above in m + 1..4 {
            // A digit is below 256: 256 (gate - 1) shuts its product.
            let digit = recent[above - m - 1].clone() + (gate.clone() - 1.0) * 256.0;
            units.push(unit(digit, d.clone(), -place_value(above)));
        }
        scale.push(unit(gate, big - 1.0, 1.0));
    }
    // Result byte k (token 4 + k) is digit k, token 3 - k: 2k back.
    let at = p() - place.byte_index.clone() * 2.0 + 8.0;
    let digit = b.g.lookup(
        "div_digit",
        at,
        p(),
        super::p_sq(),
        None,
        vec![b.i.byte1.into()],
    )[0];
    for &k in &long.k[4..8] {
        units.push(unit(active(k), byte(digit), 1.0));
    }
    // The score scale: B - 1 where a digit is next.
    Extension {
        value: units,
        scale,
    }
}

//! The shifts (`i32.shl`, `i32.shr_u`, `i32.shr_s`), byte-serial like the
//! other ops: result byte k is 8 bits of a 16-bit window of two neighbouring
//! bytes of the shifted value.
//!
//! With the count n mod 32 = 8q + r, a left shift takes byte k from the
//! window (high x[k-q], low x[k-q-1]) and a right shift from (high
//! x[k+q+1], low x[k+q]), starting at bit s = 8 - r and s = r:
//!
//! `y = floor(low / 2^s) + (high mod 2^s) * 2^(8 - s)`
//!
//! A window byte outside the value is 0, or for `shr_s` of a negative
//! value 255. The count's byte 0 is read once (its embedding carries r and
//! q); each window byte is read by heads that carry it modulo every power
//! of two (embedding features), so each part of `y` is linear in what they
//! read: one ReGLU unit per part and value of r, gated on r's one-hot dim,
//! the byte being inside the value, and the op.

use super::read::{byte_pair, byte_with_crumbs, stack_byte, Stack};
use super::{byte, is_zero, one, Builder};
use crate::isa::Op;
use crate::transformer::graph::{step_units, unit, Dim, Expr, Graph, Unit};

/// One byte of the shifted value, read with its residues: its low three
/// crumbs, and the byte mod 2, 8, 32 and 128.
struct WindowByte {
    b1: Dim,
    crumbs: [Dim; 3],
    odd_mods: [Dim; 4],
}

impl WindowByte {
    /// Byte `index` of the value whose commit is at `pos`, by four heads
    /// with the same query.
    fn at(b: &mut Builder, name: &str, pos: Dim, index: Expr) -> WindowByte {
        let at = stack_byte(pos, index);
        let (b1, crumbs) = byte_with_crumbs(b, name, at.clone());
        let [m2, m8, m32, m128] = b.i.odd_mods;
        let [m2, m8] = byte_pair(b, &format!("{name}_mod2_8"), &at, [m2, m8]);
        let [m32, m128] = byte_pair(b, &format!("{name}_mod32_128"), &at, [m32, m128]);
        WindowByte {
            b1,
            crumbs,
            odd_mods: [m2, m8, m32, m128],
        }
    }

    /// The byte mod 2^bits, for bits in 0..=8.
    fn modulo(&self, bits: u32) -> Expr {
        let [c0, c1, c2] = self.crumbs.map(Expr::from);
        match bits {
            0 => Expr::zero(),
            2 => c0,
            4 => c0 + c1 * 4.0,
            6 => c0 + c1 * 4.0 + c2 * 16.0,
            8 => byte(self.b1),
            odd => self.odd_mods[(odd / 2) as usize].into(),
        }
    }

    /// floor(byte / 2^bits).
    fn above(&self, bits: u32) -> Expr {
        (byte(self.b1) - self.modulo(bits)) * (0.5f64).powi(bits as i32)
    }
}

/// The units of a shift's result byte at `byte_index`; `sec_neg` is
/// `[second < 0]`, the sign `shr_s` fills with.
pub(super) fn shift_units(
    b: &mut Builder,
    stack: &Stack,
    byte_index: &Expr,
    sec_neg: Dim,
) -> Vec<Unit> {
    let count_at = stack_byte(stack.top_pos, Expr::zero());
    let [r, q] = byte_pair(b, "shift_count", &count_at, b.i.count).map(Expr::from);
    let left = b.is_any("is_shl", &[Op::I32Shl]);
    let right = b.is_any("is_shr", &[Op::I32ShrU, Op::I32ShrS]);
    let left_bytes = b.g.relu_mul("shl_bytes", q.clone(), left);
    let k = byte_index.clone();
    // Left: the low byte is k - q - 1; right: k + q.
    let low_index = k.clone() + q.clone() - Expr::from(left_bytes) * 2.0 - left;
    let inside = |b: &mut Builder, name: &str, left_at: Expr, right_at: Expr| {
        let mut u = step_units(left, left_at);
        u.extend(step_units(one() - left, right_at));
        b.g.ffn(name, u)
    };
    let low_inside = inside(
        b,
        "shift_low_inside",
        k.clone() - q.clone() - 1.0,
        Expr::constant(3.0) - k.clone() - q.clone(),
    );
    let high_inside = inside(
        b,
        "shift_high_inside",
        k.clone() - q.clone(),
        Expr::constant(2.0) - k - q,
    );
    let r_is: Vec<Dim> = (0..8)
        .map(|j| is_zero(&mut b.g, &format!("shift_bits=={j}"), r.clone() - j as f64))
        .collect();
    let low = WindowByte::at(b, "shift_low", stack.sec_pos, low_index.clone());
    let high = WindowByte::at(b, "shift_high", stack.sec_pos, low_index + 1.0);

    let mut units = Vec::new();
    let signed = b.is(Op::I32ShrS) + sec_neg;
    for (j, &r_is_j) in (0u32..).zip(&r_is) {
        // A part of y, when r == j, the op is a shift this way, and the
        // byte it comes from is inside the value.
        let mut part = |way: Dim, inside: Dim, value: Expr| {
            units.push(unit(Expr::from(r_is_j) + way + inside - 2.0, value, 1.0));
        };
        let s = 8 - j;
        if s < 8 {
            part(left, low_inside, low.above(s));
        }
        part(left, high_inside, high.modulo(s) * f64::from(1u32 << j));
        part(right, low_inside, low.above(j));
        if j > 0 {
            part(
                right,
                high_inside,
                high.modulo(j) * f64::from(1u32 << (8 - j)),
            );
        }
        // shr_s of a negative value: a byte outside it is 255.
        let fill = |inside: Dim| Expr::from(r_is_j) - inside + signed.clone() - 2.0;
        units.push(unit(
            fill(low_inside),
            Graph::ONE,
            f64::from((1u32 << s) - 1),
        ));
        if j > 0 {
            units.push(unit(
                fill(high_inside),
                Graph::ONE,
                f64::from(256 - (1u32 << s)),
            ));
        }
    }
    units
}

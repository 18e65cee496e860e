//! The exact domain of the caches. A key or query is turned into integers
//! by a power-of-two scale (a positive scale keeps every argmax, and a power
//! of two is exact in f64), and scores are compared as 256-bit products.
//! Coordinates stay below 2^120, so differences fit an i128 and products of
//! a query and a key difference fit 256 bits.

use super::Inexact;
use std::cmp::Ordering;

/// Largest magnitude, in bits, of a scaled coordinate.
pub(crate) const BITS: u32 = 120;

/// v = m * 2^e with m odd, or (0, 0); None when v is not finite.
fn dyadic(v: f64) -> Option<(i64, i32)> {
    if !v.is_finite() {
        return None;
    }
    if v == 0.0 {
        return Some((0, 0));
    }
    let bits = v.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = (bits & ((1 << 52) - 1)) as i64;
    let (m, e) = match biased {
        0 => (fraction, -1074),
        _ => (fraction | 1 << 52, biased - 1075),
    };
    let zeros = m.trailing_zeros();
    let m = m >> zeros;
    Some((if v < 0.0 { -m } else { m }, e + zeros as i32))
}

/// Bits needed for |v|.
pub(crate) fn bit_length(v: i128) -> u32 {
    128 - v.unsigned_abs().leading_zeros()
}

/// Binary digits after the point: the power of two that makes v an integer.
fn fraction_bits(v: f64) -> Option<u32> {
    let (_, e) = dyadic(v)?;
    Some((-e).max(0) as u32)
}

/// v * 2^shift, when that is an integer below 2^BITS.
fn scaled(v: f64, shift: u32) -> Option<i128> {
    let (m, e) = dyadic(v)?;
    let e = e + shift as i32;
    if m == 0 {
        return Some(0);
    }
    let fits = e >= 0 && bit_length(m as i128) as i32 + e <= BITS as i32;
    fits.then(|| (m as i128) << e)
}

/// The pair as integers at the smallest power-of-two scale of at least
/// 2^min_shift that makes both integers, with that shift.
#[inline]
fn integer_pair(p: [f64; 2], min_shift: u32) -> Option<([i128; 2], u32)> {
    // Most coordinates are integers: no scale to find.
    if min_shift == 0 {
        if let (Some(x), Some(y)) = (whole(p[0]), whole(p[1])) {
            return Some(([x, y], 0));
        }
    }
    scaled_pair(p, min_shift)
}

fn scaled_pair(p: [f64; 2], min_shift: u32) -> Option<([i128; 2], u32)> {
    let shift = min_shift
        .max(fraction_bits(p[0])?)
        .max(fraction_bits(p[1])?);
    Some(([scaled(p[0], shift)?, scaled(p[1], shift)?], shift))
}

/// v as an integer below 2^BITS, if it is one.
#[inline]
fn whole(v: f64) -> Option<i128> {
    const EXACT: f64 = 9007199254740992.0; // 2^53
    const LIMIT: f64 = 1.329227995784916e36; // 2^BITS
    let a = v.abs();
    if a < EXACT {
        // SAFETY: |v| < 2^53 (so v is not NaN) truncates into an i64;
        // unchecked, the conversion is one instruction. The round trip
        // tells integers apart.
        let i: i64 = unsafe { v.to_int_unchecked() };
        (i as f64 == v).then_some(i as i128)
    } else if a < LIMIT {
        // Every f64 from 2^52 up is an integer, converted exactly.
        Some(v as i128)
    } else {
        None // too large, infinite or NaN
    }
}

/// A query as integers, and the power of two it was scaled by.
#[inline]
pub(crate) fn scale_query(q: [f64; 2]) -> Result<([i128; 2], u32), Inexact> {
    integer_pair(q, 0).ok_or(Inexact::Query(q))
}

/// The power of two that makes every key of a cache an integer, and the
/// largest scaled coordinate in bits. Both depend on the set of keys, not
/// on their order or on which keys a cache keeps, so every cache leaves the
/// exact domain at the same insert.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct KeyScale {
    shift: u32,
    bits: u32,
}

impl KeyScale {
    /// The key as integers at the common scale, and how many bits every
    /// stored key must be shifted left to stay at that scale (usually 0).
    #[inline]
    pub(crate) fn admit(&mut self, key: [f64; 2]) -> Result<([i128; 2], u32), Inexact> {
        let (k, shift) = integer_pair(key, self.shift).ok_or(Inexact::Key(key))?;
        let raise = shift - self.shift;
        let stored = if self.bits == 0 { 0 } else { self.bits + raise };
        let bits = stored.max(bit_length(k[0])).max(bit_length(k[1]));
        if bits > BITS {
            return Err(Inexact::Key(key));
        }
        *self = KeyScale { shift, bits };
        Ok((k, raise))
    }

    /// An integer key at the common scale: integers need no finer scale,
    /// so stored keys stay as they are. Refused, like any key, when the
    /// scaled coordinates pass 2^BITS.
    #[inline]
    pub(crate) fn admit_integer(&mut self, key: [i128; 2]) -> Result<[i128; 2], Inexact> {
        let refuse = || Inexact::Key([key[0] as f64, key[1] as f64]);
        let bits = bit_length(key[0]).max(bit_length(key[1])) + self.shift;
        if bits > BITS {
            return Err(refuse());
        }
        let k = [raise(key[0], self.shift), raise(key[1], self.shift)];
        self.bits = self.bits.max(bit_length(k[0])).max(bit_length(k[1]));
        Ok(k)
    }

    /// Bits of the largest scaled coordinate so far.
    pub(crate) fn bits(&self) -> u32 {
        self.bits
    }

    /// The power of two keys are scaled by.
    pub(crate) fn shift(&self) -> u32 {
        self.shift
    }
}

/// A stored coordinate moved to a finer scale (`admit` checked the bound).
pub(crate) fn raise(v: i128, by: u32) -> i128 {
    if v == 0 {
        0
    } else {
        v << by
    }
}

/// A signed 256-bit integer as (high, low) halves: tuples compare in the
/// right order for two's complement.
pub(crate) type Wide = (i128, u128);

/// a * b as a signed 256-bit integer.
pub(crate) fn wide_mul(a: i128, b: i128) -> Wide {
    let neg = (a < 0) != (b < 0);
    let (a, b) = (a.unsigned_abs(), b.unsigned_abs());
    let (a1, a0) = (a >> 64, a & u64::MAX as u128);
    let (b1, b0) = (b >> 64, b & u64::MAX as u128);
    let lo_lo = a0 * b0;
    let mid1 = a1 * b0;
    let mid2 = a0 * b1;
    let hi_hi = a1 * b1;
    let (mid, mid_carry) = mid1.overflowing_add(mid2);
    let (lo, c1) = lo_lo.overflowing_add(mid << 64);
    let hi = hi_hi + (mid >> 64) + ((mid_carry as u128) << 64) + c1 as u128;
    if !neg {
        (hi as i128, lo)
    } else {
        // two's complement of the 256-bit magnitude
        let lo_n = (!lo).wrapping_add(1);
        let hi_n = (!hi).wrapping_add((lo_n == 0) as u128);
        (hi_n as i128, lo_n)
    }
}

/// a + b for 256-bit integers (no overflow in the exact domain).
pub(crate) fn wide_add(a: Wide, b: Wide) -> Wide {
    let (lo, carry) = a.1.overflowing_add(b.1);
    (a.0.wrapping_add(b.0).wrapping_add(carry as i128), lo)
}

/// a - b for 256-bit integers.
pub(crate) fn wide_sub(a: Wide, b: Wide) -> Wide {
    let (lo, borrow) = a.1.overflowing_sub(b.1);
    (a.0.wrapping_sub(b.0).wrapping_sub(borrow as i128), lo)
}

/// A 256-bit integer, rounded to f64 (for reports only).
pub(crate) fn wide_to_f64(a: Wide) -> f64 {
    a.0 as f64 * 2f64.powi(128) + a.1 as f64
}

/// The sign of a*b - c*d, exactly.
#[inline]
pub(crate) fn cmp_products(a: i128, b: i128, c: i128, d: i128) -> Ordering {
    const FITS: u128 = 1 << 62;
    if a.unsigned_abs() < FITS
        && b.unsigned_abs() < FITS
        && c.unsigned_abs() < FITS
        && d.unsigned_abs() < FITS
    {
        return (a * b).cmp(&(c * d));
    }
    wide_mul(a, b).cmp(&wide_mul(c, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_products_compare_exactly() {
        let big = 1i128 << 110;
        assert_eq!(cmp_products(big, big, big, big - 1), Ordering::Greater);
        assert_eq!(cmp_products(-big, big, big, -big), Ordering::Equal);
        assert_eq!(cmp_products(-3, 5, 2, -7), Ordering::Less);
        assert_eq!(cmp_products(0, 5, -1, 1), Ordering::Greater);
        let (p, q) = (wide_mul(big, 3), wide_mul(big, -5));
        assert_eq!(wide_add(p, q), wide_mul(big, -2));
        assert_eq!(wide_sub(p, q), wide_mul(big, 8));
        assert_eq!(wide_to_f64(wide_mul(big, -2)), -(2f64.powi(111)));
    }

    #[test]
    fn whole_numbers_convert_exactly() {
        assert_eq!(whole(-3.0), Some(-3));
        assert_eq!(whole(0.5), None);
        assert_eq!(whole(2f64.powi(53) + 2.0), Some((1 << 53) + 2));
        assert_eq!(
            whole(-1e30),
            Some(-1_000_000_000_000_000_019_884_624_838_656)
        );
        assert_eq!(whole(2f64.powi(119)), Some(1 << 119));
        assert_eq!(whole(2f64.powi(120)), None);
        assert_eq!(whole(f64::NAN), None);
        assert_eq!(whole(f64::NEG_INFINITY), None);
    }

    #[test]
    fn queries_scale_by_powers_of_two_to_integers() {
        assert_eq!(scale_query([3.0, -4.0]), Ok(([3, -4], 0)));
        assert_eq!(scale_query([0.5, 0.25]), Ok(([2, 1], 2)));
        // 1.3 is 5854679515581645 / 2^52.
        assert_eq!(scale_query([1.3, 0.0]), Ok(([5854679515581645, 0], 52)));
        assert!(scale_query([f64::NAN, 1.0]).is_err());
        assert!(scale_query([f64::INFINITY, 1.0]).is_err());
        // 2^100 and 2^-30 need 131 bits at one scale.
        assert!(scale_query([2f64.powi(100), 2f64.powi(-30)]).is_err());
        assert_eq!(scale_query([2f64.powi(119), 0.0]), Ok(([1 << 119, 0], 0)));
        assert!(scale_query([2f64.powi(120), 0.0]).is_err());
    }

    #[test]
    fn the_key_scale_depends_on_the_key_set_alone() {
        let keys = [[3.0, 1e10], [0.125, -2.0], [2f64.powi(80), 0.0], [0.0, 0.0]];
        let mut forward = KeyScale::default();
        for k in keys {
            forward.admit(k).unwrap();
        }
        let mut backward = KeyScale::default();
        for k in keys.iter().rev() {
            backward.admit(*k).unwrap();
        }
        assert_eq!((forward.shift, forward.bits), (3, 84));
        assert_eq!((backward.shift, backward.bits), (3, 84));
        // 2^-40 would need the 2^80 key at 2^120.
        assert!(forward.admit([2f64.powi(-40), 0.0]).is_err());
        let (k, raise) = KeyScale::default().admit([-0.75, 6.0]).unwrap();
        assert_eq!((k, raise), ([-3, 24], 2));
    }

    #[test]
    fn integer_keys_join_the_common_scale() {
        let mut scale = KeyScale::default();
        scale.admit([0.25, 1.0]).unwrap();
        assert_eq!(scale.admit_integer([3, -(1 << 64)]), Ok([12, -(1 << 66)]));
        assert_eq!(scale.bits(), 67);
        assert!(scale.admit_integer([1 << 118, 0]).is_err());
        // A float key after an integer one still moves both to one scale.
        assert_eq!(scale.admit([0.125, 0.0]), Ok(([1, 0], 1)));
        assert_eq!(scale.bits(), 68);
    }
}

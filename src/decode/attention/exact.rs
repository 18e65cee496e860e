//! Exact integer arithmetic for score comparisons.

/// An f64 that holds an integer small enough for exact 256-bit products.
pub(super) fn exact(v: f64) -> Option<i128> {
    const LIMIT: f64 = 1.329227995784916e36; // 2^120
    if v.abs() < 9.007199254740992e15 {
        // Below 2^53: an i64 round trip tells integers apart.
        let i = v as i64;
        return (i as f64 == v).then_some(i as i128);
    }
    (v.abs() < LIMIT).then_some(v as i128)
}

/// a * b as a signed 256-bit integer (hi, lo), for exact comparisons.
fn wide_mul(a: i128, b: i128) -> (i128, u128) {
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

/// The sign of a*b - c*d, exactly.
pub(super) fn cmp_products(a: i128, b: i128, c: i128, d: i128) -> std::cmp::Ordering {
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
        assert_eq!(
            cmp_products(big, big, big, big - 1),
            std::cmp::Ordering::Greater
        );
        assert_eq!(
            cmp_products(-big, big, big, -big),
            std::cmp::Ordering::Equal
        );
        assert_eq!(cmp_products(-3, 5, 2, -7), std::cmp::Ordering::Less);
        assert_eq!(cmp_products(0, 5, -1, 1), std::cmp::Ordering::Greater);
    }
}

//! Heads answered without a KV cache: the weights prove their keys (see
//! `plan`), so the winner follows from the query and the position. Each
//! answer is the one a cache holding those keys gives, refusals included.

use super::attention::{scale_query, ExactSum, Inexact};
use crate::weights::Tie;
use std::cmp::Ordering;

/// Every value so far, as a head that ties them all answers: the latest,
/// or their average (summed in insertion order, as brute force sums ties).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Running {
    /// Kept only for averaging heads: the sum costs an exactness check
    /// per token.
    sum: Option<ExactSum>,
    last: [f64; 2],
}

impl Running {
    pub(crate) fn new(tie: Tie) -> Running {
        Running {
            sum: (tie == Tie::Average).then(ExactSum::default),
            last: [0.0; 2],
        }
    }

    pub(crate) fn push(&mut self, v: [f64; 2]) {
        if let Some(sum) = &mut self.sum {
            sum.add(v);
        }
        self.last = v;
    }

    /// The head's answer when every value so far ties.
    pub(crate) fn resolve(&self) -> Result<[f64; 2], Inexact> {
        match &self.sum {
            None => Ok(self.last),
            Some(sum) => sum.average(),
        }
    }
}

/// Positions stay below 2^59, so a position key (2p, -p^2) is an integer
/// below 2^120, the caches' exact domain, at the scale position keys need
/// (none), and a shifted query stays far inside an i128.
pub(crate) const POSITION_BITS: u32 = 59;

/// The key of position `j`, exactly: (2j, -j^2).
pub(crate) fn position_key(j: u64) -> [i128; 2] {
    let j = j as i128;
    [2 * j, -(j * j)]
}

/// A query against position keys moved by `first`: with keys at j + first
/// and the query (qx + first * qy, qy), every score changes by the same
/// constant (2 qx first + qy first^2), so the winner and the ties do not
/// change. None when the shifted query does not fit an i128.
#[inline(always)]
pub(crate) fn rebase([qx, qy]: [i128; 2], first: u64) -> Option<[i128; 2]> {
    if first == 0 {
        // Every run but an offset test: no 128-bit multiply.
        return Some([qx, qy]);
    }
    Some([qy.checked_mul(first as i128)?.checked_add(qx)?, qy])
}

/// Which position(s) a position head attends to: every one (a zero query
/// ties them all), one, or the two that tie (averaged, for an averaging
/// head); positions counted from `first`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Winner {
    All,
    One(usize),
    Both(usize, usize),
}

impl Winner {
    /// The head's value at the winner(s).
    pub(crate) fn value(
        self,
        all: &Running,
        value_at: impl Fn(usize) -> [f64; 2],
    ) -> Result<[f64; 2], Inexact> {
        match self {
            Winner::All => all.resolve(),
            Winner::One(j) => Ok(value_at(j)),
            Winner::Both(a, b) => {
                let mut pair = ExactSum::one(value_at(a));
                pair.add(value_at(b));
                pair.average()
            }
        }
    }
}

/// A head whose keys are (2j, -j^2) for positions j = first..=first + t:
/// score(j) = 2 qx j - qy j^2, concave for qy > 0 (the best j is next to
/// qx/qy), otherwise best at an end. The query is scaled to integers as
/// the caches scale it, and candidates are compared exactly. `value_at`
/// takes the position counted from `first`. (The decoder calls the two
/// halves itself, to share a winner between heads.)
#[cfg(test)]
pub(crate) fn position_lookup(
    q: [f64; 2],
    first: u64,
    t: usize,
    tie: Tie,
    all: &Running,
    value_at: impl Fn(usize) -> [f64; 2],
) -> Result<[f64; 2], Inexact> {
    position_winner(q, first, t, tie)?.value(all, value_at)
}

/// The position(s) `position_lookup` reads.
pub(crate) fn position_winner(
    q: [f64; 2],
    first: u64,
    t: usize,
    tie: Tie,
) -> Result<Winner, Inexact> {
    let last = first as u128 + t as u128;
    if last >> POSITION_BITS != 0 {
        return Err(Inexact::Position(last));
    }
    let (scaled, _) = scale_query(q)?;
    if scaled == [0, 0] {
        return Ok(Winner::All);
    }
    let q = rebase(scaled, first).ok_or(Inexact::Query(q))?;
    let (lo, hi) = (first as i128, last as i128);
    let [a, b] = candidates(q, lo, hi);
    let at = |j: i128| (j - lo) as usize;
    Ok(match compare(q, a, b) {
        Ordering::Less => Winner::One(at(a)),
        Ordering::Greater => Winner::One(at(b)),
        Ordering::Equal if a == b => Winner::One(at(a)),
        Ordering::Equal => match tie {
            Tie::Latest => Winner::One(at(b)),
            Tie::Average => Winner::Both(at(a), at(b)),
        },
    })
}

/// The positions a <= b in lo..=hi that can score highest: the integers
/// around qx / qy when the scores are concave (qy > 0), else the two ends.
fn candidates([qx, qy]: [i128; 2], lo: i128, hi: i128) -> [i128; 2] {
    if qy > 0 {
        // floor(qx / qy); i128 division is a slow library call.
        let centre = match (i64::try_from(qx), i64::try_from(qy)) {
            (Ok(x), Ok(y)) => x.div_euclid(y) as i128,
            _ => qx.div_euclid(qy),
        };
        let a = centre.clamp(lo, hi);
        [a, (a + 1).min(hi)]
    } else {
        [lo, hi]
    }
}

/// score(b) against score(a): score(b) - score(a) = 2 qx (b - a) -
/// qy (b^2 - a^2), exactly (positions below 2^POSITION_BITS keep b^2 in
/// an i128).
#[inline(always)]
fn compare([qx, qy]: [i128; 2], a: i128, b: i128) -> Ordering {
    // Positions below 2^31 and a query below 2^64 keep both products in
    // an i128: the common case, without the 256-bit products.
    if b >> 31 == 0 && qx.unsigned_abs() >> 64 == 0 && qy.unsigned_abs() >> 64 == 0 {
        return (2 * qx * (b - a)).cmp(&(qy * (b * b - a * a)));
    }
    super::attention::cmp_products(qx, 2 * (b - a), qy, b * b - a * a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::attention::{BruteCache, KvCache};

    fn queries() -> [[f64; 2]; 11] {
        [
            [3.0, 1.0],
            [2.6, 0.6],
            [2.25, 0.5],
            [7.0 * 1.3, 1.3],
            [-5.0, 1.0],
            [100.0, 1.0],
            [3.0, -2.0],
            [0.0, -1.0],
            [-1.0, 0.0],
            [1.0, 0.0],
            [0.0, 0.0],
        ]
    }

    /// The shortcut against a brute-force cache holding the same keys,
    /// for integer, fractional and zero queries and both tie rules, with
    /// positions from 0 and shifted far past 2^27 and 2^32 (keys given as
    /// integers, queries rebased by the same shift).
    #[test]
    fn the_position_lookup_answers_as_brute_force() {
        let values: Vec<[f64; 2]> = (0..40)
            .map(|j| [(j * 7 % 11) as f64 * 0.5, j as f64])
            .collect();
        for first in [
            0,
            1 << 27,
            (1 << 32) - 1_000_000,
            1 << 40,
            (1 << POSITION_BITS) - 41,
        ] {
            let mut brute = BruteCache::default();
            let mut all = [Running::new(Tie::Latest), Running::new(Tie::Average)];
            for (t, &v) in values.iter().enumerate() {
                brute
                    .insert_integer(position_key(first + t as u64), v)
                    .unwrap();
                all.iter_mut().for_each(|a| a.push(v));
                for q in queries() {
                    let (scaled, shift) = scale_query(q).unwrap();
                    let moved = rebase(scaled, first).unwrap();
                    for (tie, all) in [Tie::Latest, Tie::Average].into_iter().zip(&all) {
                        let fast = position_lookup(q, first, t, tie, all, |j| values[j]);
                        let slow = brute.query_integer(moved, shift, tie);
                        assert_eq!(fast, slow, "first {first}, t {t}, q {q:?}, {tie:?}");
                    }
                }
            }
        }
    }

    /// Unshifted, the integer keys are the float keys the weights compute.
    #[test]
    fn integer_position_keys_are_the_float_keys() {
        let mut float = BruteCache::default();
        let mut integer = BruteCache::default();
        for j in 0..30u64 {
            let v = [j as f64, 1.0];
            let x = j as f64;
            float.insert([2.0 * x, -x * x], v).unwrap();
            integer.insert_integer(position_key(j), v).unwrap();
            for q in queries() {
                for tie in [Tie::Latest, Tie::Average] {
                    assert_eq!(float.query(q, tie), integer.query(q, tie), "j {j} q {q:?}");
                }
            }
        }
    }

    #[test]
    fn positions_past_the_integer_domain_are_refused() {
        let all = Running::new(Tie::Latest);
        let last = 1u64 << POSITION_BITS;
        let far = position_lookup([1.0, 1.0], last - 5, 5, Tie::Latest, &all, |_| [0.0; 2]);
        assert_eq!(far, Err(Inexact::Position(last as u128)));
        let near = position_lookup([1.0, 1.0], last - 5, 4, Tie::Latest, &all, |j| {
            [j as f64, 0.0]
        });
        // q = (1, 1) peaks at the position 1 after the first.
        assert_eq!(near, Ok([1.0, 0.0]));
        // A query the shift would push out of an i128 is refused too.
        assert_eq!(rebase([1, 1 << 100], 1 << 40), None);
    }
}

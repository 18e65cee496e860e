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

/// The largest position whose square is exact in f64 (p^2 < 2^53): beyond
/// it the keys (2p, -p^2) the embedding writes are rounded.
pub(crate) const EXACT_SQUARES: usize = 94_906_265;

/// A head whose keys are (2j, -j^2) for positions j = 0..=t: score(j) =
/// 2 qx j - qy j^2, concave for qy > 0 (the best j is next to qx/qy),
/// otherwise best at an end. The query is scaled to integers as the caches
/// scale it, and candidates are compared exactly.
pub(crate) fn position_lookup(
    q: [f64; 2],
    t: usize,
    tie: Tie,
    all: &Running,
    value_at: impl Fn(usize) -> [f64; 2],
) -> Result<[f64; 2], Inexact> {
    if t > EXACT_SQUARES {
        return Err(Inexact::PositionSquare(t));
    }
    let (q, _) = scale_query(q)?;
    if q == [0, 0] {
        return all.resolve();
    }
    let [a, b] = candidates(q, t);
    match compare(q, a, b) {
        Ordering::Less => Ok(value_at(a)),
        Ordering::Greater => Ok(value_at(b)),
        Ordering::Equal if a == b => Ok(value_at(a)),
        Ordering::Equal => match tie {
            Tie::Latest => Ok(value_at(b)),
            Tie::Average => {
                let mut pair = ExactSum::one(value_at(a));
                pair.add(value_at(b));
                pair.average()
            }
        },
    }
}

/// The positions a <= b that can score highest: the integers around
/// qx / qy when the scores are concave (qy > 0), else the two ends.
fn candidates([qx, qy]: [i128; 2], t: usize) -> [usize; 2] {
    if qy > 0 {
        // floor(qx / qy); i128 division is a slow library call.
        let centre = match (i64::try_from(qx), i64::try_from(qy)) {
            (Ok(x), Ok(y)) => x.div_euclid(y) as i128,
            _ => qx.div_euclid(qy),
        };
        let lo = centre.clamp(0, t as i128) as usize;
        [lo, (lo + 1).min(t)]
    } else {
        [0, t]
    }
}

/// score(b) against score(a): score(b) - score(a) = 2 qx (b - a) -
/// qy (b^2 - a^2), exactly.
#[inline(always)]
fn compare([qx, qy]: [i128; 2], a: usize, b: usize) -> Ordering {
    let (a, b) = (a as i128, b as i128);
    // Positions are below 2^27 (EXACT_SQUARES): with a query below 2^64
    // both products fit an i128.
    if qx.unsigned_abs() >> 64 == 0 && qy.unsigned_abs() >> 64 == 0 {
        return (2 * qx * (b - a)).cmp(&(qy * (b * b - a * a)));
    }
    super::attention::cmp_products(qx, 2 * (b - a), qy, b * b - a * a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::attention::{BruteCache, KvCache};

    /// The shortcut against a brute-force cache holding the same keys,
    /// for integer, fractional and zero queries and both tie rules.
    #[test]
    fn the_position_lookup_answers_as_brute_force() {
        let values: Vec<[f64; 2]> = (0..40)
            .map(|j| [(j * 7 % 11) as f64 * 0.5, j as f64])
            .collect();
        let mut brute = BruteCache::default();
        let mut all = [Running::new(Tie::Latest), Running::new(Tie::Average)];
        let queries = [
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
        ];
        for (t, &v) in values.iter().enumerate() {
            let j = t as f64;
            brute.insert([2.0 * j, -j * j], v).unwrap();
            all.iter_mut().for_each(|a| a.push(v));
            for q in queries {
                for (tie, all) in [Tie::Latest, Tie::Average].into_iter().zip(&all) {
                    let fast = position_lookup(q, t, tie, all, |j| values[j]);
                    assert_eq!(fast, brute.query(q, tie), "t {t}, q {q:?}, {tie:?}");
                }
            }
        }
        let far = position_lookup([1.0, 1.0], EXACT_SQUARES + 1, Tie::Latest, &all[0], |_| {
            [0.0; 2]
        });
        assert_eq!(far, Err(Inexact::PositionSquare(EXACT_SQUARES + 1)));
        assert_eq!(94_906_265f64 * 94_906_265f64, 9007199136250225.0);
    }
}

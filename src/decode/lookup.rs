//! Heads answered without a KV cache: their keys are known in advance, so
//! the winner follows from the query and the position.

use super::attention::compare_scores;
use crate::weights::Tie;

/// Sum, count and latest of every value so far.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Running {
    sum: [f64; 2],
    count: u64,
    last: [f64; 2],
}

impl Running {
    pub(crate) fn push(&mut self, v: [f64; 2]) {
        self.sum[0] += v[0];
        self.sum[1] += v[1];
        self.count += 1;
        self.last = v;
    }

    pub(crate) fn resolve(&self, tie: Tie) -> [f64; 2] {
        match (tie, self.count) {
            (_, 0) => [0.0; 2],
            (Tie::Latest, _) => self.last,
            (Tie::Average, n) => [self.sum[0] / n as f64, self.sum[1] / n as f64],
        }
    }
}

/// A head whose keys are (2j, -j^2) for positions j = 0..=t: score(j) =
/// 2 qx j - qy j^2, concave for qy > 0 (the best j is next to qx/qy),
/// otherwise best at an end. Candidates are compared exactly, as the brute
/// cache would.
pub(crate) fn position_lookup(
    q: [f64; 2],
    t: usize,
    tie: Tie,
    all: &Running,
    value_at: impl Fn(usize) -> [f64; 2],
) -> [f64; 2] {
    let key = |j: usize| [2.0 * j as f64, -((j as f64) * (j as f64))];
    let mut candidates: [usize; 2] = if q[1] > 0.0 {
        // floor(qx / qy), exactly when both are integers.
        let centre = match (q[0].fract() == 0.0, q[1].fract() == 0.0) {
            (true, true) if q[0].abs() < 9e15 && q[1] < 9e15 => {
                (q[0] as i64).div_euclid(q[1] as i64) as f64
            }
            _ => (q[0] / q[1]).floor(),
        };
        let lo = centre.clamp(0.0, t as f64) as usize;
        [lo, (lo + 1).min(t)]
    } else {
        [0, t]
    };
    if q == [0.0, 0.0] {
        return all.resolve(tie);
    }
    if candidates[0] > candidates[1] {
        candidates.swap(0, 1);
    }
    let [a, b] = candidates;
    let order = if a == b {
        std::cmp::Ordering::Equal
    } else {
        // score(b) - score(a) = 2 qx (b - a) - qy (b^2 - a^2): exact in f64
        // while every term is an integer below 2^53.
        let (fa, fb) = (a as f64, b as f64);
        let (t1, t2) = (2.0 * q[0] * (fb - fa), q[1] * (fb * fb - fa * fa));
        if q[0].fract() == 0.0 && q[1].fract() == 0.0 && t1.abs() < 4e15 && t2.abs() < 4e15 {
            (t1 - t2)
                .partial_cmp(&0.0)
                .unwrap_or(std::cmp::Ordering::Equal)
        } else {
            compare_scores(q, key(b), key(a))
        }
    };
    match order {
        std::cmp::Ordering::Greater => value_at(b),
        std::cmp::Ordering::Less => value_at(a),
        std::cmp::Ordering::Equal if a == b => value_at(a),
        std::cmp::Ordering::Equal => match tie {
            Tie::Latest => value_at(b),
            Tie::Average => {
                let (va, vb) = (value_at(a), value_at(b));
                [(va[0] + vb[0]) / 2.0, (va[1] + vb[1]) / 2.0]
            }
        },
    }
}

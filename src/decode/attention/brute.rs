//! The reference cache: every key scanned on every query.

use super::{compare_scores, KvCache};
use crate::weights::Tie;

/// The plain O(n) cache.
#[derive(Default, Clone)]
pub struct BruteCache {
    pub(super) keys: Vec<[f64; 2]>,
    values: Vec<[f64; 2]>,
    /// Per key: both coordinates are integers below 2^25, so scores
    /// against a small query are exact in f64.
    small: Vec<bool>,
}

fn is_small(v: f64) -> bool {
    v.abs() < 33554432.0 && v.fract() == 0.0
}

impl KvCache for BruteCache {
    fn insert(&mut self, key: [f64; 2], value: [f64; 2]) {
        self.keys.push(key);
        self.values.push(value);
        self.small.push(is_small(key[0]) && is_small(key[1]));
    }

    fn query(&mut self, q: [f64; 2], tie: Tie) -> [f64; 2] {
        let q_small = is_small(q[0]) && is_small(q[1]);
        let mut best_small = false;
        let mut best: Option<([f64; 2], f64, f64)> = None; // key, score, magnitude
        let mut sum = [0.0; 2];
        let mut count = 0usize;
        let mut latest = [0.0; 2];
        for ((k, v), &small) in self.keys.iter().zip(&self.values).zip(&self.small) {
            let (a, b) = (q[0] * k[0], q[1] * k[1]);
            let (score, magnitude) = (a + b, a.abs() + b.abs());
            let order = match best {
                None => std::cmp::Ordering::Greater,
                // Both scores exact in f64.
                Some((_, s, _)) if q_small && small && best_small => {
                    score.partial_cmp(&s).unwrap_or(std::cmp::Ordering::Less)
                }
                // Far apart in f64 means far apart exactly; near-ties are
                // decided exactly.
                Some((_, s, m)) if (score - s).abs() > (magnitude + m) * 1e-14 => {
                    score.partial_cmp(&s).unwrap_or(std::cmp::Ordering::Less)
                }
                Some((bk, _, _)) => compare_scores(q, *k, bk),
            };
            match order {
                std::cmp::Ordering::Greater => {
                    best = Some((*k, score, magnitude));
                    best_small = small;
                    sum = *v;
                    count = 1;
                    latest = *v;
                }
                std::cmp::Ordering::Equal => {
                    sum[0] += v[0];
                    sum[1] += v[1];
                    count += 1;
                    latest = *v;
                }
                std::cmp::Ordering::Less => {}
            }
        }
        match (tie, count) {
            (_, 0) => [0.0; 2],
            (Tie::Latest, _) => latest,
            (Tie::Average, n) => [sum[0] / n as f64, sum[1] / n as f64],
        }
    }
}

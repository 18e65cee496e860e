//! Brute force that also measures how close each argmax came to flipping.

use super::{compare_scores, BruteCache, KvCache, Margin};
use crate::weights::Tie;

/// The brute cache, also recording the smallest gap between the winning
/// score and the runner-up (the best score strictly below it) over all
/// queries. Ties at the top are the model's tie rule at work, not a near
/// miss, so they do not count. O(n) per query; for numerics reports only.
#[derive(Default, Clone)]
pub struct MarginCache {
    brute: BruteCache,
    smallest: Option<Margin>,
}

impl KvCache for MarginCache {
    fn insert(&mut self, key: [f64; 2], value: [f64; 2]) {
        self.brute.insert(key, value);
    }

    fn query(&mut self, q: [f64; 2], tie: Tie) -> [f64; 2] {
        use std::cmp::Ordering::{Equal, Greater, Less};
        let keys = &self.brute.keys;
        let mut best: Option<[f64; 2]> = None;
        let mut runner_up: Option<[f64; 2]> = None;
        for &k in keys {
            match best.map_or(Greater, |b| compare_scores(q, k, b)) {
                Greater => {
                    runner_up = best;
                    best = Some(k);
                }
                Equal => {}
                Less => {
                    if runner_up.is_none_or(|r| compare_scores(q, k, r) == Greater) {
                        runner_up = Some(k);
                    }
                }
            }
        }
        if let (Some(b), Some(r)) = (best, runner_up) {
            // The difference of the two scores, from coordinate
            // differences: exact where the coordinates are integers of
            // similar size, unlike a difference of two large scores.
            let gap = q[0] * (b[0] - r[0]) + q[1] * (b[1] - r[1]);
            if self.smallest.is_none_or(|m| gap < m.gap) {
                self.smallest = Some(Margin {
                    gap,
                    keys: keys.len(),
                });
            }
        }
        self.brute.query(q, tie)
    }

    fn margin(&self) -> Option<Margin> {
        self.smallest
    }
}

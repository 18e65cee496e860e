//! Brute force that also measures how close each argmax came to flipping.

use super::exact::{wide_sub, wide_to_f64};
use super::{BruteCache, Inexact, KvCache, Margin};
use crate::weights::Tie;

/// The brute cache, also recording the smallest gap between the winning
/// score and the runner-up (the best score strictly below it) over all
/// queries. Ties at the top are the model's tie rule at work, not a near
/// miss, so they do not count. O(n) per query; for numerics reports only.
#[derive(Default, Clone)]
pub struct MarginCache {
    brute: BruteCache,
    keys: usize,
    smallest: Option<Margin>,
}

impl MarginCache {
    /// The winning score minus the runner-up, when there is one.
    fn gap(&self, q: [i128; 2], shift: u32) -> Option<f64> {
        let (scores, shift) = self.brute.wide_scores(q, shift);
        let mut best = None;
        let mut runner_up = None;
        for s in scores {
            if best.is_none_or(|b| s > b) {
                runner_up = best;
                best = Some(s);
            } else if best != Some(s) && runner_up.is_none_or(|r| s > r) {
                runner_up = Some(s);
            }
        }
        // Scores are exact integers: their difference is, too, before it
        // is rounded once for the report.
        best.zip(runner_up)
            .map(|(b, r)| wide_to_f64(wide_sub(b, r)) * 2f64.powi(-(shift as i32)))
    }
}

impl KvCache for MarginCache {
    fn insert(&mut self, key: [f64; 2], value: [f64; 2]) -> Result<(), Inexact> {
        self.keys += 1;
        self.brute.insert(key, value)
    }

    fn insert_integer(&mut self, key: [i128; 2], value: [f64; 2]) -> Result<(), Inexact> {
        self.keys += 1;
        self.brute.insert_integer(key, value)
    }

    fn query_integer(&mut self, q: [i128; 2], shift: u32, tie: Tie) -> Result<[f64; 2], Inexact> {
        if let Some(gap) = self.gap(q, shift) {
            if self.smallest.is_none_or(|m| gap < m.gap) {
                self.smallest = Some(Margin {
                    gap,
                    keys: self.keys,
                });
            }
        }
        self.brute.query_integer(q, shift, tie)
    }

    fn margin(&self) -> Option<Margin> {
        self.smallest
    }
}

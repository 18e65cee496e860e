//! KV caches for 2D hardmax attention heads.
//!
//! A head scores every cached key against the query (`q . k`), keeps the
//! best, and resolves ties by its rule: the mean of the tied values, or the
//! value of the latest tied position. [`BruteCache`] scans every key (O(n)
//! per query) and is the reference for the faster caches.

use crate::graph::Tie;

/// One head's keys and values, in insertion order.
pub trait KvCache: Default + Send {
    fn insert(&mut self, key: [f64; 2], value: [f64; 2]);
    /// The attention output for `query` (zero when the cache is empty).
    fn query(&mut self, query: [f64; 2], tie: Tie) -> [f64; 2];
    /// Keys that can still win, for memory accounting.
    fn retained(&self) -> usize;
}

/// The plain O(n) cache.
#[derive(Default, Clone)]
pub struct BruteCache {
    keys: Vec<[f64; 2]>,
    values: Vec<[f64; 2]>,
}

impl KvCache for BruteCache {
    fn insert(&mut self, key: [f64; 2], value: [f64; 2]) {
        self.keys.push(key);
        self.values.push(value);
    }

    fn query(&mut self, q: [f64; 2], tie: Tie) -> [f64; 2] {
        let mut best = f64::NEG_INFINITY;
        let mut sum = [0.0; 2];
        let mut count = 0usize;
        let mut latest = [0.0; 2];
        for (k, v) in self.keys.iter().zip(&self.values) {
            let s = q[0] * k[0] + q[1] * k[1];
            if s > best {
                best = s;
                sum = *v;
                count = 1;
                latest = *v;
            } else if s == best {
                sum[0] += v[0];
                sum[1] += v[1];
                count += 1;
                latest = *v;
            }
        }
        match (tie, count) {
            (_, 0) => [0.0; 2],
            (Tie::Latest, _) => latest,
            (Tie::Average, n) => [sum[0] / n as f64, sum[1] / n as f64],
        }
    }

    fn retained(&self) -> usize {
        self.keys.len()
    }
}

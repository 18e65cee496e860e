//! The reference cache: every key scanned on every query.

use super::exact::{bit_length, raise, wide_add, wide_mul, KeyScale, Wide};
use super::{ExactSum, Inexact, KvCache};
use crate::weights::Tie;

/// The plain O(n) cache. Keys are kept as integers at their common
/// power-of-two scale, so every score is exact.
#[derive(Default, Clone)]
pub struct BruteCache {
    keys: Vec<[i128; 2]>,
    /// The same keys as i32 while every one fits in SMALL bits (most heads,
    /// whose keys are positions and small flags): the scan then reads a
    /// quarter of the bytes and multiplies in i64.
    small_keys: Vec<[i32; 2]>,
    values: Vec<[f64; 2]>,
    scale: KeyScale,
}

/// Keys and queries below 2^62: scores fit an i128.
const NARROW: u32 = 62;
/// Keys and queries below 2^30: scores fit an i64.
const SMALL: u32 = 30;

/// The best score and the latest key that has it, or `None` when empty.
fn latest_best<K, S: Ord + Copy>(keys: &[K], score: impl Fn(&K) -> S) -> Option<(usize, S)> {
    let mut best: Option<(usize, S)> = None;
    for (i, k) in keys.iter().enumerate() {
        let s = score(k);
        if best.is_none_or(|(_, b)| s >= b) {
            best = Some((i, s));
        }
    }
    best
}

impl BruteCache {
    /// The value of the latest best-scoring key, or the average of every
    /// best-scoring key's value (summed in insertion order).
    fn answer<K, S: Ord + Copy>(
        &self,
        keys: &[K],
        tie: Tie,
        score: impl Fn(&K) -> S,
    ) -> Result<[f64; 2], Inexact> {
        let Some((latest, best)) = latest_best(keys, &score) else {
            return Ok([0.0; 2]);
        };
        match tie {
            Tie::Latest => Ok(self.values[latest]),
            Tie::Average => {
                let mut tied = ExactSum::default();
                for (k, v) in keys.iter().zip(&self.values) {
                    if score(k) == best {
                        tied.add(*v);
                    }
                }
                tied.average()
            }
        }
    }

    /// Keeps the i32 copy of the keys while they all fit, and drops it for
    /// good once one does not (a cache's bits only grow).
    fn mirror_small_keys(&mut self) {
        if self.scale.bits() > SMALL {
            self.small_keys = Vec::new();
            return;
        }
        let small = |k: &[i128; 2]| [k[0] as i32, k[1] as i32];
        if self.small_keys.len() + 1 == self.keys.len() {
            self.small_keys.push(small(&self.keys[self.keys.len() - 1]));
        } else {
            self.small_keys = self.keys.iter().map(small).collect();
        }
    }

    /// Every key's score against a scaled query, exactly, in insertion
    /// order; and the power of two the scores are scaled by.
    pub(super) fn wide_scores(
        &self,
        q: [i128; 2],
        shift: u32,
    ) -> (impl Iterator<Item = Wide> + '_, u32) {
        let scores = self
            .keys
            .iter()
            .map(move |k| wide_add(wide_mul(q[0], k[0]), wide_mul(q[1], k[1])));
        (scores, shift + self.scale.shift())
    }
}

impl KvCache for BruteCache {
    fn insert(&mut self, key: [f64; 2], value: [f64; 2]) -> Result<(), Inexact> {
        let (k, by) = self.scale.admit(key)?;
        if by > 0 {
            for k in &mut self.keys {
                *k = [raise(k[0], by), raise(k[1], by)];
            }
            self.small_keys.clear();
        }
        self.keys.push(k);
        self.values.push(value);
        self.mirror_small_keys();
        Ok(())
    }

    fn insert_integer(&mut self, key: [i128; 2], value: [f64; 2]) -> Result<(), Inexact> {
        self.keys.push(self.scale.admit_integer(key)?);
        self.values.push(value);
        self.mirror_small_keys();
        Ok(())
    }

    fn query_integer(&mut self, q: [i128; 2], _shift: u32, tie: Tie) -> Result<[f64; 2], Inexact> {
        let bits = self
            .scale
            .bits()
            .max(bit_length(q[0]))
            .max(bit_length(q[1]));
        if bits <= SMALL {
            let q = [q[0] as i64, q[1] as i64];
            let score = |k: &[i32; 2]| q[0] * k[0] as i64 + q[1] * k[1] as i64;
            self.answer(&self.small_keys, tie, score)
        } else if bits <= NARROW {
            self.answer(&self.keys, tie, |k| q[0] * k[0] + q[1] * k[1])
        } else {
            let score = |k: &[i128; 2]| wide_add(wide_mul(q[0], k[0]), wide_mul(q[1], k[1]));
            self.answer(&self.keys, tie, score)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The i32 copy of the keys follows every rescale, and a key past 2^30
    /// sends every later query to the i128 scan.
    #[test]
    fn the_small_key_copy_follows_rescales_and_gives_way_to_wide_keys() {
        let mut cache = BruteCache::default();
        cache.insert([2.0, 0.0], [1.0, 0.0]).unwrap();
        cache.insert([2.5, 0.0], [2.0, 0.0]).unwrap();
        assert_eq!(cache.small_keys, vec![[4, 0], [5, 0]]);
        assert_eq!(cache.query([1.0, 0.0], Tie::Latest), Ok([2.0, 0.0]));
        assert_eq!(cache.query([-1.0, 0.0], Tie::Latest), Ok([1.0, 0.0]));
        cache.insert([-(2f64.powi(40)), 0.0], [3.0, 0.0]).unwrap();
        assert!(cache.small_keys.is_empty());
        assert_eq!(cache.query([-1.0, 0.0], Tie::Latest), Ok([3.0, 0.0]));
        assert_eq!(cache.query([1.0, 0.0], Tie::Latest), Ok([2.0, 0.0]));
        assert_eq!(cache.query([0.0, 1.0], Tie::Average), Ok([2.0, 0.0]));
    }
}

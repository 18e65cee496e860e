//! The reference cache: every key scanned on every query.

use super::exact::{bit_length, raise, wide_add, wide_mul, KeyScale, Wide};
use super::{ExactSum, Inexact, KvCache};
use crate::weights::Tie;
use std::cmp::Ordering;

/// The plain O(n) cache. Keys are kept as integers at their common
/// power-of-two scale, so every score is exact.
#[derive(Default, Clone)]
pub struct BruteCache {
    keys: Vec<[i128; 2]>,
    values: Vec<[f64; 2]>,
    scale: KeyScale,
}

/// Keys and queries below 2^62: scores fit an i128.
const NARROW: u32 = 62;

impl BruteCache {
    /// The tied winners' values (summed) and the latest of them.
    fn winners<S: Ord + Copy>(&self, score: impl Fn(&[i128; 2]) -> S) -> (ExactSum, [f64; 2]) {
        let mut best: Option<S> = None;
        let mut tied = ExactSum::default();
        let mut latest = [0.0; 2];
        for (k, v) in self.keys.iter().zip(&self.values) {
            let s = score(k);
            match best.map_or(Ordering::Greater, |b| s.cmp(&b)) {
                Ordering::Greater => {
                    best = Some(s);
                    tied = ExactSum::one(*v);
                    latest = *v;
                }
                Ordering::Equal => {
                    tied.add(*v);
                    latest = *v;
                }
                Ordering::Less => {}
            }
        }
        (tied, latest)
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
        }
        self.keys.push(k);
        self.values.push(value);
        Ok(())
    }

    fn insert_integer(&mut self, key: [i128; 2], value: [f64; 2]) -> Result<(), Inexact> {
        self.keys.push(self.scale.admit_integer(key)?);
        self.values.push(value);
        Ok(())
    }

    fn query_integer(&mut self, q: [i128; 2], _shift: u32, tie: Tie) -> Result<[f64; 2], Inexact> {
        let narrow =
            self.scale.bits() <= NARROW && bit_length(q[0]).max(bit_length(q[1])) <= NARROW;
        let (tied, latest) = if narrow {
            self.winners(|k| q[0] * k[0] + q[1] * k[1])
        } else {
            self.winners(|k| wide_add(wide_mul(q[0], k[0]), wide_mul(q[1], k[1])))
        };
        match tie {
            Tie::Latest => Ok(latest),
            Tie::Average => tied.average(),
        }
    }
}

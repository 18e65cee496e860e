//! KV caches for 2D hardmax attention heads.
//!
//! A head scores every cached key against the query (`q . k`), keeps the
//! best, and resolves ties by its rule: the mean of the tied values, or the
//! value of the latest tied position. Every cache answers exactly what its
//! keys and queries say, or refuses with [`Inexact`]: scores are compared
//! as integers (keys and queries scaled by powers of two, see `exact`), and
//! an average is only taken of values whose sum is exact, because the caches
//! add tied values in different orders. [`BruteCache`] scans every key (O(n)
//! per query) and is the reference for the faster caches.

mod brute;
mod exact;
mod hull;
mod margin;

pub use brute::BruteCache;
pub use hull::HullCache;
pub use margin::MarginCache;

pub(crate) use exact::{cmp_products, scale_query};

use crate::weights::Tie;

/// One head's keys and values, in insertion order.
pub trait KvCache: Default + Send {
    /// Whether the decoder may answer heads whose keys need no search
    /// (constant keys, position keys) without this cache.
    const SHORTCUTS: bool = false;
    /// Refuses a key outside the exact domain (then the cache must not be
    /// used further).
    fn insert(&mut self, key: [f64; 2], value: [f64; 2]) -> Result<(), Inexact>;
    /// A key given as exact integers (position keys (2p, -p^2), whose
    /// square an f64 would round past 2^53); refused like `insert`.
    fn insert_integer(&mut self, key: [i128; 2], value: [f64; 2]) -> Result<(), Inexact>;
    /// The attention output for `query` (zero when the cache is empty).
    fn query(&mut self, query: [f64; 2], tie: Tie) -> Result<[f64; 2], Inexact> {
        let (q, shift) = scale_query(query)?;
        self.query_integer(q, shift, tie)
    }
    /// The attention output for the query `q / 2^shift`, given as integers.
    fn query_integer(&mut self, q: [i128; 2], shift: u32, tie: Tie) -> Result<[f64; 2], Inexact>;
    /// The smallest score margin seen so far, for caches that measure it.
    fn margin(&self) -> Option<Margin> {
        None
    }
}

/// How close an argmax came to choosing differently: the winning score
/// minus the best strictly lower one.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Margin {
    pub(crate) gap: f64,
    /// Keys in the cache when the smallest gap was seen.
    pub keys: usize,
}

/// Why a head cannot be answered exactly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Inexact {
    /// A key that is not finite, or keys that together need more than
    /// 2^120 as integers at one power-of-two scale.
    Key([f64; 2]),
    /// A query that is not finite, or needs more than 2^120 as integers at
    /// a power-of-two scale.
    Query([f64; 2]),
    /// Tied values whose f64 sum rounds: their average would depend on the
    /// order of the additions.
    Average,
    /// A position past 2^59, whose key (2p, -p^2) leaves the integer
    /// domain.
    Position(u128),
}

impl std::fmt::Display for Inexact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Inexact::Key(k) => write!(
                f,
                "key {k:?} leaves the exact domain (finite, and with every key so far \
                 integers below 2^120 at one power-of-two scale)"
            ),
            Inexact::Query(q) => write!(
                f,
                "query {q:?} leaves the exact domain (finite, and integers below 2^120 \
                 at a power-of-two scale)"
            ),
            Inexact::Average => write!(
                f,
                "the values tied for the top score do not sum exactly in f64, so their \
                 average would depend on the order of the additions"
            ),
            Inexact::Position(p) => {
                write!(f, "position {p}: the key (2p, -p^2) is past 2^120")
            }
        }
    }
}

impl std::error::Error for Inexact {}

/// A sum of values that knows whether every addition was exact. Each cache
/// adds tied values in its own order; exact sums are equal in every order,
/// rounded ones need not be, so only exact ones are averaged.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct ExactSum {
    sum: [f64; 2],
    count: u64,
    rounded: bool,
}

impl ExactSum {
    pub(crate) fn one(v: [f64; 2]) -> ExactSum {
        ExactSum {
            sum: v,
            count: 1,
            rounded: false,
        }
    }

    #[inline]
    pub(crate) fn add(&mut self, v: [f64; 2]) {
        if self.count == 0 {
            *self = ExactSum::one(v);
            return;
        }
        let (x, x_exact) = add_exactly(self.sum[0], v[0]);
        let (y, y_exact) = add_exactly(self.sum[1], v[1]);
        self.sum = [x, y];
        self.count += 1;
        self.rounded |= !x_exact | !y_exact;
    }

    #[inline]
    pub(crate) fn merge(&mut self, o: &ExactSum) {
        // Copying keeps the sign of a lone -0.0, as a first value does.
        if self.count == 0 {
            *self = *o;
            return;
        }
        if o.count == 0 {
            return;
        }
        let (x, x_exact) = add_exactly(self.sum[0], o.sum[0]);
        let (y, y_exact) = add_exactly(self.sum[1], o.sum[1]);
        self.sum = [x, y];
        self.count += o.count;
        self.rounded |= o.rounded | !x_exact | !y_exact;
    }

    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    /// The mean, or an error when the sum was rounded.
    pub(crate) fn average(&self) -> Result<[f64; 2], Inexact> {
        match self.count {
            0 => Ok([0.0; 2]),
            _ if self.rounded => Err(Inexact::Average),
            n => Ok([self.sum[0] / n as f64, self.sum[1] / n as f64]),
        }
    }
}

/// a + b, and whether it is exact (Knuth's TwoSum: the rounding error is
/// itself an f64, zero exactly when nothing was lost). A non-finite sum
/// counts as rounded: an infinity or NaN anywhere makes the error NaN.
#[inline]
fn add_exactly(a: f64, b: f64) -> (f64, bool) {
    let s = a + b;
    let b_part = s - a;
    let error = (a - (s - b_part)) + (b - b_part);
    (s, error == 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_sums_are_told_from_rounded_ones() {
        assert_eq!(add_exactly(1.5, 2.25), (3.75, true));
        assert_eq!(add_exactly(1e16, 1.0), (1e16, false));
        assert!(!add_exactly(0.1, 0.2).1);
        assert!(!add_exactly(1e308, 1e308).1);
        assert!(!add_exactly(f64::INFINITY, 1.0).1);
        assert!(!add_exactly(f64::INFINITY, f64::INFINITY).1);
        assert!(!add_exactly(f64::NAN, 1.0).1);
        let mut s = ExactSum::one([-0.0, 1.0]);
        assert_eq!(s.average(), Ok([-0.0, 1.0]));
        s.add([0.5, 0.25]);
        assert_eq!(s.average(), Ok([0.25, 0.625]));
        s.add([1e300, 0.0]);
        assert_eq!(s.average(), Err(Inexact::Average));
    }
}

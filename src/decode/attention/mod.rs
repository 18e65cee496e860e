//! KV caches for 2D hardmax attention heads.
//!
//! A head scores every cached key against the query (`q . k`), keeps the
//! best, and resolves ties by its rule: the mean of the tied values, or the
//! value of the latest tied position. Scores are compared exactly (256-bit
//! integer products) when the coordinates are integers below 2^120, which
//! every head of the model satisfies; there f64 evaluation agrees wherever a
//! score is below 2^53. [`BruteCache`] scans every key (O(n) per query) and
//! is the reference for the faster caches.

mod brute;
mod exact;
mod hull;
mod margin;

pub use brute::BruteCache;
pub use hull::HullCache;
pub use margin::MarginCache;

use crate::weights::Tie;
use exact::{cmp_products, exact};

/// One head's keys and values, in insertion order.
pub trait KvCache: Default + Send {
    /// Whether the decoder may answer heads whose keys need no search
    /// (constant keys, position keys) without this cache.
    const SHORTCUTS: bool = false;
    fn insert(&mut self, key: [f64; 2], value: [f64; 2]);
    /// The attention output for `query` (zero when the cache is empty).
    fn query(&mut self, query: [f64; 2], tie: Tie) -> [f64; 2];
    /// The smallest score margin seen so far, for caches that measure it.
    fn margin(&self) -> Option<Margin> {
        None
    }
}

/// How close an argmax came to choosing differently: the winning score
/// minus the best strictly lower one.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Margin {
    pub gap: f64,
    /// Keys in the cache when the smallest gap was seen.
    pub keys: usize,
}

/// Compare the scores `q.a` and `q.b`: exactly when every coordinate is an
/// integer below 2^120 (the model's domain), else in f64.
pub(crate) fn compare_scores(q: [f64; 2], a: [f64; 2], b: [f64; 2]) -> std::cmp::Ordering {
    // Integers below 2^25: both scores are exact in f64.
    const SMALL: f64 = 33554432.0;
    let small = |v: f64| v.abs() < SMALL && v.fract() == 0.0;
    let (sa, sb) = (q[0] * a[0] + q[1] * a[1], q[0] * b[0] + q[1] * b[1]);
    if q.iter().chain(&a).chain(&b).all(|&v| small(v)) {
        return sa.partial_cmp(&sb).expect("finite");
    }
    // Far apart: the f64 difference cannot have the wrong sign (each score
    // is within a few ulps of its exact value).
    let magnitude =
        (q[0] * a[0]).abs() + (q[1] * a[1]).abs() + (q[0] * b[0]).abs() + (q[1] * b[1]).abs();
    if (sa - sb).abs() > magnitude * 1e-14 && magnitude.is_finite() {
        return sa.partial_cmp(&sb).expect("finite");
    }
    match (
        exact(q[0]),
        exact(q[1]),
        exact(a[0]),
        exact(a[1]),
        exact(b[0]),
        exact(b[1]),
    ) {
        (Some(qx), Some(qy), Some(ax), Some(ay), Some(bx), Some(by)) => {
            // q.a - q.b = qx*(ax-bx) + qy*(ay-by), compared with 0.
            cmp_products(qx, ax - bx, -qy, ay - by)
        }
        _ => {
            let (sa, sb) = (q[0] * a[0] + q[1] * a[1], q[0] * b[0] + q[1] * b[1]);
            sa.partial_cmp(&sb).unwrap_or(std::cmp::Ordering::Less)
        }
    }
}

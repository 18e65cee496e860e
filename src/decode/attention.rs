//! KV caches for 2D hardmax attention heads.
//!
//! A head scores every cached key against the query (`q . k`), keeps the
//! best, and resolves ties by its rule: the mean of the tied values, or the
//! value of the latest tied position. Scores are compared exactly (256-bit
//! integer products) when the coordinates are integers below 2^120, which
//! every head of the model satisfies; there f64 evaluation agrees wherever a
//! score is below 2^53. [`BruteCache`] scans every key (O(n) per query) and
//! is the reference for the faster caches.

use crate::transformer::graph::Tie;

/// One head's keys and values, in insertion order.
pub trait KvCache: Default + Send {
    /// Whether the decoder may answer heads whose keys need no search
    /// (constant keys, position keys) without this cache.
    const SHORTCUTS: bool = false;
    fn insert(&mut self, key: [f64; 2], value: [f64; 2]);
    /// The attention output for `query` (zero when the cache is empty).
    fn query(&mut self, query: [f64; 2], tie: Tie) -> [f64; 2];
    /// Keys that can still win, for memory accounting.
    fn retained(&self) -> usize;
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

/// The plain O(n) cache.
#[derive(Default, Clone)]
pub struct BruteCache {
    keys: Vec<[f64; 2]>,
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

    fn retained(&self) -> usize {
        self.keys.len()
    }
}

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

    fn retained(&self) -> usize {
        self.brute.retained()
    }

    fn margin(&self) -> Option<Margin> {
        self.smallest
    }
}

/// Compare the scores `q.a` and `q.b`: exactly when every coordinate is an
/// integer below 2^120 (the model's domain), else in f64.
pub fn compare_scores(q: [f64; 2], a: [f64; 2], b: [f64; 2]) -> std::cmp::Ordering {
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

/// Values that tie at one place: their sum and count (for averages) and
/// the latest one.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Meta {
    sum: [f64; 2],
    count: u64,
    last_seq: u64,
    last: [f64; 2],
}

impl Meta {
    fn one(value: [f64; 2], seq: u64) -> Meta {
        Meta {
            sum: value,
            count: 1,
            last_seq: seq,
            last: value,
        }
    }

    fn merge(&mut self, o: &Meta) {
        if o.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *o;
            return;
        }
        self.sum[0] += o.sum[0];
        self.sum[1] += o.sum[1];
        self.count += o.count;
        if o.last_seq > self.last_seq {
            self.last_seq = o.last_seq;
            self.last = o.last;
        }
    }

    fn resolve(&self, tie: Tie) -> [f64; 2] {
        match (tie, self.count) {
            (_, 0) => [0.0; 2],
            (Tie::Latest, _) => self.last,
            (Tie::Average, n) => [self.sum[0] / n as f64, self.sum[1] / n as f64],
        }
    }
}

/// An f64 that holds an integer small enough for exact 256-bit products.
fn exact(v: f64) -> Option<i128> {
    const LIMIT: f64 = 1.329227995784916e36; // 2^120
    if v.abs() < 9.007199254740992e15 {
        // Below 2^53: an i64 round trip tells integers apart.
        let i = v as i64;
        return (i as f64 == v).then_some(i as i128);
    }
    (v.abs() < LIMIT).then_some(v as i128)
}

/// a * b as a signed 256-bit integer (hi, lo), for exact comparisons.
fn wide_mul(a: i128, b: i128) -> (i128, u128) {
    let neg = (a < 0) != (b < 0);
    let (a, b) = (a.unsigned_abs(), b.unsigned_abs());
    let (a1, a0) = (a >> 64, a & u64::MAX as u128);
    let (b1, b0) = (b >> 64, b & u64::MAX as u128);
    let lo_lo = a0 * b0;
    let mid1 = a1 * b0;
    let mid2 = a0 * b1;
    let hi_hi = a1 * b1;
    let (mid, mid_carry) = mid1.overflowing_add(mid2);
    let (lo, c1) = lo_lo.overflowing_add(mid << 64);
    let hi = hi_hi + (mid >> 64) + ((mid_carry as u128) << 64) + c1 as u128;
    if !neg {
        (hi as i128, lo)
    } else {
        // two's complement of the 256-bit magnitude
        let lo_n = (!lo).wrapping_add(1);
        let hi_n = (!hi).wrapping_add((lo_n == 0) as u128);
        (hi_n as i128, lo_n)
    }
}

/// The sign of a*b - c*d, exactly.
fn cmp_products(a: i128, b: i128, c: i128, d: i128) -> std::cmp::Ordering {
    const FITS: u128 = 1 << 62;
    if a.unsigned_abs() < FITS
        && b.unsigned_abs() < FITS
        && c.unsigned_abs() < FITS
        && d.unsigned_abs() < FITS
    {
        return (a * b).cmp(&(c * d));
    }
    wide_mul(a, b).cmp(&wide_mul(c, d))
}

#[derive(Debug, Clone, Copy)]
struct Vertex {
    x: i128,
    y: i128,
    meta: Meta,
    /// Points strictly inside the edge to the next vertex (collinear with
    /// it): they tie with both ends when the query is perpendicular to it.
    edge: Meta,
}

/// The upper hull of a point set, strictly convex, sorted by x. Maximises
/// `qx*x + qy*y` for qy > 0.
#[derive(Debug, Clone, Default)]
struct Chain {
    v: Vec<Vertex>,
}

/// (b - a) x (p - a): positive when p is above the line a -> b (a.x < b.x).
fn cross(a: (i128, i128), b: (i128, i128), p: (i128, i128)) -> std::cmp::Ordering {
    cmp_products(b.0 - a.0, p.1 - a.1, b.1 - a.1, p.0 - a.0)
}

impl Chain {
    fn insert(&mut self, x: i128, y: i128, meta: Meta) {
        use std::cmp::Ordering::*;
        let mut i = self.v.partition_point(|w| w.x < x);
        if let Some(w) = self.v.get_mut(i).filter(|w| w.x == x) {
            match y.cmp(&w.y) {
                Less => return,
                Equal => {
                    w.meta.merge(&meta);
                    return;
                }
                Greater => {
                    // The old vertex is now strictly below; so is its edges' interior.
                    self.v.remove(i);
                    if i > 0 {
                        self.v[i - 1].edge = Meta::default();
                    }
                }
            }
        }
        let p = (x, y);
        if i > 0 && i < self.v.len() {
            let (l, r) = (&self.v[i - 1], &self.v[i]);
            match cross((l.x, l.y), (r.x, r.y), p) {
                Less => return,
                Equal => {
                    self.v[i - 1].edge.merge(&meta);
                    return;
                }
                Greater => self.v[i - 1].edge = Meta::default(),
            }
        }
        self.v.insert(
            i,
            Vertex {
                x,
                y,
                meta,
                edge: Meta::default(),
            },
        );
        // Left neighbours that are no longer convex.
        while i >= 2 {
            let (a, l) = (self.v[i - 2], self.v[i - 1]);
            match cross((a.x, a.y), p, (l.x, l.y)) {
                Greater => break,
                Equal => {
                    let mut e = a.edge;
                    e.merge(&l.meta);
                    self.v[i - 2].edge = e;
                }
                Less => self.v[i - 2].edge = Meta::default(),
            }
            self.v.remove(i - 1);
            i -= 1;
        }
        // Right neighbours.
        while i + 2 < self.v.len() {
            let (r, b) = (self.v[i + 1], self.v[i + 2]);
            match cross(p, (b.x, b.y), (r.x, r.y)) {
                Greater => break,
                Equal => {
                    let mut e = self.v[i].edge;
                    e.merge(&r.meta);
                    e.merge(&r.edge);
                    self.v[i].edge = e;
                }
                Less => self.v[i].edge = Meta::default(),
            }
            self.v.remove(i + 1);
        }
    }

    /// Everything scoring the maximum of `qx*x + qy*y` (qy > 0).
    fn best(&self, qx: i128, qy: i128) -> Meta {
        use std::cmp::Ordering::*;
        if self.v.is_empty() {
            return Meta::default();
        }
        // Scores along the chain rise then fall: find the first edge that
        // does not rise. Edge i rises when qx*dx + qy*dy > 0.
        let rises = |i: usize| {
            let (a, b) = (&self.v[i], &self.v[i + 1]);
            cmp_products(qx, b.x - a.x, -qy, b.y - a.y) == Greater
        };
        let i = partition(self.v.len() - 1, rises);
        let mut m = self.v[i].meta;
        if i + 1 < self.v.len() {
            let (a, b) = (&self.v[i], &self.v[i + 1]);
            if cmp_products(qx, b.x - a.x, -qy, b.y - a.y) == Equal {
                m.merge(&a.edge);
                m.merge(&b.meta);
            }
        }
        m
    }
}

/// The first index in 0..n where `pred` is false (pred true then false).
fn partition(n: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// A 2D hardmax head answered from incremental convex hulls: O(log n)
/// queries, amortised O(log n) inserts (plus a memmove of the hull), and
/// only keys that can still win are kept.
///
/// Exact for keys and queries whose coordinates are integers below 2^120
/// (every predicate is a 256-bit integer comparison), which is the domain
/// the model's heads live in. Outside it the cache reports
/// [`HullCache::left_exact_domain`] and answers by rounding to integers.
#[derive(Debug, Clone, Default)]
pub struct HullCache {
    upper: Chain,
    /// The upper hull of (x, -y): maximises for qy < 0.
    lower: Chain,
    all: Meta,
    max_x: Option<(i128, Meta)>,
    min_x: Option<(i128, Meta)>,
    seq: u64,
    inexact: bool,
}

impl HullCache {
    pub fn left_exact_domain(&self) -> bool {
        self.inexact
    }

    fn coord(&mut self, v: f64) -> i128 {
        exact(v).unwrap_or_else(|| {
            self.inexact = true;
            v.round().clamp(-(2f64.powi(120)), 2f64.powi(120)) as i128
        })
    }
}

impl KvCache for HullCache {
    const SHORTCUTS: bool = true;

    fn insert(&mut self, key: [f64; 2], value: [f64; 2]) {
        self.seq += 1;
        let meta = Meta::one(value, self.seq);
        let (x, y) = (self.coord(key[0]), self.coord(key[1]));
        self.all.merge(&meta);
        let more = x > self.max_x.map_or(i128::MIN, |m| m.0);
        let less = x < self.min_x.map_or(i128::MAX, |m| m.0);
        for (ext, better) in [(&mut self.max_x, more), (&mut self.min_x, less)] {
            match ext {
                Some((ex, m)) if *ex == x => m.merge(&meta),
                _ if better => *ext = Some((x, meta)),
                _ => {}
            }
        }
        self.upper.insert(x, y, meta);
        self.lower.insert(x, -y, meta);
    }

    fn query(&mut self, q: [f64; 2], tie: Tie) -> [f64; 2] {
        let (qx, qy) = (self.coord(q[0]), self.coord(q[1]));
        let m = match qy.cmp(&0) {
            std::cmp::Ordering::Greater => self.upper.best(qx, qy),
            std::cmp::Ordering::Less => self.lower.best(qx, -qy),
            std::cmp::Ordering::Equal => match qx.cmp(&0) {
                std::cmp::Ordering::Greater => self.max_x.map(|m| m.1).unwrap_or_default(),
                std::cmp::Ordering::Less => self.min_x.map(|m| m.1).unwrap_or_default(),
                std::cmp::Ordering::Equal => self.all,
            },
        };
        m.resolve(tie)
    }

    fn retained(&self) -> usize {
        self.upper.v.len() + self.lower.v.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn wide_products_compare_exactly() {
        let big = 1i128 << 110;
        assert_eq!(
            cmp_products(big, big, big, big - 1),
            std::cmp::Ordering::Greater
        );
        assert_eq!(
            cmp_products(-big, big, big, -big),
            std::cmp::Ordering::Equal
        );
        assert_eq!(cmp_products(-3, 5, 2, -7), std::cmp::Ordering::Less);
        assert_eq!(cmp_products(0, 5, -1, 1), std::cmp::Ordering::Greater);
    }

    fn coord() -> impl Strategy<Value = f64> {
        prop_oneof![
            3 => (-6i64..6).prop_map(|v| v as f64),
            2 => (-1000i64..1000).prop_map(|v| v as f64),
            1 => prop::sample::select(vec![0.0, 1.0, -1.0, 1e15, -1e15, 2f64.powi(60), -1e30]),
        ]
    }

    fn point() -> impl Strategy<Value = [f64; 2]> {
        [coord(), coord()]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        /// Random keys (duplicates, collinear runs, huge and tiny values),
        /// queries after every insert: the hull answers what brute force does.
        #[test]
        fn hull_matches_brute_force(
            keys in prop::collection::vec(point(), 1..60),
            queries in prop::collection::vec((-8i64..8, -3i64..4), 1..8),
        ) {
            let mut hull = HullCache::default();
            let mut brute = BruteCache::default();
            for (i, k) in keys.iter().enumerate() {
                let value = [i as f64, (i * i % 7) as f64];
                hull.insert(*k, value);
                brute.insert(*k, value);
                for &(qx, qy) in &queries {
                    let q = [qx as f64, qy as f64];
                    for tie in [Tie::Latest, Tie::Average] {
                        prop_assert_eq!(hull.query(q, tie), brute.query(q, tie), "keys {:?} query {:?} {:?}", &keys[..=i], q, tie);
                    }
                }
            }
            prop_assert!(!hull.left_exact_domain());
        }
    }

    #[test]
    fn collinear_points_all_tie_and_interior_points_are_dropped() {
        let mut hull = HullCache::default();
        for i in 0..100 {
            hull.insert([i as f64, 0.0], [i as f64, 1.0]);
        }
        // A query perpendicular to the line: every point ties.
        assert_eq!(hull.query([0.0, 1.0], Tie::Average), [49.5, 1.0]);
        assert_eq!(hull.query([0.0, 1.0], Tie::Latest), [99.0, 1.0]);
        assert_eq!(hull.query([1.0, 1.0], Tie::Latest), [99.0, 1.0]);
        // Only the two ends are vertices (the rest live in the edge).
        assert!(hull.retained() <= 4, "{}", hull.retained());
        // A parabola: every point is a vertex of the upper hull only.
        let mut parabola = HullCache::default();
        for k in 0..50i64 {
            parabola.insert([2.0 * k as f64, -(k * k) as f64], [k as f64, 0.0]);
        }
        assert_eq!(parabola.query([17.0, 1.0], Tie::Latest), [17.0, 0.0]);
        assert!(parabola.retained() <= 52);
    }
}

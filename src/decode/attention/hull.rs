//! Incremental convex hulls: O(log n) queries for 2D hardmax heads.

use super::exact::{cmp_products, exact};
use super::KvCache;
use crate::weights::Tie;

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
    /// Vertices kept on both chains.
    #[cfg(test)]
    fn vertices(&self) -> usize {
        self.upper.v.len() + self.lower.v.len()
    }

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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::attention::BruteCache;
    use proptest::prelude::*;

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
        assert!(hull.vertices() <= 4, "{}", hull.vertices());
        // A parabola: every point is a vertex of the upper hull only.
        let mut parabola = HullCache::default();
        for k in 0..50i64 {
            parabola.insert([2.0 * k as f64, -(k * k) as f64], [k as f64, 0.0]);
        }
        assert_eq!(parabola.query([17.0, 1.0], Tie::Latest), [17.0, 0.0]);
        assert!(parabola.vertices() <= 52);
    }
}

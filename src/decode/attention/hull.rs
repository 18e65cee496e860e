//! Incremental convex hulls: O(log n) queries for 2D hardmax heads.

use super::exact::{cmp_products, raise, KeyScale};
use super::{ExactSum, Inexact, KvCache};
use crate::weights::Tie;

/// Values that tie at one place: their sum (for averages) and the latest.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Meta {
    sum: ExactSum,
    last_seq: u64,
    last: [f64; 2],
}

impl Meta {
    fn one(value: [f64; 2], seq: u64) -> Meta {
        Meta {
            sum: ExactSum::one(value),
            last_seq: seq,
            last: value,
        }
    }

    fn merge(&mut self, o: &Meta) {
        if o.sum.count() == 0 {
            return;
        }
        if self.sum.count() == 0 {
            *self = *o;
            return;
        }
        self.sum.merge(&o.sum);
        if o.last_seq > self.last_seq {
            self.last_seq = o.last_seq;
            self.last = o.last;
        }
    }

    fn resolve(&self, tie: Tie) -> Result<[f64; 2], Inexact> {
        match tie {
            Tie::Latest => Ok(self.last),
            Tie::Average => self.sum.average(),
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
#[inline]
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
/// Every predicate is a 256-bit integer comparison on keys and queries
/// scaled to integers by powers of two, so the answer is exact; keys or
/// queries that do not fit are refused as [`Inexact`].
#[derive(Debug, Clone, Default)]
pub struct HullCache {
    upper: Chain,
    /// The upper hull of (x, -y): maximises for qy < 0.
    lower: Chain,
    all: Meta,
    max_x: Option<(i128, Meta)>,
    min_x: Option<(i128, Meta)>,
    seq: u64,
    scale: KeyScale,
}

impl HullCache {
    /// Vertices kept on both chains.
    #[cfg(test)]
    fn vertices(&self) -> usize {
        self.upper.v.len() + self.lower.v.len()
    }

    /// Moves every stored key to a scale `by` bits finer: scaling keeps
    /// the hulls' shape, so only coordinates change.
    fn raise_keys(&mut self, by: u32) {
        for v in self.upper.v.iter_mut().chain(self.lower.v.iter_mut()) {
            (v.x, v.y) = (raise(v.x, by), raise(v.y, by));
        }
        for (x, _) in self.max_x.iter_mut().chain(self.min_x.iter_mut()) {
            *x = raise(*x, by);
        }
    }
}

impl KvCache for HullCache {
    const SHORTCUTS: bool = true;

    fn insert(&mut self, key: [f64; 2], value: [f64; 2]) -> Result<(), Inexact> {
        let (k, by) = self.scale.admit(key)?;
        if by > 0 {
            self.raise_keys(by);
        }
        self.insert_scaled(k, value);
        Ok(())
    }

    fn insert_integer(&mut self, key: [i128; 2], value: [f64; 2]) -> Result<(), Inexact> {
        let k = self.scale.admit_integer(key)?;
        self.insert_scaled(k, value);
        Ok(())
    }

    fn query_integer(&mut self, q: [i128; 2], _shift: u32, tie: Tie) -> Result<[f64; 2], Inexact> {
        let [qx, qy] = q;
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

impl HullCache {
    /// A key already at the common scale.
    #[inline]
    fn insert_scaled(&mut self, [x, y]: [i128; 2], value: [f64; 2]) {
        self.seq += 1;
        let meta = Meta::one(value, self.seq);
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

    /// Coordinates off the integers: dyadic fractions, a 1.3 scale (52
    /// binary digits), and ones too fine to share a scale with large keys.
    fn fractional() -> impl Strategy<Value = f64> {
        prop_oneof![
            4 => coord(),
            2 => (-64i64..64).prop_map(|v| v as f64 / 8.0),
            2 => (-1000i64..1000).prop_map(|v| v as f64 * 1.3),
            1 => prop::sample::select(vec![1e-30, 0.1, -2f64.powi(-70)]),
        ]
    }

    /// Keys on a small grid tie often, so averages are taken.
    fn tying_key() -> impl Strategy<Value = [f64; 2]> {
        (0i64..3, 0i64..2).prop_map(|(x, y)| [x as f64 / 2.0, y as f64])
    }

    /// Values whose sums often round.
    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            fractional(),
            (-1000i64..1000, 0i32..60).prop_map(|(m, e)| m as f64 * 0.1 * 2f64.powi(e)),
        ]
    }

    fn point() -> impl Strategy<Value = [f64; 2]> {
        [coord(), coord()]
    }

    /// Hull and brute force on the same inserts and queries: the same
    /// answer, or an exactness refusal. Keys and queries are refused by
    /// both alike; an average only by the cache whose summation rounded.
    fn agree(
        keys: &[[f64; 2]],
        values: &[[f64; 2]],
        queries: &[[f64; 2]],
    ) -> Result<(), TestCaseError> {
        let mut hull = HullCache::default();
        let mut brute = BruteCache::default();
        for (i, (&k, &v)) in keys.iter().zip(values).enumerate() {
            let inserted = hull.insert(k, v);
            prop_assert_eq!(inserted, brute.insert(k, v));
            if inserted.is_err() {
                return Ok(());
            }
            for &q in queries {
                for tie in [Tie::Latest, Tie::Average] {
                    match (hull.query(q, tie), brute.query(q, tie)) {
                        (Err(Inexact::Average), _) | (_, Err(Inexact::Average)) => {}
                        (h, b) => {
                            prop_assert_eq!(h, b, "keys {:?} query {:?} {:?}", &keys[..=i], q, tie)
                        }
                    }
                }
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        /// Random integer keys (duplicates, collinear runs, huge and tiny
        /// values), queries after every insert: the hull answers what brute
        /// force does, and never refuses.
        #[test]
        fn hull_matches_brute_force(
            keys in prop::collection::vec(point(), 1..60),
            queries in prop::collection::vec((-8i64..8, -3i64..4), 1..8),
        ) {
            let mut hull = HullCache::default();
            let mut brute = BruteCache::default();
            for (i, k) in keys.iter().enumerate() {
                let value = [i as f64, (i * i % 7) as f64];
                hull.insert(*k, value).unwrap();
                brute.insert(*k, value).unwrap();
                for &(qx, qy) in &queries {
                    let q = [qx as f64, qy as f64];
                    for tie in [Tie::Latest, Tie::Average] {
                        let h = hull.query(q, tie).unwrap();
                        prop_assert_eq!(h, brute.query(q, tie).unwrap(), "keys {:?} query {:?} {:?}", &keys[..=i], q, tie);
                    }
                }
            }
        }

        /// Fractional keys, queries and values: still the same answers,
        /// and refusals instead of rounding.
        #[test]
        fn hull_matches_brute_force_off_the_integers(
            keys in prop::collection::vec(prop_oneof![[fractional(), fractional()], tying_key()], 1..40),
            values in prop::collection::vec([value(), value()], 40),
            queries in prop::collection::vec([fractional(), fractional()], 1..6),
        ) {
            agree(&keys, &values, &queries)?;
        }
    }

    #[test]
    fn collinear_points_all_tie_and_interior_points_are_dropped() {
        let mut hull = HullCache::default();
        for i in 0..100 {
            hull.insert([i as f64, 0.0], [i as f64, 1.0]).unwrap();
        }
        // A query perpendicular to the line: every point ties.
        assert_eq!(hull.query([0.0, 1.0], Tie::Average), Ok([49.5, 1.0]));
        assert_eq!(hull.query([0.0, 1.0], Tie::Latest), Ok([99.0, 1.0]));
        assert_eq!(hull.query([1.0, 1.0], Tie::Latest), Ok([99.0, 1.0]));
        // Only the two ends are vertices (the rest live in the edge).
        assert!(hull.vertices() <= 4, "{}", hull.vertices());
        // A parabola: every point is a vertex of the upper hull only.
        let mut parabola = HullCache::default();
        for k in 0..50i64 {
            let key = [2.0 * k as f64, -(k * k) as f64];
            parabola.insert(key, [k as f64, 0.0]).unwrap();
        }
        assert_eq!(parabola.query([17.0, 1.0], Tie::Latest), Ok([17.0, 0.0]));
        assert!(parabola.vertices() <= 52);
    }

    /// A query scaled by 1.3 is answered as the weights say, not rounded
    /// back to the integer query it came from.
    #[test]
    fn a_fractional_query_is_not_rounded() {
        let mut hull = HullCache::default();
        let mut brute = BruteCache::default();
        for k in 0..10i64 {
            let key = [2.0 * k as f64, -(k * k) as f64];
            hull.insert(key, [k as f64, 0.0]).unwrap();
            brute.insert(key, [k as f64, 0.0]).unwrap();
        }
        // score(j) = 2 qx j - qy j^2 peaks at qx / qy = 4.33: j = 4.
        // Rounding the query to (3, 1) would pick 3.
        let q = [2.6, 0.6];
        assert_eq!(hull.query(q, Tie::Latest), Ok([4.0, 0.0]));
        assert_eq!(brute.query(q, Tie::Latest), Ok([4.0, 0.0]));
        // Peak at 4.5: 4 and 5 tie exactly.
        let q = [2.25, 0.5];
        assert_eq!(hull.query(q, Tie::Average), Ok([4.5, 0.0]));
        assert_eq!(brute.query(q, Tie::Average), Ok([4.5, 0.0]));
    }

    /// Values whose sum rounds in f64 are not averaged: the order of the
    /// additions would decide the result.
    #[test]
    fn averages_of_rounding_sums_are_refused() {
        let mut hull = HullCache::default();
        let mut brute = BruteCache::default();
        for v in [1e16, 1.0, -1e16] {
            hull.insert([0.0, 0.0], [v, 0.0]).unwrap();
            brute.insert([0.0, 0.0], [v, 0.0]).unwrap();
        }
        assert_eq!(brute.query([1.0, 1.0], Tie::Average), Err(Inexact::Average));
        assert_eq!(hull.query([1.0, 1.0], Tie::Average), Err(Inexact::Average));
        assert_eq!(hull.query([1.0, 1.0], Tie::Latest), Ok([-1e16, 0.0]));
    }
}

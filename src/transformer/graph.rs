//! A computation graph over residual dimensions, and an exact evaluator.
//!
//! Every quantity the transformer computes is a [`Dim`]: a scalar that will
//! live in one residual slot. A dim is born in one of three ways:
//!
//! - **input**: written by the token embedding (or a position feature);
//! - **lookup**: one output of a 2D attention head ([`Lookup`]);
//! - **ffn**: a sum of ReGLU units `coef * relu(gate) * value` ([`Ffn`]),
//!   where gate and value are linear [`Expr`]s over earlier dims.
//!
//! Linear combinations are free (they fold into the next projection), so
//! the graph only records the nonlinear steps. The machine (`machine.rs`)
//! is written in this vocabulary; the scheduler places each node in a layer
//! and the weight writer turns it into matrices.
//!
//! Exactness: every dim holds an integer (cumulative sums are rounded back
//! to integers right after their averaging head), so attention scores are
//! exact integers and ties are exact. The evaluator here checks that with
//! rational arithmetic and no weights at all.

pub use crate::weights::Tie;
use std::collections::HashMap;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Dim(pub u32);

/// A linear combination of dims. The constant term is the coefficient of
/// [`Graph::ONE`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Expr {
    pub(crate) terms: Vec<(Dim, f64)>,
}

impl Expr {
    pub fn zero() -> Expr {
        Expr::default()
    }

    pub fn constant(c: f64) -> Expr {
        Expr::from(Graph::ONE) * c
    }

    fn normalised(mut terms: Vec<(Dim, f64)>) -> Expr {
        terms.sort_by_key(|t| t.0);
        let mut out: Vec<(Dim, f64)> = Vec::with_capacity(terms.len());
        for (d, c) in terms {
            match out.last_mut() {
                Some(last) if last.0 == d => last.1 += c,
                _ => out.push((d, c)),
            }
        }
        out.retain(|t| t.1 != 0.0);
        Expr { terms: out }
    }

    pub(crate) fn dims(&self) -> impl Iterator<Item = Dim> + '_ {
        self.terms.iter().map(|t| t.0)
    }
}

impl From<Dim> for Expr {
    fn from(d: Dim) -> Expr {
        Expr {
            terms: vec![(d, 1.0)],
        }
    }
}

impl From<&Expr> for Expr {
    fn from(e: &Expr) -> Expr {
        e.clone()
    }
}

impl<T: Into<Expr>> std::ops::Add<T> for Expr {
    type Output = Expr;
    fn add(self, rhs: T) -> Expr {
        let mut t = self.terms;
        t.extend(rhs.into().terms);
        Expr::normalised(t)
    }
}

impl<T: Into<Expr>> std::ops::Sub<T> for Expr {
    type Output = Expr;
    fn sub(self, rhs: T) -> Expr {
        self + rhs.into() * -1.0
    }
}

impl std::ops::Add<f64> for Expr {
    type Output = Expr;
    fn add(self, c: f64) -> Expr {
        self + Expr::constant(c)
    }
}

impl std::ops::Sub<f64> for Expr {
    type Output = Expr;
    fn sub(self, c: f64) -> Expr {
        self + Expr::constant(-c)
    }
}

impl std::ops::Mul<f64> for Expr {
    type Output = Expr;
    fn mul(self, c: f64) -> Expr {
        Expr::normalised(self.terms.into_iter().map(|(d, k)| (d, k * c)).collect())
    }
}

impl std::ops::Neg for Expr {
    type Output = Expr;
    fn neg(self) -> Expr {
        self * -1.0
    }
}

macro_rules! dim_ops {
    ($($tr:ident $f:ident),*) => {$(
        impl<T: Into<Expr>> std::ops::$tr<T> for Dim {
            type Output = Expr;
            fn $f(self, rhs: T) -> Expr { std::ops::$tr::$f(Expr::from(self), rhs) }
        }
        impl std::ops::$tr<f64> for Dim {
            type Output = Expr;
            fn $f(self, rhs: f64) -> Expr { std::ops::$tr::$f(Expr::from(self), rhs) }
        }
    )*};
}
dim_ops!(Add add, Sub sub);

impl std::ops::Mul<f64> for Dim {
    type Output = Expr;
    fn mul(self, c: f64) -> Expr {
        Expr::from(self) * c
    }
}

/// One 2D attention head: score `q . k` over positions up to the current
/// one, hardmax with the given tie rule, up to two values.
#[derive(Debug, Clone)]
pub(crate) struct Lookup {
    pub name: String,
    pub query: [Expr; 2],
    pub key: [Expr; 2],
    pub(crate) values: Vec<Expr>,
    pub tie: Tie,
    pub outputs: Vec<Dim>,
}

/// `coef * relu(gate) * value`: one FFN neuron pair.
#[derive(Debug, Clone)]
pub struct Unit {
    pub(crate) gate: Expr,
    pub value: Expr,
    pub(crate) coef: f64,
}

/// An FFN node: the sum of its units, written into one dim.
#[derive(Debug, Clone)]
pub(crate) struct Ffn {
    pub(crate) units: Vec<Unit>,
    pub output: Dim,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Producer {
    /// Set by the token embedding.
    Input,
    /// A position feature added to the embedding.
    Position(PositionFeature),
    Lookup(usize),
    Ffn(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum PositionFeature {
    /// p
    Linear,
    /// p^2
    Square,
}

impl PositionFeature {
    pub fn value(self, p: usize) -> f64 {
        match self {
            PositionFeature::Linear => p as f64,
            PositionFeature::Square => (p as f64) * (p as f64),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct DimInfo {
    /// The FFN or lookup that produces the dim.
    pub name: String,
    pub(crate) producer: Producer,
}

/// Subtracted from the key of a position that must not match.
pub(crate) const CLEAR: f64 = 1e30;

/// Adding and removing this constant rounds an f64 to the nearest integer
/// (the spacing of doubles near it is exactly 1).
pub(crate) const ROUNDING: f64 = 6755399441055744.0; // 1.5 * 2^52

#[derive(Debug, Clone, Default)]
pub(crate) struct Graph {
    pub(crate) dims: Vec<DimInfo>,
    pub(crate) lookups: Vec<Lookup>,
    pub(crate) ffns: Vec<Ffn>,
    /// Dims the output scores read (kept alive to the end).
    pub outputs: Vec<Dim>,
}

impl Graph {
    /// The constant 1 (an input every token sets).
    pub(crate) const ONE: Dim = Dim(0);
    pub(crate) const POSITION: Dim = Dim(1);
    pub(crate) const POSITION_SQ: Dim = Dim(2);

    pub fn new() -> Graph {
        let mut g = Graph::default();
        g.new_dim("one", Producer::Input);
        g.new_dim("position", Producer::Position(PositionFeature::Linear));
        g.new_dim("position_sq", Producer::Position(PositionFeature::Square));
        g
    }

    fn new_dim(&mut self, name: &str, producer: Producer) -> Dim {
        self.dims.push(DimInfo {
            name: name.to_string(),
            producer,
        });
        Dim(self.dims.len() as u32 - 1)
    }

    /// The dims a lookup or an FFN reads.
    pub(crate) fn reads(&self, p: Producer) -> Vec<Dim> {
        match p {
            Producer::Lookup(l) => {
                let l = &self.lookups[l];
                l.query
                    .iter()
                    .chain(&l.key)
                    .chain(&l.values)
                    .flat_map(|e| e.dims())
                    .collect()
            }
            Producer::Ffn(f) => self.ffns[f]
                .units
                .iter()
                .flat_map(|u| u.gate.dims().chain(u.value.dims()))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// A dim's name: test messages, and finding a node's units by name.
    pub(crate) fn name(&self, d: Dim) -> &str {
        &self.dims[d.0 as usize].name
    }

    /// A token feature, set by the embedding.
    pub fn input(&mut self, name: &str) -> Dim {
        self.new_dim(name, Producer::Input)
    }

    /// A sum of ReGLU units.
    pub fn ffn(&mut self, name: &str, units: Vec<Unit>) -> Dim {
        let output = self.new_dim(name, Producer::Ffn(self.ffns.len()));
        self.ffns.push(Ffn { units, output });
        output
    }

    /// `a * relu(b)`; equals `a * b` when b is known to be non-negative.
    pub(crate) fn relu_mul(&mut self, name: &str, a: impl Into<Expr>, b: impl Into<Expr>) -> Dim {
        self.ffn(name, vec![unit(b, a, 1.0)])
    }

    /// `a * b` for any sign of b.
    pub fn mul(&mut self, name: &str, a: impl Into<Expr>, b: impl Into<Expr>) -> Dim {
        let (a, b) = (a.into(), b.into());
        self.ffn(
            name,
            vec![unit(b.clone(), a.clone(), 1.0), unit(-b, a, -1.0)],
        )
    }

    /// `a * [b >= 0]` for integer b: `a * (relu(b + 1) - relu(b))`.
    pub fn step(&mut self, name: &str, a: impl Into<Expr>, b: impl Into<Expr>) -> Dim {
        self.ffn(name, step_units(a, b))
    }

    /// Materialise a linear expression in a slot of its own.
    pub(crate) fn persist(&mut self, name: &str, e: impl Into<Expr>) -> Dim {
        self.ffn(name, vec![unit(Graph::ONE, e, 1.0)])
    }

    /// The nearest integer to `x` (x within 1/2 of it), exactly, by the
    /// rounding constant.
    pub fn round(&mut self, name: &str, x: impl Into<Expr>) -> Dim {
        self.ffn(
            name,
            vec![
                unit(x.into() + ROUNDING, Graph::ONE, 1.0),
                unit(Graph::ONE, Graph::ONE, -ROUNDING),
            ],
        )
    }

    /// A raw 2D head.
    pub(crate) fn lookup2d(
        &mut self,
        name: &str,
        query: [Expr; 2],
        key: [Expr; 2],
        values: Vec<Expr>,
        tie: Tie,
    ) -> Vec<Dim> {
        assert!(
            (1..=2).contains(&values.len()),
            "a 2D head carries 1 or 2 values"
        );
        let idx = self.lookups.len();
        let outputs = (0..values.len())
            .map(|i| {
                let n = if values.len() == 1 {
                    name.to_string()
                } else {
                    format!("{name}[{i}]")
                };
                self.new_dim(&n, Producer::Lookup(idx))
            })
            .collect();
        self.lookups.push(Lookup {
            name: name.to_string(),
            query,
            key,
            values,
            tie,
            outputs: Vec::clone(&outputs),
        });
        outputs
    }

    /// The values at the latest position whose `key` equals `query`,
    /// ignoring positions where `clear` is positive (clear must be 0 or a
    /// positive integer). `key_sq` must equal key^2 at every position.
    pub(crate) fn lookup(
        &mut self,
        name: &str,
        query: impl Into<Expr>,
        key: impl Into<Expr>,
        key_sq: impl Into<Expr>,
        clear: Option<Expr>,
        values: Vec<Expr>,
    ) -> Vec<Dim> {
        // score = 2qk - k^2 = q^2 - (q-k)^2: largest exactly where k = q.
        let mut ky = -key_sq.into();
        if let Some(c) = clear {
            // One dim carries the clear flag: a sum like `1e30 - 1e30*x - k^2`
            // would lose k^2 to rounding before the large terms cancel.
            let c = if c.terms.len() > 1 {
                self.persist(&format!("{name}.clear"), c).into()
            } else {
                c
            };
            ky = ky - c * CLEAR;
        }
        self.lookup2d(
            name,
            [query.into(), Expr::constant(1.0)],
            [key.into() * 2.0, ky],
            values,
            Tie::Latest,
        )
    }

    /// Running sums over every position so far, as exact integers: an
    /// averaging head, times the number of positions, rounded.
    pub(crate) fn cumsum(&mut self, name: &str, values: Vec<Expr>) -> Vec<Dim> {
        let zero = || Expr::zero();
        let avgs = self.lookup2d(
            &format!("{name}.avg"),
            [zero(), zero()],
            [zero(), zero()],
            values,
            Tie::Average,
        );
        avgs.iter()
            .enumerate()
            .map(|(i, &avg)| {
                let n = format!("{name}[{i}]");
                let count = Graph::POSITION + 1.0;
                let scaled = self.relu_mul(&format!("{n}.scaled"), avg, count);
                self.round(&n, scaled)
            })
            .collect()
    }

    /// The square of an expression (for a lookup key), as a dim.
    pub(crate) fn square(&mut self, name: &str, e: impl Into<Expr>) -> Dim {
        let e = e.into();
        self.mul(name, e.clone(), e)
    }

    pub(crate) fn mark_output(&mut self, d: Dim) {
        if !self.outputs.contains(&d) {
            self.outputs.push(d);
        }
    }
}

pub fn unit(gate: impl Into<Expr>, value: impl Into<Expr>, coef: f64) -> Unit {
    Unit {
        gate: gate.into(),
        value: value.into(),
        coef,
    }
}

/// The two units of `a * [b >= 0]` (b integer).
pub(crate) fn step_units(a: impl Into<Expr>, b: impl Into<Expr>) -> Vec<Unit> {
    let (a, b) = (a.into(), b.into());
    vec![unit(b.clone() + 1.0, a.clone(), 1.0), unit(b, a, -1.0)]
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.terms.is_empty() {
            return f.write_str("0");
        }
        for (i, (d, c)) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(" + ")?;
            }
            write!(f, "{c}*d{}", d.0)?;
        }
        Ok(())
    }
}

/// Evaluates a graph token by token with exact rational arithmetic and no
/// weights: the second reference between the ISA interpreter and the model.
pub(crate) struct Evaluator<'g> {
    graph: &'g Graph,
    /// Node order: each lookup and ffn after the dims it reads.
    order: Vec<Producer>,
    /// Per position: every dim's value.
    history: Vec<Vec<Rational>>,
}

impl<'g> Evaluator<'g> {
    pub fn new(graph: &'g Graph) -> Self {
        Evaluator {
            graph,
            order: topological_order(graph),
            history: Vec::new(),
        }
    }

    /// Feed the next token's input features; returns every dim's value.
    pub fn step(&mut self, inputs: &HashMap<Dim, f64>) -> &[Rational] {
        let g = self.graph;
        let p = self.history.len();
        let mut v = vec![Rational::ZERO; g.dims.len()];
        for (i, info) in g.dims.iter().enumerate() {
            match info.producer {
                Producer::Input => {
                    v[i] = Rational::from_f64(inputs.get(&Dim(i as u32)).copied().unwrap_or(0.0))
                }
                Producer::Position(f) => v[i] = Rational::from_f64(f.value(p)),
                _ => {}
            }
        }
        self.history.push(v);
        for i in 0..self.order.len() {
            match self.order[i] {
                Producer::Lookup(l) => self.eval_lookup(&g.lookups[l]),
                Producer::Ffn(f) => {
                    let ffn = &g.ffns[f];
                    let cur = self.history.last().unwrap();
                    let mut sum = Rational::ZERO;
                    for u in &ffn.units {
                        let gate = eval(&u.gate, cur);
                        if gate.is_positive() {
                            sum = sum + gate * eval(&u.value, cur) * Rational::from_f64(u.coef);
                        }
                    }
                    // The rounding pair computes x exactly here; in f64 it
                    // removes the error of the averaging head.
                    self.history.last_mut().unwrap()[ffn.output.0 as usize] = sum;
                }
                _ => {}
            }
        }
        self.history.last().unwrap()
    }

    fn eval_lookup(&mut self, l: &Lookup) {
        let cur = self.history.last().unwrap();
        let q = [eval(&l.query[0], cur), eval(&l.query[1], cur)];
        let mut best: Option<Rational> = None;
        let mut winners: Vec<usize> = Vec::new();
        for (j, row) in self.history.iter().enumerate() {
            let s = q[0] * eval(&l.key[0], row) + q[1] * eval(&l.key[1], row);
            match best {
                Some(b) if s < b => {}
                Some(b) if s == b => winners.push(j),
                _ => {
                    best = Some(s);
                    winners.clear();
                    winners.push(j);
                }
            }
        }
        let out: Vec<Rational> = l
            .values
            .iter()
            .map(|val| match l.tie {
                Tie::Latest => eval(val, &self.history[*winners.last().unwrap()]),
                Tie::Average => {
                    let sum = winners
                        .iter()
                        .fold(Rational::ZERO, |a, &j| a + eval(val, &self.history[j]));
                    sum * Rational::new(1, winners.len() as i128)
                }
            })
            .collect();
        let cur = self.history.last_mut().unwrap();
        for (d, x) in l.outputs.iter().zip(out) {
            cur[d.0 as usize] = x;
        }
    }
}

fn eval(e: &Expr, values: &[Rational]) -> Rational {
    e.terms.iter().fold(Rational::ZERO, |acc, &(d, c)| {
        acc + values[d.0 as usize] * Rational::from_f64(c)
    })
}

/// Lookups and ffns in an order where each comes after what it reads.
pub(crate) fn topological_order(g: &Graph) -> Vec<Producer> {
    let mut done = vec![false; g.dims.len()];
    for (i, d) in g.dims.iter().enumerate() {
        done[i] = matches!(d.producer, Producer::Input | Producer::Position(_));
    }
    let reads = |p: Producer| g.reads(p);
    let outputs = |p: Producer| -> Vec<Dim> {
        match p {
            Producer::Lookup(l) => g.lookups[l].outputs.clone(),
            Producer::Ffn(f) => vec![g.ffns[f].output],
            _ => Vec::new(),
        }
    };
    let mut pending: Vec<Producer> = (0..g.lookups.len())
        .map(Producer::Lookup)
        .chain((0..g.ffns.len()).map(Producer::Ffn))
        .collect();
    let mut order = Vec::new();
    while !pending.is_empty() {
        let before = pending.len();
        pending.retain(|&p| {
            if reads(p).iter().all(|d| done[d.0 as usize]) {
                for d in outputs(p) {
                    done[d.0 as usize] = true;
                }
                order.push(p);
                false
            } else {
                true
            }
        });
        assert!(pending.len() < before, "the graph has a cycle");
    }
    order
}

/// An exact rational number (small numerators: the machine's values are
/// integers below 2^40 and averages of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rational {
    num: i128,
    den: i128,
}

impl Rational {
    pub(crate) const ZERO: Rational = Rational { num: 0, den: 1 };

    pub fn new(num: i128, den: i128) -> Rational {
        let g = gcd(num.unsigned_abs(), den.unsigned_abs()).max(1) as i128;
        let s = if den < 0 { -1 } else { 1 };
        Rational {
            num: s * num / g,
            den: s * den / g,
        }
    }

    /// Exact for the dyadic values the graph uses (integers, halves, 1e30).
    pub(crate) fn from_f64(x: f64) -> Rational {
        if x.fract() == 0.0 {
            return Rational::new(x as i128, 1);
        }
        let mut den = 1i128;
        let mut y = x;
        while y.fract() != 0.0 {
            y *= 2.0;
            den *= 2;
        }
        Rational::new(y as i128, den)
    }

    pub(crate) fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    pub(crate) fn is_positive(self) -> bool {
        self.num > 0
    }

    #[cfg(test)]
    pub(crate) fn is_integer(self) -> bool {
        self.den == 1
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl std::ops::Add for Rational {
    type Output = Rational;
    fn add(self, o: Rational) -> Rational {
        if self.den == 1 && o.den == 1 {
            return Rational {
                num: self.num + o.num,
                den: 1,
            };
        }
        Rational::new(self.num * o.den + o.num * self.den, self.den * o.den)
    }
}

impl std::ops::Mul for Rational {
    type Output = Rational;
    fn mul(self, o: Rational) -> Rational {
        if self.den == 1 && o.den == 1 {
            return Rational {
                num: self.num * o.num,
                den: 1,
            };
        }
        Rational::new(self.num * o.num, self.den * o.den)
    }
}

impl PartialOrd for Rational {
    fn partial_cmp(&self, o: &Rational) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for Rational {
    fn cmp(&self, o: &Rational) -> std::cmp::Ordering {
        (self.num * o.den).cmp(&(o.num * self.den))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cumsum_is_an_exact_integer_and_lookup_takes_the_latest_match() {
        let mut g = Graph::new();
        let delta = g.input("delta");
        let key = g.input("key");
        let val = g.input("val");
        let sum = g.cumsum("sum", vec![delta.into()])[0];
        let key_sq = g.square("key_sq", key);
        let found = g.lookup(
            "found",
            Expr::constant(3.0),
            key,
            key_sq,
            None,
            vec![val.into()],
        )[0];
        let mut ev = Evaluator::new(&g);
        let rows = [
            (1.0, 3.0, 10.0),
            (-1.0, 2.0, 20.0),
            (2.0, 3.0, 30.0),
            (1.0, 5.0, 40.0),
        ];
        let mut total = 0.0;
        for (d, k, v) in rows {
            total += d;
            let out = ev.step(&HashMap::from([
                (Graph::ONE, 1.0),
                (delta, d),
                (key, k),
                (val, v),
            ]));
            assert_eq!(out[sum.0 as usize], Rational::from_f64(total));
            assert!(out[sum.0 as usize].is_integer());
        }
        // After all rows, the latest row with key 3 holds 30.
        let last = ev.history.last().unwrap();
        assert_eq!(last[found.0 as usize], Rational::from_f64(30.0));
    }

    #[test]
    fn step_units_are_a_step_for_integers() {
        let mut g = Graph::new();
        let x = g.input("x");
        let s = g.step("s", Graph::ONE, x);
        let mut ev = Evaluator::new(&g);
        for (xv, want) in [(-3.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (7.0, 1.0)] {
            let out = ev.step(&HashMap::from([(Graph::ONE, 1.0), (x, xv)]));
            assert_eq!(out[s.0 as usize].to_f64(), want, "x = {xv}");
        }
    }
}

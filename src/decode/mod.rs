//! The decoder: embedding plus position features, then per layer 2D
//! attention heads and a ReGLU FFN, then the argmax of the output scores.
//!
//! Every generated token is the argmax of logits computed from the weight
//! matrices; nothing here knows what the machine means. The projections are
//! stored sparse (the weights are ~98% zeros) and evaluated in row order, so
//! every run adds the same numbers in the same order.

pub mod attention;

use crate::isa::{Program, Token, TokenKind};
use crate::transformer::graph::Tie;
use crate::weights::Model;
use attention::{KvCache, Margin, MarginCache};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// A sparse matrix: only its non-empty rows, each a run of (column, value).
#[derive(Debug, Clone, Default)]
pub struct Csr {
    /// (row, start, end) into `col`/`val`, for rows with a non-zero.
    rows: Vec<(u32, u32, u32)>,
    /// (start, end) of every row, empty rows included.
    by_row: Vec<(u32, u32)>,
    col: Vec<u32>,
    val: Vec<f64>,
    n_rows: usize,
    n_cols: usize,
}

impl Csr {
    pub fn from_dense(a: &Array2<f64>) -> Csr {
        let mut m = Csr {
            n_rows: a.nrows(),
            n_cols: a.ncols(),
            ..Csr::default()
        };
        for (i, row) in a.rows().into_iter().enumerate() {
            let start = m.col.len() as u32;
            for (j, &v) in row.iter().enumerate() {
                if v != 0.0 {
                    m.col.push(j as u32);
                    m.val.push(v);
                }
            }
            let end = m.col.len() as u32;
            m.by_row.push((start, end));
            if end > start {
                m.rows.push((i as u32, start, end));
            }
        }
        m
    }

    pub fn rows(&self) -> usize {
        self.n_rows
    }

    pub fn nnz(&self) -> usize {
        self.val.len()
    }

    #[inline(always)]
    fn row_dot(&self, start: u32, end: u32, x: &[f64]) -> f64 {
        debug_assert!(x.len() >= self.n_cols);
        debug_assert!(start <= end && end as usize <= self.col.len());
        // SAFETY: (start, end) come from `rows`/`by_row`, built in
        // from_dense as ranges of `col` and `val` (equal lengths).
        let (cols, vals) = unsafe {
            (
                self.col.get_unchecked(start as usize..end as usize),
                self.val.get_unchecked(start as usize..end as usize),
            )
        };
        let mut s = 0.0;
        for (&c, &v) in cols.iter().zip(vals) {
            // SAFETY: every column index is below n_cols (built from the
            // matrix shape), and every x passed in is the residual stream or
            // the head outputs, whose lengths Decoder::new checks against
            // the matrix shapes.
            s += v * unsafe { *x.get_unchecked(c as usize) };
        }
        s
    }

    /// Row i of A times x.
    #[inline(always)]
    pub fn dot_row(&self, i: usize, x: &[f64]) -> f64 {
        let (a, b) = self.by_row[i];
        self.row_dot(a, b, x)
    }

    /// y = A x for the non-empty rows; the other rows of y are left as
    /// they are (callers keep them at zero).
    #[inline]
    pub fn mul_into(&self, x: &[f64], y: &mut [f64]) {
        for &(i, a, b) in &self.rows {
            y[i as usize] = self.row_dot(a, b, x);
        }
    }

    /// y += A x
    #[inline]
    pub fn mul_add_into(&self, x: &[f64], y: &mut [f64]) {
        for &(i, a, b) in &self.rows {
            y[i as usize] += self.row_dot(a, b, x);
        }
    }
}

/// A sparse matrix stored by column, for products with a sparse vector:
/// `y += A x` touches only the columns where x is non-zero.
#[derive(Debug, Clone, Default)]
struct Csc {
    /// (start, end) of each column into `row`/`val`.
    cols: Vec<(u32, u32)>,
    row: Vec<u32>,
    val: Vec<f64>,
    /// Rows with a non-zero, ascending.
    written: Vec<u32>,
}

impl Csc {
    fn from_dense(a: &Array2<f64>) -> Csc {
        let mut m = Csc::default();
        for j in 0..a.ncols() {
            let start = m.row.len() as u32;
            for i in 0..a.nrows() {
                if a[[i, j]] != 0.0 {
                    m.row.push(i as u32);
                    m.val.push(a[[i, j]]);
                }
            }
            m.cols.push((start, m.row.len() as u32));
        }
        m.written = (0..a.nrows() as u32)
            .filter(|&i| a.row(i as usize).iter().any(|&v| v != 0.0))
            .collect();
        m
    }

    /// `y += A x` where x is zero outside `support` (ascending). Each row's
    /// terms are summed from zero in ascending column order and then added
    /// to y, as a row-by-row product does, so the result is the same bit
    /// for bit: the skipped terms are exact zeros.
    fn mul_add_sparse(&self, x: &[f64], support: &[u32], acc: &mut [f64], y: &mut [f64]) {
        // `acc` is all zeros between calls: only rows the matrix writes are
        // touched, and those are reset below.
        for &j in support {
            let (a, b) = self.cols[j as usize];
            let xj = x[j as usize];
            for k in a as usize..b as usize {
                acc[self.row[k] as usize] += self.val[k] * xj;
            }
        }
        for &r in &self.written {
            let r = r as usize;
            y[r] += acc[r];
            acc[r] = 0.0;
        }
    }
}

/// The output scores, grouped: tokens whose score rows read the same
/// residual slots form a block, stored column by column, so the scores of a
/// block are a few dense vector updates. Every score of this model is an
/// integer below 2^53, so the order of the additions does not change them.
#[derive(Debug, Clone)]
struct Unembedding {
    blocks: Vec<Block>,
    vocab: usize,
}

#[derive(Debug, Clone)]
struct Block {
    /// Token ids of the block's rows, ascending.
    tokens: Vec<u32>,
    /// (slot, coefficient of each row).
    columns: Vec<(usize, Vec<f64>)>,
    /// Per column, the smallest and largest coefficient: bounds on the
    /// block's scores without computing them.
    range: Vec<(f64, f64)>,
}

impl Block {
    /// An upper bound on every score in the block, at least the exact
    /// maximum even after rounding (scores are integers below 2^53, so a
    /// margin of one is ample).
    fn bound(&self, x: &[f64]) -> f64 {
        let mut b = 0.0;
        let mut magnitude = 0.0;
        for ((s, _), &(lo, hi)) in self.columns.iter().zip(&self.range) {
            let xs = x[*s];
            let term = if xs >= 0.0 { hi * xs } else { lo * xs };
            b += term;
            magnitude += term.abs();
        }
        b + 1.0 + magnitude * 1e-15
    }
}

impl Unembedding {
    fn new(u: &Array2<f64>) -> Unembedding {
        let mut blocks: Vec<(Vec<usize>, Block)> = Vec::new();
        for (t, row) in u.rows().into_iter().enumerate() {
            let support: Vec<usize> = (0..row.len()).filter(|&s| row[s] != 0.0).collect();
            let i = match blocks.iter().position(|(sup, _)| *sup == support) {
                Some(i) => i,
                None => {
                    let columns = support.iter().map(|&s| (s, Vec::new())).collect();
                    blocks.push((
                        support.clone(),
                        Block {
                            tokens: Vec::new(),
                            columns,
                            range: Vec::new(),
                        },
                    ));
                    blocks.len() - 1
                }
            };
            let block = &mut blocks[i].1;
            block.tokens.push(t as u32);
            for (s, col) in &mut block.columns {
                col.push(row[*s]);
            }
        }
        let blocks = blocks
            .into_iter()
            .map(|(_, mut b)| {
                b.range = b
                    .columns
                    .iter()
                    .map(|(_, col)| {
                        col.iter()
                            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &c| {
                                (lo.min(c), hi.max(c))
                            })
                    })
                    .collect();
                b
            })
            .collect();
        Unembedding {
            blocks,
            vocab: u.nrows(),
        }
    }

    /// The token with the highest score; the lowest id among equal scores.
    /// Returns (token, index of its block). Blocks are visited starting
    /// with `first`: a good guess at the winner makes the bound prune the
    /// rest. The visiting order does not change the result.
    fn argmax(&self, x: &[f64], scratch: &mut [f64], first: usize) -> (usize, usize) {
        let mut best = (f64::NEG_INFINITY, usize::MAX, 0);
        let order = std::iter::once(first).chain((0..self.blocks.len()).filter(|&b| b != first));
        for b in order {
            let block = &self.blocks[b];
            // A block that cannot reach the best score so far cannot hold
            // the argmax (ties still count: the lowest id wins them).
            if block.bound(x) < best.0 {
                continue;
            }
            let acc = &mut scratch[..block.tokens.len()];
            acc.fill(0.0);
            for (s, col) in &block.columns {
                let xs = x[*s];
                if xs != 0.0 {
                    for (a, &c) in acc.iter_mut().zip(col) {
                        *a += c * xs;
                    }
                }
            }
            let top = acc
                .iter()
                .fold(f64::NEG_INFINITY, |m, &v| if v > m { v } else { m });
            if top >= best.0 {
                // The lowest token id reaching the block's top score.
                let i = acc.iter().position(|&v| v == top).unwrap_or(0);
                let t = block.tokens[i] as usize;
                if top > best.0 || t < best.1 {
                    best = (top, t, b);
                }
            }
        }
        (best.1, best.2)
    }

    /// Every token's score, by token id.
    fn scores(&self, x: &[f64], out: &mut [f64]) {
        for block in &self.blocks {
            for (i, &t) in block.tokens.iter().enumerate() {
                out[t as usize] = block.columns.iter().map(|(s, col)| col[i] * x[*s]).sum();
            }
        }
    }
}

struct SparseLayer {
    query: Csr,
    key: Csr,
    value: Csr,
    output: Csr,
    ffn_gate: Csr,
    ffn_value: Csr,
    /// ffn_out by column: only open units contribute.
    ffn_out_by_unit: Csc,
    ties: Vec<Tie>,
}

/// How a head can be answered.
#[derive(Debug, Clone)]
enum HeadPlan {
    /// No keys at all (an unused head slot).
    Unused,
    /// Every key is (0, 0): all positions tie on every query.
    Constant,
    /// Keys are (2p, -p^2): the winner is the position nearest the query,
    /// found by arithmetic. `token_values` holds the value of each vocabulary
    /// token when the values depend on the token alone.
    Position { token_values: Option<Vec<[f64; 2]>> },
    /// Anything else: the KV cache searches.
    General,
}

/// One attention head, as the model card shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeadCard {
    pub layer: usize,
    pub head: usize,
    /// The graph lookup the head implements.
    pub looks_up: String,
    /// How ties at the top score resolve: latest or average.
    pub tie: String,
    /// hull, running sum, position lookup, or unused.
    pub answered_by: String,
}

/// A model prepared for decoding.
pub struct Decoder {
    pub model: Model,
    embedding: Vec<Vec<f64>>,
    layers: Vec<SparseLayer>,
    unembedding: Unembedding,
    position_slots: [usize; 2],
    stop: Token,
    plans: Vec<HeadPlan>,
}

/// Classify every head from the weights alone.
fn plan_heads(model: &Model) -> Vec<HeadPlan> {
    let d = model.config.d_model;
    let [pos, pos_sq] = model.config.position_slots;
    // Slots no layer before `l` has written: they still hold the embedding.
    let mut pristine = vec![true; d];
    pristine[pos] = false;
    pristine[pos_sq] = false;
    let mut plans = Vec::new();
    for layer in &model.layers {
        for h in 0..model.config.heads {
            let row = |m: &ndarray::Array2<f64>, r: usize| -> Vec<(usize, f64)> {
                m.row(r)
                    .iter()
                    .enumerate()
                    .filter(|(_, &v)| v != 0.0)
                    .map(|(i, &v)| (i, v))
                    .collect()
            };
            let (k0, k1) = (row(&layer.key, 2 * h), row(&layer.key, 2 * h + 1));
            let (v0, v1) = (row(&layer.value, 2 * h), row(&layer.value, 2 * h + 1));
            let (q0, q1) = (row(&layer.query, 2 * h), row(&layer.query, 2 * h + 1));
            let unused = [&k0, &k1, &v0, &v1, &q0, &q1].iter().all(|r| r.is_empty());
            let plan = if unused {
                HeadPlan::Unused
            } else if k0.is_empty() && k1.is_empty() {
                HeadPlan::Constant
            } else if k0 == [(pos, 2.0)] && k1 == [(pos_sq, -1.0)] {
                let token_only = v0.iter().chain(&v1).all(|&(s, _)| pristine[s]);
                let token_values = token_only.then(|| {
                    model
                        .embedding
                        .rows()
                        .into_iter()
                        .map(|e| {
                            let dot = |r: &[(usize, f64)]| r.iter().map(|&(s, c)| c * e[s]).sum();
                            [dot(&v0), dot(&v1)]
                        })
                        .collect()
                });
                HeadPlan::Position { token_values }
            } else {
                HeadPlan::General
            };
            plans.push(plan);
        }
        for (s, clean) in pristine.iter_mut().enumerate() {
            if layer.output.row(s).iter().any(|&v| v != 0.0)
                || layer.ffn_out.row(s).iter().any(|&v| v != 0.0)
            {
                *clean = false;
            }
        }
    }
    plans
}

impl Decoder {
    pub fn new(model: Model) -> Decoder {
        let layers = model
            .layers
            .iter()
            .map(|l| SparseLayer {
                query: Csr::from_dense(&l.query),
                key: Csr::from_dense(&l.key),
                value: Csr::from_dense(&l.value),
                output: Csr::from_dense(&l.output),
                ffn_gate: Csr::from_dense(&l.ffn_gate),
                ffn_value: Csr::from_dense(&l.ffn_value),
                ffn_out_by_unit: Csc::from_dense(&l.ffn_out),
                ties: l.ties.clone(),
            })
            .collect();
        let (d, h2) = (model.config.d_model, 2 * model.config.heads);
        for l in &layers {
            let l: &SparseLayer = l;
            assert!(
                [&l.query, &l.key, &l.value, &l.ffn_gate, &l.ffn_value]
                    .iter()
                    .all(|m| m.n_cols == d)
                    && l.output.n_cols == h2
                    && l.ffn_out_by_unit.cols.len() == model.config.d_ffn,
                "weight shapes agree with the config"
            );
        }
        Decoder {
            plans: plan_heads(&model),
            embedding: model
                .embedding
                .rows()
                .into_iter()
                .map(|r| r.to_vec())
                .collect(),
            unembedding: Unembedding::new(&model.unembedding),
            position_slots: model.config.position_slots,
            stop: Token(model.config.stop_token),
            layers,
            model,
        }
    }

    /// How each head is answered, one line a layer (for `hullvm model`).
    fn projection_rows(&self, shortcuts: bool) -> Vec<ProjectionRows> {
        let heads = self.heads();
        self.layers
            .iter()
            .enumerate()
            .map(|(l, _)| {
                let mut rows = ProjectionRows::default();
                for h in 0..heads {
                    let (need_q, need_k, need_v) = match (shortcuts, &self.plans[l * heads + h]) {
                        (false, _) | (true, HeadPlan::General) => (true, true, true),
                        (true, HeadPlan::Position { token_values }) => {
                            (true, false, token_values.is_none())
                        }
                        (true, HeadPlan::Constant) => (false, false, true),
                        (true, HeadPlan::Unused) => (false, false, false),
                    };
                    // Every needed row is written, zero rows included: the
                    // q, k, v buffers are shared by all layers.
                    for r in [2 * h as u32, 2 * h as u32 + 1] {
                        if need_q {
                            rows.query.push(r);
                        }
                        if need_k {
                            rows.key.push(r);
                        }
                        if need_v {
                            rows.value.push(r);
                        }
                    }
                }
                rows
            })
            .collect()
    }

    /// What each head looks up and how the decoder answers it.
    pub fn head_cards(&self) -> Vec<HeadCard> {
        let h = self.heads();
        let mut cards = Vec::new();
        for (l, info) in self.model.config.head_info.iter().enumerate() {
            for (i, head) in info.iter().enumerate() {
                let answered_by = match &self.plans[l * h + i] {
                    HeadPlan::Unused => "unused",
                    HeadPlan::Constant => "running sum",
                    HeadPlan::Position {
                        token_values: Some(_),
                    } => "position, by token",
                    HeadPlan::Position { token_values: None } => "position, stored",
                    HeadPlan::General => "hull",
                };
                cards.push(HeadCard {
                    layer: l,
                    head: i,
                    looks_up: head.name.clone(),
                    tie: format!("{:?}", head.tie).to_lowercase(),
                    answered_by: answered_by.into(),
                });
            }
        }
        cards
    }

    pub fn describe_plans(&self) -> String {
        let mut out = String::new();
        for l in 0..self.model.config.layers {
            let kinds: Vec<String> = self
                .head_cards()
                .into_iter()
                .filter(|c| c.layer == l)
                .map(|c| format!("{} [{}]", c.looks_up, c.answered_by))
                .collect();
            out += &format!("layer {l}: {}\n", kinds.join(", "));
        }
        out
    }

    /// Heads per layer.
    pub fn heads(&self) -> usize {
        self.model.config.heads
    }

    /// Start a run with fresh caches.
    pub fn session<C: KvCache>(&self) -> Session<'_, C> {
        let d = self.model.config.d_model;
        let h = self.heads();
        let f = self.model.config.d_ffn;
        let heads = self
            .plans
            .iter()
            .map(|plan| match (C::SHORTCUTS, plan) {
                (true, HeadPlan::Unused) => Head::Unused,
                (true, HeadPlan::Constant) => Head::Constant(Running::default()),
                (true, HeadPlan::Position { token_values }) => Head::Position {
                    stored: token_values.is_none().then(Vec::new),
                    all: Running::default(),
                },
                _ => Head::General(C::default()),
            })
            .collect();
        Session {
            decoder: self,
            heads,
            tokens: Vec::new(),
            position: 0,
            x: vec![0.0; d],
            q: vec![0.0; 2 * h],
            k: vec![0.0; 2 * h],
            v: vec![0.0; 2 * h],
            heads_out: vec![0.0; 2 * h],
            gate: vec![0.0; f],
            open: Vec::with_capacity(f),
            ffn_acc: vec![0.0; d],
            logits: vec![0.0; self.unembedding.vocab],
            follow: vec![0; self.unembedding.blocks.len()],
            last_block: 0,
            projections: self.projection_rows(C::SHORTCUTS),
        }
    }
}

/// Sum, count and latest of every value so far.
#[derive(Debug, Clone, Copy, Default)]
struct Running {
    sum: [f64; 2],
    count: u64,
    last: [f64; 2],
}

impl Running {
    fn push(&mut self, v: [f64; 2]) {
        self.sum[0] += v[0];
        self.sum[1] += v[1];
        self.count += 1;
        self.last = v;
    }

    fn resolve(&self, tie: Tie) -> [f64; 2] {
        match (tie, self.count) {
            (_, 0) => [0.0; 2],
            (Tie::Latest, _) => self.last,
            (Tie::Average, n) => [self.sum[0] / n as f64, self.sum[1] / n as f64],
        }
    }
}

/// One head's state during a run.
enum Head<C> {
    Unused,
    Constant(Running),
    Position {
        /// Values by position, unless they are a function of the token.
        stored: Option<Vec<[f64; 2]>>,
        all: Running,
    },
    General(C),
}

/// One decoding run: the KV caches and scratch buffers (no allocation per
/// token beyond the caches' own growth).
pub struct Session<'d, C: KvCache> {
    decoder: &'d Decoder,
    heads: Vec<Head<C>>,
    /// Tokens fed so far (position-keyed heads read values through them).
    tokens: Vec<u16>,
    position: usize,
    x: Vec<f64>,
    q: Vec<f64>,
    k: Vec<f64>,
    v: Vec<f64>,
    heads_out: Vec<f64>,
    gate: Vec<f64>,
    /// FFN units open for the current token, ascending.
    open: Vec<u32>,
    ffn_acc: Vec<f64>,
    logits: Vec<f64>,
    /// Per output block, the block that won the step after it last won.
    follow: Vec<usize>,
    last_block: usize,
    /// Per layer, the projection rows this session computes.
    projections: Vec<ProjectionRows>,
}

/// The query, key and value rows a layer needs, given how its heads are
/// answered: heads answered without a search need no key (position heads)
/// or neither key nor query (constant heads).
#[derive(Debug, Clone, Default)]
struct ProjectionRows {
    query: Vec<u32>,
    key: Vec<u32>,
    value: Vec<u32>,
}

/// A head whose keys are (2j, -j^2) for positions j = 0..=t: score(j) =
/// 2 qx j - qy j^2, concave for qy > 0 (the best j is next to qx/qy),
/// otherwise best at an end. Candidates are compared exactly, as the brute
/// cache would.
fn position_lookup(
    q: [f64; 2],
    t: usize,
    tie: Tie,
    all: &Running,
    value_at: impl Fn(usize) -> [f64; 2],
) -> [f64; 2] {
    use attention::compare_scores;
    let key = |j: usize| [2.0 * j as f64, -((j as f64) * (j as f64))];
    let mut candidates: [usize; 2] = if q[1] > 0.0 {
        // floor(qx / qy), exactly when both are integers.
        let centre = match (q[0].fract() == 0.0, q[1].fract() == 0.0) {
            (true, true) if q[0].abs() < 9e15 && q[1] < 9e15 => {
                (q[0] as i64).div_euclid(q[1] as i64) as f64
            }
            _ => (q[0] / q[1]).floor(),
        };
        let lo = centre.clamp(0.0, t as f64) as usize;
        [lo, (lo + 1).min(t)]
    } else {
        [0, t]
    };
    if q == [0.0, 0.0] {
        return all.resolve(tie);
    }
    if candidates[0] > candidates[1] {
        candidates.swap(0, 1);
    }
    let [a, b] = candidates;
    let order = if a == b {
        std::cmp::Ordering::Equal
    } else {
        // score(b) - score(a) = 2 qx (b - a) - qy (b^2 - a^2): exact in f64
        // while every term is an integer below 2^53.
        let (fa, fb) = (a as f64, b as f64);
        let (t1, t2) = (2.0 * q[0] * (fb - fa), q[1] * (fb * fb - fa * fa));
        if q[0].fract() == 0.0 && q[1].fract() == 0.0 && t1.abs() < 4e15 && t2.abs() < 4e15 {
            (t1 - t2)
                .partial_cmp(&0.0)
                .unwrap_or(std::cmp::Ordering::Equal)
        } else {
            compare_scores(q, key(b), key(a))
        }
    };
    match order {
        std::cmp::Ordering::Greater => value_at(b),
        std::cmp::Ordering::Less => value_at(a),
        std::cmp::Ordering::Equal if a == b => value_at(a),
        std::cmp::Ordering::Equal => match tie {
            Tie::Latest => value_at(b),
            Tie::Average => {
                let (va, vb) = (value_at(a), value_at(b));
                [(va[0] + vb[0]) / 2.0, (va[1] + vb[1]) / 2.0]
            }
        },
    }
}

/// How close one run came to a wrong argmax: the smallest gap between the
/// winning and the runner-up score, over attention heads and output logits.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Numerics {
    pub program: String,
    /// Trace tokens measured (runs are capped: the measurement scans every
    /// key of every head, O(n^2)).
    pub tokens: usize,
    /// Smallest attention gap: (gap, layer, head, keys in the cache then).
    pub attention_gap: Option<(f64, usize, usize, usize)>,
    /// Smallest gap between the chosen token's logit and the next lower one,
    /// and the trace index where it occurred.
    pub logit_gap: Option<(f64, usize)>,
    /// Steps where two tokens tied for the top logit (resolved by lowest id).
    pub logit_ties: usize,
}

/// Decode `program` for at most `max_tokens` with the margin-measuring
/// cache and report its numerics.
pub fn numerics(decoder: &Decoder, name: &str, program: &Program, max_tokens: usize) -> Numerics {
    let mut session = decoder.session::<MarginCache>();
    let prompt = program.prompt();
    let section = program.input_section().len();
    for &t in &prompt {
        session.feed(t);
    }
    let mut tokens = section;
    let mut logit_gap: Option<(f64, usize)> = None;
    let mut logit_ties = 0;
    while tokens < max_tokens {
        let (gap, tied) = session.logit_margin();
        logit_ties += usize::from(tied);
        if logit_gap.is_none_or(|(g, _)| gap < g) {
            logit_gap = Some((gap, tokens));
        }
        let next = session.next_token();
        tokens += 1;
        if next == decoder.stop {
            break;
        }
        session.feed(next);
    }
    let attention_gap = session
        .attention_margins()
        .into_iter()
        .min_by(|a, b| a.1.gap.total_cmp(&b.1.gap))
        .map(|((l, h), m)| (m.gap, l, h, m.keys));
    Numerics {
        program: name.to_string(),
        tokens,
        attention_gap,
        logit_gap,
        logit_ties,
    }
}

/// How a decoding run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    Halted,
    TokenLimit,
}

#[derive(Debug, Clone)]
pub struct Decoded {
    /// Every token after `}`: input section, then generated tokens.
    pub trace: Vec<Token>,
    pub output: Vec<u8>,
    pub stop: Stop,
    /// Prompt tokens fed.
    pub prompt_tokens: usize,
}

impl<C: KvCache> Session<'_, C> {
    /// Feed one token through every layer.
    pub fn feed(&mut self, token: Token) {
        self.feed_probed(token, |_, _| {});
    }

    /// Feed one token; `probe(time, residual)` sees the residual stream
    /// after the embedding (time -1) and after every sublayer (attention of
    /// layer l at 2l, its FFN at 2l+1).
    pub fn feed_probed(&mut self, token: Token, mut probe: impl FnMut(i64, &[f64])) {
        let dec = self.decoder;
        self.tokens.push(token.0);
        self.x.copy_from_slice(&dec.embedding[token.id()]);
        let p = self.position as f64;
        self.x[dec.position_slots[0]] += p;
        self.x[dec.position_slots[1]] += p * p;
        probe(-1, &self.x);
        let heads = dec.heads();
        for (l, layer) in dec.layers.iter().enumerate() {
            let rows = &self.projections[l];
            for &r in &rows.query {
                self.q[r as usize] = layer.query.dot_row(r as usize, &self.x);
            }
            for &r in &rows.key {
                self.k[r as usize] = layer.key.dot_row(r as usize, &self.x);
            }
            for &r in &rows.value {
                self.v[r as usize] = layer.value.dot_row(r as usize, &self.x);
            }
            for h in 0..heads {
                let i = 2 * h;
                let key = [self.k[i], self.k[i + 1]];
                let value = [self.v[i], self.v[i + 1]];
                let query = [self.q[i], self.q[i + 1]];
                let tie = layer.ties[h];
                let plan = &dec.plans[l * heads + h];
                let out = match &mut self.heads[l * heads + h] {
                    Head::Unused => [0.0; 2],
                    Head::Constant(run) => {
                        run.push(value);
                        run.resolve(tie)
                    }
                    Head::Position { stored, all } => {
                        all.push(value);
                        if let Some(s) = stored {
                            s.push(value);
                        }
                        let value_at = |j: usize| match (stored.as_ref(), plan) {
                            (Some(s), _) => s[j],
                            (
                                None,
                                HeadPlan::Position {
                                    token_values: Some(t),
                                },
                            ) => t[self.tokens[j] as usize],
                            _ => unreachable!("a position head has values"),
                        };
                        position_lookup(query, self.position, tie, all, value_at)
                    }
                    Head::General(cache) => {
                        cache.insert(key, value);
                        cache.query(query, tie)
                    }
                };
                self.heads_out[i] = out[0];
                self.heads_out[i + 1] = out[1];
            }
            layer.output.mul_add_into(&self.heads_out, &mut self.x);
            probe(2 * l as i64, &self.x);
            // ReGLU: the value is only needed where the gate is open.
            // Few units are open per token, so the output product runs
            // over the open ones only.
            self.open.clear();
            for &(j, a, b) in &layer.ffn_gate.rows {
                let g = layer.ffn_gate.row_dot(a, b, &self.x);
                if g > 0.0 {
                    self.gate[j as usize] = g * layer.ffn_value.dot_row(j as usize, &self.x);
                    self.open.push(j);
                }
            }
            layer.ffn_out_by_unit.mul_add_sparse(
                &self.gate,
                &self.open,
                &mut self.ffn_acc,
                &mut self.x,
            );
            probe(2 * l as i64 + 1, &self.x);
        }
        self.position += 1;
    }

    /// The next token: the argmax of the output scores (lowest id on ties).
    pub fn next_token(&mut self) -> Token {
        // Traces repeat their line shapes, so the block that won after the
        // previous winner's block last time is the first guess.
        let first = self.follow[self.last_block];
        let (token, block) = self
            .decoder
            .unembedding
            .argmax(&self.x, &mut self.logits, first);
        self.follow[self.last_block] = block;
        self.last_block = block;
        Token(token as u16)
    }

    /// The residual stream after the last fed token.
    pub fn residual(&self) -> &[f64] {
        &self.x
    }

    /// The top output score minus the best strictly lower one, and whether
    /// another token tied the top (the lowest id then wins).
    pub fn logit_margin(&mut self) -> (f64, bool) {
        self.decoder.unembedding.scores(&self.x, &mut self.logits);
        let top = self
            .logits
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let tied = self.logits.iter().filter(|&&v| v == top).count() > 1;
        let second = self
            .logits
            .iter()
            .copied()
            .filter(|&v| v < top)
            .fold(f64::NEG_INFINITY, f64::max);
        (top - second, tied)
    }

    /// The smallest attention margin each searched head has seen, by
    /// (layer, head), for caches that measure it.
    pub fn attention_margins(&self) -> Vec<((usize, usize), Margin)> {
        let per_layer = self.decoder.heads();
        self.heads
            .iter()
            .enumerate()
            .filter_map(|(i, h)| match h {
                Head::General(c) => c.margin().map(|m| ((i / per_layer, i % per_layer), m)),
                _ => None,
            })
            .collect()
    }

    /// Keys the general heads keep (what can still win).
    pub fn retained_keys(&self) -> usize {
        self.heads
            .iter()
            .map(|h| match h {
                Head::General(c) => c.retained(),
                Head::Position {
                    stored: Some(s), ..
                } => s.len(),
                _ => 0,
            })
            .sum()
    }

    /// Feed the prompt, then generate until `halt` or `max_tokens` trace tokens.
    pub fn run(&mut self, program: &Program, max_tokens: usize) -> Decoded {
        self.run_observed(program, max_tokens, |_| {})
    }

    /// [`Session::run`], calling `observe(tokens fed so far)` after every
    /// token (benchmarks time windows of the trace with it).
    pub fn run_observed(
        &mut self,
        program: &Program,
        max_tokens: usize,
        mut observe: impl FnMut(usize),
    ) -> Decoded {
        let prompt = program.prompt();
        let section = program.input_section().len();
        let mut trace: Vec<Token> = prompt[prompt.len() - section..].to_vec();
        for &t in &prompt {
            self.feed(t);
            observe(self.position);
        }
        let mut output = Vec::new();
        let stop = loop {
            if trace.len() >= max_tokens {
                break Stop::TokenLimit;
            }
            let next = self.next_token();
            trace.push(next);
            if let TokenKind::Out(b) = next.kind() {
                output.push(b);
            }
            if next == self.decoder.stop {
                break Stop::Halted;
            }
            self.feed(next);
            observe(self.position);
        };
        Decoded {
            trace,
            output,
            stop,
            prompt_tokens: prompt.len(),
        }
    }
}

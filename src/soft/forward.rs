//! The soft forward pass: the hard decoder's layers with every attention
//! head a softmax over its scores. One token at a time, keeping every
//! key and value (O(n) per head per token), and optionally a tape of what
//! the backward pass needs.

use super::Temperature;
use crate::weights::{Model, Tie};
use ndarray::{Array, Array1, ArrayView, Dimension};

/// A softmax weight below exp(-745) is 0.0 in f64: such keys are skipped,
/// which changes no sum.
const NEGLIGIBLE: f64 = -745.0;

/// What one layer computed at every position so far, row after row: the
/// backward pass reads it back as matrices.
#[derive(Debug, Clone, Default)]
pub(crate) struct LayerTape {
    /// The residual stream entering the layer (n x d_model).
    pub(crate) x_in: Vec<f64>,
    /// Queries (n x 2 heads).
    pub(crate) query: Vec<f64>,
    /// Head outputs (n x 2 heads).
    pub(crate) heads_out: Vec<f64>,
    /// The residual after attention, the FFN's input (n x d_model).
    pub(crate) x_mid: Vec<f64>,
    /// FFN gate and value pre-activations (n x d_ffn each).
    pub(crate) gate: Vec<f64>,
    pub(crate) value: Vec<f64>,
}

/// One soft run: the keys and values of every layer, and the tape.
pub(crate) struct SoftRun<'m> {
    pub(crate) model: &'m Model,
    pub(crate) temperature: Temperature,
    /// Per layer, keys and values of every position (n x 2 heads).
    pub(crate) keys: Vec<Vec<f64>>,
    pub(crate) values: Vec<Vec<f64>>,
    /// Per layer and head: whether its output can be non-zero. A head
    /// whose value rows are zero outputs zero whatever it attends to, so
    /// a run without a tape skips it.
    live: Vec<Vec<bool>>,
    /// Per layer, when recording.
    pub(crate) tape: Option<Vec<LayerTape>>,
    /// The residual stream leaving the last layer, per position (n x d_model),
    /// when recording.
    pub(crate) x_final: Vec<f64>,
    pub(crate) tokens: Vec<u16>,
    /// Scratch: one head's weights over the keys.
    weights: Vec<f64>,
    /// A hash of which ReGLU gates were open at every position: two runs
    /// with equal patterns are on the same smooth piece of the loss.
    pub(crate) gate_pattern: u64,
}

impl<'m> SoftRun<'m> {
    /// A run that records a tape when `record` (for gradients).
    pub(crate) fn new(model: &'m Model, temperature: Temperature, record: bool) -> SoftRun<'m> {
        let layers = model.layers.len();
        let heads = model.config.heads;
        let live = model
            .layers
            .iter()
            .map(|layer| {
                (0..heads)
                    .map(|h| {
                        let rows = [2 * h, 2 * h + 1];
                        record
                            || rows
                                .iter()
                                .any(|&r| layer.value.row(r).iter().any(|&w| w != 0.0))
                    })
                    .collect()
            })
            .collect();
        SoftRun {
            model,
            temperature,
            keys: vec![Vec::new(); layers],
            values: vec![Vec::new(); layers],
            live,
            tape: record.then(|| vec![LayerTape::default(); layers]),
            x_final: Vec::new(),
            tokens: Vec::new(),
            weights: Vec::new(),
            gate_pattern: 0,
        }
    }

    /// Positions fed so far.
    pub(crate) fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Feed one token through every layer; the logits of the next token.
    pub(crate) fn feed(&mut self, token: u16) -> Array1<f64> {
        let model = self.model;
        let t = self.tokens.len();
        self.tokens.push(token);
        let mut x = model.embedding.row(usize::from(token)).to_owned();
        let [pos, pos_sq] = model.config.position_slots;
        let p = t as f64;
        x[pos] += p;
        x[pos_sq] += p * p;
        for l in 0..model.layers.len() {
            x = self.layer(l, x);
        }
        if self.tape.is_some() {
            self.x_final.extend(x.iter());
        }
        model.unembedding.dot(&x)
    }

    /// Layer `l` on the residual `x` of the newest position.
    fn layer(&mut self, l: usize, x: Array1<f64>) -> Array1<f64> {
        let layer = &self.model.layers[l];
        let query = layer.query.dot(&x);
        self.keys[l].extend(layer.key.dot(&x).iter());
        self.values[l].extend(layer.value.dot(&x).iter());
        let mut heads_out = Array1::zeros(query.len());
        for h in 0..layer.ties.len() {
            if self.live[l][h] {
                let out = self.attend(l, h, [query[2 * h], query[2 * h + 1]]);
                heads_out[2 * h] = out[0];
                heads_out[2 * h + 1] = out[1];
            }
        }
        let x_mid = &x + &layer.output.dot(&heads_out);
        let gate = layer.ffn_gate.dot(&x_mid);
        let value = layer.ffn_value.dot(&x_mid);
        let hidden = reglu(gate.view(), value.view());
        for &g in &gate {
            self.gate_pattern = (self.gate_pattern ^ u64::from(g > 0.0))
                .wrapping_mul(0x0000_0100_0000_01b3)
                .rotate_left(5);
        }
        let x_out = &x_mid + &layer.ffn_out.dot(&hidden);
        if let Some(tape) = &mut self.tape {
            let rec = &mut tape[l];
            rec.x_in.extend(x.iter());
            rec.query.extend(query.iter());
            rec.heads_out.extend(heads_out.iter());
            rec.x_mid.extend(x_mid.iter());
            rec.gate.extend(gate.iter());
            rec.value.extend(value.iter());
        }
        x_out
    }

    /// Head `h` of layer `l` for the query at the newest position.
    fn attend(&mut self, l: usize, h: usize, query: [f64; 2]) -> [f64; 2] {
        let n = self.tokens.len();
        let tie = self.model.layers[l].ties[h];
        let keys = &self.keys[l];
        let values = &self.values[l];
        let width = 2 * self.model.config.heads;
        let mut weights = std::mem::take(&mut self.weights);
        self.temperature.weights(
            tie,
            query,
            (0..n).map(|j| head_pair(keys, width, j, h)),
            &mut weights,
        );
        let mut out = [0.0; 2];
        let mut total = 0.0;
        for (j, &w) in weights.iter().enumerate() {
            if w != 0.0 {
                let v = head_pair(values, width, j, h);
                out[0] += w * v[0];
                out[1] += w * v[1];
                total += w;
            }
        }
        self.weights = weights;
        [out[0] / total, out[1] / total]
    }
}

/// Head `h`'s pair in row `j` of a (n x width) row-major matrix.
#[inline]
pub(crate) fn head_pair(m: &[f64], width: usize, j: usize, h: usize) -> [f64; 2] {
    let at = j * width + 2 * h;
    [m[at], m[at + 1]]
}

/// ReGLU: relu(gate) * value, unit by unit (for one position or a tape).
pub(crate) fn reglu<D: Dimension>(
    gate: ArrayView<f64, D>,
    value: ArrayView<f64, D>,
) -> Array<f64, D> {
    ndarray::Zip::from(&gate)
        .and(&value)
        .map_collect(|&g, &v| if g > 0.0 { g * v } else { 0.0 })
}

impl Temperature {
    /// Unnormalised softmax weights of every key for `query`, largest 1:
    /// exp(beta (score_j - best)), where a latest-tie head's score adds
    /// `recency * j` (see [`Temperature`]). Scores are taken relative to
    /// the best plain score before the recency term is added, so a score
    /// near 2^48 does not swallow a recency term near 2^-16.
    pub(crate) fn weights(
        &self,
        tie: Tie,
        query: [f64; 2],
        keys: impl Iterator<Item = [f64; 2]>,
        out: &mut Vec<f64>,
    ) {
        out.clear();
        let mut best = f64::NEG_INFINITY;
        out.extend(keys.map(|k| {
            let score = query[0] * k[0] + query[1] * k[1];
            best = best.max(score);
            score
        }));
        let last = out.len().saturating_sub(1) as f64;
        let recency = self.recency_of(tie);
        for (j, s) in out.iter_mut().enumerate() {
            *s = self.beta * ((*s - best) + recency * (j as f64 - last));
        }
        let top = out.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        for z in out.iter_mut() {
            let shifted = *z - top;
            // Tied top scores (every key of an averaging head) are common.
            *z = if shifted == 0.0 {
                1.0
            } else if shifted < NEGLIGIBLE {
                0.0
            } else {
                shifted.exp()
            };
        }
    }

    /// The recency slope a head with this tie rule adds to its scores.
    pub(crate) fn recency_of(&self, tie: Tie) -> f64 {
        match tie {
            Tie::Latest => self.recency,
            Tie::Average => 0.0,
        }
    }
}

//! Reverse-mode gradients of the summed negative log-probability of a
//! teacher-forced window, with respect to every weight matrix and the
//! embedding. The vector-Jacobian products are written out by hand, layer
//! by layer and position by position, from the forward pass's tape:
//!
//! - unembedding and log-softmax at logit temperature T, loss
//!   -log softmax(z / T)[target]: dz = (softmax(z / T) - onehot(target)) / T;
//! - ReGLU: h = relu(g) v, so dg = dh v [g > 0] and dv = dh relu(g);
//! - dense maps y = W x: dW += dy x^T, dx += W^T dy;
//! - softmax attention over 2D keys, a_j = softmax_j(beta (q . k_j + c_j)):
//!   dv_j += a_j do, ds_j = beta a_j (do . v_j - sum_i a_i do . v_i),
//!   dq += sum_j ds_j k_j, dk_j += ds_j q (the recency term c_j is a
//!   constant).
//!
//! The attention weights are recomputed in the backward pass rather than
//! stored: O(n) per query either way, without an n x n matrix per head.

use super::evaluate::{argmax, check_temperature};
use super::forward::{head_pair, reglu, LayerTape, SoftRun};
use super::{Reference, Temperature};
use crate::weights::Model;
use anyhow::{ensure, Result};
use ndarray::{s, Array1, Array2, ArrayView2, Axis};
use std::ops::Range;

/// The loss of a window and its gradient.
pub struct Gradient {
    /// Summed negative log-probability of the window's tokens, at the
    /// temperature's logit temperature.
    pub loss: f64,
    /// Tokens in the window.
    pub scored: usize,
    /// Tokens of the window whose argmax is the target (lowest id on ties,
    /// as the hard decoder).
    pub correct: usize,
    /// d loss / d weight, in a model of the same shapes (its config and
    /// ties are the model's).
    pub d: Model,
}

/// The loss and gradient of predicting `tokens[i + 1]` from `tokens[..=i]`
/// for every i in `scored`.
pub fn gradient(
    model: &Model,
    temperature: Temperature,
    tokens: &[u16],
    scored: Range<usize>,
) -> Result<Gradient> {
    ensure!(
        scored.start < scored.end && scored.end < tokens.len(),
        "window {scored:?} does not fit {} tokens (each scored position needs the next token)",
        tokens.len()
    );
    check_temperature(temperature, scored.end)?;
    let mut run = SoftRun::new(model, temperature, true);
    for &t in &tokens[..scored.end] {
        run.feed(t);
    }
    let mut d = zeros_like(model);
    let n = run.len();
    let x_final = rows(std::mem::take(&mut run.x_final), n);
    let targets: Vec<usize> = scored.clone().map(|i| usize::from(tokens[i + 1])).collect();
    let (loss, correct, mut dx) = unembedding_backward(
        model,
        &x_final,
        scored,
        &targets,
        temperature.logits,
        &mut d,
    );
    let tape = run.tape.take().expect("a recording run has a tape");
    for (l, rec) in tape.into_iter().enumerate().rev() {
        dx = layer_backward(&run, l, rec, dx, &mut d);
    }
    for (i, &t) in run.tokens.iter().enumerate() {
        let mut row = d.embedding.row_mut(usize::from(t));
        row += &dx.row(i);
    }
    Ok(Gradient {
        loss,
        scored: targets.len(),
        correct,
        d,
    })
}

/// [`gradient`] over `k` generated tokens of `reference` from generated
/// token `start`.
pub fn window_gradient(
    model: &Model,
    temperature: Temperature,
    reference: &Reference,
    start: usize,
    k: usize,
) -> Result<Gradient> {
    let tokens: Vec<u16> = reference.tokens.iter().map(|t| t.0).collect();
    let first = reference.prompt - 1 + start;
    gradient(model, temperature, &tokens, first..first + k)
}

/// A model of `model`'s shapes with every weight zero.
pub(crate) fn zeros_like(model: &Model) -> Model {
    let mut z = model.clone();
    for (_, m) in z.tensors_mut() {
        m.fill(0.0);
    }
    z
}

/// A row-major buffer of `n` rows as a matrix.
fn rows(data: Vec<f64>, n: usize) -> Array2<f64> {
    let width = data.len().checked_div(n).unwrap_or(0);
    Array2::from_shape_vec((n, width), data).expect("tape rows have one width")
}

/// Log-softmax of the logits over `t` and unembedding: the loss, the
/// tokens predicted right, d unembedding, and d residual at the last
/// layer's output (zero outside the window).
fn unembedding_backward(
    model: &Model,
    x_final: &Array2<f64>,
    scored: Range<usize>,
    targets: &[usize],
    t: f64,
    d: &mut Model,
) -> (f64, usize, Array2<f64>) {
    let xs = x_final.slice(s![scored.clone(), ..]);
    let mut dlogits = xs.dot(&model.unembedding.t());
    let mut loss = 0.0;
    let mut correct = 0;
    for (mut row, &target) in dlogits.axis_iter_mut(Axis(0)).zip(targets) {
        correct += usize::from(argmax(&row.to_owned()) == target);
        let top = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        // log p from the logits, not ln(p): p underflows to 0 on a token
        // predicted far below the argmax.
        let target_logit = row[target];
        row.mapv_inplace(|z| ((z - top) / t).exp());
        let sum = row.sum();
        row /= sum;
        loss -= (target_logit - top) / t - sum.ln();
        row[target] -= 1.0;
        row /= t;
    }
    d.unembedding += &dlogits.t().dot(&xs);
    let mut dx = Array2::zeros(x_final.dim());
    dx.slice_mut(s![scored, ..])
        .assign(&dlogits.dot(&model.unembedding));
    (loss, correct, dx)
}

/// Layer `l` backwards: given d residual at its output, accumulate its
/// weight gradients and return d residual at its input.
fn layer_backward(
    run: &SoftRun,
    l: usize,
    rec: LayerTape,
    mut dx: Array2<f64>,
    d: &mut Model,
) -> Array2<f64> {
    let layer = &run.model.layers[l];
    let dl = &mut d.layers[l];
    let n = run.len();
    let (x_in, query, heads_out, x_mid, gate, value) = (
        rows(rec.x_in, n),
        rows(rec.query, n),
        rows(rec.heads_out, n),
        rows(rec.x_mid, n),
        rows(rec.gate, n),
        rows(rec.value, n),
    );
    // FFN: x_out = x_mid + W_out h, h = relu(g) v.
    let hidden = reglu(gate.view(), value.view());
    let dh = dx.dot(&layer.ffn_out);
    dl.ffn_out += &dx.t().dot(&hidden);
    let dgate = Array2::from_shape_fn(gate.dim(), |(i, j)| {
        if gate[[i, j]] > 0.0 {
            dh[[i, j]] * value[[i, j]]
        } else {
            0.0
        }
    });
    let dvalue = Array2::from_shape_fn(gate.dim(), |(i, j)| dh[[i, j]] * gate[[i, j]].max(0.0));
    dl.ffn_gate += &dgate.t().dot(&x_mid);
    dl.ffn_value += &dvalue.t().dot(&x_mid);
    dx += &dgate.dot(&layer.ffn_gate);
    dx += &dvalue.dot(&layer.ffn_value);
    // Attention: x_mid = x_in + W_o o.
    let dheads = dx.dot(&layer.output);
    dl.output += &dx.t().dot(&heads_out);
    let (dq, dk, dv) = heads_backward(run, l, query.view(), dheads.view());
    for (dw, dy) in [
        (&mut dl.query, &dq),
        (&mut dl.key, &dk),
        (&mut dl.value, &dv),
    ] {
        *dw += &dy.t().dot(&x_in);
    }
    dx += &dq.dot(&layer.query);
    dx += &dk.dot(&layer.key);
    dx += &dv.dot(&layer.value);
    dx
}

/// Every head of layer `l` backwards: d queries, d keys, d values (each
/// n x 2 heads) from d head outputs.
fn heads_backward(
    run: &SoftRun,
    l: usize,
    query: ArrayView2<f64>,
    dheads: ArrayView2<f64>,
) -> (Array2<f64>, Array2<f64>, Array2<f64>) {
    let (n, width) = query.dim();
    let keys = &run.keys[l];
    let values = &run.values[l];
    let beta = run.temperature.beta;
    let mut dq = Array2::zeros((n, width));
    let mut dk = Array2::<f64>::zeros((n, width));
    let mut dv = Array2::<f64>::zeros((n, width));
    let mut weights = Vec::new();
    for (h, &tie) in run.model.layers[l].ties.iter().enumerate() {
        let (a, b) = (2 * h, 2 * h + 1);
        for i in 0..n {
            let dout = [dheads[[i, a]], dheads[[i, b]]];
            if dout == [0.0, 0.0] {
                continue;
            }
            let q = [query[[i, a]], query[[i, b]]];
            run.temperature.weights(
                tie,
                q,
                (0..=i).map(|j| head_pair(keys, width, j, h)),
                &mut weights,
            );
            let total: f64 = weights.iter().sum();
            let mut mean = 0.0;
            for (j, &w) in weights.iter().enumerate() {
                let v = head_pair(values, width, j, h);
                mean += w / total * (dout[0] * v[0] + dout[1] * v[1]);
            }
            let mut dquery = [0.0; 2];
            for (j, &w) in weights.iter().enumerate() {
                if w == 0.0 {
                    continue;
                }
                let p = w / total;
                let (k, v) = (head_pair(keys, width, j, h), head_pair(values, width, j, h));
                dv[[j, a]] += p * dout[0];
                dv[[j, b]] += p * dout[1];
                let ds = beta * p * (dout[0] * v[0] + dout[1] * v[1] - mean);
                dquery[0] += ds * k[0];
                dquery[1] += ds * k[1];
                dk[[j, a]] += ds * q[0];
                dk[[j, b]] += ds * q[1];
            }
            dq[[i, a]] = dquery[0];
            dq[[i, b]] = dquery[1];
        }
    }
    (dq, dk, dv)
}

/// The total loss of a window, forward only (what finite differences
/// evaluate), and the pattern of open ReGLU gates it ran through.
pub(crate) fn loss(
    model: &Model,
    temperature: Temperature,
    tokens: &[u16],
    scored: Range<usize>,
) -> (f64, u64) {
    let mut run = SoftRun::new(model, temperature, false);
    let mut total = 0.0;
    for (i, &t) in tokens[..scored.end].iter().enumerate() {
        let logits: Array1<f64> = run.feed(t);
        if scored.contains(&i) {
            total -= super::evaluate::log_softmax_at(
                &logits,
                usize::from(tokens[i + 1]),
                temperature.logits,
            );
        }
    }
    (total, run.gate_pattern)
}

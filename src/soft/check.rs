//! The gradient check: hand-written reverse-mode gradients against central
//! finite differences, (L(w - 2h) - 8 L(w - h) + 8 L(w + h) - L(w + 2h)) /
//! 12h at h and h/2 with Richardson extrapolation, on random coordinates
//! of every tensor. ReGLU is not differentiable
//! where a gate is 0: a coordinate whose stencil opens or closes a gate is
//! counted as a kink, not compared.
//!
//! It runs on a model with the built model's shapes, tie rules and
//! position features but random dense weights: the built model's ReGLU
//! gates sit exactly at 0 for many units (step functions of integers) and
//! its lookups saturate every softmax, so a finite difference there
//! straddles kinks or measures rounding, not the derivative. Random
//! weights exercise every vector-Jacobian product (all heads live, gates of
//! both signs, unsaturated softmax) where the loss is smooth.

use super::gradient::{gradient, loss};
use super::Temperature;
use crate::weights::Model;
use anyhow::Result;
use serde::Serialize;
use std::ops::Range;

/// Gradients below this are compared absolutely: the relative error of
/// a near-zero derivative measures only the finite difference's noise
/// (about f64 epsilon x loss / step, near 1e-11 for the check's windows).
pub const RELATIVE_FLOOR: f64 = 1e-4;

/// One checked coordinate.
#[derive(Debug, Clone, Serialize)]
pub struct Coordinate {
    pub tensor: String,
    pub row: usize,
    pub col: usize,
    pub analytic: f64,
    pub numeric: f64,
    pub relative_error: f64,
}

/// What the check found.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub temperature: Temperature,
    pub tokens: usize,
    pub scored: usize,
    pub loss: f64,
    /// The finite-difference step.
    pub step: f64,
    pub coordinates: Vec<Coordinate>,
    /// Coordinates left out because their stencil crossed a ReGLU kink
    /// (the loss is not differentiable there).
    pub kinks: usize,
}

impl CheckReport {
    /// The coordinate with the largest relative error.
    pub fn worst(&self) -> Option<&Coordinate> {
        self.coordinates
            .iter()
            .max_by(|a, b| a.relative_error.total_cmp(&b.relative_error))
    }

    pub fn worst_relative_error(&self) -> f64 {
        self.worst().map_or(0.0, |c| c.relative_error)
    }

    /// The largest |analytic - numeric| of any coordinate.
    pub fn worst_absolute_error(&self) -> f64 {
        self.coordinates
            .iter()
            .map(|c| (c.analytic - c.numeric).abs())
            .fold(0.0, f64::max)
    }

    /// Coordinates whose gradient is at least [`RELATIVE_FLOOR`].
    pub fn significant(&self) -> usize {
        self.coordinates
            .iter()
            .filter(|c| c.analytic.abs().max(c.numeric.abs()) >= RELATIVE_FLOOR)
            .count()
    }
}

/// |a - n| / max(|a|, |n|, [`RELATIVE_FLOOR`]).
pub fn relative_error(analytic: f64, numeric: f64) -> f64 {
    (analytic - numeric).abs() / analytic.abs().max(numeric.abs()).max(RELATIVE_FLOOR)
}

/// Compare the gradient of the window `scored` of `tokens` with central
/// differences of step `step` at `per_tensor` uniformly random
/// coordinates of every tensor, and as many drawn among its coordinates
/// whose gradient is at least [`RELATIVE_FLOOR`] (where relative error
/// means what it says), all from `seed`.
pub fn finite_differences(
    model: &Model,
    temperature: Temperature,
    tokens: &[u16],
    scored: Range<usize>,
    per_tensor: usize,
    step: f64,
    seed: u64,
) -> Result<CheckReport> {
    let grad = gradient(model, temperature, tokens, scored.clone())?;
    let mut rng = SplitMix(seed);
    let mut probe = model.clone();
    let mut coordinates = Vec::new();
    let mut kinks = 0;
    let evaluate = |m: &Model| loss(m, temperature, tokens, scored.clone());
    let count = model.tensors().len();
    for index in 0..count {
        let (name, analytic) = &grad.d.tensors()[index];
        let name = name.clone();
        let significant: Vec<(usize, usize)> = analytic
            .indexed_iter()
            .filter(|(_, g)| g.abs() >= RELATIVE_FLOOR)
            .map(|(at, _)| at)
            .collect();
        let uniform =
            (0..per_tensor).map(|_| (rng.below(analytic.nrows()), rng.below(analytic.ncols())));
        let uniform: Vec<(usize, usize)> = uniform.collect();
        let chosen: Vec<(usize, usize)> = (0..per_tensor.min(significant.len()))
            .map(|_| significant[rng.below(significant.len())])
            .collect();
        for (row, col) in uniform.into_iter().chain(chosen) {
            let Some(numeric) = smooth_derivative(&mut probe, (index, row, col), step, &evaluate)
            else {
                kinks += 1;
                continue;
            };
            let analytic = grad.d.tensors()[index].1[[row, col]];
            coordinates.push(Coordinate {
                tensor: name.clone(),
                row,
                col,
                analytic,
                numeric,
                relative_error: relative_error(analytic, numeric),
            });
        }
    }
    Ok(CheckReport {
        temperature,
        tokens: scored.end,
        scored: grad.scored,
        loss: grad.loss,
        step,
        coordinates,
        kinks,
    })
}

/// The derivative of the loss in one weight: five-point central
/// differences at steps h and h/2, combined by Richardson extrapolation
/// (16 D(h/2) - D(h)) / 15, which cancels the h^4 term. None when the
/// stencil leaves the smooth piece the unperturbed model is on (a ReGLU
/// gate opens or closes): there the loss has a kink, and a smaller step
/// would only trade it for rounding noise. The weight is restored.
fn smooth_derivative(
    probe: &mut Model,
    (index, row, col): (usize, usize, usize),
    h: f64,
    evaluate: &dyn Fn(&Model) -> (f64, u64),
) -> Option<f64> {
    let original = *weight(probe, index, row, col);
    let (_, pattern) = evaluate(probe);
    let points = [-2.0, -1.0, -0.5, 0.5, 1.0, 2.0].map(|k| {
        *weight(probe, index, row, col) = original + k * h;
        evaluate(probe)
    });
    *weight(probe, index, row, col) = original;
    if points.iter().any(|&(_, p)| p != pattern) {
        return None;
    }
    let l = points.map(|(l, _)| l);
    let wide = (l[0] - 8.0 * l[1] + 8.0 * l[4] - l[5]) / (12.0 * h);
    let narrow = (l[1] - 8.0 * l[2] + 8.0 * l[3] - l[4]) / (6.0 * h);
    Some((16.0 * narrow - wide) / 15.0)
}

/// Weight (row, col) of tensor number `index` in [`Model::tensors`] order.
pub(crate) fn weight(model: &mut Model, index: usize, row: usize, col: usize) -> &mut f64 {
    let (_, matrix) = model.tensors_mut().swap_remove(index);
    &mut matrix[[row, col]]
}

/// A model with `like`'s config, shapes and tie rules, and dense weights
/// uniform in +-scale / sqrt(columns) (the embedding and unembedding
/// +-scale), from `seed`.
pub fn random_model(like: &Model, scale: f64, seed: u64) -> Model {
    let mut rng = SplitMix(seed);
    let mut m = like.clone();
    for (name, t) in m.tensors_mut() {
        let bound = if name.starts_with("layers.") {
            scale / (t.ncols() as f64).sqrt()
        } else {
            scale
        };
        t.mapv_inplace(|_| bound * (2.0 * rng.unit() - 1.0));
    }
    m
}

/// SplitMix64: reproducible coordinates and weights without a dependency.
pub(crate) struct SplitMix(pub(crate) u64);

impl SplitMix {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in 0..n.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

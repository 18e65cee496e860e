//! The learning demo: knock out the output weights of some FFN units and
//! recover them by gradient descent on teacher-forced windows of
//! reference traces, through the soft model.
//!
//! Only the knocked-out weights are trained: the non-zero output weights
//! of each knocked-out unit, at the slots the built model had them,
//! starting from zero. Every other weight stays the built one. (Training
//! each unit's whole output column was tried: on hello's trace alone it
//! fits the training run by writing slots the built unit never wrote,
//! and does not carry over to held-out programs.) The gradient is the
//! full reverse-mode gradient of the window's summed negative
//! log-probability ([`gradient`]) at the schedule's logit temperature
//! (see [`Temperature::logits`]: at 1 it vanishes once the training run's
//! tokens are certain, before the learnt weights beat the scores other
//! programs reach); the step is Adam's. Whether the hard decoder is exact
//! again is the caller's question, asked every few steps: this module sees
//! only weights and tokens, never a decoder.

use super::gradient::window_gradient;
use super::{Reference, Temperature};
use crate::weights::Model;
use anyhow::{ensure, Result};
use ndarray::Array2;
use serde::Serialize;
use std::time::Instant;

/// The units of one layer whose FFN output weights are zeroed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Knockout {
    pub layer: usize,
    pub units: Vec<usize>,
}

/// The learning demo's knock-out, by FFN node and unit within the node:
/// the units that choose the next token's kind (byte, commit, halt,
/// `branch_taken`, call and return commits) that hello's run opens (a unit
/// no training token opens gets no gradient).
pub const NEXT_TOKEN_KIND: [(&str, usize); 12] = [
    ("emit_byte", 0),
    ("emit_byte", 3),
    ("emit_commit", 0),
    ("emit_commit", 5),
    ("emit_commit", 7),
    ("emit_halt", 0),
    ("emit_out", 0),
    ("emit_branch_taken", 1),
    ("emit_branch_taken", 2),
    ("emit_branch_taken", 3),
    ("emit_call_commit", 0),
    ("emit_return_commit", 0),
];

impl Knockout {
    /// The units named by (node, unit within it), placed by `locate` (a
    /// node's layer and FFN rows in the built model); all in one layer.
    pub fn by_name(
        names: &[(&str, usize)],
        locate: impl Fn(&str) -> Option<(usize, std::ops::Range<usize>)>,
    ) -> Result<Knockout> {
        let mut layer = None;
        let mut units = Vec::new();
        for &(node, i) in names {
            let Some((l, rows)) = locate(node) else {
                anyhow::bail!("the model has no FFN node {node}");
            };
            ensure!(
                i < rows.len(),
                "{node} has {} units, not {}",
                rows.len(),
                i + 1
            );
            ensure!(*layer.get_or_insert(l) == l, "{node} is not in layer {l}");
            units.push(rows.start + i);
        }
        let layer = layer.ok_or_else(|| anyhow::anyhow!("no unit to knock out"))?;
        Ok(Knockout { layer, units })
    }

    /// Whether the units exist in `model`.
    pub fn check(&self, model: &Model) -> Result<()> {
        ensure!(
            self.layer < model.layers.len(),
            "layer {} is outside the model's {} layers",
            self.layer,
            model.layers.len()
        );
        ensure!(!self.units.is_empty(), "no unit to knock out");
        let width = model.config.d_ffn;
        if let Some(u) = self.units.iter().find(|&&u| u >= width) {
            anyhow::bail!("unit {u} is outside the FFN's {width} units");
        }
        Ok(())
    }

    /// `model` with the units' output columns zeroed, and which weights
    /// that zeroed (the trainable ones).
    pub fn apply(&self, model: &Model) -> Result<KnockedOut> {
        self.check(model)?;
        let trainable = self.read(model).mapv(|w| w != 0.0);
        let mut out = model.clone();
        self.write(&mut out, &Array2::zeros(trainable.dim()));
        Ok(KnockedOut {
            model: out,
            trainable,
        })
    }

    /// The trainable weights in `model`: the units' output columns, one
    /// row per unit.
    fn read(&self, model: &Model) -> Array2<f64> {
        let ffn_out = &model.layers[self.layer].ffn_out;
        let mut params = Array2::zeros((self.units.len(), ffn_out.nrows()));
        for (i, &u) in self.units.iter().enumerate() {
            params.row_mut(i).assign(&ffn_out.column(u));
        }
        params
    }

    fn write(&self, model: &mut Model, params: &Array2<f64>) {
        let ffn_out = &mut model.layers[self.layer].ffn_out;
        for (i, &u) in self.units.iter().enumerate() {
            ffn_out.column_mut(u).assign(&params.row(i));
        }
    }
}

/// A model with units knocked out.
#[derive(Debug, Clone)]
pub struct KnockedOut {
    pub model: Model,
    /// Per unit and slot: whether the built model's weight there was
    /// non-zero (and was zeroed). Only these are trained.
    pub trainable: Array2<bool>,
}

impl KnockedOut {
    /// Weights zeroed.
    pub fn removed(&self) -> usize {
        self.trainable.iter().filter(|&&t| t).count()
    }
}

/// How the descent runs.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Schedule {
    /// The attention's, and the logit temperature of the loss.
    pub temperature: Temperature,
    /// Adam's step size.
    pub learning_rate: f64,
    /// Steps at most; the run reports failure if not recovered by then.
    pub max_steps: usize,
    /// Ask whether the model is recovered after every this many steps.
    pub check_every: usize,
}

/// Adam's moment decay rates and denominator guard (the usual ones).
const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPSILON: f64 = 1e-8;

/// One gradient step.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// 1-based.
    pub step: usize,
    /// Summed negative log-probability over every training window, at the
    /// schedule's logit temperature, before the step.
    pub loss: f64,
    /// Training tokens whose teacher-forced soft argmax was the
    /// reference token, before the step.
    pub correct: usize,
    /// Norm of the gradient of the trainable weights.
    pub gradient_norm: f64,
}

/// A training window: generated tokens `start..start + tokens` of a
/// reference run.
#[derive(Debug, Clone)]
pub struct Window {
    pub name: String,
    pub reference: Reference,
    pub start: usize,
    pub tokens: usize,
}

/// What the descent did.
#[derive(Debug, Clone, Serialize)]
pub struct Learning {
    pub knockout: Knockout,
    /// Trainable weights.
    pub trainable: usize,
    pub schedule: Schedule,
    /// Tokens scored per step, over all windows.
    pub training_tokens: usize,
    /// Loss and hits of the knocked-out model, then after each step.
    pub steps: Vec<Step>,
    /// Loss and hits after the last step.
    pub final_loss: f64,
    pub final_correct: usize,
    /// Steps after which the caller was asked, and its answer.
    pub checks: Vec<(usize, bool)>,
    /// Steps taken when the caller first answered yes (None: not within
    /// `max_steps`).
    pub recovered_after: Option<usize>,
    pub seconds: f64,
}

/// Descend on the `trainable` weights of the knocked-out units of `model` until `recovered(model,
/// steps taken)` answers yes (asked before the first step, then every
/// `check_every` steps and after the last), or `max_steps`. `model` is
/// left with the learnt weights.
pub fn learn(
    model: &mut Model,
    knockout: &Knockout,
    trainable: &Array2<bool>,
    windows: &[Window],
    schedule: Schedule,
    recovered: &mut dyn FnMut(&Model, usize) -> Result<bool>,
) -> Result<Learning> {
    knockout.check(model)?;
    ensure!(
        trainable.dim() == (knockout.units.len(), model.config.d_model),
        "the trainable mask is not units x d_model"
    );
    ensure!(!windows.is_empty(), "no training window");
    ensure!(
        schedule.learning_rate > 0.0 && schedule.learning_rate.is_finite(),
        "the learning rate must be positive"
    );
    ensure!(schedule.check_every > 0, "check every 0 steps");
    let started = Instant::now();
    let mut params = knockout.read(model);
    let mut adam = Adam::new(params.dim());
    let mut learning = Learning {
        knockout: knockout.clone(),
        trainable: trainable.iter().filter(|&&t| t).count(),
        schedule,
        training_tokens: 0,
        steps: Vec::new(),
        final_loss: 0.0,
        final_correct: 0,
        checks: Vec::new(),
        recovered_after: None,
        seconds: 0.0,
    };
    let mut ask = |model: &Model, step: usize, learning: &mut Learning| -> Result<bool> {
        let yes = recovered(model, step)?;
        learning.checks.push((step, yes));
        if yes {
            learning.recovered_after = Some(step);
        }
        Ok(yes)
    };
    if ask(model, 0, &mut learning)? {
        learning.seconds = started.elapsed().as_secs_f64();
        return Ok(learning);
    }
    for step in 1..=schedule.max_steps {
        let (loss, correct, tokens, mut grad) =
            training_gradient(model, knockout, windows, schedule)?;
        ndarray::Zip::from(&mut grad)
            .and(trainable)
            .for_each(|g, &t| *g = if t { *g } else { 0.0 });
        learning.training_tokens = tokens;
        learning.steps.push(Step {
            step,
            loss,
            correct,
            gradient_norm: grad.iter().map(|g| g * g).sum::<f64>().sqrt(),
        });
        adam.step(&mut params, &grad, schedule.learning_rate);
        knockout.write(model, &params);
        let last = step == schedule.max_steps;
        if (step % schedule.check_every == 0 || last) && ask(model, step, &mut learning)? {
            break;
        }
    }
    let (loss, correct, tokens, _) = training_gradient(model, knockout, windows, schedule)?;
    learning.training_tokens = tokens;
    learning.final_loss = loss;
    learning.final_correct = correct;
    learning.seconds = started.elapsed().as_secs_f64();
    Ok(learning)
}

/// Loss, hits and tokens over every window, and the gradient of the
/// trainable weights (units x d_model).
fn training_gradient(
    model: &Model,
    knockout: &Knockout,
    windows: &[Window],
    schedule: Schedule,
) -> Result<(f64, usize, usize, Array2<f64>)> {
    let mut loss = 0.0;
    let mut correct = 0;
    let mut tokens = 0;
    let mut grad = Array2::zeros((knockout.units.len(), model.config.d_model));
    for w in windows {
        let g = window_gradient(model, schedule.temperature, &w.reference, w.start, w.tokens)?;
        loss += g.loss;
        correct += g.correct;
        tokens += g.scored;
        grad += &knockout.read(&g.d);
    }
    Ok((loss, correct, tokens, grad))
}

/// Adam's first and second moment estimates.
struct Adam {
    m: Array2<f64>,
    v: Array2<f64>,
    t: i32,
}

impl Adam {
    fn new(dim: (usize, usize)) -> Adam {
        Adam {
            m: Array2::zeros(dim),
            v: Array2::zeros(dim),
            t: 0,
        }
    }

    /// params -= lr m_hat / (sqrt(v_hat) + eps). A weight whose gradient
    /// has always been zero does not move.
    fn step(&mut self, params: &mut Array2<f64>, grad: &Array2<f64>, lr: f64) {
        self.t += 1;
        let (c1, c2) = (1.0 - BETA1.powi(self.t), 1.0 - BETA2.powi(self.t));
        ndarray::Zip::from(params)
            .and(&mut self.m)
            .and(&mut self.v)
            .and(grad)
            .for_each(|p, m, v, &g| {
                *m = BETA1 * *m + (1.0 - BETA1) * g;
                *v = BETA2 * *v + (1.0 - BETA2) * g * g;
                *p -= lr * (*m / c1) / ((*v / c2).sqrt() + EPSILON);
            });
    }
}

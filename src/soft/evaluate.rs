//! Greedy soft decoding, and teacher-forced evaluation of a reference
//! trace: the log-probability of each reference token and how many of them
//! greedy decoding reproduces.

use super::forward::SoftRun;
use super::Temperature;
use crate::isa::{Program, Token};
use crate::weights::Model;
use anyhow::{ensure, Result};
use ndarray::Array1;
use serde::Serialize;

/// A run to score: the prompt and the tokens the model must generate
/// after it (from the reference tracer, never from a decoder under test).
#[derive(Debug, Clone)]
pub struct Reference {
    /// Prompt, then the generated tokens.
    pub tokens: Vec<Token>,
    /// How many of `tokens` are the prompt.
    pub prompt: usize,
}

impl Reference {
    /// `program`'s prompt and the generated part of its reference `trace`
    /// (a trace starts with the input section, which the prompt ends with).
    pub fn from_trace(program: &Program, trace: &[Token]) -> Reference {
        let mut tokens = program.prompt();
        let prompt = tokens.len();
        let section = program.input_section().len().min(trace.len());
        tokens.extend_from_slice(&trace[section..]);
        Reference { tokens, prompt }
    }

    /// The tokens the model generates.
    pub fn generated(&self) -> &[Token] {
        &self.tokens[self.prompt..]
    }
}

/// A reference token greedy decoding did not reproduce.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Divergence {
    /// Index among the generated tokens.
    pub index: usize,
    pub expected: String,
    pub predicted: String,
    /// log p of the expected token there.
    pub log_prob: f64,
}

/// The teacher-forced evaluation of a reference window.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub temperature: Temperature,
    pub prompt_tokens: usize,
    /// Generated reference tokens scored (the window).
    pub scored: usize,
    /// Generated tokens in the whole reference run.
    pub reference_tokens: usize,
    /// Reference tokens greedy soft decoding reproduces before it first
    /// leaves the trace.
    pub exact_prefix: usize,
    /// Sum over the window of log p(reference token), natural log.
    pub log_prob: f64,
    /// The smallest single log p in the window.
    pub worst_log_prob: f64,
    /// Where greedy decoding first leaves the trace, if it does.
    pub divergence: Option<Divergence>,
}

impl Evaluation {
    /// Whether greedy soft decoding reproduces the whole reference run.
    pub fn reproduces_run(&self) -> bool {
        self.exact_prefix == self.reference_tokens
    }
}

/// How far an evaluation scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// Every token of the window.
    WindowEnd,
    /// Up to and including the first token greedy decoding misses (enough
    /// for the exact prefix; the log-probability covers only that much).
    Divergence,
}

/// Teacher-force the first `window` generated tokens of `reference`
/// through the soft model. Until the first miss, greedy decoding would
/// have fed exactly these tokens, so one pass measures both the exact
/// prefix and the log-probabilities.
pub fn evaluate(
    model: &Model,
    temperature: Temperature,
    reference: &Reference,
    window: usize,
    until: Until,
) -> Result<Evaluation> {
    let scored = window.min(reference.generated().len());
    ensure!(reference.prompt > 0, "the reference has no prompt");
    check_temperature(temperature, reference.prompt + scored)?;
    let mut run = SoftRun::new(model, temperature, false);
    let mut eval = Evaluation {
        temperature,
        prompt_tokens: reference.prompt,
        scored,
        reference_tokens: reference.generated().len(),
        exact_prefix: 0,
        log_prob: 0.0,
        worst_log_prob: 0.0,
        divergence: None,
    };
    for &t in &reference.tokens[..reference.prompt - 1] {
        run.feed(t.0);
    }
    for (index, pair) in reference.tokens[reference.prompt - 1..]
        .windows(2)
        .take(scored)
        .enumerate()
    {
        let logits = run.feed(pair[0].0);
        let expected = pair[1];
        let lp = log_softmax_at(&logits, expected.id(), temperature.logits);
        eval.log_prob += lp;
        eval.worst_log_prob = eval.worst_log_prob.min(lp);
        let predicted = Token(argmax(&logits) as u16);
        if eval.divergence.is_none() {
            if predicted == expected {
                eval.exact_prefix += 1;
            } else {
                eval.divergence = Some(Divergence {
                    index,
                    expected: expected.name().to_string(),
                    predicted: predicted.name().to_string(),
                    log_prob: lp,
                });
                if until == Until::Divergence {
                    eval.scored = index + 1;
                    break;
                }
            }
        }
    }
    Ok(eval)
}

/// Greedy soft decoding: feed `prompt`, then the argmax token after
/// token until the model's stop token or `max_tokens` generated tokens.
pub fn decode(
    model: &Model,
    temperature: Temperature,
    prompt: &[Token],
    max_tokens: usize,
) -> Result<Vec<Token>> {
    ensure!(!prompt.is_empty(), "the prompt is empty");
    check_temperature(temperature, prompt.len() + max_tokens)?;
    let stop = Token(model.config.stop_token);
    let mut run = SoftRun::new(model, temperature, false);
    let mut logits = Array1::zeros(0);
    for &t in prompt {
        logits = run.feed(t.0);
    }
    let mut generated = Vec::new();
    while generated.len() < max_tokens {
        let next = Token(argmax(&logits) as u16);
        generated.push(next);
        if next == stop {
            break;
        }
        logits = run.feed(next.0);
    }
    Ok(generated)
}

/// A temperature the soft model can run at over `positions` tokens: beta
/// and the logit temperature positive and finite, and the recency term too
/// small to overturn a unit score gap.
pub(crate) fn check_temperature(t: Temperature, positions: usize) -> Result<()> {
    ensure!(
        t.beta.is_finite() && t.beta > 0.0,
        "beta must be positive and finite, not {}",
        t.beta
    );
    ensure!(
        t.logits.is_finite() && t.logits > 0.0,
        "the logit temperature must be positive and finite, not {}",
        t.logits
    );
    ensure!(
        t.recency.is_finite() && t.recency >= 0.0 && t.recency * positions as f64 <= 0.5,
        "recency {} over {positions} positions could overturn a unit score gap \
         (recency x positions must stay <= 1/2)",
        t.recency
    );
    Ok(())
}

/// log softmax(logits / t)[i], by log-sum-exp from the largest logit.
pub(crate) fn log_softmax_at(logits: &Array1<f64>, i: usize, t: f64) -> f64 {
    let top = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = logits.iter().map(|&z| ((z - top) / t).exp()).sum();
    (logits[i] - top) / t - sum.ln()
}

/// The index of the largest logit, lowest on ties (as the hard decoder).
pub(crate) fn argmax(logits: &Array1<f64>) -> usize {
    let mut best = 0;
    for (i, &z) in logits.iter().enumerate() {
        if z > logits[best] {
            best = i;
        }
    }
    best
}

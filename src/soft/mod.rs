//! Differentiable execution: the built model with softmax attention.
//!
//! The hard decoder answers each 2D head by hardmax (plus its tie rule);
//! here every head is a softmax over its scores times an inverse
//! temperature beta, which tends to the hardmax as beta grows. The FFNs,
//! the embedding (with position features) and the unembedding are the
//! same weights and the same arithmetic, evaluated densely in f64.
//!
//! A latest-tie head picks the most recent of several equal scores (a
//! stack slot or memory byte written many times). A softmax would average
//! them, so its scores gain `recency * j` at position j: with `recency *
//! positions < 1/2` this never overturns a score gap of 1 (the smallest
//! gap of the machine's integer lookups), and as beta grows the latest
//! tied key wins. The weights could carry the same term (the position is
//! a residual slot); it is kept here so the model stays the published one.
//!
//! What is built on the forward pass ([`forward`]): greedy decoding and
//! teacher-forced evaluation of a reference trace ([`evaluate`]),
//! reverse-mode gradients of the summed negative log-probability with
//! hand-written vector-Jacobian products ([`gradient`]), and their check
//! against central finite differences ([`check`]). Imports `weights` and
//! `isa`; only the command line imports it.

pub mod check;
pub mod evaluate;
mod forward;
pub mod gradient;
pub mod learn;

pub use evaluate::{decode, evaluate, Evaluation, Reference, Until};

use serde::Serialize;

/// How soft the attention is, and the next-token distribution scored.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Temperature {
    /// Inverse temperature: scores are multiplied by it before the softmax.
    pub beta: f64,
    /// Score added per position to latest-tie heads (see the module doc).
    pub recency: f64,
    /// The unembedding's logits are divided by it before the log-softmax
    /// that log-probabilities and the loss are taken from (1: the model's
    /// own distribution). The argmax, so what decoding emits, is the same
    /// at every value. The machine's logits are sums of a 2^20 kind bonus
    /// and byte-matching scores up to 2^16: at 1 a kind that wins by a few
    /// dozen units is already certain, and the loss stops pushing there;
    /// at about 2^16 it pushes until the kind wins by several times any
    /// byte-matching score.
    pub logits: f64,
}

impl Temperature {
    /// `beta`, with the largest power-of-two recency that keeps
    /// `recency * positions <= 1/2`, so it never overturns a unit score gap
    /// within a run of `positions` tokens.
    pub fn for_positions(beta: f64, positions: usize) -> Temperature {
        let halves = (2 * positions.max(1)) as f64;
        Temperature {
            beta,
            recency: (-halves.log2().ceil()).exp2(),
            logits: 1.0,
        }
    }

    /// The same attention, with the logits divided by `t` before the
    /// log-softmax.
    pub fn with_logits(self, t: f64) -> Temperature {
        Temperature { logits: t, ..self }
    }
}

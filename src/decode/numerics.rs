//! How close a run came to a different token: attention and logit margins.

use super::attention::{KvCache, Margin, MarginCache};
use super::{Decoder, Head, Session};
use crate::isa::Program;
use serde::{Deserialize, Serialize};

/// How close one run came to a wrong argmax: the smallest gap between the
/// winning and the runner-up score, over attention heads and output logits.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Numerics {
    pub program: String,
    /// Trace tokens measured (runs are capped: the measurement scans every
    /// key of every head, O(n^2)).
    pub tokens: usize,
    /// Smallest attention gap: (gap, layer, head, keys in the cache then).
    pub(crate) attention_gap: Option<(f64, usize, usize, usize)>,
    /// Smallest gap between the chosen token's logit and the next lower one,
    /// and the trace index where it occurred.
    pub(crate) logit_gap: Option<(f64, usize)>,
    /// Steps where two tokens tied for the top logit (resolved by lowest id).
    pub(crate) logit_ties: usize,
}

/// Decode `program` for at most `max_tokens` with the margin-measuring
/// cache and report its numerics.
pub fn numerics(decoder: &Decoder, name: &str, program: &Program, max_tokens: usize) -> Numerics {
    let mut session = decoder.session::<MarginCache>();
    let prompt = program.prompt();
    let section = program.input_section().len();
    let mut fed = prompt.iter().all(|&t| session.feed(t, true).is_ok());
    let mut tokens = section;
    let mut logit_gap: Option<(f64, usize)> = None;
    let mut logit_ties = 0;
    // A run that leaves the exact domain ends there: the margins so far
    // are still what they measure.
    while fed && tokens < max_tokens {
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
        fed = session.feed(next, true).is_ok();
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

impl<C: KvCache> Session<'_, C> {
    /// The top output score minus the best strictly lower one, and whether
    /// another token tied the top (the lowest id then wins).
    fn logit_margin(&mut self) -> (f64, bool) {
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
    fn attention_margins(&self) -> Vec<((usize, usize), Margin)> {
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
}

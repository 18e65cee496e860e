//! The longest trace the decoder runs exactly, read from the weights.
//!
//! Positions enter the residual stream in two slots, p and p^2, and grow
//! without bound; every other quantity the machine computes is bounded by
//! what the program does, not by how long it ran. So the horizon is where
//! the position arithmetic stops being exact:
//!
//! - p^2 is never computed in f64 for a head the plan proved a position
//!   head (its keys go to the caches as the integers (2p, -p^2)); any other
//!   row that reads the p^2 slot reads a rounded f64 past p^2 = 2^53;
//! - position keys stay integers below 2^120 (the caches' exact domain):
//!   p < 2^59;
//! - the p slot is an f64: a row that adds weights times positions (p
//!   itself, or positions attention copied from earlier tokens) is an
//!   exact integer while that part stays within half of f64's integer
//!   range, 2^52, leaving the rest for what the row adds to it. (A weight
//!   that is not an integer rounds its product at every length, position
//!   0 included: that is the f64 arithmetic the weights ask for, as in any
//!   projection, not a limit of length. The machine's weights on positions
//!   are integers.)
//!
//! Positions spread by attention: a head whose value reads a position
//! copies it (or a mean of positions) into its output slots, so those
//! slots count too. FFN outputs are taken to carry no position: in the
//! machine they are flags, bytes, a count times a mean (a running sum,
//! rounded back by the rounding pair with an error relative to the sum,
//! not to the count) and squares of position differences, all bounded by
//! what the program does; that is the graph's exactness, which the exact
//! evaluator checks, not something these weights alone prove.

use super::lookup::POSITION_BITS;
use super::plan::HeadPlan;
use crate::weights::{Layer, Model};
use ndarray::{Array2, ArrayView1};
use serde::{Deserialize, Serialize};

/// The largest position whose square is exact in f64 (p^2 < 2^53).
const EXACT_SQUARES: u64 = 94_906_265;

/// Positions the decoder runs exactly: a run stops before feeding the
/// token at `positions` (prompt included) rather than emit a token that
/// may be wrong.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Horizon {
    pub positions: u64,
    /// Which part of the arithmetic sets it.
    pub limit: HorizonLimit,
    /// The largest weight any f64 row puts on positions (the p slot and
    /// the slots attention copies positions into).
    pub position_weight: f64,
}

// The weight is a finite sum of finite weights, never NaN.
impl Eq for Horizon {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HorizonLimit {
    /// Position keys (2p, -p^2) as integers below 2^120.
    PositionKeys,
    /// A row other than a proven position key reads p^2 as an f64.
    SquareSlot,
    /// Weights times positions as exact f64 integers below 2^52.
    PositionSlot,
}

impl std::fmt::Display for Horizon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let why = match self.limit {
            HorizonLimit::PositionKeys => "position keys (2p, -p^2) stay integers below 2^120",
            HorizonLimit::SquareSlot => "a row other than a position key reads p^2 as an f64",
            HorizonLimit::PositionSlot => "weights times positions stay exact f64 integers",
        };
        write!(
            f,
            "exact up to {} tokens (2^{:.1}): {why}; largest weight on positions {}",
            self.positions,
            (self.positions as f64).log2(),
            self.position_weight
        )
    }
}

/// The horizon of `model` decoded with `plans`.
pub(crate) fn horizon(model: &Model, plans: &[HeadPlan]) -> Horizon {
    let weight = position_weight(model, plans);
    let slot = if weight > 0.0 {
        (2f64.powi(52) / weight).floor() as u64
    } else {
        u64::MAX
    };
    let candidates = [
        (1u64 << POSITION_BITS, HorizonLimit::PositionKeys),
        (
            if reads_square_as_float(model, plans) {
                EXACT_SQUARES + 1
            } else {
                u64::MAX
            },
            HorizonLimit::SquareSlot,
        ),
        (slot, HorizonLimit::PositionSlot),
    ];
    let (positions, limit) = candidates
        .into_iter()
        .min_by_key(|c| c.0)
        .expect("three limits");
    Horizon {
        positions,
        limit,
        position_weight: weight,
    }
}

/// Whether a row the decoder computes in f64 reads the p^2 slot: any row
/// but the keys of proven position heads, which are given as integers.
fn reads_square_as_float(model: &Model, plans: &[HeadPlan]) -> bool {
    let square = model.config.position_slots[1];
    let heads = model.config.heads;
    let reads = |m: &Array2<f64>, skip: &dyn Fn(usize) -> bool| {
        (0..m.nrows()).any(|r| !skip(r) && m[[r, square]] != 0.0)
    };
    let never = |_: usize| false;
    model.layers.iter().enumerate().any(|(l, layer)| {
        let position_key = |r: usize| position_head(plans, l * heads + r / 2);
        reads(&layer.query, &never)
            || reads(&layer.key, &position_key)
            || reads(&layer.value, &never)
            || reads(&layer.ffn_gate, &never)
            || reads(&layer.ffn_value, &never)
    }) || reads(&model.unembedding, &never)
}

fn position_head(plans: &[HeadPlan], index: usize) -> bool {
    matches!(plans[index], HeadPlan::Position { .. })
}

/// The largest weight an f64 row puts on positions. Each slot carries a
/// gain: a bound on the positions in it per unit of position. The p slot
/// has gain 1; an attention output has the gain of its value row (it is a
/// value, or a mean of values, of earlier positions); FFN outputs carry
/// none (see the module comment), but their gate and value rows count; a
/// slot an FFN erases for reuse holds nothing after it.
fn position_weight(model: &Model, plans: &[HeadPlan]) -> f64 {
    let c = &model.config;
    let one = constant_slot(model);
    let mut gain = vec![0.0; c.d_model];
    gain[c.position_slots[0]] = 1.0;
    let mut largest: f64 = 0.0;
    let row_gain = |row: ArrayView1<f64>, gain: &[f64]| -> f64 {
        row.iter()
            .zip(gain)
            .filter(|(&w, &g)| w != 0.0 && g != 0.0)
            .map(|(&w, &g)| w.abs() * g)
            .sum()
    };
    let rows = |m: &Array2<f64>, gain: &[f64]| -> Vec<f64> {
        m.rows().into_iter().map(|r| row_gain(r, gain)).collect()
    };
    for (l, layer) in model.layers.iter().enumerate() {
        let heads = rows(&layer.value, &gain);
        let keys = rows(&layer.key, &gain);
        for (r, &k) in keys.iter().enumerate() {
            // Proven position keys go to the caches as integers.
            if !position_head(plans, l * c.heads + r / 2) {
                largest = largest.max(k);
            }
        }
        let ffn = rows(&layer.ffn_gate, &gain)
            .into_iter()
            .chain(rows(&layer.ffn_value, &gain));
        largest = rows(&layer.query, &gain)
            .into_iter()
            .chain(heads.iter().copied())
            .chain(ffn)
            .fold(largest, f64::max);
        for (g, copied) in gain.iter_mut().zip(rows(&layer.output, &heads)) {
            *g += copied;
        }
        for s in erased(layer, one) {
            gain[s] = 0.0;
        }
    }
    rows(&model.unembedding, &gain)
        .into_iter()
        .fold(largest, f64::max)
}

/// The slot every token sets to 1 and no layer writes, if there is one.
fn constant_slot(model: &Model) -> Option<usize> {
    let written = |s: usize| {
        model.layers.iter().any(|l| {
            l.output.row(s).iter().any(|&v| v != 0.0) || l.ffn_out.row(s).iter().any(|&v| v != 0.0)
        })
    };
    (0..model.config.d_model)
        .find(|&s| model.embedding.column(s).iter().all(|&v| v == 1.0) && !written(s))
}

/// Slots the layer's FFN erases: a unit 1 * relu(1) * x_s * -1 that writes
/// slot s alone (how the schedule clears a dead value before reusing its
/// slot).
fn erased(layer: &Layer, one: Option<usize>) -> Vec<usize> {
    let Some(one) = one else { return Vec::new() };
    let single = |row: ArrayView1<f64>| -> Option<(usize, f64)> {
        let mut nz = row.iter().enumerate().filter(|(_, &w)| w != 0.0);
        let first = nz.next().map(|(s, &w)| (s, w));
        nz.next().is_none().then_some(first).flatten()
    };
    (0..layer.ffn_gate.nrows())
        .filter_map(|u| {
            let gate = single(layer.ffn_gate.row(u))?;
            let (s, w) = single(layer.ffn_value.row(u))?;
            let out = single(layer.ffn_out.column(u))?;
            (gate == (one, 1.0) && w == 1.0 && out == (s, -1.0)).then_some(s)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published model: p^2 only in position keys, so the horizon is
    /// set by the f64 position slot, far past 2^32 tokens.
    #[test]
    fn the_published_model_is_exact_far_past_2_to_the_32() {
        let model = crate::build_model();
        let plans = super::super::plan::plan_heads(&model);
        assert!(!reads_square_as_float(&model, &plans));
        let h = horizon(&model, &plans);
        assert_eq!(h.limit, HorizonLimit::PositionSlot, "{h}");
        assert!(h.positions > 1 << 40, "{h}");
        assert!(h.position_weight >= 1.0, "{h}");
    }
}

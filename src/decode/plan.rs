//! How each attention head is answered, read from the weights alone.

use crate::weights::Model;
use serde::{Deserialize, Serialize};

/// How a head can be answered.
#[derive(Debug, Clone)]
pub(crate) enum HeadPlan {
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

/// The query, key and value rows a layer needs, given how its heads are
/// answered: heads answered without a search need no key (position heads)
/// or neither key nor query (constant heads).
#[derive(Debug, Clone, Default)]
pub(crate) struct ProjectionRows {
    pub(crate) query: Vec<u32>,
    pub(crate) key: Vec<u32>,
    pub(crate) value: Vec<u32>,
}

/// Classify every head from the weights alone.
pub(crate) fn plan_heads(model: &Model) -> Vec<HeadPlan> {
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

/// Per layer, the projection rows a session computes: all of them without
/// shortcuts, else only those its heads' plans read.
pub(crate) fn projection_rows(
    plans: &[HeadPlan],
    heads: usize,
    shortcuts: bool,
) -> Vec<ProjectionRows> {
    plans
        .chunks(heads)
        .map(|layer| {
            let mut rows = ProjectionRows::default();
            for (h, plan) in layer.iter().enumerate() {
                let (need_q, need_k, need_v) = match (shortcuts, plan) {
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
pub(crate) fn head_cards(model: &Model, plans: &[HeadPlan]) -> Vec<HeadCard> {
    let h = model.config.heads;
    let mut cards = Vec::new();
    for (l, info) in model.config.head_info.iter().enumerate() {
        for (i, head) in info.iter().enumerate() {
            let answered_by = match &plans[l * h + i] {
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

//! How each attention head is answered, read from the weights alone.

use crate::weights::{Layer, Model};
use ndarray::{Array2, ArrayView1};
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
    /// token when the values depend on the token alone. `same_query_as` is
    /// an earlier position head of the layer with the same query rows and
    /// tie rule: its winner is this head's too, so it is found once.
    Position {
        token_values: Option<Vec<[f64; 2]>>,
        same_query_as: Option<usize>,
    },
    /// Anything else: the KV cache searches.
    General,
}

/// One attention head, as the model card shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeadCard {
    pub layer: usize,
    pub head: usize,
    /// The graph lookup the head implements.
    pub(crate) looks_up: String,
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
    /// The query rows and answers of a token whose scores are not read
    /// (`Unscored`): all of them, unless shortcuts are allowed.
    pub(crate) unscored_query: Vec<u32>,
    pub(crate) unscored_answers: Vec<bool>,
    /// The heads a session visits: an unused head's output stays 0.
    pub(crate) visited: Vec<u32>,
}

/// Classify every head from the weights alone. A shortcut is taken only
/// where the weights prove the keys (and, for values by token, the values)
/// it assumes; anything else is searched by the KV cache.
pub(crate) fn plan_heads(model: &Model) -> Vec<HeadPlan> {
    let mut slots = Slots::new(model);
    let mut plans = Vec::new();
    for layer in &model.layers {
        let mut layer_plans: Vec<HeadPlan> = (0..model.config.heads)
            .map(|h| plan_head(model, layer, h, &slots))
            .collect();
        share_queries(layer, &mut layer_plans);
        plans.extend(layer_plans);
        slots.written_by(layer);
    }
    plans
}

/// Link each position head to the first earlier one whose query rows and
/// tie rule are the same: with the same keys (positions) and the same
/// query, both attend to the same position(s).
fn share_queries(layer: &Layer, plans: &mut [HeadPlan]) {
    let query = |h: usize| {
        [
            sparse_row(&layer.query, 2 * h),
            sparse_row(&layer.query, 2 * h + 1),
        ]
    };
    for h in 0..plans.len() {
        let leader = (0..h).find(|&g| {
            matches!(
                plans[g],
                HeadPlan::Position {
                    same_query_as: None,
                    ..
                }
            ) && layer.ties[g] == layer.ties[h]
                && query(g) == query(h)
        });
        if let HeadPlan::Position { same_query_as, .. } = &mut plans[h] {
            *same_query_as = leader;
        }
    }
}

/// What the residual slots hold when a layer's attention reads them.
struct Slots {
    position: [usize; 2],
    /// Slots holding exactly the token's embedding: no position feature
    /// is added there and no earlier layer writes them.
    embedding_only: Vec<bool>,
    /// The position slots hold exactly p and p^2: they are distinct, the
    /// embedding is zero there for every token, and no earlier layer
    /// writes them.
    exact_positions: bool,
}

impl Slots {
    fn new(model: &Model) -> Slots {
        let position = model.config.position_slots;
        let [pos, pos_sq] = position;
        let zero_column = |s: usize| model.embedding.column(s).iter().all(|&v| v == 0.0);
        let mut embedding_only = vec![true; model.config.d_model];
        embedding_only[pos] = false;
        embedding_only[pos_sq] = false;
        Slots {
            position,
            embedding_only,
            exact_positions: pos != pos_sq && zero_column(pos) && zero_column(pos_sq),
        }
    }

    /// After `layer`: the slots its attention output or FFN writes no
    /// longer hold what they held.
    fn written_by(&mut self, layer: &Layer) {
        let writes = |s: usize| {
            layer.output.row(s).iter().any(|&v| v != 0.0)
                || layer.ffn_out.row(s).iter().any(|&v| v != 0.0)
        };
        for s in 0..self.embedding_only.len() {
            if writes(s) {
                self.embedding_only[s] = false;
                self.exact_positions &= !self.position.contains(&s);
            }
        }
    }
}

/// What a token needs whose output scores are never read (every prompt
/// token but the last): its keys and values at every layer, which the
/// tokens after it attend to, and whatever computes the slots those read.
/// Found backwards from the weights alone: a slot is live if a key or
/// value row of its layer or a later one reads it, or a needed query row
/// or FFN unit does; a unit is needed if it writes a live slot, and a
/// head's answer if its output does (or a needed head shares its query).
/// Everything else only writes slots nothing reads again, so skipping it
/// changes no key, value or token.
#[derive(Debug, Clone)]
pub(crate) struct Unscored {
    /// Per layer and head: the head's answer is needed.
    pub(crate) answers: Vec<Vec<bool>>,
    /// Per layer and FFN unit: the unit is needed.
    pub(crate) units: Vec<Vec<bool>>,
}

impl Unscored {
    pub(crate) fn new(model: &Model, plans: &[HeadPlan]) -> Unscored {
        let heads = model.config.heads;
        // No output scores: nothing is live after the last layer.
        let mut live = vec![false; model.config.d_model];
        let mut answers = Vec::new();
        let mut units = Vec::new();
        for (l, layer) in model.layers.iter().enumerate().rev() {
            let needed: Vec<bool> = (0..layer.ffn_out.ncols())
                .map(|u| writes_live(&layer.ffn_out, u, &live))
                .collect();
            for u in (0..needed.len()).filter(|&u| needed[u]) {
                mark_read(&layer.ffn_gate, u, &mut live);
                mark_read(&layer.ffn_value, u, &mut live);
            }
            let mut answer: Vec<bool> = (0..heads)
                .map(|h| (2 * h..2 * h + 2).any(|c| writes_live(&layer.output, c, &live)))
                .collect();
            for h in 0..heads {
                if let HeadPlan::Position {
                    same_query_as: Some(leader),
                    ..
                } = plans[l * heads + h]
                {
                    answer[leader] |= answer[h];
                }
            }
            for r in 0..2 * heads {
                if answer[r / 2] {
                    mark_read(&layer.query, r, &mut live);
                }
                mark_read(&layer.key, r, &mut live);
                mark_read(&layer.value, r, &mut live);
            }
            answers.push(answer);
            units.push(needed);
        }
        answers.reverse();
        units.reverse();
        Unscored { answers, units }
    }

    /// (FFN units, heads answered) such a token computes, of all.
    pub(crate) fn work(&self) -> [(usize, usize); 2] {
        let count = |v: &[Vec<bool>]| {
            let all = v.iter().map(Vec::len).sum();
            (v.iter().flatten().filter(|&&b| b).count(), all)
        };
        [count(&self.units), count(&self.answers)]
    }
}

/// Does column c of `m` (slots by row) write a live slot?
fn writes_live(m: &Array2<f64>, c: usize, live: &[bool]) -> bool {
    m.column(c).iter().zip(live).any(|(&w, &l)| l && w != 0.0)
}

/// The slots row r of `m` reads are live.
fn mark_read(m: &Array2<f64>, r: usize, live: &mut [bool]) {
    for (s, &w) in m.row(r).iter().enumerate() {
        live[s] |= w != 0.0;
    }
}

/// The non-zero entries of row r, by ascending column.
fn sparse_row(m: &Array2<f64>, r: usize) -> Vec<(usize, f64)> {
    m.row(r)
        .iter()
        .enumerate()
        .filter(|(_, &v)| v != 0.0)
        .map(|(i, &v)| (i, v))
        .collect()
}

fn plan_head(model: &Model, layer: &Layer, h: usize, slots: &Slots) -> HeadPlan {
    let pair = |m: &Array2<f64>| [sparse_row(m, 2 * h), sparse_row(m, 2 * h + 1)];
    let (query, key, value) = (pair(&layer.query), pair(&layer.key), pair(&layer.value));
    let [pos, pos_sq] = slots.position;
    if query.iter().chain(&key).chain(&value).all(|r| r.is_empty()) {
        HeadPlan::Unused
    } else if key.iter().all(|r| r.is_empty()) {
        // Every key is (0, 0), whatever the residual holds.
        HeadPlan::Constant
    } else if key == [vec![(pos, 2.0)], vec![(pos_sq, -1.0)]] && slots.exact_positions {
        HeadPlan::Position {
            token_values: token_values(model, &value, slots),
            same_query_as: None,
        }
    } else {
        HeadPlan::General
    }
}

/// Each vocabulary token's value, when the value rows read only slots that
/// hold the embedding: computed as the decoder computes a projection row
/// (from 0.0, ascending columns), so it is the same bit for bit.
fn token_values(
    model: &Model,
    value: &[Vec<(usize, f64)>; 2],
    slots: &Slots,
) -> Option<Vec<[f64; 2]>> {
    let reads_embedding = value
        .iter()
        .flatten()
        .all(|&(s, _)| slots.embedding_only[s]);
    let dot =
        |r: &[(usize, f64)], e: ArrayView1<f64>| r.iter().fold(0.0, |acc, &(s, c)| acc + c * e[s]);
    reads_embedding.then(|| {
        model
            .embedding
            .rows()
            .into_iter()
            .map(|e| [dot(&value[0], e), dot(&value[1], e)])
            .collect()
    })
}

/// Per layer, the projection rows a session computes: all of them without
/// shortcuts, else only those its heads' plans read.
pub(crate) fn projection_rows(
    plans: &[HeadPlan],
    heads: usize,
    shortcuts: bool,
    unscored: &Unscored,
) -> Vec<ProjectionRows> {
    plans
        .chunks(heads)
        .zip(&unscored.answers)
        .map(|(layer, answers)| {
            let mut rows = ProjectionRows::default();
            for (h, plan) in layer.iter().enumerate() {
                let (need_q, need_k, need_v) = match (shortcuts, plan) {
                    (false, _) | (true, HeadPlan::General) => (true, true, true),
                    (
                        true,
                        HeadPlan::Position {
                            token_values,
                            same_query_as,
                        },
                    ) => (same_query_as.is_none(), false, token_values.is_none()),
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
                    if need_q && (answers[h] || !shortcuts) {
                        rows.unscored_query.push(r);
                    }
                }
                rows.unscored_answers.push(answers[h] || !shortcuts);
                if !(shortcuts && matches!(plan, HeadPlan::Unused)) {
                    rows.visited.push(h as u32);
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
                HeadPlan::Unused => "unused".to_string(),
                HeadPlan::Constant => "running sum".into(),
                HeadPlan::Position {
                    token_values,
                    same_query_as,
                } => {
                    let values = match token_values {
                        Some(_) => "by token",
                        None => "stored",
                    };
                    match same_query_as {
                        Some(g) => format!("position, {values}, winner of {}", info[*g].name),
                        None => format!("position, {values}"),
                    }
                }
                HeadPlan::General => "hull".into(),
            };
            cards.push(HeadCard {
                layer: l,
                head: i,
                looks_up: head.name.clone(),
                tie: format!("{:?}", head.tie).to_lowercase(),
                answered_by,
            });
        }
    }
    cards
}

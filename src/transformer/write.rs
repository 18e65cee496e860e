//! Graph + schedule -> weight matrices, written straight from the node
//! expressions, in f64.

use super::graph::{Expr, Graph, PositionFeature, Producer, Tie};
use super::machine::Machine;
use super::schedule::Schedule;
use crate::isa::{Token, Vocab};
use crate::weights::{HeadInfo, Layer, Model, ModelConfig};
use ndarray::Array2;

fn write_expr(row: &mut ndarray::ArrayViewMut1<f64>, e: &Expr, slot: &[usize]) {
    for &(d, c) in &e.terms {
        row[slot[d.0 as usize]] += c;
    }
}

/// Build the weights of `machine` laid out by `schedule`.
pub fn build(machine: &Machine, schedule: &Schedule) -> Model {
    let g: &Graph = &machine.graph;
    let d = schedule.d_model;
    let slot = &schedule.slot;
    let vocab = Vocab::get();
    let heads = schedule.heads();

    let mut embedding = Array2::zeros((vocab.len(), d));
    for (t, feats) in machine.embedding.iter().enumerate() {
        for &(dim, v) in feats {
            embedding[[t, slot[dim.0 as usize]]] += v;
        }
    }
    let mut unembedding = Array2::zeros((vocab.len(), d));
    for (t, e) in machine.scores.iter().enumerate() {
        write_expr(&mut unembedding.row_mut(t), e, slot);
    }

    let first_unit = first_units(g, schedule);
    let mut units_per_layer = vec![0usize; schedule.layers];
    for (f, ffn) in g.ffns.iter().enumerate() {
        units_per_layer[schedule.ffn_layer[f]] += ffn.units.len();
    }
    for (l, e) in schedule.erase.iter().enumerate() {
        units_per_layer[l] += e.len();
    }
    let d_ffn = units_per_layer.iter().copied().max().unwrap_or(0);

    let mut layers = Vec::with_capacity(schedule.layers);
    let mut head_info = Vec::with_capacity(schedule.layers);
    for l in 0..schedule.layers {
        let mut layer = Layer {
            query: Array2::zeros((2 * heads, d)),
            key: Array2::zeros((2 * heads, d)),
            value: Array2::zeros((2 * heads, d)),
            output: Array2::zeros((d, 2 * heads)),
            ffn_gate: Array2::zeros((d_ffn, d)),
            ffn_value: Array2::zeros((d_ffn, d)),
            ffn_out: Array2::zeros((d, d_ffn)),
            ties: Vec::new(),
        };
        let mut info = Vec::new();
        for (li, lookup) in g.lookups.iter().enumerate() {
            if schedule.lookup_layer[li] != l {
                continue;
            }
            let h = layer.ties.len();
            for c in 0..2 {
                write_expr(&mut layer.query.row_mut(2 * h + c), &lookup.query[c], slot);
                write_expr(&mut layer.key.row_mut(2 * h + c), &lookup.key[c], slot);
            }
            for (c, (v, out)) in lookup.values.iter().zip(&lookup.outputs).enumerate() {
                write_expr(&mut layer.value.row_mut(2 * h + c), v, slot);
                layer.output[[slot[out.0 as usize], 2 * h + c]] = 1.0;
            }
            layer.ties.push(lookup.tie);
            info.push(HeadInfo {
                name: lookup.name.clone(),
                tie: lookup.tie,
            });
        }
        layer.ties.resize(heads, Tie::Latest);
        // The erasing units follow the nodes' units.
        let mut j: usize = g
            .ffns
            .iter()
            .enumerate()
            .filter(|&(f, _)| schedule.ffn_layer[f] == l)
            .map(|(_, ffn)| ffn.units.len())
            .sum();
        for (f, ffn) in g.ffns.iter().enumerate() {
            if schedule.ffn_layer[f] != l {
                continue;
            }
            let out = slot[ffn.output.0 as usize];
            for (u, row) in ffn.units.iter().zip(first_unit[f]..) {
                write_expr(&mut layer.ffn_gate.row_mut(row), &u.gate, slot);
                write_expr(&mut layer.ffn_value.row_mut(row), &u.value, slot);
                layer.ffn_out[[out, row]] = u.coef;
            }
        }
        for &(dead, s) in &schedule.erase[l] {
            layer.ffn_gate[[j, slot[Graph::ONE.0 as usize]]] = 1.0;
            layer.ffn_value[[j, slot[dead.0 as usize]]] = 1.0;
            layer.ffn_out[[s, j]] = -1.0;
            j += 1;
        }
        layers.push(layer);
        head_info.push(info);
    }
    let position_slot = |p: Producer| {
        let dim = g
            .dims
            .iter()
            .position(|x| x.producer == p)
            .expect("position feature");
        slot[dim]
    };
    Model {
        config: ModelConfig {
            vocab: vocab.tokens().map(|t| t.name().to_string()).collect(),
            d_model: d,
            layers: schedule.layers,
            heads,
            d_ffn,
            position_slots: [
                position_slot(Producer::Position(PositionFeature::Linear)),
                position_slot(Producer::Position(PositionFeature::Square)),
            ],
            stop_token: Token::halt().0,
            head_info,
        },
        embedding,
        layers,
        unembedding,
    }
}

/// Per FFN node, the row of its first unit in its layer's FFN: nodes in
/// graph order, then the units that erase dead slots.
pub(crate) fn first_units(g: &Graph, schedule: &Schedule) -> Vec<usize> {
    let mut next = vec![0usize; schedule.layers];
    g.ffns
        .iter()
        .enumerate()
        .map(|(f, ffn)| {
            let row = &mut next[schedule.ffn_layer[f]];
            *row += ffn.units.len();
            *row - ffn.units.len()
        })
        .collect()
}

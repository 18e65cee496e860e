//! Place every graph node in a layer and assign residual slots.
//!
//! Layers: a lookup runs in a layer's attention phase, after everything it
//! reads; an FFN node in a layer's FFN phase, which may read that layer's
//! attention outputs. Nodes are placed as early as possible (fewest layers),
//! then moved as late as their consumers allow (shorter lifetimes, so fewer
//! slots).
//!
//! Slots: a dim occupies a slot from its birth to its last read. A slot is
//! reused once its occupant is dead. Writes add to the residual stream, so
//! a reused slot must hold zero: the last FFN before the new birth erases
//! the dead occupant (one extra unit, `-relu(1) * old`, which cancels it
//! exactly).

use crate::transformer::graph::{Dim, Graph, Producer};

/// Time points: the embedding is -1, layer L's attention is 2L and its FFN
/// 2L+1; the output scores read at 2 * layers.
type Time = i64;

fn attn_time(layer: usize) -> Time {
    2 * layer as Time
}

fn ffn_time(layer: usize) -> Time {
    2 * layer as Time + 1
}

#[derive(Debug, Clone)]
pub struct Schedule {
    pub layers: usize,
    pub d_model: usize,
    /// Residual slot of every dim.
    pub slot: Vec<usize>,
    pub(crate) lookup_layer: Vec<usize>,
    pub(crate) ffn_layer: Vec<usize>,
    /// Per layer: dims whose (dead) value its FFN erases, with their slot.
    pub(crate) erase: Vec<Vec<(Dim, usize)>>,
    /// Birth and last read of every dim.
    // Read by the tests that check no two live dims share a slot.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) lifetime: Vec<(Time, Time)>,
}

impl Schedule {
    /// Heads needed: the most lookups any layer runs.
    pub fn heads(&self) -> usize {
        (0..self.layers)
            .map(|l| self.lookup_layer.iter().filter(|&&x| x == l).count())
            .max()
            .unwrap_or(0)
    }
}

fn outputs_of(g: &Graph, p: Producer) -> Vec<Dim> {
    match p {
        Producer::Lookup(l) => g.lookups[l].outputs.clone(),
        Producer::Ffn(f) => vec![g.ffns[f].output],
        _ => Vec::new(),
    }
}

/// The earliest time a node in `phase` can read a dim born at `birth`.
fn ready_layer(birth: Time, attention: bool) -> usize {
    // Born at time b; an attention at time 2L needs b < 2L, an FFN at 2L+1
    // needs b < 2L+1.
    let min_time = birth + 1;
    let layer = if attention {
        (min_time + 1).div_euclid(2)
    } else {
        min_time.div_euclid(2)
    };
    layer.max(0) as usize
}

pub(crate) fn schedule(g: &Graph) -> Schedule {
    let order = crate::transformer::graph::topological_order(g);
    let n = g.dims.len();
    let mut birth: Vec<Time> = vec![-1; n];
    let mut lookup_layer = vec![0; g.lookups.len()];
    let mut ffn_layer = vec![0; g.ffns.len()];

    // As soon as possible.
    for &node in &order {
        let attention = matches!(node, Producer::Lookup(_));
        let layer = g
            .reads(node)
            .iter()
            .map(|d| ready_layer(birth[d.0 as usize], attention))
            .max()
            .unwrap_or(0);
        let t = place(node, layer, &mut lookup_layer, &mut ffn_layer);
        for d in outputs_of(g, node) {
            birth[d.0 as usize] = t;
        }
    }
    let layers = lookup_layer
        .iter()
        .chain(&ffn_layer)
        .copied()
        .max()
        .map_or(0, |l| l + 1);
    let end: Time = 2 * layers as Time;

    // As late as possible, consumers first.
    let mut consumers: Vec<Vec<Producer>> = vec![Vec::new(); n];
    for &node in &order {
        for d in g.reads(node) {
            consumers[d.0 as usize].push(node);
        }
    }
    let time_of = |p: Producer, ll: &[usize], fl: &[usize]| match p {
        Producer::Lookup(l) => attn_time(ll[l]),
        Producer::Ffn(f) => ffn_time(fl[f]),
        _ => -1,
    };
    for &node in order.iter().rev() {
        let outs = outputs_of(g, node);
        let mut latest: Time = end;
        let is_output = outs.iter().any(|d| g.outputs.contains(d));
        for d in &outs {
            for &c in &consumers[d.0 as usize] {
                latest = latest.min(time_of(c, &lookup_layer, &ffn_layer) - 1);
            }
        }
        if is_output {
            latest = latest.min(end - 1);
        }
        let layer = match node {
            Producer::Lookup(_) => latest.div_euclid(2),
            _ => (latest - 1).div_euclid(2),
        };
        let current = match node {
            Producer::Lookup(l) => lookup_layer[l],
            Producer::Ffn(f) => ffn_layer[f],
            _ => continue,
        };
        let layer = (layer.max(0) as usize).max(current).min(layers - 1);
        let t = place(node, layer, &mut lookup_layer, &mut ffn_layer);
        for d in outs {
            birth[d.0 as usize] = t;
        }
    }

    // Lifetimes.
    let mut last_read: Vec<Time> = birth.clone();
    for &node in &order {
        let t = time_of(node, &lookup_layer, &ffn_layer);
        for d in g.reads(node) {
            last_read[d.0 as usize] = last_read[d.0 as usize].max(t);
        }
    }
    for d in &g.outputs {
        last_read[d.0 as usize] = end;
    }
    last_read[Graph::ONE.0 as usize] = end;

    // Slots, in order of birth.
    let mut by_birth: Vec<usize> = (0..n).collect();
    by_birth.sort_by_key(|&d| (birth[d], d));
    let mut slot = vec![usize::MAX; n];
    let mut occupant: Vec<usize> = Vec::new();
    let mut erase: Vec<Vec<(Dim, usize)>> = vec![Vec::new(); layers];
    for &d in &by_birth {
        let b = birth[d];
        // The FFN that zeroes the slot runs before the writer: the last FFN
        // before this birth. (Erasing in the writer's own FFN would add the
        // new value and minus the old one in one sum, and a large dead value
        // would swallow the new one's low bits.)
        let eraser: Option<Time> = match b {
            b if b < 0 => None,
            b if b % 2 == 1 => Some(b - 2).filter(|&t| t >= 1),
            b => Some(b - 1).filter(|&t| t >= 1),
        };
        let reused = eraser.and_then(|t| {
            // The eraser reads the occupant from its input, so the occupant
            // must be born before it.
            let s = (0..occupant.len())
                .find(|&s| last_read[occupant[s]] <= t && birth[occupant[s]] < t)?;
            erase[(t / 2) as usize].push((Dim(occupant[s] as u32), s));
            Some(s)
        });
        let s = reused.unwrap_or_else(|| {
            occupant.push(d);
            occupant.len() - 1
        });
        occupant[s] = d;
        slot[d] = s;
    }
    Schedule {
        layers,
        d_model: occupant.len(),
        slot,
        lookup_layer,
        ffn_layer,
        erase,
        lifetime: birth.into_iter().zip(last_read).collect(),
    }
}

fn place(node: Producer, layer: usize, ll: &mut [usize], fl: &mut [usize]) -> Time {
    match node {
        Producer::Lookup(l) => {
            ll[l] = layer;
            attn_time(layer)
        }
        Producer::Ffn(f) => {
            fl[f] = layer;
            ffn_time(layer)
        }
        _ => -1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dim_is_born_after_what_it_reads_and_slots_never_overlap() {
        let m = crate::transformer::machine::build();
        let g = &m.graph;
        let s = schedule(g);
        for &node in &crate::transformer::graph::topological_order(g) {
            let (t, attention) = match node {
                Producer::Lookup(l) => (attn_time(s.lookup_layer[l]), true),
                Producer::Ffn(f) => (ffn_time(s.ffn_layer[f]), false),
                _ => continue,
            };
            for d in g.reads(node) {
                let born = s.lifetime[d.0 as usize].0;
                assert!(born < t, "{} read before it exists", g.name(d));
                if attention {
                    assert!(born < t);
                }
            }
        }
        // Two dims sharing a slot never live at the same time.
        for a in 0..g.dims.len() {
            for b in a + 1..g.dims.len() {
                if s.slot[a] == s.slot[b] {
                    let (la, lb) = (s.lifetime[a], s.lifetime[b]);
                    assert!(
                        la.1 <= lb.0 || lb.1 <= la.0,
                        "{} and {} overlap in slot {}",
                        g.dims[a].name,
                        g.dims[b].name,
                        s.slot[a]
                    );
                }
            }
        }
        eprintln!(
            "layers {} d_model {} heads {}",
            s.layers,
            s.d_model,
            s.heads()
        );
    }
}

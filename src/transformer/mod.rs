//! The machine as a transformer: the computation graph of the WASM machine
//! (the 36 core ops and the extension's) ([`machine`], built on [`graph`]), placed in layers and residual
//! slots ([`schedule`]), written out as weight matrices ([`write`]).

pub mod graph;
pub mod machine;
pub mod schedule;
pub mod write;

/// Graph -> schedule -> weights: the transformer that executes the core ISA
/// and every extension op.
pub fn build() -> crate::weights::Model {
    build_with(crate::isa::Op::extension())
}

/// The published machine: the core ops alone.
pub fn build_published() -> crate::weights::Model {
    build_with(&[])
}

/// The transformer of the core ops and the extension ops in `extension`:
/// with none, the published machine.
pub fn build_with(extension: &[crate::isa::Op]) -> crate::weights::Model {
    let machine = machine::build_with(extension); // the machine as a computation graph
    let schedule = schedule::schedule(&machine.graph); // layers and residual slots
    write::build(&machine, &schedule) // matrices, written from the graph
}

/// Where the units of each FFN node sit in the built model, by the node's
/// name (the machine's own, e.g. `emit_byte`): its layer and its rows in
/// that layer's FFN. A caller that picks units by name follows the model
/// as it changes.
pub fn ffn_units() -> std::collections::HashMap<String, (usize, std::ops::Range<usize>)> {
    let machine = machine::build();
    let g = &machine.graph;
    let schedule = schedule::schedule(g);
    let first = write::first_units(g, &schedule);
    let mut units = std::collections::HashMap::new();
    for (f, ffn) in g.ffns.iter().enumerate() {
        let rows = first[f]..first[f] + ffn.units.len();
        // The first node of a name, as a search in graph order finds it.
        units
            .entry(g.name(ffn.output).to_string())
            .or_insert((schedule.ffn_layer[f], rows));
    }
    units
}

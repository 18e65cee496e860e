//! The machine as a transformer: the computation graph of the WASM machine
//! (the 36 core ops and the extension's) ([`machine`], built on [`graph`]), placed in layers and residual
//! slots ([`schedule`]), written out as weight matrices ([`write`]).

pub mod graph;
pub mod machine;
pub mod schedule;
pub mod write;

/// Graph -> schedule -> weights: the transformer that executes the core ISA.
pub fn build() -> crate::weights::Model {
    let machine = machine::build(); // the machine as a computation graph
    let schedule = schedule::schedule(&machine.graph); // layers and residual slots
    write::build(&machine, &schedule) // matrices, written from the graph
}

/// Where the units of the FFN node `name` sit in the built model: its layer
/// and its rows in that layer's FFN. Names are the machine's own (e.g.
/// `emit_byte`), so a caller that picks units by name follows the model as
/// it changes.
pub fn ffn_units(name: &str) -> Option<(usize, std::ops::Range<usize>)> {
    let machine = machine::build();
    let g = &machine.graph;
    let schedule = schedule::schedule(g);
    let f = g.ffns.iter().position(|ffn| g.name(ffn.output) == name)?;
    let first = write::first_units(g, &schedule)[f];
    Some((schedule.ffn_layer[f], first..first + g.ffns[f].units.len()))
}

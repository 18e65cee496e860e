//! The machine as a transformer: the computation graph of the 36-op WASM
//! machine ([`machine`], built on [`graph`]), placed in layers and residual
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

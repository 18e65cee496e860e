//! hullvm: compile WebAssembly into a transformer whose weights are computed,
//! decode it, and check every generated token against a reference.
//!
//! The modules follow the data: wasm module -> flat program ([`compile`]) ->
//! tokens ([`isa`]) -> computation graph ([`graph`], [`machine`]) -> layers
//! ([`schedule`]) -> weights ([`weights`]) -> decoder ([`model`],
//! [`attention`]) -> trace -> verdict against the references ([`reference`],
//! [`oracle`], [`verify`]). [`build_model`] and [`check_wasm`] are the whole
//! pipeline in two functions.

pub mod attention;
pub mod bench;
pub mod compile;
pub mod corpus;
pub mod fuzz;
pub mod graph;
pub mod isa;
pub mod machine;
pub mod model;
pub mod oracle;
pub mod reference;
pub mod schedule;
pub mod source;
pub mod spec;
pub mod verify;
pub mod weights;

use attention::KvCache;
use compile::{Entry, Exit};
use isa::Token;

/// Graph -> schedule -> weights: the transformer that executes the core ISA.
pub fn build_model() -> weights::Model {
    let machine = machine::build(); // the machine as a computation graph
    let schedule = schedule::schedule(&machine.graph); // layers and residual slots
    weights::build(&machine, &schedule) // matrices, written from the graph
}

/// Everything one wasm run produced, and how the engines compare.
#[derive(Debug)]
pub struct Checked {
    pub compiled: compile::Compiled,
    pub transformer: model::Decoded,
    pub reference: reference::Run,
    pub oracle: oracle::OracleRun,
    /// The first token where the transformer leaves the reference trace.
    pub divergence: Option<verify::Divergence>,
}

impl Checked {
    /// How the transformer's run ended, read from its own last token.
    pub fn exit(&self) -> Option<Exit> {
        if self.transformer.stop != model::Stop::Halted {
            return None;
        }
        let at = verify::locate(&self.transformer.trace, self.transformer.trace.len() - 1);
        self.compiled.exit_at(at.pc)
    }
}

/// The whole pipeline on one wasm module: compile, decode on the
/// transformer, trace on the reference, run on wasmi, and compare.
pub fn check_wasm<C: KvCache>(
    decoder: &model::Decoder,
    wasm: &[u8],
    entry: &Entry,
    max_tokens: usize,
) -> Result<Checked, oracle::OracleError> {
    let compiled = compile::compile(wasm, entry)?; // wasm -> flat program
    let program = &compiled.program;
    let transformer = decoder.session::<C>().run(program, max_tokens); // tokens, by argmax
    let reference = reference::run(program, max_tokens); // the exact trace
    let oracle = oracle::run(wasm, entry, 1 << 40)?; // wasmi's results
    let divergence = verify::first_divergence(program, &reference.trace, &transformer.trace);
    Ok(Checked {
        compiled,
        transformer,
        reference,
        oracle,
        divergence,
    })
}

/// Generated tokens as text, for messages.
pub fn token_names(tokens: &[Token]) -> String {
    tokens
        .iter()
        .map(|t| t.name())
        .collect::<Vec<_>>()
        .join(" ")
}

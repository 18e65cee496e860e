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
pub mod check;
pub mod compile;
pub mod corpus;
pub mod fuzz;
pub mod graph;
pub mod instrument;
pub mod isa;
pub mod lift;
pub mod machine;
pub mod model;
pub mod oracle;
pub mod reference;
pub mod report;
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
    /// wasmi's run (of the instrumented module: same output, results and
    /// trap as the plain one).
    pub oracle: oracle::OracleRun,
    /// The first token where the transformer leaves the reference trace.
    pub divergence: Option<verify::Divergence>,
    /// The transformer's trace lifted to wasm instructions against wasmi's
    /// instrumented run: steps compared and the first source divergence.
    pub source: lift::SourceCheck,
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
/// transformer, trace on the reference, run on wasmi (instrumented), and
/// compare three ways: transformer tokens against the reference tokens, and
/// the transformer's trace lifted to source steps against wasmi's steps.
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
    let divergence = verify::first_divergence(program, &reference.trace, &transformer.trace);
    let halted = transformer.stop == model::Stop::Halted;
    // wasmi's results and its source steps, against the lifted transformer trace.
    let (source, oracle) =
        lift::check(&compiled, wasm, entry, &transformer.trace, halted, 1 << 40)?;
    Ok(Checked {
        compiled,
        transformer,
        reference,
        oracle,
        divergence,
        source,
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

//! hullvm: compile WebAssembly into a transformer whose weights are computed,
//! decode it, and check every generated token against a reference.
//!
//! The modules follow the data: wasm module -> flat program ([`compile`]) ->
//! tokens ([`isa`]) -> computation graph ([`graph`], [`machine`]) -> layers
//! ([`schedule`]) -> weights ([`weights`]) -> decoder ([`model`],
//! [`attention`]) -> trace -> verdict against the references ([`reference`],
//! [`oracle`], [`verify`]). [`build_model`] and [`check_wasm`] are the whole
//! pipeline in two functions.

pub mod compile;
pub mod decode;
pub mod files;
pub mod fuzz;
pub mod harness;
pub mod isa;
pub mod oracle;
pub mod report;
pub mod transformer;
pub mod verify;
pub mod weights;

use compile::{Entry, Exit};
use decode::attention::KvCache;
use isa::Token;

/// Graph -> schedule -> weights: the transformer that executes the core ISA.
pub fn build_model() -> weights::Model {
    transformer::build()
}

/// Everything one wasm run produced, and how the engines compare.
#[derive(Debug)]
pub struct Checked {
    pub compiled: compile::Compiled,
    pub transformer: decode::Decoded,
    pub reference: oracle::reference::Run,
    /// wasmi's run (of the instrumented module: same output, results and
    /// trap as the plain one).
    pub oracle: oracle::wasmi::OracleRun,
    /// The first token where the transformer leaves the reference trace.
    pub divergence: Option<verify::tokens::Divergence>,
    /// The transformer's trace lifted to wasm instructions against wasmi's
    /// instrumented run: steps compared and the first source divergence.
    pub source: verify::lift::SourceCheck,
}

impl Checked {
    /// How the transformer's run ended, read from its own last token.
    pub fn exit(&self) -> Option<Exit> {
        if self.transformer.stop != decode::Stop::Halted {
            return None;
        }
        let at = verify::tokens::locate(&self.transformer.trace, self.transformer.trace.len() - 1);
        self.compiled.exit_at(at.pc)
    }
}

/// The whole pipeline on one wasm module: compile, decode on the
/// transformer, trace on the reference, run on wasmi (instrumented), and
/// compare three ways: transformer tokens against the reference tokens, and
/// the transformer's trace lifted to source steps against wasmi's steps.
pub fn check_wasm<C: KvCache>(
    decoder: &decode::Decoder,
    wasm: &[u8],
    entry: &Entry,
    max_tokens: usize,
    options: &compile::Options,
) -> Result<Checked, oracle::wasmi::OracleError> {
    let compiled = compile::compile_with(wasm, entry, options)?; // wasm -> flat program
    let program = &compiled.program;
    let transformer = decoder.session::<C>().run(program, max_tokens); // tokens, by argmax
    let reference = oracle::reference::run(program, max_tokens); // the exact trace
    let divergence =
        verify::tokens::first_divergence(program, &reference.trace, &transformer.trace);
    let halted = transformer.stop == decode::Stop::Halted;
    // wasmi's results and its source steps, against the lifted transformer trace.
    let (source, oracle) =
        verify::lift::check(&compiled, wasm, entry, &transformer.trace, halted, 1 << 40)?;
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

//! hullvm: compile WebAssembly into a transformer whose weights are computed,
//! decode it, and check every generated token against a reference.
//!
//! The modules follow the data: wasm module -> flat program ([`compile`])
//! -> tokens ([`isa`]) -> computation graph -> layers -> weights
//! ([`transformer`] writes a [`weights::Model`]) -> decoder ([`decode`]) ->
//! trace -> verdict against the engines of [`oracle`], compared by
//! [`verify`]. [`build_model`] builds the transformer; [`pipeline::check`]
//! is the whole check of one run; [`harness`] runs it over the corpora and
//! the spec suite, [`fuzz`] over generated programs, and [`report`] renders
//! what the harness found. See ARCHITECTURE.md.

pub mod compile;
pub mod decode;
pub mod ending;
pub mod files;
pub mod fuzz;
pub mod harness;
pub mod isa;
pub mod oracle;
pub mod pipeline;
pub mod report;
pub mod soft;
pub mod transformer;
pub mod verify;
pub mod weights;

/// Graph -> schedule -> weights: the transformer that executes the core ISA.
pub fn build_model() -> weights::Model {
    transformer::build()
}

/// The decoder of the built model, with the published machine beside it
/// for programs that use no extension op ([`decode::Decoder::with_published`]).
pub fn build_decoder() -> decode::Decoder {
    decode::Decoder::with_published(transformer::build(), transformer::build_published())
}

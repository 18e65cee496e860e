//! hullvm: compile WebAssembly into a transformer whose weights are computed,
//! decode it, and check every generated token against a reference.
//!
//! The modules follow the data: wasm module -> flat program ([`compile`]) ->
//! tokens ([`isa`]) -> reference trace ([`reference`]) and oracle results
//! ([`oracle`]).

pub mod attention;
pub mod compile;
pub mod corpus;
pub mod graph;
pub mod isa;
pub mod machine;
pub mod model;
pub mod oracle;
pub mod reference;
pub mod schedule;
pub mod source;
pub mod weights;

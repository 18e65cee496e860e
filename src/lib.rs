//! hullvm: compile WebAssembly into a transformer whose weights are computed,
//! decode it, and check every generated token against a reference.
//!
//! The modules follow the data: wasm module -> flat program ([`compile`]) ->
//! tokens ([`isa`]) -> reference trace ([`reference`]) and oracle results
//! ([`oracle`]).

pub mod isa;
pub mod reference;

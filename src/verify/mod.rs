//! Comparisons, as pure functions of runs that already happened: the first
//! diverging token, and the flat trace lifted to wasm instructions against
//! wasmi's source steps. Nothing here runs an engine.

pub mod lift;
pub mod tokens;

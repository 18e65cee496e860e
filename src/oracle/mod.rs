//! The engines hullvm checks the transformer against: the reference tracer
//! (the flat ISA, token for token), wasmi running the original wasm, wasmi
//! 0.31 as the arbiter when wasmi 2 disagrees, and the instrumenter that
//! rewrites a module so wasmi reports every source step.

pub mod arbiter;
pub mod instrument;
pub mod reference;
pub mod wasmi;

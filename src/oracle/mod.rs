//! The engines hullvm checks the transformer against: the reference tracer
//! (the flat ISA, token for token), wasmi running the original wasm, wasmi
//! 0.31 as the arbiter when wasmi 2 disagrees, and the instrumenter that
//! rewrites a module so wasmi reports every source step.

pub mod arbiter;
pub mod instrument;
pub mod reference;
mod wasi;
pub mod wasmi;

/// Why an engine could not run a module at all (as opposed to a run that
/// trapped or ran out of fuel, which is an [`crate::ending::Ending`]).
#[derive(Debug, thiserror::Error)]
pub enum OracleError {
    #[error(transparent)]
    Compile(#[from] crate::compile::CompileError),
    #[error("wasmi: {0}")]
    Wasmi(String),
}

//! The engines hullvm checks the transformer against: the reference tracer
//! (the flat ISA, token for token), wasmi running the original wasm, the
//! arbiters asked when wasmi 2 disagrees (wasmi 0.31, and wasmtime when
//! built with the `wasmtime` feature), and the instrumenter that rewrites a
//! module so wasmi reports every source step.

pub mod arbiter;
pub mod instrument;
pub mod reference;
mod script;
mod wasi;
pub mod wasmi;
#[cfg(feature = "wasmtime")]
pub mod wasmtime;

use crate::compile::Entry;
use crate::ending::EngineRun;

/// Why an engine could not run a module at all (as opposed to a run that
/// trapped or ran out of fuel, which is an [`crate::ending::Ending`]).
#[derive(Debug, thiserror::Error)]
pub enum OracleError {
    #[error(transparent)]
    Compile(#[from] crate::compile::CompileError),
    #[error("wasmi: {0}")]
    Wasmi(String),
    #[error("wasmtime: {0}")]
    Wasmtime(String),
}

/// One arbiter's run of a module wasmi 2 ran differently.
#[derive(Debug, Clone)]
pub struct Arbitration {
    pub engine: &'static str,
    /// Err: the engine could not run the module.
    pub run: Result<EngineRun, String>,
}

/// The arbiters' runs of `wasm`: wasmi 0.31, which shares none of wasmi
/// 2's register translation, and wasmtime (native code from Cranelift)
/// when hullvm is built with it.
pub fn arbitrate(wasm: &[u8], entry: &Entry, budget: wasmi::Budget) -> Vec<Arbitration> {
    let arbitration = |engine, run: Result<EngineRun, OracleError>| Arbitration {
        engine,
        run: run.map_err(|e| e.to_string()),
    };
    #[allow(unused_mut)]
    let mut runs = vec![arbitration("wasmi 0.31", arbiter::run(wasm, entry, budget))];
    #[cfg(feature = "wasmtime")]
    runs.push(arbitration("wasmtime", wasmtime::run(wasm, entry, budget)));
    runs
}

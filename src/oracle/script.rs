//! What an [`Entry`] asks of a wasm engine, whichever engine it is: the
//! calls to make, in order, and which words the run reports as its
//! results. wasmi 2, wasmi 0.31 and wasmtime each run it with their own
//! API; the script is written once so that they cannot drift apart.

use super::OracleError;
use crate::compile::{Entry, Invocation};
use std::borrow::Cow;

/// The module as every engine is given it: for the C convention's input
/// and WASI's buffers, with its memory exported (a module may keep it to
/// itself; exporting it changes no run).
pub(crate) fn with_memory_exported<'a>(
    bytes: &'a [u8],
    entry: &Entry,
) -> Result<Cow<'a, [u8]>, OracleError> {
    match entry {
        Entry::Compute { .. } | Entry::Command => super::instrument::export_memory(bytes),
        _ => Ok(Cow::Borrowed(bytes)),
    }
}

/// Run `run` on a thread of its own named `engine` with `stack` bytes of
/// stack: the engines' translators and interpreters recurse, so large
/// functions need more than the caller's thread may have. A panic (or a
/// thread that cannot start) becomes `fail`'s error.
pub(crate) fn on_thread<T: Send>(
    engine: &str,
    stack: usize,
    run: impl FnOnce() -> Result<T, OracleError> + Send,
    fail: impl FnOnce(String) -> OracleError,
) -> Result<T, OracleError> {
    std::thread::scope(|s| {
        let thread = std::thread::Builder::new()
            .name(engine.into())
            .stack_size(stack)
            .spawn_scoped(s, run);
        match thread {
            Ok(thread) => thread.join().unwrap_or_else(|panic| {
                Err(fail(format!(
                    "panicked: {}",
                    super::wasmi::panic_message(&*panic)
                )))
            }),
            Err(e) => Err(fail(format!("could not start its thread: {e}"))),
        }
    })
}

/// The calls of one run.
pub(crate) struct Script<'a> {
    /// Calls made first, each with the budget anew; a trap ends that
    /// call, not the script (the history of an [`Entry::Resume`]).
    pub before: &'a [Invocation],
    /// The calls whose ending and results are the run's.
    pub calls: Vec<Invocation>,
    /// An exported global read after the calls, as the results.
    pub read: Option<&'a str>,
}

impl<'a> Script<'a> {
    /// The script of `entry`. `compute_args` gives the C convention's
    /// argument words for an input on the engine's instance (it writes
    /// the input into the instance's memory).
    pub fn of(
        entry: &'a Entry,
        compute_args: impl FnOnce(&[u8]) -> Result<Vec<u32>, OracleError>,
    ) -> Result<Script<'a>, OracleError> {
        let only = |calls| Script {
            before: &[],
            calls,
            read: None,
        };
        Ok(match entry {
            Entry::Compute { input } => only(vec![Invocation {
                export: "compute".into(),
                args: compute_args(input)?,
            }]),
            Entry::Invoke(calls) => only(calls.clone()),
            Entry::Resume(r) => Script {
                before: &r.before,
                calls: r.calls.clone(),
                read: r.read.as_deref(),
            },
            Entry::Command => only(vec![start_call()]),
        })
    }
}

/// The results a finished run reports, from the last call's (or the read
/// global's) words.
pub(crate) fn results(entry: &Entry, last: Vec<u32>) -> Vec<u32> {
    match entry {
        // `compute`'s own result is dropped by the C convention.
        Entry::Compute { .. } => Vec::new(),
        // A WASI command whose `_start` returns exits with status 0.
        Entry::Command => vec![0],
        Entry::Invoke(_) | Entry::Resume(_) => last,
    }
}

/// A WASI command's call: `_start`, no arguments.
pub(crate) fn start_call() -> Invocation {
    Invocation {
        export: "_start".into(),
        args: Vec::new(),
    }
}

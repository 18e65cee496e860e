//! One file per subcommand: its flags (`Args`) and its `run`. Printing and
//! flags stay here; the work is the library's.

pub mod bench;
pub mod check;
pub mod compile;
pub mod fuzz;
pub mod model;
pub mod report;
pub mod run;
pub mod spec;
pub mod trace;

use anyhow::Result;
use std::io::Write as _;
use std::path::Path;

/// An error chain on one line, whatever the underlying messages look like.
pub fn one_line(e: &anyhow::Error) -> String {
    format!("{e:#}")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Bytes to `path` (whole or not at all), or to stdout.
fn emit(path: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match path {
        Some(p) => hullvm::files::write_atomically(p, bytes),
        None => Ok(std::io::stdout().lock().write_all(bytes)?),
    }
}

/// Before the work: an output file's missing folders are created and its
/// folder is checked writable, so a bad path fails at once, not after
/// minutes of work whose result it would lose.
fn prepare(path: Option<&Path>) -> Result<()> {
    path.map_or(Ok(()), hullvm::files::prepare_file)
}

/// `value` as pretty JSON, written whole or not at all.
fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    hullvm::files::write_atomically(path, serde_json::to_string_pretty(value)?.as_bytes())
}

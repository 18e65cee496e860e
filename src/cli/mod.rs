//! One file per subcommand: its flags (`Args`) and its `run`. Printing and
//! flags stay here; the work is the library's.

pub mod bench;
pub mod check;
pub mod compile;
pub mod fuzz;
pub mod grad;
pub mod learn;
pub mod model;
pub mod reduce;
pub mod report;
pub mod run;
pub mod soft;
pub mod spec;
pub mod trace;
pub mod wast;

use anyhow::Result;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// How a wasm program is entered: the C convention's `compute` with an
/// input, or a call of any export with typed arguments (`run`, `reduce`).
#[derive(clap::Args)]
pub struct EntryArgs {
    /// Input string (replaces a token file's own input section).
    #[arg(long, conflicts_with = "invoke")]
    input: Option<String>,
    /// Read the input from this file instead: its bytes as they are, for
    /// inputs larger than a command line carries.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["input", "invoke"])]
    input_file: Option<PathBuf>,
    /// Call this export instead of `compute` (wasm, wat or C); `run`
    /// prints its results one per line as `TYPE VALUE` (e.g. `i64 -1`)
    /// after any output bytes.
    #[arg(long, value_name = "EXPORT")]
    invoke: Option<String>,
    /// An argument of the --invoke call, in order: decimal (signed or
    /// not) or 0x hex, converted to the parameter's type.
    #[arg(
        long = "arg",
        value_name = "VALUE",
        allow_hyphen_values = true,
        requires = "invoke"
    )]
    args: Vec<String>,
}

impl EntryArgs {
    /// The input bytes, from --input or --input-file.
    fn input(&self) -> Result<Option<Vec<u8>>> {
        hullvm::harness::input::input_bytes(self.input.as_deref(), self.input_file.as_deref())
    }
}

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

/// A spec run's totals, a line per assertion kind ("assert_return  pass 3, fail 1").
fn totals(summary: &hullvm::harness::spec::Summary) -> Vec<String> {
    summary
        .totals
        .iter()
        .map(|(kind, verdicts)| {
            let parts: Vec<String> = verdicts.iter().map(|(v, n)| format!("{v} {n}")).collect();
            format!("  {kind:<18} {}", parts.join(", "))
        })
        .collect()
}

//! The bundled corpora: programs with an input and the output they must print.
//!
//! Each corpus directory has a `manifest.txt`: one program a line,
//! `NAME<TAB>input<TAB>expected output[<TAB>ending]`, with `\n`, `\t`
//! and `\\` escaped, where the ending is the expected trap's message or, for
//! a WASI command, `exit N` (its exit status). `NAME.wasm` (or `NAME.wat`)
//! sits beside it.

use crate::ending::{Ending, EngineRun};
use anyhow::{bail, Context as _, Result};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct CorpusProgram {
    pub name: String,
    pub path: PathBuf,
    pub input: Vec<u8>,
    pub expected_output: Vec<u8>,
    /// The wasm trap message the run must end with, if any.
    pub expected_trap: Option<String>,
    /// The exit status a WASI command must finish with, if stated.
    pub expected_exit: Option<u32>,
}

impl CorpusProgram {
    /// Whether a run printed what the manifest says and ended as it says:
    /// with the expected trap, or normally.
    pub fn matches(&self, run: &EngineRun) -> bool {
        let ending_matches = match (&self.expected_trap, &run.ending) {
            (None, Ending::Finished { results }) => self
                .expected_exit
                .is_none_or(|status| results[..] == [status]),
            (Some(want), Ending::Trap { trap }) => trap.message() == want,
            _ => false,
        };
        ending_matches && run.output == self.expected_output
    }
}

/// The corpus directories shipped in the repository, relative to its root.
pub(crate) const BUNDLED: [&str; 3] = ["corpora/c", "corpora/wat", "corpora/wasi"];

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every program of every bundled corpus that exists.
pub fn bundled() -> Result<Vec<CorpusProgram>> {
    let mut all = Vec::new();
    for dir in BUNDLED {
        let dir = repo_root().join(dir);
        if dir.join("manifest.txt").is_file() {
            all.extend(load(&dir)?);
        }
    }
    Ok(all)
}

pub fn load(dir: &Path) -> Result<Vec<CorpusProgram>> {
    let manifest = dir.join("manifest.txt");
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("reading {}", manifest.display()))?;
    let mut programs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() < 3 {
            bail!(
                "{}:{}: expected NAME, input and output separated by tabs",
                manifest.display(),
                n + 1
            );
        }
        let name = fields[0].to_string();
        let path = ["wasm", "wat"]
            .iter()
            .map(|ext| dir.join(format!("{name}.{ext}")))
            .find(|p| p.is_file())
            .with_context(|| {
                format!(
                    "{}:{}: no {name}.wasm or {name}.wat",
                    manifest.display(),
                    n + 1
                )
            })?;
        let ending = fields.get(3).filter(|t| !t.is_empty() && **t != "-");
        let expected_exit = match ending.and_then(|t| t.strip_prefix("exit ")) {
            Some(status) => Some(status.parse().with_context(|| {
                format!(
                    "{}:{}: bad exit status {status:?}",
                    manifest.display(),
                    n + 1
                )
            })?),
            None => None,
        };
        let expected_trap = ending
            .filter(|_| expected_exit.is_none())
            .map(|t| t.to_string());
        programs.push(CorpusProgram {
            name,
            path,
            input: unescape(fields[1]),
            expected_output: unescape(fields[2]),
            expected_trap,
            expected_exit,
        });
    }
    Ok(programs)
}

fn unescape(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut chars = s.bytes();
    while let Some(c) = chars.next() {
        if c != b'\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(b'n') => out.push(b'\n'),
            Some(b't') => out.push(b'\t'),
            Some(other) => out.push(other),
            None => out.push(b'\\'),
        }
    }
    out
}

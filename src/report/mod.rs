//! The last stage: the self-contained HTML page rendered from a check's
//! [`Results`], and `results.json` beside it.
//!
//! `results.json` is [`Results`] as serde writes it, so `hullvm report
//! --from results.json` re-renders exactly the page `hullvm check` wrote.

mod chart;
mod html;
mod junit;
mod merge;

pub use junit::junit;
pub use merge::merge;

use crate::files::{write_all_atomically, write_atomically};
use crate::harness::results::Results;
use anyhow::{Context as _, Result};
use std::path::{Path, PathBuf};

/// The page for `results`, as one self-contained HTML document.
pub fn render(results: &Results) -> String {
    html::page(results).into_string()
}

/// Write `results.json` and `index.html` into `dir` as a pair: both are
/// written to temporary siblings first and renamed into place only when
/// both are written, so a failure leaves the old pair (and no temporary
/// file). Returns the page's path.
pub fn write(dir: &Path, results: &Results) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let json = serde_json::to_string_pretty(results)?;
    let page = dir.join("index.html");
    write_all_atomically(&[
        (&dir.join("results.json"), json.as_bytes()),
        (&page, render(results).as_bytes()),
    ])?;
    Ok(page)
}

/// Write only `index.html` into `dir`. Returns its path.
pub fn write_page(dir: &Path, results: &Results) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let page = dir.join("index.html");
    write_atomically(&page, render(results).as_bytes())?;
    Ok(page)
}

/// Read a `results.json` written by `hullvm check`, `spec --out` or `wast --out`.
pub fn read(path: &Path) -> Result<Results> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a hullvm results file", path.display()))
}

#[cfg(test)]
mod test_data {
    use crate::harness::spec::{Kind, TrialResult, Verdict};

    /// A made-up trial result (the report's tests render and merge data,
    /// they run nothing).
    pub(super) fn trial(file: &str, line: usize, verdict: Verdict) -> TrialResult {
        TrialResult {
            name: format!("v1/{file}/assert_return/L{line}"),
            file: file.into(),
            kind: Kind::AssertReturn,
            line,
            verdict,
            tokens: line,
            source_steps: 1,
            seconds: 0.5,
        }
    }
}

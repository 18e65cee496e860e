//! Reduction: a module shrunk by wasm-shrink while the disagreement it
//! shows still holds.
//!
//! Whether it holds is decided by the real check, [`pipeline::check`] with
//! every comparison, read through [`Checked::disagreement`] and
//! [`Checked::overruled`] ([`shown`]): a candidate is kept only if it
//! compiles, runs within the limits and shows the same disagreement, of
//! the same kind, as the original. A reduction is bounded by its
//! [`Budget`]: candidates checked, seconds, and candidates in a row that
//! were no smaller.

use crate::compile::{self, Entry};
use crate::decode::Decoder;
use crate::pipeline::{self, Checked, Checks, Config, Disagreement, Limits, Subject};
use anyhow::{bail, Context as _, Result};
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use std::time::Instant;

/// Which disagreement a reduction keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Keep {
    /// The transformer leaves the reference tracer: another token, a fault,
    /// or another ending.
    Transformer,
    /// hullvm (the transformer following the reference tracer) and wasmi 2
    /// disagree, and the arbiters do not overrule wasmi 2: hullvm's compile
    /// or the engines are wrong.
    Wasmi,
    /// wasmi 2 disagrees with hullvm and the arbiters overrule it: wasmi 2
    /// is the one that is wrong.
    Wasmi2,
}

impl Keep {
    pub const ALL: [Keep; 3] = [Keep::Transformer, Keep::Wasmi, Keep::Wasmi2];

    pub fn name(self) -> &'static str {
        match self {
            Keep::Transformer => "transformer",
            Keep::Wasmi => "wasmi",
            Keep::Wasmi2 => "wasmi2",
        }
    }

    /// What the disagreement is between, for messages.
    pub fn meaning(self) -> &'static str {
        match self {
            Keep::Transformer => "the transformer against the reference tracer",
            Keep::Wasmi => "hullvm against wasmi 2 (not overruled by the arbiters)",
            Keep::Wasmi2 => "wasmi 2 against the others (overruled by the arbiters)",
        }
    }
}

/// The disagreement a module shows: between which engines, and its kind
/// ([`Disagreement::kind`]: "divergence", "wasmi mismatch", ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown {
    pub keep: Keep,
    pub kind: &'static str,
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}: {})",
            self.kind,
            self.keep.name(),
            self.keep.meaning()
        )
    }
}

/// The disagreement a check found, if any: its first disagreement, or
/// wasmi 2's when the arbiter overruled it.
pub fn shown(checked: &Checked) -> Option<Shown> {
    if let Some(d) = checked.disagreement() {
        let keep = match d {
            Disagreement::Tokens(_) | Disagreement::Fault(_) | Disagreement::Reference { .. } => {
                Keep::Transformer
            }
            _ => Keep::Wasmi,
        };
        return Some(Shown {
            keep,
            kind: d.kind(),
        });
    }
    if checked.overruled() {
        let d = checked.wasmi_disagreement()?;
        return Some(Shown {
            keep: Keep::Wasmi2,
            kind: d.kind(),
        });
    }
    None
}

/// How long a reduction may go on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// Candidates checked in all.
    pub attempts: u32,
    /// Candidates in a row that were no smaller, before the module is
    /// taken as small as it gets (wasm-shrink's own `attempts`).
    pub patience: u32,
    /// Wall time.
    pub seconds: f64,
}

impl Budget {
    /// What `hullvm reduce` gives by default: a few minutes at most.
    pub const COMMAND: Budget = Budget {
        attempts: 5000,
        patience: 1000,
        seconds: 300.0,
    };
    /// What a fuzz finding gets before it is saved: seconds, so a round
    /// with a finding is not held up long.
    pub const FINDING: Budget = Budget {
        attempts: 400,
        patience: 150,
        seconds: 15.0,
    };
}

/// One reduction: the module's entry, how it compiles, the limits of each
/// check, the budget.
#[derive(Debug, Clone)]
pub struct Reduction {
    pub entry: Entry,
    pub options: compile::Options,
    pub limits: Limits,
    pub budget: Budget,
    /// The disagreement to keep; `None`: whichever the module shows.
    pub keep: Option<Keep>,
    /// wasm-shrink's seed (which mutation it tries next).
    pub seed: u64,
}

impl Reduction {
    pub fn new(entry: Entry, limits: Limits, budget: Budget) -> Reduction {
        Reduction {
            entry,
            options: compile::Options::default(),
            limits,
            budget,
            keep: None,
            seed: 42,
        }
    }
}

/// A module's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub bytes: usize,
    /// Functions the module defines (imports not counted).
    pub functions: usize,
}

impl Size {
    pub fn of(wasm: &[u8]) -> Size {
        let functions = wasmparser::Parser::new(0)
            .parse_all(wasm)
            .filter_map(|p| match p {
                Ok(wasmparser::Payload::CodeSectionStart { count, .. }) => Some(count as usize),
                _ => None,
            })
            .sum();
        Size {
            bytes: wasm.len(),
            functions,
        }
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = if self.functions == 1 { "" } else { "s" };
        write!(f, "{} bytes, {} function{s}", self.bytes, self.functions)
    }
}

/// Why a reduction stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// `patience` candidates in a row were no smaller.
    Smallest,
    /// The attempt budget was spent.
    Attempts,
    /// The time budget was spent.
    Time,
}

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stopped::Smallest => "no smaller candidate held",
            Stopped::Attempts => "attempt budget spent",
            Stopped::Time => "time budget spent",
        })
    }
}

/// What a reduction did.
#[derive(Debug, Clone)]
pub struct Reduced {
    /// The smallest module that still shows the disagreement (the original
    /// if no candidate did).
    pub wasm: Vec<u8>,
    pub shown: Shown,
    pub before: Size,
    pub after: Size,
    /// Candidates checked.
    pub attempts: u32,
    pub seconds: f64,
    pub stopped: Stopped,
}

/// Progress, reported after every candidate.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub attempts: u32,
    /// The smallest module so far.
    pub smallest: usize,
    /// This candidate is the new smallest.
    pub smaller: bool,
    pub seconds: f64,
}

/// The budget ran out: raised from the predicate to end wasm-shrink's run.
#[derive(Debug)]
struct Spent(Stopped);

impl fmt::Display for Spent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::error::Error for Spent {}

/// The disagreement `wasm` shows under `reduction`'s entry, options and
/// limits; `None` when it shows none or does not compile. A panic anywhere
/// in the check counts as showing nothing: a candidate must show the
/// original disagreement, not another failure.
pub fn check(decoder: &Decoder, wasm: &[u8], reduction: &Reduction) -> Option<Shown> {
    let config = Config {
        limits: reduction.limits,
        checks: Checks::ALL,
        ..Config::default()
    };
    let subject = Subject::Wasm {
        wasm,
        entry: &reduction.entry,
        options: reduction.options,
    };
    let run = || pipeline::check(decoder, subject, &config).ok();
    let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).ok()??;
    shown(&checked)
}

/// Shrink `wasm` (binary) while it shows the disagreement it shows now (or
/// `reduction.keep`, which it must show), reporting each candidate to
/// `progress`.
pub fn reduce(
    decoder: &Decoder,
    wasm: &[u8],
    reduction: &Reduction,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Reduced> {
    let start = Instant::now();
    let Some(shown) = check(decoder, wasm, reduction) else {
        bail!("the module shows no disagreement to keep (it compiles, and every engine agrees or stops at a limit)");
    };
    if let Some(keep) = reduction.keep.filter(|&k| k != shown.keep) {
        bail!(
            "the module shows {shown}, not a disagreement of {}",
            keep.meaning()
        );
    }
    let smallest = Rc::new(RefCell::new(wasm.to_vec()));
    let kept = Rc::clone(&smallest);
    let shrink = wasm_shrink::WasmShrink::default()
        .attempts(reduction.budget.patience)
        .seed(reduction.seed)
        .on_new_smallest(Some(Box::new(move |w: &[u8]| {
            *kept.borrow_mut() = w.to_vec();
            Ok(())
        })));
    let budget = reduction.budget;
    let mut attempts = 0u32;
    let predicate = |candidate: &[u8]| -> Result<bool> {
        let seconds = start.elapsed().as_secs_f64();
        if seconds >= budget.seconds {
            return Err(Spent(Stopped::Time).into());
        }
        if attempts >= budget.attempts {
            return Err(Spent(Stopped::Attempts).into());
        }
        attempts += 1;
        let holds = check(decoder, candidate, reduction) == Some(shown);
        let best = smallest.borrow().len();
        let smaller = holds && candidate.len() < best;
        progress(&Progress {
            attempts,
            smallest: if smaller { candidate.len() } else { best },
            smaller,
            seconds,
        });
        Ok(holds)
    };
    let stopped = match shrink.run(wasm.to_vec(), predicate) {
        Ok(_) => Stopped::Smallest,
        Err(e) => match e.downcast_ref::<Spent>() {
            Some(Spent(why)) => *why,
            None => return Err(e).context("wasm-shrink"),
        },
    };
    let reduced = smallest.borrow().clone();
    Ok(Reduced {
        before: Size::of(wasm),
        after: Size::of(&reduced),
        wasm: reduced,
        shown,
        attempts,
        seconds: start.elapsed().as_secs_f64(),
        stopped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_count_defined_functions_only() {
        let wasm = wat::parse_str(
            r#"(module (import "env" "output_byte" (func (param i32)))
                 (func) (func (result i32) (i32.const 1)))"#,
        )
        .unwrap();
        let size = Size::of(&wasm);
        assert_eq!(size.functions, 2);
        assert_eq!(
            size.to_string(),
            format!("{} bytes, 2 functions", wasm.len())
        );
        assert_eq!(Size::of(b"\0asm\x01\0\0\0").functions, 0);
    }
}

//! `hullvm reduce`: shrink a module while the disagreement it shows holds
//! (`fuzz::reduce`), with progress on stderr; the smallest module is
//! written whole or not at all.

use anyhow::{bail, Context as _, Result};
use clap::ValueEnum;
use hullvm::compile::{self, Entry};
use hullvm::fuzz::reduce::{self, Budget, Keep, Progress, Reduction};
use hullvm::harness::input;
use hullvm::harness::progress::{Every, EVERY};
use hullvm::pipeline::Limits;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// The module (.wasm or .wat). Its entry is --invoke, or the C
    /// convention's `compute` with --input or --input-file; with none of
    /// them, the `entry:` line of the fuzz note beside it (M.txt) if there
    /// is one, else `compute` without input.
    module: PathBuf,
    /// Which disagreement to keep; by default the one the module shows.
    #[arg(long, value_enum)]
    keep: Option<KeepArg>,
    /// Where to write the reduced module (default: M.reduced.wasm beside
    /// the module).
    #[arg(short, long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    entry: super::EntryArgs,
    /// Candidates checked at most.
    #[arg(long, default_value_t = Budget::COMMAND.attempts)]
    attempts: u32,
    /// Stop when this many candidates in a row were no smaller.
    #[arg(long, default_value_t = Budget::COMMAND.patience)]
    patience: u32,
    /// Seconds at most.
    #[arg(long, default_value_t = Budget::COMMAND.seconds)]
    time: f64,
    /// Trace tokens each check may generate: a candidate that runs longer
    /// is cut there, and shows no disagreement.
    #[arg(long, default_value_t = 100_000)]
    max_tokens: usize,
    /// The shrinker's seed (which mutation it tries next).
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
enum KeepArg {
    /// The transformer against the reference tracer.
    Transformer,
    /// hullvm against wasmi 2, not overruled by the arbiters (wasmi 0.31,
    /// and wasmtime when built in).
    Wasmi,
    /// wasmi 2 against the others: the arbiters overrule it.
    Wasmi2,
}

impl From<KeepArg> for Keep {
    fn from(k: KeepArg) -> Keep {
        match k {
            KeepArg::Transformer => Keep::Transformer,
            KeepArg::Wasmi => Keep::Wasmi,
            KeepArg::Wasmi2 => Keep::Wasmi2,
        }
    }
}

pub fn run(args: Args) -> Result<()> {
    if args.time.is_nan() || args.time <= 0.0 || args.attempts == 0 || args.patience == 0 {
        bail!("--time, --attempts and --patience must be above 0");
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| reduced_path(&args.module));
    if out == args.module {
        bail!("--out must not be the module itself");
    }
    let (wasm, entry) = module_and_entry(&args)?;
    let wasm = compile::to_binary(&wasm)?.into_owned();
    // Before the work, not after it.
    super::prepare(Some(&out))?;
    let reduction = Reduction {
        keep: args.keep.map(Keep::from),
        seed: args.seed,
        ..Reduction::new(
            entry,
            Limits::tokens(args.max_tokens),
            Budget {
                attempts: args.attempts,
                patience: args.patience,
                seconds: args.time,
            },
        )
    };
    let decoder = hullvm::build_decoder();
    let throttle = Every::new(EVERY);
    let mut progress = |p: &Progress| {
        if p.smaller || throttle.ready() {
            let smaller = if p.smaller { " (smaller)" } else { "" };
            eprintln!(
                "reduce: {} attempts, smallest {} bytes{smaller}, {:.0} s",
                p.attempts, p.smallest, p.seconds
            );
        }
    };
    let reduced = reduce::reduce(&decoder, &wasm, &reduction, &mut progress)
        .with_context(|| format!("cannot reduce {}", args.module.display()))?;
    hullvm::files::write_atomically(&out, &reduced.wasm)?;
    eprintln!(
        "reduced {}: {} -> {}; {} holds; {} attempts, {:.1} s, {}",
        args.module.display(),
        reduced.before,
        reduced.after,
        reduced.shown,
        reduced.attempts,
        reduced.seconds,
        reduced.stopped
    );
    println!("{}", out.display());
    Ok(())
}

/// `M.reduced.wasm` beside `M.wasm` (or `M.wat`).
fn reduced_path(module: &Path) -> PathBuf {
    module.with_extension("reduced.wasm")
}

/// The module and the entry the flags (or the fuzz note beside it) give.
fn module_and_entry(args: &Args) -> Result<(Vec<u8>, Entry)> {
    if let Some(export) = &args.entry.invoke {
        let (wasm, entry, _) = input::load_invocation(&args.module, export, &args.entry.args)?;
        return Ok((wasm, entry));
    }
    let input = args.entry.input()?;
    let (wasm, entry) = input::load_wasm(&args.module, input.as_deref())?;
    if input.is_some() {
        return Ok((wasm, entry));
    }
    Ok((wasm, note_entry(&args.module)?.unwrap_or(entry)))
}

/// The `entry:` line of the fuzz note `M.txt` beside the module, if any.
fn note_entry(module: &Path) -> Result<Option<Entry>> {
    let note = module.with_extension("txt");
    let Ok(text) = std::fs::read_to_string(&note) else {
        return Ok(None);
    };
    let Some(line) = text.lines().find_map(|l| l.strip_prefix("entry: ")) else {
        return Ok(None);
    };
    let entry = hullvm::fuzz::targets::parse_entry_line(line)
        .with_context(|| format!("{}: the entry line is not valid", note.display()))?;
    eprintln!("entry from {}: {}", note.display(), line.trim());
    Ok(Some(entry))
}

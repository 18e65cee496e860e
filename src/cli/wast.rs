//! `hullvm wast`: any `.wast` scripts on the transformer, with the verdicts,
//! step diff, JSON, report page and JUnit XML of the bundled suite. `hullvm
//! spec` is this run over the bundled files ([`run_scripts`]).

use anyhow::{bail, Result};
use hullvm::decode::Decoder;
use hullvm::harness::results::{Meta, ModelCard, Results};
use hullvm::harness::spec::{self, Shard, Summary, Verdict, WastFile};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

#[derive(clap::Args)]
pub struct Args {
    /// .wast files, and folders whose .wast files (recursively) run.
    #[arg(required = true, value_name = "FILE_OR_DIR")]
    paths: Vec<PathBuf>,
    /// Validate modules with this spec version's features (1, 2, 3: wasm 1.0, 2.0, 3.0).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=3))]
    version: u8,
    #[command(flatten)]
    options: Options,
}

/// What a spec or wast run selects and writes.
#[derive(clap::Args)]
pub struct Options {
    /// Only trials whose name contains this (e.g. "i32/" or "assert_trap").
    #[arg(long)]
    filter: Option<String>,
    /// Run only part K of N of the (filtered) trials, e.g. 2/4: trials in
    /// script then directive order, dealt round robin. Merge the parts'
    /// results.json with `hullvm report --from`.
    #[arg(long, value_name = "K/N")]
    shard: Option<Shard>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Write the summary and every verdict as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write results.json and the page index.html into this folder.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write JUnit XML here: one testcase per assertion.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Tokens one program may generate; a trial whose run needs more is
    /// unsupported, with the budget named (spec v1's two longest need 28M
    /// and 39M, nine others 3M-9M; all fit the default).
    #[arg(long, value_name = "TOKENS", default_value_t = spec::Budget::DEFAULT.tokens)]
    max_tokens: usize,
}

pub fn run(args: Args) -> Result<()> {
    let scripts = spec::read_scripts(&args.paths)?;
    run_scripts(args.version, &scripts, "hullvm wast", &args.options)
}

/// Every selected trial of `scripts` on the transformer: the table and
/// totals on stdout, each failure with the directive it came from, the
/// files asked for; an error if any trial failed. `what` names the run
/// in the report and the JUnit XML.
pub fn run_scripts(version: u8, scripts: &[WastFile], what: &str, options: &Options) -> Result<()> {
    // Outputs are written after the work: check where they go first.
    super::prepare(options.json.as_deref())?;
    super::prepare(options.junit.as_deref())?;
    if let Some(dir) = &options.out {
        hullvm::files::prepare_dir(dir)?;
    }
    let started = SystemTime::now();
    let t = Instant::now();
    let decoder = hullvm::build_decoder();
    let trials = spec::select(
        spec::collect_scripts(
            version,
            scripts,
            spec::Budget {
                tokens: options.max_tokens,
            },
        ),
        options.filter.as_deref(),
        options.shard,
    );
    if trials.is_empty() && options.shard.is_none() {
        bail!("no trial to run (no assertion in the scripts, or none matches the filter)");
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.unwrap_or(0))
        .build()?;
    // Progress reads "spec v1: 4000/18455 trials", as in `check`.
    let command = what.trim_start_matches("hullvm ");
    let label = match options.shard {
        Some(shard) => format!("{command} v{version} shard {shard}"),
        None => format!("{command} v{version}"),
    };
    let results = pool.install(|| spec::run_trials(&decoder, &trials, &label));
    let mut summary = Summary::new(version, results, t.elapsed().as_secs_f64());
    summary.shard = options.shard;
    let failed = print(&summary, scripts);
    write(&summary, &decoder, what, options, started, t)?;
    if failed > 0 {
        bail!("{failed} trials failed");
    }
    Ok(())
}

/// The table, totals and failures; returns how many failed.
fn print(summary: &Summary, scripts: &[WastFile]) -> usize {
    println!(
        "{:<28} {:>6} {:>7} {:>6} {:>12} {:>16} {:>10} {:>10}",
        "file", "pass", "refused", "fail", "unsupported", "oracle-mismatch", "tokens", "tok/s"
    );
    for f in &summary.files {
        println!(
            "{:<28} {:>6} {:>7} {:>6} {:>12} {:>16} {:>10} {:>10.0}",
            f.file,
            f.pass,
            f.refused,
            f.fail,
            f.unsupported,
            f.oracle_mismatch,
            f.tokens,
            f.tokens as f64 / f.seconds.max(1e-9)
        );
    }
    println!("totals:");
    for line in super::totals(summary) {
        println!("{line}");
    }
    println!("unsupported features (trials blocked):");
    for (feature, n) in summary.unsupported.iter().take(12) {
        println!("  {n:>6}  {feature}");
    }
    let failed: Vec<_> = summary
        .results
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Fail(_) | Verdict::OracleMismatch(_)))
        .collect();
    for r in failed.iter().take(20) {
        println!("{}: {}", r.name, r.verdict);
        if let Some(source) = directive(scripts, &r.file, r.line) {
            println!("    {}:{}: {source}", r.file, r.line);
        }
    }
    if failed.len() > 20 {
        println!(
            "... and {} more failures (all in --json)",
            failed.len() - 20
        );
    }
    println!(
        "{} assertions hold: {} decoded and exact, {} refused",
        summary.passed(),
        summary.total("pass"),
        summary.total("refused")
    );
    println!(
        "{} trials, {} tokens decoded, {:.1} s wall ({:.0} tok/s)",
        summary.results.len(),
        summary.tokens,
        summary.seconds,
        summary.tokens as f64 / summary.seconds.max(1e-9)
    );
    println!(
        "{} source steps compared with wasmi's instrumented run",
        summary.source_steps
    );
    failed.len()
}

/// The script's line `line` (from 1), trimmed: the directive a failure
/// came from.
fn directive<'s>(scripts: &'s [WastFile], file: &str, line: usize) -> Option<&'s str> {
    let script = scripts.iter().find(|s| s.name == file)?;
    let text = script.text.lines().nth(line.checked_sub(1)?)?.trim();
    (!text.is_empty()).then_some(text)
}

fn write(
    summary: &Summary,
    decoder: &Decoder,
    what: &str,
    options: &Options,
    started: SystemTime,
    t: Instant,
) -> Result<()> {
    if let Some(path) = &options.json {
        super::write_json(path, summary)?;
    }
    if let Some(path) = &options.junit {
        write_junit(path, what, summary)?;
    }
    if let Some(dir) = &options.out {
        let results = Results::of_spec(
            Meta::here(started, t.elapsed().as_secs_f64()),
            ModelCard::of(&decoder.model, decoder.head_cards()),
            summary.clone(),
        );
        let page = hullvm::report::write(dir, &results)?;
        eprintln!("report: {}", page.display());
    }
    Ok(())
}

fn write_junit(path: &Path, what: &str, summary: &Summary) -> Result<()> {
    let xml = hullvm::report::junit(what, summary)?;
    hullvm::files::write_atomically(path, xml.as_bytes())
}

//! `hullvm spec`: the bundled spec suite on the transformer.

use anyhow::{bail, Result};
use hullvm::decode::Decoder;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// Spec version of the bundled suite.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    version: u8,
    /// Only trials whose name contains this (e.g. "i32/" or "assert_trap").
    #[arg(long)]
    filter: Option<String>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Write the summary and every verdict as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<()> {
    super::prepare(args.json.as_deref())?;
    spec(
        args.version,
        args.filter.as_deref(),
        args.jobs,
        args.json.as_deref(),
    )
}

fn spec(
    version: u8,
    filter: Option<&str>,
    jobs: Option<usize>,
    json: Option<&std::path::Path>,
) -> Result<()> {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let t = Instant::now();
    let decoder = Decoder::new(hullvm::build_model());
    let trials: Vec<_> = hullvm::harness::spec::collect(version)
        .into_iter()
        .filter(|t| filter.is_none_or(|f| t.name.contains(f)))
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()?;
    let done = AtomicUsize::new(0);
    let total = trials.len();
    // On a terminal one line redrawn in place; in a log, plain lines.
    let terminal = hullvm::harness::progress::on_terminal();
    let lines = (!terminal).then(|| {
        hullvm::harness::progress::Lines::new(&format!("spec v{version}"), total, "trials")
    });
    let results = pool.install(|| {
        trials
            .par_iter()
            .map(|trial| {
                let r = hullvm::harness::spec::run_trial(&decoder, trial);
                if r.seconds > 5.0 {
                    eprintln!(
                        "{}slow: {} took {:.1} s ({} tokens)",
                        if terminal { "\n" } else { "" },
                        r.name,
                        r.seconds,
                        r.tokens
                    );
                }
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                match &lines {
                    Some(lines) => lines.inc(),
                    None if n.is_multiple_of(200) || n == total => {
                        eprint!("\r[{n}/{total}] {:.0} s", t.elapsed().as_secs_f64())
                    }
                    None => {}
                }
                r
            })
            .collect::<Vec<_>>()
    });
    match &lines {
        Some(lines) => lines.finish(),
        None => eprintln!(),
    }
    let summary = hullvm::harness::spec::Summary::new(version, results, t.elapsed().as_secs_f64());
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
    for (kind, verdicts) in &summary.totals {
        let parts: Vec<String> = verdicts.iter().map(|(v, n)| format!("{v} {n}")).collect();
        println!("  {kind:<18} {}", parts.join(", "));
    }
    println!("unsupported features (trials blocked):");
    for (feature, n) in summary.unsupported.iter().take(12) {
        println!("  {n:>6}  {feature}");
    }
    let failed: Vec<_> = summary
        .results
        .iter()
        .filter(|r| {
            matches!(
                r.verdict,
                hullvm::harness::spec::Verdict::Fail(_)
                    | hullvm::harness::spec::Verdict::OracleMismatch(_)
            )
        })
        .collect();
    for r in failed.iter().take(20) {
        println!("{}: {}", r.name, r.verdict);
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
    if let Some(path) = json {
        super::write_json(path, &summary)?;
    }
    if !failed.is_empty() {
        bail!("{} trials failed", failed.len());
    }
    Ok(())
}

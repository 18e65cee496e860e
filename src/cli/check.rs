//! `hullvm check`: the main job, its console summary and its report.

use anyhow::{bail, Result};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Where to write results.json and index.html.
    #[arg(long, default_value = "reports")]
    out: PathBuf,
    /// Only corpus programs whose name contains this (repeatable).
    #[arg(long)]
    corpus_filter: Vec<String>,
    /// Only spec trials whose name contains this (e.g. "i32/").
    #[arg(long)]
    spec_filter: Option<String>,
    /// Skip the benchmark.
    #[arg(long)]
    no_bench: bool,
    /// Seconds of the fuzz round, split over its four targets (0 skips it).
    #[arg(long, default_value_t = 20.0)]
    fuzz_time: f64,
    #[command(flatten)]
    soft: super::report::SoftFiles,
}

pub fn run(args: Args) -> Result<()> {
    // The report is written at the end of minutes of work: check its
    // folder first.
    hullvm::files::prepare_dir(&args.out)?;
    let soft = args.soft.read()?;
    let config = hullvm::harness::check::Config {
        corpus_filter: args.corpus_filter,
        spec_filter: args.spec_filter,
        bench: (!args.no_bench).then_some(hullvm::harness::bench::Budget::QUICK),
        fuzz: (args.fuzz_time > 0.0).then(|| hullvm::fuzz::FuzzConfig {
            seconds: Some(args.fuzz_time),
            ..hullvm::fuzz::FuzzConfig::default()
        }),
        ..hullvm::harness::check::Config::default()
    };
    check(&args.out, &config, soft)
}

fn check(
    out_dir: &std::path::Path,
    config: &hullvm::harness::check::Config,
    soft: Option<hullvm::harness::results::SoftResults>,
) -> Result<()> {
    let mut results = hullvm::harness::check::run(config)?;
    results.soft = soft;
    for row in &results.corpus {
        eprintln!(
            "  {:<20} {:>10} tokens {:>8.0} tok/s  {:<32} {}",
            row.program,
            row.tokens,
            row.tokens_per_second,
            row.transformer_verdict,
            if row.ok() { "exact" } else { "MISMATCH" }
        );
    }
    eprintln!("spec v{}:", results.spec.version);
    for line in super::totals(&results.spec) {
        eprintln!("{line}");
    }
    let s = &results.summary;
    let page = hullvm::report::write(out_dir, &results)?;
    eprintln!(
        "{} decoded and exact, {} refused, {} fail, {} unsupported, {} oracle mismatch; {} tokens at {:.0} tok/s per thread; {:.1} s",
        s.exact,
        s.refused,
        s.fail,
        s.unsupported,
        s.oracle_mismatch,
        s.tokens,
        s.tokens_per_second,
        results.meta.wall_seconds
    );
    eprintln!("report: {}", page.display());
    if s.failed() {
        bail!("{} programs or trials disagree", s.fail + s.oracle_mismatch);
    }
    Ok(())
}

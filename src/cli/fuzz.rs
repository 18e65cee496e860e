//! `hullvm fuzz`: rounds of the fuzz targets, replays and the histogram.

use anyhow::{bail, Result};
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// differential, smith, hull, parse or all.
    #[arg(long, default_value = "all")]
    target: String,
    /// Seconds for the whole round (split between targets); default 60
    /// unless --execs is given.
    #[arg(long)]
    time: Option<f64>,
    /// Executions per target.
    #[arg(long)]
    execs: Option<u64>,
    /// Base seed: execution i of a round gets bytes derived from (seed, i).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// First execution index (replay a finding with --start I --execs 1).
    #[arg(long, default_value_t = 0)]
    start: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Replay saved inputs instead of fuzzing (the target defaults to the
    /// one named in the file name).
    #[arg(long, num_args = 1..)]
    replay: Vec<PathBuf>,
    /// Print the operator/construct/outcome histogram over N generated
    /// programs (on the reference tracer) instead of fuzzing.
    #[arg(long)]
    histogram: Option<u64>,
    /// Where findings are saved.
    #[arg(long, default_value = "corpora/fuzz-regressions")]
    save: PathBuf,
    /// Write the summaries as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<()> {
    fuzz(args)
}

/// Set by Ctrl-C (SIGINT), SIGTERM or SIGHUP during `hullvm fuzz`.
static FUZZ_STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn fuzz(args: Args) -> Result<()> {
    use hullvm::fuzz::{self, Target};
    super::prepare(args.json.as_deref())?;
    let targets: Vec<Target> = if args.target == "all" {
        Target::ALL.to_vec()
    } else {
        vec![args.target.parse().map_err(anyhow::Error::msg)?]
    };
    if let Some(n) = args.histogram {
        let t = Instant::now();
        let h = fuzz::histogram(n, args.seed);
        for (key, count) in &h {
            println!("{count:>8}  {key}");
        }
        let missing: Vec<String> = fuzz::expected_histogram_keys()
            .into_iter()
            .filter(|k| !h.contains_key(k))
            .collect();
        eprintln!("{n} programs in {:.1} s", t.elapsed().as_secs_f64());
        if let Some(path) = &args.json {
            super::write_json(path, &h)?;
        }
        if !missing.is_empty() {
            bail!("never occurred: {}", missing.join(", "));
        }
        return Ok(());
    }
    let decoder = hullvm::build_decoder();
    if !args.replay.is_empty() {
        let mut failed = 0;
        for path in &args.replay {
            let target = match fuzz::target_of(path) {
                Some(t) if args.target == "all" => t,
                _ => targets[0],
            };
            match fuzz::replay(target, &decoder, path)? {
                Ok(exec) => eprintln!("{}: {target}: ok ({})", path.display(), exec.outcome),
                Err(finding) => {
                    failed += 1;
                    eprintln!("{}: {target}: {finding}", path.display());
                }
            }
        }
        if failed > 0 {
            bail!("{failed} of {} reproducers still fail", args.replay.len());
        }
        return Ok(());
    }
    // Findings are saved as they are found: their folder must take them.
    hullvm::files::prepare_dir(&args.save)?;
    let config = fuzz::FuzzConfig {
        targets,
        seconds: args.time.or(args.execs.is_none().then_some(60.0)),
        executions: args.execs,
        seed: args.seed,
        start: args.start,
        jobs: args.jobs.unwrap_or(0),
        save_dir: Some(args.save),
        max_findings: 10,
        stop: Some(&FUZZ_STOP),
    };
    // The first Ctrl-C or SIGTERM (a CI timeout, `kill`) ends the round
    // cleanly (summary and JSON written, marked interrupted); a second one
    // exits at once.
    ctrlc::set_handler(|| {
        if FUZZ_STOP.swap(true, std::sync::atomic::Ordering::Relaxed) {
            std::process::exit(130);
        }
        eprintln!(
            "\ninterrupted: finishing the running executions (Ctrl-C or SIGTERM again to quit now)"
        );
    })?;
    // On a terminal one line redrawn in place; in a log, a plain line
    // every few seconds.
    let terminal = hullvm::harness::progress::on_terminal();
    let every = hullvm::harness::progress::Every::new(hullvm::harness::progress::EVERY);
    let progress = |p: &fuzz::Progress| {
        let line = format!(
            "{}: {} execs, {:.0} execs/s, {} findings, {:.0} s",
            p.target,
            p.executions,
            p.executions as f64 / p.seconds.max(1e-9),
            p.findings,
            p.seconds
        );
        if terminal {
            eprint!("\r{line}   ");
        } else if every.ready() {
            eprintln!("{line}");
        }
    };
    let summaries = fuzz::round(&config, &decoder, &progress);
    if terminal {
        eprintln!();
    }
    let mut findings = 0;
    for s in &summaries {
        println!(
            "{:<12} {:>9} execs {:>8.1} s {:>9.1} execs/s {:>12} tokens {:>3} findings",
            s.target, s.executions, s.seconds, s.execs_per_sec, s.tokens, s.findings_total
        );
        let outcomes: Vec<String> = s.outcomes.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!("             {}", outcomes.join(", "));
        for f in &s.findings {
            println!(
                "  finding #{}: {}: {}\n    replay: {}",
                f.index, f.kind, f.message, f.replay
            );
        }
        if s.wasmi_overruled_total > 0 {
            println!(
                "  wasmi 2 disagreed {} times and was overruled each time (the arbiters and the reference tracer agree with hullvm):",
                s.wasmi_overruled_total
            );
            for f in &s.wasmi_overruled {
                println!(
                    "    #{}: {}\n      replay: {}",
                    f.index, f.message, f.replay
                );
            }
        }
        findings += s.findings_total;
    }
    if let Some(path) = &args.json {
        super::write_json(path, &summaries)?;
    }
    if findings > 0 {
        bail!("{findings} findings");
    }
    if summaries.iter().any(|s| s.interrupted) {
        bail!("interrupted: the summaries cover the executions that ran");
    }
    Ok(())
}

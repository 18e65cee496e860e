//! The main job, `hullvm check`: every bundled corpus program and the
//! bundled spec suite on the transformer (hull cache), in parallel, each
//! checked against the reference tracer and wasmi; then a short benchmark
//! and the numerics. The result is one [`Results`] value for the report.

use crate::compile::{Compiled, Exit};
use crate::decode::attention::HullCache;
use crate::decode::{Decoder, Stop};
use crate::harness::input::{self as source, Source};
use crate::harness::{bench, corpus, spec};
use crate::oracle::reference::{self, Outcome};
use crate::oracle::wasmi::{self, OracleOutcome};
use crate::report::{CorpusRow, Meta, ModelCard, Results, Summary};
use crate::verify::tokens as verify;
use anyhow::{bail, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::time::{Instant, SystemTime};

/// What a check run covers. [`Config::default`] is the main job.
#[derive(Debug, Clone)]
pub struct Config {
    pub spec_version: u8,
    /// Only spec trials whose name contains this.
    pub spec_filter: Option<String>,
    /// Only corpus programs whose name contains one of these (all when empty).
    pub corpus_filter: Vec<String>,
    /// The benchmark's budget (None skips it).
    pub bench: Option<bench::Budget>,
    /// Tokens per program for the numerics scan (0 skips it).
    pub numerics_tokens: usize,
    /// Trace token cap for every run.
    pub max_tokens: usize,
    /// The fuzz round (None skips it). Findings count as failures.
    pub fuzz: Option<crate::fuzz::FuzzConfig>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            spec_version: 1,
            spec_filter: None,
            corpus_filter: Vec::new(),
            bench: Some(bench::Budget::QUICK),
            numerics_tokens: 2_000,
            max_tokens: 50_000_000,
            fuzz: Some(crate::fuzz::FuzzConfig {
                seconds: Some(20.0),
                ..crate::fuzz::FuzzConfig::default()
            }),
        }
    }
}

/// Run everything `config` asks for.
pub fn run(config: &Config) -> Result<Results> {
    let started = SystemTime::now();
    let t = Instant::now();
    let model = crate::build_model();
    let decoder = Decoder::new(model);
    let model = ModelCard::of(&decoder.model, decoder.head_cards());

    let programs: Vec<_> = corpus::bundled()?
        .into_iter()
        .filter(|p| {
            config.corpus_filter.is_empty()
                || config
                    .corpus_filter
                    .iter()
                    .any(|f| p.name.contains(f.as_str()))
        })
        .collect();
    let sources: Vec<(String, Source)> = programs
        .iter()
        .map(|p| Ok((p.name.clone(), source::load(&p.path, Some(&p.input))?)))
        .collect::<Result<_>>()?;
    let bar = progress(sources.len(), "corpus");
    let corpus: Vec<CorpusRow> = programs
        .par_iter()
        .zip(&sources)
        .map(|(p, (_, src))| {
            let row = check_program(&decoder, p, src, config.max_tokens);
            bar.inc(1);
            row
        })
        .collect::<Result<_>>()?;
    bar.finish();

    let trials: Vec<_> = spec::collect(config.spec_version)
        .into_iter()
        .filter(|t| matches(&t.name, &config.spec_filter))
        .collect();
    let bar = progress(trials.len(), &format!("spec v{}", config.spec_version));
    let spec_start = Instant::now();
    let results: Vec<_> = trials
        .par_iter()
        .map(|trial| {
            let r = spec::run(&decoder, trial);
            bar.inc(1);
            r
        })
        .collect();
    bar.finish();
    let spec = spec::Summary::new(
        config.spec_version,
        results,
        spec_start.elapsed().as_secs_f64(),
    );

    // The brute-force scan behind the numerics is quadratic: only programs
    // whose prompt is short.
    let numerics = if config.numerics_tokens > 0 {
        let short: Vec<_> = sources
            .iter()
            .filter(|(_, s)| s.program.prompt().len() < 3_000)
            .collect();
        let bar = progress(short.len(), "numerics");
        let n = short
            .par_iter()
            .map(|(name, s)| {
                let n = crate::decode::numerics(&decoder, name, &s.program, config.numerics_tokens);
                bar.inc(1);
                n
            })
            .collect();
        bar.finish();
        n
    } else {
        Vec::new()
    };

    let speed = config.bench.map(|budget| {
        let bar = ProgressBar::new_spinner().with_message("benchmark (quick)");
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        let programs: Vec<_> = sources
            .iter()
            .map(|(n, s)| (n.clone(), s.program.clone()))
            .collect();
        let report = bench::run(&decoder, &programs, budget);
        bar.finish_and_clear();
        report
    });

    let fuzz = match &config.fuzz {
        Some(fuzz_config) => {
            let bar = ProgressBar::new_spinner().with_message("fuzz");
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            let progress = |p: &crate::fuzz::Progress| {
                bar.set_message(format!(
                    "fuzz {}: {} execs, {} findings",
                    p.target, p.executions, p.findings
                ))
            };
            let summaries = crate::fuzz::run(fuzz_config, &decoder, &progress);
            bar.finish_and_clear();
            summaries
        }
        None => Vec::new(),
    };

    let summary = Summary::of(&corpus, &spec, &fuzz);
    Ok(Results {
        meta: Meta::here(started, t.elapsed().as_secs_f64()),
        summary,
        corpus,
        spec,
        speed,
        model,
        numerics,
        fuzz,
    })
}

fn matches(name: &str, filter: &Option<String>) -> bool {
    filter.as_ref().is_none_or(|f| name.contains(f.as_str()))
}

fn progress(len: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64).with_message(what.to_string());
    bar.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} {elapsed}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar
}

/// One corpus program on the transformer, the reference tracer and wasmi.
fn check_program(
    decoder: &Decoder,
    p: &corpus::CorpusProgram,
    src: &Source,
    max_tokens: usize,
) -> Result<CorpusRow> {
    let reference = reference::run(&src.program, max_tokens);
    let (wasmi_output, wasmi_verdict) = wasmi_verdict(src)?;
    let start = Instant::now();
    let run = decoder.session::<HullCache>().run(&src.program, max_tokens);
    let seconds = start.elapsed().as_secs_f64();
    let divergence = verify::first_divergence(&src.program, &reference.trace, &run.trace);
    // The run lifted to wasm instructions, against wasmi's instrumented run.
    let source = match (&src.compiled, &src.wasm) {
        (Some(c), Some((wasm, entry))) => {
            let halted = run.stop == Stop::Halted;
            crate::verify::lift::check(c, wasm, entry, &run.trace, halted, 1 << 40)?.0
        }
        _ => Default::default(),
    };
    let compiled = src.compiled.as_ref();
    let reference_verdict = verdict(&reference.outcome, compiled);
    let transformer_verdict = match &run.stop {
        Stop::TokenLimit => "token limit reached".to_string(),
        Stop::Inexact { .. } => run.stop.to_string(),
        Stop::Halted => {
            let pc = verify::locate(&run.trace, run.trace.len() - 1).pc;
            verdict(&Outcome::Halted { pc }, compiled)
        }
    };
    Ok(CorpusRow {
        program: p.name.clone(),
        tokens: run.trace.len(),
        steps: reference.steps,
        seconds,
        tokens_per_second: run.trace.len() as f64 / seconds.max(1e-9),
        exact: divergence.is_none(),
        outputs_agree: run.output == reference.output
            && reference.output == wasmi_output
            && transformer_verdict == reference_verdict
            && reference_verdict == wasmi_verdict,
        matches_manifest: run.output == p.expected_output,
        divergence,
        source_steps: source.steps_compared,
        source_divergence: source.divergence,
        transformer_verdict,
        reference_verdict,
        wasmi_verdict,
    })
}

/// How a run ended, in words: "finished", "trap: <wasm message>", ...
pub fn verdict(outcome: &Outcome, compiled: Option<&Compiled>) -> String {
    match outcome {
        Outcome::Halted { pc } => match compiled.and_then(|c| c.exit_at(*pc)) {
            Some(Exit::Trap(t)) => format!("trap: {t}"),
            _ => "finished".into(),
        },
        Outcome::TokenLimit => "token limit reached".into(),
        Outcome::Fault { pc, message } => format!("fault at pc {pc}: {message}"),
    }
}

/// wasmi's output bytes and how its run ended, in [`verdict`]'s words.
pub fn wasmi_verdict(src: &Source) -> Result<(Vec<u8>, String)> {
    let Some((wasm, entry)) = &src.wasm else {
        bail!("the wasmi engine needs a .wasm, .wat or .c program, not a token file");
    };
    let run = wasmi::run(wasm, entry, u64::MAX)?;
    let verdict = match &run.outcome {
        OracleOutcome::Finished => "finished".to_string(),
        OracleOutcome::Trap(t) => format!("trap: {}", t.message()),
        OracleOutcome::OutOfFuel => "out of fuel".to_string(),
    };
    Ok((run.output, verdict))
}

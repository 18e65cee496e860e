//! The main job, `hullvm check`: every bundled corpus program and the
//! bundled spec suite on the transformer (hull cache), in parallel, each
//! checked against the reference tracer and wasmi; then a short benchmark
//! and the numerics. The result is one [`Results`] value for the report.

use crate::decode::Decoder;
use crate::ending::EngineRun;
use crate::harness::input::{self as source, Source};
use crate::harness::progress::Stage;
use crate::harness::results::{CorpusRow, Meta, ModelCard, Results, Summary};
use crate::harness::{bench, corpus, spec};
use crate::pipeline::{self, Subject};
use anyhow::Result;
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
    let decoder = crate::build_decoder();
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
    let bar = Stage::counted("corpus", sources.len(), "programs");
    let corpus: Vec<CorpusRow> = programs
        .par_iter()
        .zip(&sources)
        .map(|(p, (_, src))| {
            let row = check_program(&decoder, p, src, config.max_tokens);
            bar.inc();
            row
        })
        .collect::<Result<_>>()?;
    bar.finish();

    let trials = spec::select(
        spec::collect(config.spec_version, spec::Budget::DEFAULT),
        config.spec_filter.as_deref(),
        None,
    );
    let spec_start = Instant::now();
    let results = spec::run_trials(&decoder, &trials, &format!("spec v{}", config.spec_version));
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
        let bar = Stage::counted("numerics", short.len(), "programs");
        let n = short
            .par_iter()
            .map(|(name, s)| {
                let n = crate::decode::numerics(&decoder, name, &s.program, config.numerics_tokens);
                bar.inc();
                n
            })
            .collect();
        bar.finish();
        n
    } else {
        Vec::new()
    };

    // The offset runs decode the shortest prompt with brute force too.
    let horizon = (config.numerics_tokens > 0)
        .then(|| sources.iter().min_by_key(|(_, s)| s.program.prompt().len()))
        .flatten()
        .map(|(name, s)| {
            let bar = Stage::spinner("horizon");
            let report = crate::harness::horizon::measure(&decoder, name, &s.program);
            bar.finish();
            report
        });

    let speed = config.bench.map(|budget| {
        let bar = Stage::spinner("benchmark (quick)");
        let programs: Vec<_> = sources
            .iter()
            .map(|(n, s)| (n.clone(), s.program.clone()))
            .collect();
        let report = bench::measure(&decoder, &programs, budget);
        bar.finish();
        report
    });

    let fuzz = match &config.fuzz {
        Some(fuzz_config) => {
            let bar = Stage::spinner("fuzz");
            let progress = |p: &crate::fuzz::Progress| {
                bar.message(format!(
                    "fuzz {}: {} execs, {} findings",
                    p.target, p.executions, p.findings
                ))
            };
            let summaries = crate::fuzz::round(fuzz_config, &decoder, &progress);
            bar.finish();
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
        horizon,
        fuzz,
        soft: None,
    })
}

/// One corpus program, loaded, through the pipeline (as the main job
/// checks it): for a run on another decoder, such as learnt weights.
pub fn check_corpus_program(
    decoder: &Decoder,
    p: &corpus::CorpusProgram,
    max_tokens: usize,
) -> Result<CorpusRow> {
    let src = source::load(&p.path, Some(&p.input))?;
    check_program(decoder, p, &src, max_tokens)
}

/// One corpus program through the pipeline, against its manifest too.
fn check_program(
    decoder: &Decoder,
    p: &corpus::CorpusProgram,
    src: &Source,
    max_tokens: usize,
) -> Result<CorpusRow> {
    let checked = match &src.wasm {
        Some((wasm, entry)) => {
            pipeline::check(decoder, Subject::wasm(wasm, entry), &config(max_tokens))?
        }
        None => pipeline::check(decoder, Subject::Program(&src.program), &config(max_tokens))?,
    };
    let t = &checked.transformer;
    let words = |run: Option<&EngineRun>| run.map_or("-".to_string(), |r| r.ending.to_string());
    let wasmi = checked.wasmi.as_ref().map(|w| match w {
        Ok(run) => run.ending.to_string(),
        Err(e) => format!("error: {e}"),
    });
    let disagreement = checked.disagreement();
    Ok(CorpusRow {
        program: p.name.clone(),
        tokens: t.trace.len(),
        steps: checked.reference.as_ref().map_or(0, |r| r.steps),
        seconds: t.seconds,
        tokens_per_second: t.tokens_per_second(),
        published_machine: t.published_machine,
        exact: checked.divergence.is_none(),
        outputs_agree: disagreement.is_none(),
        matches_manifest: p.matches(&t.run),
        divergence: checked.divergence.clone(),
        source_steps: checked.source_steps(),
        source_divergence: checked.source.as_ref().and_then(|s| s.divergence.clone()),
        transformer_verdict: t.run.ending.to_string(),
        reference_verdict: words(checked.reference.as_ref().map(|r| &r.run)),
        wasmi_verdict: wasmi.unwrap_or_else(|| "-".into()),
        disagreement: disagreement.map(|d| d.to_string()),
    })
}

/// Every comparison, within the token cap.
fn config(max_tokens: usize) -> pipeline::Config {
    pipeline::Config {
        limits: pipeline::Limits::tokens(max_tokens),
        ..pipeline::Config::default()
    }
}

//! The `hullvm` command line.

use anyhow::{bail, Context as _, Result};
use clap::{Parser, Subcommand, ValueEnum};
use hullvm::decode::attention::{BruteCache, HullCache};
use hullvm::decode::{Decoder, Stop};
use hullvm::harness::input::{self as source, Source};
use hullvm::isa::{format_trace, Program};
use hullvm::oracle::reference::{self, Outcome};
use serde::Serialize;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "hullvm",
    version,
    about = "Compile WebAssembly into a hand-built transformer and check it token for token",
    long_about = "hullvm compiles WebAssembly (or C, or the published token format) into a flat \
                  ISA, runs it on a reference tracer, on wasmi, or on a transformer whose weights \
                  are computed, and checks that every generated token is exact."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile a .wasm, .wat or .c program into a token program file.
    Compile {
        /// The program: .wasm, .wat, or .c (needs clang with wasm32 and wasm-ld).
        input_file: PathBuf,
        /// Input string handed to compute(input).
        #[arg(long, default_value = "")]
        input: String,
        /// Write the program here instead of stdout (written whole or not at all).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Run a token program on the reference tracer and print its trace in
    /// the _ref.txt layout.
    Trace {
        /// A token program file (the published format).
        program: PathBuf,
        /// Stop after this many trace tokens.
        #[arg(long, default_value_t = 50_000_000)]
        max_tokens: usize,
    },
    /// Measure the decoder: tokens/s per corpus program with the hull and
    /// brute caches, per-token cost along the longest trace, parallel
    /// speedup across programs, and peak memory.
    Bench {
        /// Shorter runs (token caps) for a quick look or CI.
        #[arg(long)]
        quick: bool,
        /// Also write the measurements as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Only programs whose name contains this.
        #[arg(long)]
        filter: Option<String>,
    },
    /// Run the official wasm spec suite on the transformer (hull cache), in
    /// parallel: a verdict for every assertion, a per-file table, totals.
    Spec {
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
    },
    /// Build the transformer and print its shape; optionally save it.
    Model {
        /// Save as OUTPUT.safetensors and OUTPUT.json.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// The main job: every bundled corpus program and all of spec v1 on the
    /// transformer (hull cache), in parallel, checked token for token against
    /// the reference tracer and for output against wasmi (and the corpus
    /// manifests); then a short benchmark, the numerics scan and a short
    /// fuzz round of every target. Writes
    /// OUT/results.json and the page OUT/index.html. Exits non-zero if
    /// anything disagrees (unsupported features are counted, not failures).
    Check {
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
    },
    /// Render the HTML report from a results.json written by `check`.
    Report {
        /// The results file.
        #[arg(long, default_value = "reports/results.json")]
        from: PathBuf,
        /// Where to write index.html (default: next to the results file).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run a program and print its output bytes to stdout (diagnostics go to stderr).
    Run {
        /// Token programs (.txt), .wasm, .wat or .c files; several run in
        /// parallel.
        #[arg(required = true)]
        programs: Vec<PathBuf>,
        /// Input string (replaces a token file's own input section).
        #[arg(long)]
        input: Option<String>,
        /// Which engine executes the program.
        #[arg(long, value_enum, default_value_t = Engine::Transformer)]
        engine: Engine,
        /// The transformer's KV cache.
        #[arg(long, value_enum, default_value_t = Attention::Hull)]
        attention: Attention,
        /// Load the transformer from MODEL.safetensors + MODEL.json instead
        /// of building it.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Write the transformer's run in the _ref.txt layout here.
        #[arg(long)]
        trace: Option<PathBuf>,
        /// Diff the transformer's trace token by token against the
        /// reference tracer and, for wasm input, wasm instruction by
        /// instruction against wasmi's instrumented run; exit non-zero at
        /// the first divergence.
        #[arg(long)]
        verify: bool,
        /// Stop after this many trace tokens.
        #[arg(long, default_value_t = 50_000_000)]
        max_tokens: usize,
        /// Print a machine-readable summary to stdout instead of the output bytes.
        #[arg(long)]
        json: bool,
    },
    /// Differential fuzzing without libFuzzer: generated programs on the
    /// transformer vs the reference tracer vs wasmi, wasm-smith modules,
    /// the hull cache vs brute force, and the readers on arbitrary bytes.
    /// Exits non-zero on a finding; findings are saved as reproducers.
    Fuzz(FuzzArgs),
}

#[derive(clap::Args)]
struct FuzzArgs {
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

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
enum Attention {
    /// Convex hulls: O(log n) per token; heads keyed by position or by a
    /// constant are answered without a search.
    Hull,
    /// Scan every cached key: O(n) per token, the reference cache.
    Brute,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
enum Engine {
    /// The transformer: every token is the argmax of its logits.
    Transformer,
    /// The direct ISA interpreter (the token-level oracle).
    Reference,
    /// wasmi running the original wasm (needs .wasm, .wat or .c input).
    Wasmi,
}

#[derive(Serialize)]
struct RunSummary {
    engine: String,
    program: String,
    /// Output bytes, lossily decoded as UTF-8.
    output: String,
    /// Output bytes in hex.
    output_hex: String,
    #[serde(skip)]
    output_bytes: Vec<u8>,
    /// Tokens generated (the input section included), or 0 for wasmi.
    tokens: usize,
    steps: u64,
    verdict: String,
    seconds: f64,
    tokens_per_second: f64,
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        // One line, whatever the underlying error looks like.
        let message = format!("{e:#}");
        eprintln!(
            "error: {}",
            message.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Compile {
            input_file,
            input,
            output,
        } => {
            let src = source::load(&input_file, Some(input.as_bytes()))?;
            if src.compiled.is_none() {
                bail!(
                    "{} is already a token program; compile takes .wasm, .wat or .c",
                    input_file.display()
                );
            }
            emit(output, src.program.to_text().as_bytes())
        }
        Command::Check {
            out,
            corpus_filter,
            spec_filter,
            no_bench,
            fuzz_time,
        } => check(
            &out,
            &hullvm::harness::check::Config {
                corpus_filter,
                spec_filter,
                bench: (!no_bench).then_some(hullvm::harness::bench::Budget::QUICK),
                fuzz: (fuzz_time > 0.0).then(|| hullvm::fuzz::FuzzConfig {
                    seconds: Some(fuzz_time),
                    ..hullvm::fuzz::FuzzConfig::default()
                }),
                ..hullvm::harness::check::Config::default()
            },
        ),
        Command::Report { from, out } => {
            let results = hullvm::report::read(&from)?;
            let dir = match out {
                Some(dir) => dir,
                None => from
                    .parent()
                    .map_or_else(|| PathBuf::from("."), |p| p.to_path_buf()),
            };
            let page = hullvm::report::write_page(&dir, &results)?;
            eprintln!("report: {}", page.display());
            Ok(())
        }
        Command::Fuzz(args) => fuzz(args),
        Command::Spec {
            version,
            filter,
            jobs,
            json,
        } => spec(version, filter.as_deref(), jobs, json.as_deref()),
        Command::Bench {
            quick,
            json,
            filter,
        } => bench(quick, json.as_deref(), filter.as_deref()),
        Command::Model { output } => {
            let model = hullvm::build_model();
            print!("{}", model_card(&model));
            print!("{}", Decoder::new(model.clone()).describe_plans());
            if let Some(path) = output {
                model.save(&path)?;
                eprintln!(
                    "saved {} and {}",
                    path.with_extension("safetensors").display(),
                    path.with_extension("json").display()
                );
            }
            Ok(())
        }
        Command::Trace {
            program,
            max_tokens,
        } => {
            let text = std::fs::read_to_string(&program)
                .with_context(|| format!("cannot read {}", program.display()))?;
            let parsed = Program::parse(&text)
                .with_context(|| format!("{} is not a valid program file", program.display()))?;
            let run = reference::run(&parsed, max_tokens);
            report_outcome(&run.outcome, None);
            let mut out = std::io::stdout().lock();
            out.write_all(format_trace(&parsed, &run.trace).as_bytes())?;
            Ok(())
        }
        Command::Run {
            programs,
            input,
            engine,
            attention,
            model,
            trace,
            verify,
            max_tokens,
            json,
        } => {
            if programs.len() > 1 && trace.is_some() {
                bail!("--trace takes a single program");
            }
            let one = |program: &PathBuf| -> Result<RunSummary> {
                let src = source::load(program, input.as_deref().map(str::as_bytes))?;
                let summary = match engine {
                    Engine::Reference => run_reference(&src, max_tokens),
                    Engine::Wasmi => run_wasmi(&src)?,
                    Engine::Transformer => run_transformer(
                        &src,
                        attention,
                        model.as_deref(),
                        trace.as_deref(),
                        verify,
                        max_tokens,
                    )?,
                };
                Ok(RunSummary {
                    program: program.display().to_string(),
                    ..summary
                })
            };
            // Several programs decode in parallel, one per thread; each
            // decode stays single-threaded.
            use rayon::prelude::*;
            let results: Vec<Result<RunSummary>> = programs.par_iter().map(one).collect();
            let mut out = std::io::stdout().lock();
            let mut failed = 0;
            let mut summaries = Vec::new();
            for (program, result) in programs.iter().zip(results) {
                match result {
                    Ok(summary) => {
                        eprintln!(
                            "{}{}: {} tokens, {} steps, {:.3} s ({:.0} tok/s), {}",
                            if programs.len() > 1 {
                                format!("{}: ", program.display())
                            } else {
                                String::new()
                            },
                            summary.engine,
                            summary.tokens,
                            summary.steps,
                            summary.seconds,
                            summary.tokens_per_second,
                            summary.verdict
                        );
                        summaries.push(summary);
                    }
                    Err(e) if programs.len() == 1 => return Err(e),
                    Err(e) => {
                        failed += 1;
                        eprintln!("error: {}: {}", program.display(), one_line(&e));
                    }
                }
            }
            if json {
                if summaries.len() == 1 && programs.len() == 1 {
                    serde_json::to_writer_pretty(&mut out, &summaries[0])?;
                } else {
                    serde_json::to_writer_pretty(&mut out, &summaries)?;
                }
                writeln!(out)?;
            } else {
                for s in &summaries {
                    if programs.len() > 1 {
                        writeln!(out, "== {}", s.program)?;
                    }
                    out.write_all(&s.output_bytes)?;
                }
            }
            if failed > 0 {
                bail!("{failed} of {} programs failed", programs.len());
            }
            Ok(())
        }
    }
}

/// An error chain on one line, whatever the underlying messages look like.
fn one_line(e: &anyhow::Error) -> String {
    format!("{e:#}")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn emit(path: Option<PathBuf>, bytes: &[u8]) -> Result<()> {
    match path {
        Some(p) => hullvm::files::write_atomically(&p, bytes),
        None => Ok(std::io::stdout().lock().write_all(bytes)?),
    }
}

fn verdict(outcome: &Outcome, src: Option<&Source>) -> String {
    hullvm::harness::check::verdict(outcome, src.and_then(|s| s.compiled.as_ref()))
}

fn report_outcome(outcome: &Outcome, src: Option<&Source>) {
    if !matches!(outcome, Outcome::Halted { .. }) {
        eprintln!("note: {}", verdict(outcome, src));
    }
}

fn run_reference(src: &Source, max_tokens: usize) -> RunSummary {
    let t = Instant::now();
    let run = reference::run(&src.program, max_tokens);
    let seconds = t.elapsed().as_secs_f64();
    RunSummary {
        engine: "reference".into(),
        program: String::new(),
        output: String::from_utf8_lossy(&run.output).into_owned(),
        output_hex: hex(&run.output),
        tokens: run.trace.len(),
        steps: run.steps,
        verdict: verdict(&run.outcome, Some(src)),
        seconds,
        tokens_per_second: run.trace.len() as f64 / seconds.max(1e-9),
        output_bytes: run.output,
    }
}

fn run_transformer(
    src: &Source,
    attention: Attention,
    model: Option<&std::path::Path>,
    trace_file: Option<&std::path::Path>,
    verify: bool,
    max_tokens: usize,
) -> Result<RunSummary> {
    let t = Instant::now();
    let model = match model {
        Some(path) => hullvm::weights::Model::load(path)?,
        None => hullvm::build_model(),
    };
    let decoder = Decoder::new(model);
    let run = match attention {
        Attention::Brute => decoder
            .session::<BruteCache>()
            .run(&src.program, max_tokens),
        Attention::Hull => decoder.session::<HullCache>().run(&src.program, max_tokens),
    };
    let seconds = t.elapsed().as_secs_f64();
    if let Some(path) = trace_file {
        hullvm::files::write_atomically(path, format_trace(&src.program, &run.trace).as_bytes())?;
    }
    let generated = run.trace.len() - src.program.input_section().len();
    let verdict = match &run.stop {
        Stop::TokenLimit => "token limit reached".to_string(),
        Stop::Inexact { .. } => run.stop.to_string(),
        Stop::Halted => {
            let pc = hullvm::verify::tokens::locate(&run.trace, run.trace.len() - 1).pc;
            verdict(&Outcome::Halted { pc }, Some(src))
        }
    };
    if verify {
        let t = Instant::now();
        let reference = reference::run(&src.program, max_tokens);
        match hullvm::verify::tokens::first_divergence(&src.program, &reference.trace, &run.trace) {
            Some(d) => bail!("the transformer leaves the reference trace: {d}"),
            None => eprintln!("{} tokens agree with the reference tracer", run.trace.len()),
        }
        // From wasm: the transformer's trace lifted to wasm instructions
        // against wasmi's instrumented run, step by step.
        if let (Some(compiled), Some((wasm, entry))) = (&src.compiled, &src.wasm) {
            let halted = run.stop == Stop::Halted;
            let (source, _) =
                hullvm::verify::lift::check(compiled, wasm, entry, &run.trace, halted, 1 << 40)?;
            match source.divergence {
                Some(d) => bail!("the transformer's run leaves wasmi's at the source level: {d}"),
                None => eprintln!("{} source steps agree with wasmi", source.steps_compared),
            }
        } else {
            eprintln!("note: a token program has no wasm: source steps not compared");
        }
        eprintln!("verification: {:.3} s", t.elapsed().as_secs_f64());
    }
    Ok(RunSummary {
        engine: "transformer".into(),
        program: String::new(),
        output: String::from_utf8_lossy(&run.output).into_owned(),
        output_hex: hex(&run.output),
        tokens: run.trace.len(),
        steps: hullvm::verify::tokens::locate(&run.trace, run.trace.len()).step,
        verdict,
        seconds,
        tokens_per_second: generated as f64 / seconds.max(1e-9),
        output_bytes: run.output,
    })
}

fn model_card(model: &hullvm::weights::Model) -> String {
    use hullvm::weights::nonzeros;
    let c = &model.config;
    let mut s = format!(
        "layers {}\nd_model {}\nheads per layer {} (dimension 2)\nd_ffn {}\nvocab {}\n",
        c.layers,
        c.d_model,
        c.heads,
        c.d_ffn,
        c.vocab.len()
    );
    let mut total = (0, 0);
    for (name, m) in model.tensors() {
        let (nz, all) = (nonzeros(m), m.len());
        total.0 += nz;
        total.1 += all;
        s += &format!(
            "  {name:<22} {:>4} x {:<4} {nz:>6} non-zero\n",
            m.nrows(),
            m.ncols()
        );
    }
    s += &format!(
        "non-zero weights {} of {} ({:.1}% zeros)\n",
        total.0,
        total.1,
        100.0 * (1.0 - total.0 as f64 / total.1 as f64)
    );
    for (l, heads) in c.head_info.iter().enumerate() {
        let names: Vec<String> = heads
            .iter()
            .map(|h| format!("{} ({:?})", h.name, h.tie))
            .collect();
        s += &format!("layer {l} heads: {}\n", names.join(", "));
    }
    s
}

fn run_wasmi(src: &Source) -> Result<RunSummary> {
    let t = Instant::now();
    let (output, verdict) = hullvm::harness::check::wasmi_verdict(src)?;
    let seconds = t.elapsed().as_secs_f64();
    Ok(RunSummary {
        engine: "wasmi".into(),
        program: String::new(),
        output: String::from_utf8_lossy(&output).into_owned(),
        output_hex: hex(&output),
        tokens: 0,
        steps: 0,
        verdict,
        seconds,
        tokens_per_second: 0.0,
        output_bytes: output,
    })
}

fn check(out_dir: &std::path::Path, config: &hullvm::harness::check::Config) -> Result<()> {
    let results = hullvm::harness::check::run(config)?;
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
    for (kind, verdicts) in &results.spec.totals {
        let parts: Vec<String> = verdicts.iter().map(|(v, n)| format!("{v} {n}")).collect();
        eprintln!("  {kind:<18} {}", parts.join(", "));
    }
    let s = &results.summary;
    let page = hullvm::report::write(out_dir, &results)?;
    eprintln!(
        "{} pass, {} fail, {} unsupported, {} oracle mismatch; {} tokens at {:.0} tok/s per thread; {:.1} s",
        s.pass,
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

fn bench(quick: bool, json: Option<&std::path::Path>, filter: Option<&str>) -> Result<()> {
    let decoder = Decoder::new(hullvm::build_model());
    let mut programs = Vec::new();
    for p in hullvm::harness::corpus::bundled()? {
        if filter.is_some_and(|f| !p.name.contains(f)) || p.expected_trap.is_some() {
            continue;
        }
        let src = source::load(&p.path, Some(&p.input))?;
        programs.push((p.name.clone(), src.program));
    }
    eprintln!(
        "benchmarking {} programs{}",
        programs.len(),
        if quick { " (quick)" } else { "" }
    );
    let budget = if quick {
        hullvm::harness::bench::Budget::QUICK
    } else {
        hullvm::harness::bench::Budget::FULL
    };
    let report = hullvm::harness::bench::run(&decoder, &programs, budget);
    println!(
        "{:<20} {:>6} {:>10} {:>9} {:>12}",
        "program", "cache", "tokens", "seconds", "tokens/s"
    );
    for s in &report.speeds {
        println!(
            "{:<20} {:>6} {:>10} {:>9.3} {:>12.0}{}",
            s.program,
            s.cache,
            s.tokens,
            s.seconds,
            s.tokens_per_second,
            if s.capped { "  (capped)" } else { "" }
        );
    }
    for c in &report.curves {
        println!(
            "per-token cost along {} ({}), windows of {} tokens:",
            c.program, c.cache, c.window
        );
        for (at, us) in &c.points {
            println!("  {:>10} tokens  {:>8.2} us/token", at, us);
        }
        println!("  growth last/first window: {:.2}x", c.growth());
    }
    if let Some(p) = &report.parallel {
        println!(
            "parallel: {} programs on {} threads: {:.2} s sequential, {:.2} s parallel, speedup {:.2}x",
            p.programs, p.threads, p.sequential_seconds, p.parallel_seconds, p.speedup
        );
    }
    if let Some(b) = report.peak_memory_bytes {
        println!("peak memory: {:.1} MB", b as f64 / 1e6);
    }
    if let Some(path) = json {
        hullvm::files::write_atomically(path, serde_json::to_string_pretty(&report)?.as_bytes())?;
    }
    Ok(())
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
    let results = pool.install(|| {
        trials
            .par_iter()
            .map(|trial| {
                let r = hullvm::harness::spec::run(&decoder, trial);
                if r.seconds > 5.0 {
                    eprintln!(
                        "\nslow: {} took {:.1} s ({} tokens)",
                        r.name, r.seconds, r.tokens
                    );
                }
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if n.is_multiple_of(200) || n == total {
                    eprint!("\r[{n}/{total}] {:.0} s", t.elapsed().as_secs_f64());
                }
                r
            })
            .collect::<Vec<_>>()
    });
    eprintln!();
    let summary = hullvm::harness::spec::Summary::new(version, results, t.elapsed().as_secs_f64());
    println!(
        "{:<28} {:>6} {:>6} {:>12} {:>16} {:>10} {:>10}",
        "file", "pass", "fail", "unsupported", "oracle-mismatch", "tokens", "tok/s"
    );
    for f in &summary.files {
        println!(
            "{:<28} {:>6} {:>6} {:>12} {:>16} {:>10} {:>10.0}",
            f.file,
            f.pass,
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
    for r in summary
        .results
        .iter()
        .filter(|r| {
            matches!(
                r.verdict,
                hullvm::harness::spec::Verdict::Fail(_)
                    | hullvm::harness::spec::Verdict::OracleMismatch(_)
            )
        })
        .take(20)
    {
        println!("{}: {}", r.name, r.verdict);
    }
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
        hullvm::files::write_atomically(path, serde_json::to_string_pretty(&summary)?.as_bytes())?;
    }
    let bad = summary
        .results
        .iter()
        .filter(|r| {
            matches!(
                r.verdict,
                hullvm::harness::spec::Verdict::Fail(_)
                    | hullvm::harness::spec::Verdict::OracleMismatch(_)
            )
        })
        .count();
    if bad > 0 {
        bail!("{bad} trials failed");
    }
    Ok(())
}

/// Set by Ctrl-C during `hullvm fuzz`.
static FUZZ_STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn fuzz(args: FuzzArgs) -> Result<()> {
    use hullvm::fuzz::{self, Target};
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
            hullvm::files::write_atomically(path, serde_json::to_string_pretty(&h)?.as_bytes())?;
        }
        if !missing.is_empty() {
            bail!("never occurred: {}", missing.join(", "));
        }
        return Ok(());
    }
    let decoder = Decoder::new(hullvm::build_model());
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
    // The first Ctrl-C ends the round cleanly (summary and JSON written);
    // a second one exits at once.
    ctrlc::set_handler(|| {
        if FUZZ_STOP.swap(true, std::sync::atomic::Ordering::Relaxed) {
            std::process::exit(130);
        }
        eprintln!("\ninterrupted: finishing the running executions (Ctrl-C again to quit now)");
    })?;
    let progress = |p: &fuzz::Progress| {
        eprint!(
            "\r{}: {} execs, {:.0} execs/s, {} findings, {:.0} s   ",
            p.target,
            p.executions,
            p.executions as f64 / p.seconds.max(1e-9),
            p.findings,
            p.seconds
        );
    };
    let summaries = fuzz::run(&config, &decoder, &progress);
    eprintln!();
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
                "  wasmi 2 disagreed {} times and was overruled each time (wasmi 0.31 and the reference tracer agree with hullvm):",
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
        hullvm::files::write_atomically(
            path,
            serde_json::to_string_pretty(&summaries)?.as_bytes(),
        )?;
    }
    if findings > 0 {
        bail!("{findings} findings");
    }
    if summaries.iter().any(|s| s.interrupted) {
        bail!("interrupted: the summaries cover the executions that ran");
    }
    Ok(())
}

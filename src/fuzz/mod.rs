//! Differential fuzzing of the transformer against the reference tracer and
//! wasmi, and of the pieces under it.
//!
//! [`targets`] holds one function per target (`differential`, `smith`,
//! `hull`, `parse`) taking the fuzzer's bytes; cargo-fuzz (`fuzz/`) and the
//! built-in driver here call the same functions. The driver runs them
//! without libFuzzer, on stable, in parallel over rayon: execution `i` of a
//! round with seed `s` gets bytes derived from `(s, target, i)` only, so a
//! finding replays from its seed and index or from the saved bytes.
//!
//! [`generate`] is the structured program generator the differential target
//! runs on.

pub mod generate;
pub mod reduce;
pub mod targets;

use crate::decode::Decoder;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
pub use targets::{Exec, Finding};

/// The transformer, built once for every target that needs it.
pub fn shared_decoder() -> &'static Decoder {
    static DECODER: OnceLock<Decoder> = OnceLock::new();
    DECODER.get_or_init(crate::build_decoder)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Differential,
    Smith,
    Hull,
    Parse,
}

impl Target {
    pub const ALL: [Target; 4] = [
        Target::Differential,
        Target::Smith,
        Target::Hull,
        Target::Parse,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Target::Differential => "differential",
            Target::Smith => "smith",
            Target::Hull => "hull",
            Target::Parse => "parse",
        }
    }

    /// Inputs the driver makes for this target are up to this long.
    fn max_input(self) -> usize {
        match self {
            Target::Differential => 768,
            Target::Smith => 2048,
            Target::Hull => 1024,
            Target::Parse => 512,
        }
    }

    /// Run the target on `data` with `decoder`; a panic is a finding too.
    pub(crate) fn execute(self, decoder: &Decoder, data: &[u8]) -> Result<Exec, Finding> {
        let run = || match self {
            Target::Differential => targets::differential_with(decoder, data),
            Target::Smith => targets::smith_with(decoder, data),
            Target::Hull => targets::hull(data),
            Target::Parse => targets::parse(data),
        };
        guarded(run)
    }
}

/// Run a target, turning a panic into a finding.
fn guarded(run: impl FnOnce() -> Result<Exec, Finding>) -> Result<Exec, Finding> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_or_else(|payload| {
        Err(Finding {
            kind: "panic".into(),
            message: crate::oracle::wasmi::panic_message(&*payload),
        })
    })
}

impl std::str::FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Target, String> {
        Target::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| format!("unknown fuzz target {s:?} (differential, smith, hull, parse)"))
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One round of fuzzing.
#[derive(Debug, Clone)]
pub struct FuzzConfig {
    pub targets: Vec<Target>,
    /// Wall-clock budget for all targets together (split evenly).
    pub seconds: Option<f64>,
    /// Executions per target (whichever of this and the time ends first).
    pub executions: Option<u64>,
    pub seed: u64,
    /// The first execution index (a finding replays with `start` = its
    /// index and `executions` = 1).
    pub start: u64,
    /// Worker threads; 0 means one per core.
    pub jobs: usize,
    /// Where findings are saved as reproducers (None: not saved).
    pub save_dir: Option<PathBuf>,
    /// At most this many findings are kept per target.
    pub max_findings: usize,
    /// Set from outside (Ctrl-C) to end the round early: running
    /// executions finish, the rest are skipped, and the summaries say so.
    pub stop: Option<&'static AtomicBool>,
}

impl Default for FuzzConfig {
    fn default() -> Self {
        FuzzConfig {
            targets: Target::ALL.to_vec(),
            seconds: Some(10.0),
            executions: None,
            seed: 0,
            start: 0,
            jobs: 0,
            save_dir: None,
            max_findings: 10,
            stop: None,
        }
    }
}

/// A finding as the summary reports it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FindingSummary {
    pub target: String,
    pub seed: u64,
    /// The execution index within the round (with `seed`, it replays).
    pub index: u64,
    pub kind: String,
    pub message: String,
    /// The saved input, when saved.
    pub reproducer: Option<String>,
    /// The command that replays it.
    pub replay: String,
}

/// What one target did in a round.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct FuzzSummary {
    pub target: String,
    pub seed: u64,
    pub executions: u64,
    pub seconds: f64,
    pub execs_per_sec: f64,
    /// Transformer tokens generated (differential, smith), or hull queries.
    pub tokens: u64,
    pub findings: Vec<FindingSummary>,
    /// Findings beyond `max_findings` are counted, not kept.
    pub findings_total: u64,
    /// How executions ended: "finished", "trap: ...", "token limit", ...
    pub outcomes: BTreeMap<String, u64>,
    /// Operators and constructs exercised (differential: per generated op).
    pub histogram: BTreeMap<String, u64>,
    /// Disagreements with wasmi 2 that the arbiters settled for hullvm
    /// (every arbiter, wasmi 0.31 and wasmtime when built in, and the
    /// reference tracer agree with the transformer),
    /// the first `max_findings` of them; not findings, but listed so each
    /// can be replayed and checked.
    #[serde(default)]
    pub wasmi_overruled: Vec<FindingSummary>,
    #[serde(default)]
    pub wasmi_overruled_total: u64,
    /// The round was stopped early (Ctrl-C).
    #[serde(default)]
    pub interrupted: bool,
}

/// A progress report, about once a second.
#[derive(Debug, Clone)]
pub struct Progress {
    pub target: Target,
    pub executions: u64,
    pub findings: u64,
    pub seconds: f64,
}

/// A 64-bit mix (splitmix64): seeds for executions and their bytes.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The bytes execution `index` of a round with `seed` feeds `target`.
pub fn input_for(target: Target, seed: u64, index: u64) -> Vec<u8> {
    let mut state = mix(mix(seed ^ (target as u64) << 56) ^ index);
    let mut next = || {
        state = mix(state);
        state
    };
    let len = 1 + (next() as usize) % target.max_input();
    let mut bytes: Vec<u8> = (0..len.div_ceil(8))
        .flat_map(|_| next().to_le_bytes())
        .take(len)
        .collect();
    if target == Target::Parse && next() % 2 == 0 {
        // Half the parse inputs are a real program's text with a few bytes
        // changed, so the readers get past their first token.
        let g = targets::generated(&bytes);
        let text = match crate::compile::compile(&g.wasm, &g.entry) {
            Ok(c) if next() % 2 == 0 => c.program.to_text().into_bytes(),
            Ok(c) => {
                let run = crate::oracle::reference::run(&c.program, 2000);
                crate::isa::format_trace(&c.program, &run.trace).into_bytes()
            }
            Err(_) => g.wasm,
        };
        bytes = text;
        for _ in 0..1 + next() % 4 {
            if bytes.is_empty() {
                break;
            }
            let at = (next() as usize) % bytes.len();
            match next() % 3 {
                0 => bytes[at] = next() as u8,
                1 => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, b" 0123456789abcdefxyz{}\n-"[(next() % 24) as usize]),
            }
        }
    }
    bytes
}

/// Run every configured target, one after the other, each for its share
/// of the time budget.
pub fn round(
    config: &FuzzConfig,
    decoder: &Decoder,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Vec<FuzzSummary> {
    let share = config
        .seconds
        .map(|s| s / config.targets.len().max(1) as f64);
    let stopped = || config.stop.is_some_and(|s| s.load(Ordering::Relaxed));
    // Targets not begun when the round is stopped are left out.
    config
        .targets
        .iter()
        .take_while(|_| !stopped())
        .map(|&t| run_target(config, t, share, decoder, progress))
        .collect()
}

/// One target for `seconds` (or `config.executions`), in parallel.
pub fn run_target(
    config: &FuzzConfig,
    target: Target,
    seconds: Option<f64>,
    decoder: &Decoder,
    progress: &(dyn Fn(&Progress) + Sync),
) -> FuzzSummary {
    let start = Instant::now();
    let deadline = seconds.map(|s| start + Duration::from_secs_f64(s));
    let limit = config.executions.unwrap_or(u64::MAX);
    let next = AtomicU64::new(0);
    let done = AtomicU64::new(0);
    let found = AtomicU64::new(0);
    let finished = AtomicBool::new(false);
    let merged = Mutex::new(FuzzSummary::default());
    let findings: Mutex<Vec<FindingSummary>> = Mutex::new(Vec::new());
    let overruled: Mutex<Vec<FindingSummary>> = Mutex::new(Vec::new());
    let overruled_total = AtomicU64::new(0);
    let jobs = if config.jobs == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        config.jobs
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .expect("a rayon pool");
    let stopped = || config.stop.is_some_and(|s| s.load(Ordering::Relaxed));
    let worker = || {
        let mut local = FuzzSummary::default();
        loop {
            if deadline.is_some_and(|d| Instant::now() >= d) || stopped() {
                break;
            }
            let n = next.fetch_add(1, Ordering::Relaxed);
            if n >= limit {
                break;
            }
            let index = config.start + n;
            let data = input_for(target, config.seed, index);
            match target.execute(decoder, &data) {
                Ok(exec) => {
                    if let Some(disagreement) = &exec.wasmi_overruled {
                        let n = overruled_total.fetch_add(1, Ordering::Relaxed);
                        if (n as usize) < config.max_findings {
                            let summary = record(config, None, target, index, &data, disagreement);
                            overruled.lock().unwrap().push(summary);
                        }
                    }
                    local.tokens += exec.tokens;
                    *local.outcomes.entry(exec.outcome).or_default() += 1;
                    for (op, n) in exec.ops {
                        *local.histogram.entry(op.to_string()).or_default() += n as u64;
                    }
                }
                Err(finding) => {
                    *local
                        .outcomes
                        .entry(format!("finding: {}", finding.kind))
                        .or_default() += 1;
                    let n = found.fetch_add(1, Ordering::Relaxed);
                    if (n as usize) < config.max_findings {
                        let save = config.save_dir.as_deref().map(|d| (d, decoder));
                        let summary = record(config, save, target, index, &data, &finding);
                        eprintln!(
                            "\nFINDING {} #{index} (seed {}): {}\n  replay: {}",
                            target, config.seed, finding, summary.replay
                        );
                        findings.lock().unwrap().push(summary);
                    }
                }
            }
            done.fetch_add(1, Ordering::Relaxed);
        }
        let mut m = merged.lock().unwrap();
        m.tokens += local.tokens;
        for (k, v) in local.outcomes {
            *m.outcomes.entry(k).or_default() += v;
        }
        for (k, v) in local.histogram {
            *m.histogram.entry(k).or_default() += v;
        }
    };
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut last = Instant::now();
            while !finished.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50));
                if last.elapsed() >= Duration::from_secs(1) {
                    last = Instant::now();
                    progress(&Progress {
                        target,
                        executions: done.load(Ordering::Relaxed),
                        findings: found.load(Ordering::Relaxed),
                        seconds: start.elapsed().as_secs_f64(),
                    });
                }
            }
        });
        pool.broadcast(|_| worker());
        finished.store(true, Ordering::Relaxed);
    });
    let seconds = start.elapsed().as_secs_f64();
    let mut summary = merged.into_inner().unwrap();
    let mut findings = findings.into_inner().unwrap();
    findings.sort_by_key(|f| f.index);
    summary.target = target.name().into();
    summary.seed = config.seed;
    summary.executions = done.load(Ordering::Relaxed);
    summary.seconds = seconds;
    summary.execs_per_sec = summary.executions as f64 / seconds.max(1e-9);
    summary.findings = findings;
    summary.findings_total = found.load(Ordering::Relaxed);
    let mut overruled = overruled.into_inner().unwrap();
    overruled.sort_by_key(|f| f.index);
    summary.wasmi_overruled = overruled;
    summary.wasmi_overruled_total = overruled_total.into_inner();
    summary.interrupted = stopped();
    summary
}

/// The summary of a finding, with its input saved in `save`'s folder if
/// given (the decoder checks the reduced copy).
fn record(
    config: &FuzzConfig,
    save: Option<(&Path, &Decoder)>,
    target: Target,
    index: u64,
    data: &[u8],
    finding: &Finding,
) -> FindingSummary {
    let mut replay = format!(
        "hullvm fuzz --target {target} --seed {} --start {index} --execs 1",
        config.seed
    );
    let mut reproducer = None;
    if let Some((dir, decoder)) = save {
        match save_reproducer(decoder, dir, target, (config.seed, index), data, finding) {
            Ok(path) => {
                replay = format!("hullvm fuzz --target {target} --replay {}", path.display());
                reproducer = Some(path.display().to_string());
            }
            Err(e) => eprintln!("could not save the reproducer: {e:#}"),
        }
    }
    FindingSummary {
        target: target.name().into(),
        seed: config.seed,
        index,
        kind: finding.kind.clone(),
        message: finding.message.clone(),
        reproducer,
        replay,
    }
}

/// Save `data` as `DIR/<target>-<seed>-<index>.bin`, with a `.txt` beside
/// it saying what it found and how to replay it (and, for generated
/// modules, the `.wasm`, and a reduced copy when the finding is a
/// disagreement that reduction keeps: [`save_module`]). Every file is
/// written whole or not at all.
pub(crate) fn save_reproducer(
    decoder: &Decoder,
    dir: &Path,
    target: Target,
    (seed, index): (u64, u64),
    data: &[u8],
    finding: &Finding,
) -> anyhow::Result<PathBuf> {
    crate::files::prepare_dir(dir)?;
    let stem = format!("{target}-{seed}-{index}");
    let path = dir.join(format!("{stem}.bin"));
    crate::files::write_atomically(&path, data)?;
    let mut note = format!(
        "target: {target}\nfound with: hullvm fuzz --target {target} --seed {seed} --start {index} --execs 1\nreplay: hullvm fuzz --target {target} --replay {}\nfinding: {finding}\n",
        path.display()
    );
    // The module and its entry, replayed as they are even after the
    // generators change; the input may make their derivation panic.
    let module = std::panic::catch_unwind(|| match target {
        Target::Differential => {
            let g = targets::generated(data);
            Some((g.wasm, g.entry))
        }
        Target::Smith => targets::smith_module(data),
        _ => None,
    })
    .ok()
    .flatten();
    if let Some((wasm, entry)) = module {
        let limits = targets::limits(target == Target::Differential);
        let reduction = reduce::Reduction::new(entry, limits, reduce::Budget::FINDING);
        note += &save_module(decoder, dir, &stem, &wasm, &reduction)?;
    }
    crate::files::write_atomically(&dir.join(format!("{stem}.txt")), note.as_bytes())?;
    Ok(path)
}

/// Save a finding's module as `DIR/<stem>.wasm` and, when reduction keeps
/// its disagreement within `reduction`'s budget, a smaller copy as
/// `DIR/<stem>.reduced.wasm`; the original stays either way. Returns the
/// note's lines about them.
pub(crate) fn save_module(
    decoder: &Decoder,
    dir: &Path,
    stem: &str,
    wasm: &[u8],
    reduction: &reduce::Reduction,
) -> anyhow::Result<String> {
    crate::files::write_atomically(&dir.join(format!("{stem}.wasm")), wasm)?;
    let mut note = format!(
        "module: {stem}.wasm\nentry: {}\n",
        targets::entry_line(&reduction.entry)
    );
    match reduce::reduce(decoder, wasm, reduction, &mut |_| {}) {
        Ok(r) if r.after.bytes < r.before.bytes => {
            let name = format!("{stem}.reduced.wasm");
            crate::files::write_atomically(&dir.join(&name), &r.wasm)?;
            note += &format!(
                "reduced: {name} ({}, from {}; {} holds; {} attempts, {:.1} s, {})\n",
                r.after, r.before, r.shown, r.attempts, r.seconds, r.stopped
            );
        }
        Ok(r) => note += &format!("reduced: no smaller module shows {}\n", r.shown),
        Err(e) => note += &format!("reduced: not reduced: {e:#}\n"),
    }
    Ok(note)
}

/// The target a reproducer file is for, from its name (`<target>-...`).
pub fn target_of(path: &Path) -> Option<Target> {
    let name = path.file_name()?.to_str()?;
    let head = name.split(['-', '.']).next()?;
    head.parse().ok()
}

/// Replay a saved input: when the note beside it names a module and an
/// entry (`differential`, `smith`), the verdict on that module as saved;
/// otherwise the target's verdict on the bytes. A note with
/// `expect-output: HEX` marks a module wasmi runs wrongly: it is checked on
/// both hullvm engines and on the arbiter against that output.
pub fn replay(
    target: Target,
    decoder: &Decoder,
    path: &Path,
) -> std::io::Result<Result<Exec, Finding>> {
    let data = std::fs::read(path)?;
    let note = std::fs::read_to_string(path.with_extension("txt")).unwrap_or_default();
    let field = |name: &str| note.lines().find_map(|l| l.strip_prefix(name));
    let entry = field("entry: ").and_then(targets::parse_entry_line);
    // A module wasmi gets wrong: its correct output, checked without wasmi.
    let expected = field("expect-output: ").map(|hex| {
        (0..hex.trim().len() / 2)
            .filter_map(|i| u8::from_str_radix(&hex.trim()[2 * i..2 * i + 2], 16).ok())
            .collect::<Vec<u8>>()
    });
    let wasm_path = path.with_extension("wasm");
    let (Some(entry), true) = (entry, wasm_path.is_file()) else {
        return Ok(target.execute(decoder, &data));
    };
    let wasm = std::fs::read(&wasm_path)?;
    if let Some(expected) = expected {
        return Ok(guarded(|| {
            targets::module_expecting(decoder, &wasm, &entry, &expected)
        }));
    }
    // The module as saved, not the bytes: the generators change, so the
    // bytes may make another module today.
    let strict = target == Target::Differential;
    Ok(guarded(|| targets::module(decoder, &wasm, &entry, strict)))
}

/// Every reproducer (`*.bin`) in a directory, sorted.
pub fn reproducers(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .collect();
    files.sort();
    files
}

/// The histogram over `n` generated programs: for each operator and
/// construct, how many programs contain it ("op: ..."), and how the
/// programs end on the reference tracer ("outcome: ..."), which is where
/// traps show up.
pub fn histogram(n: u64, seed: u64) -> BTreeMap<String, u64> {
    use rayon::prelude::*;
    let maps: Vec<BTreeMap<String, u64>> = (0..n)
        .into_par_iter()
        .map(|i| {
            let mut h = BTreeMap::new();
            let data = input_for(Target::Differential, seed, i);
            let g = targets::generated(&data);
            for op in g.ops.keys() {
                h.insert(format!("op: {op}"), 1);
            }
            let outcome = match crate::compile::compile(&g.wasm, &g.entry) {
                Err(e) => format!("compile error: {e}"),
                Ok(c) => {
                    let run =
                        crate::oracle::reference::run(&c.program, targets::DIFFERENTIAL_TOKENS);
                    let prompt = c.program.prompt().len();
                    h.insert(format!("size: prompt tokens < {}", bucket(prompt)), 1);
                    h.insert(
                        format!("size: trace tokens < {}", bucket(run.trace.len())),
                        1,
                    );
                    match run.outcome {
                        crate::oracle::reference::Outcome::Halted { pc } => match c.exit_at(pc) {
                            Some(crate::compile::Exit::Finished) => "finished".to_string(),
                            Some(crate::compile::Exit::Trap(t)) => format!("trap: {t}"),
                            Some(crate::compile::Exit::CallStackExhausted) => {
                                "call stack exhausted".into()
                            }
                            None => "halt outside an exit".into(),
                        },
                        crate::oracle::reference::Outcome::TokenLimit => "token limit".into(),
                        crate::oracle::reference::Outcome::Fault { message, .. } => {
                            format!("fault: {message}")
                        }
                    }
                }
            };
            h.insert(format!("outcome: {outcome}"), 1);
            h
        })
        .collect();
    let mut total = BTreeMap::new();
    for m in maps {
        for (k, v) in m {
            *total.entry(k).or_default() += v;
        }
    }
    total
}

/// The power of 4 above `n`, for size histograms.
fn bucket(n: usize) -> usize {
    let mut b = 256;
    while b <= n {
        b *= 4;
    }
    b
}

/// Keys of [`histogram`] that must be present: every operator and construct
/// the generator knows, every trap, and normal completion.
pub fn expected_histogram_keys() -> Vec<String> {
    let mut keys: Vec<String> = generate::EXPECTED_OPS
        .iter()
        .map(|op| format!("op: {op}"))
        .collect();
    keys.extend(
        crate::compile::Trap::ALL
            .iter()
            // The generator makes no tables and no floats.
            .filter(|t| {
                !t.is_table_trap() && **t != crate::compile::Trap::InvalidConversionToInteger
            })
            .map(|t| format!("outcome: trap: {t}")),
    );
    keys.push("outcome: finished".into());
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_from_names_and_file_names() {
        for t in Target::ALL {
            assert_eq!(t.name().parse::<Target>(), Ok(t));
            let file = PathBuf::from(format!("corpora/fuzz-regressions/{t}-3-17.bin"));
            assert_eq!(target_of(&file), Some(t));
        }
        assert!("nope".parse::<Target>().is_err());
        assert_eq!(target_of(Path::new("README.md")), None);
    }

    #[test]
    fn a_finding_is_saved_with_its_replay_command() {
        let dir = std::env::temp_dir().join(format!("hullvm-fuzz-{}", std::process::id()));
        let finding = Finding {
            kind: "test".into(),
            message: "saved".into(),
        };
        let data = input_for(Target::Differential, 5, 9);
        let decoder = shared_decoder();
        let path =
            save_reproducer(decoder, &dir, Target::Differential, (5, 9), &data, &finding).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), data);
        let note = std::fs::read_to_string(dir.join("differential-5-9.txt")).unwrap();
        assert!(note.contains("--replay"), "{note}");
        assert!(note.contains("--seed 5 --start 9 --execs 1"), "{note}");
        assert!(dir.join("differential-5-9.wasm").is_file());
        // The module agrees everywhere: nothing to reduce, and the note
        // says so.
        assert!(
            note.contains("reduced: not reduced: the module shows no disagreement"),
            "{note}"
        );
        assert!(!dir.join("differential-5-9.reduced.wasm").exists());
        assert_eq!(reproducers(&dir), vec![path]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A finding whose module shows a disagreement is saved twice: as
    /// found, and reduced while the disagreement holds (here a hullvm bug,
    /// the planted rem_u lowering, beside a function it does not need).
    #[test]
    fn a_finding_module_is_saved_with_a_reduced_copy() {
        let dir = std::env::temp_dir().join(format!("hullvm-fuzz-reduced-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let wasm = wat::parse_str(
            r#"(module
                 (func $unused (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))
                 (func (export "run") (param i32) (result i32)
                   (i32.add (call $unused (i32.const 2)) (i32.rem_u (local.get 0) (i32.const 7)))))"#,
        )
        .unwrap();
        let entry = crate::compile::Entry::Invoke(vec![crate::compile::Invocation {
            export: "run".into(),
            args: vec![40],
        }]);
        let reduction = reduce::Reduction {
            options: crate::compile::Options {
                plant_rem_u_bug: true,
                ..crate::compile::Options::default()
            },
            ..reduce::Reduction::new(entry, targets::limits(true), reduce::Budget::FINDING)
        };
        let note = save_module(shared_decoder(), &dir, "t", &wasm, &reduction).unwrap();
        assert_eq!(std::fs::read(dir.join("t.wasm")).unwrap(), wasm);
        let reduced = std::fs::read(dir.join("t.reduced.wasm")).unwrap();
        assert!(reduced.len() < wasm.len(), "{note}");
        assert!(note.contains("reduced: t.reduced.wasm ("), "{note}");
        assert!(note.contains("source divergence (wasmi:"), "{note}");
        let shown = reduce::check(shared_decoder(), &reduced, &reduction);
        assert_eq!(shown.map(|s| s.keep), Some(reduce::Keep::Wasmi));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn entries_round_trip_through_notes() {
        use crate::compile::{Entry, Invocation};
        let entry = Entry::Invoke(vec![
            Invocation {
                export: "".into(),
                args: vec![0],
            },
            Invocation {
                export: "a \"b\"; c".into(),
                args: vec![1, 4294967295],
            },
        ]);
        let line = targets::entry_line(&entry);
        assert_eq!(targets::parse_entry_line(&line), Some(entry), "{line}");
    }

    #[test]
    fn panics_become_findings() {
        let f = guarded(|| panic!("boom {}", 7)).unwrap_err();
        assert_eq!((f.kind.as_str(), f.message.as_str()), ("panic", "boom 7"));
        let f = guarded(|| panic!("static")).unwrap_err();
        assert_eq!(f.message, "static");
        assert!(guarded(|| Ok(Exec::default())).is_ok());
    }
}

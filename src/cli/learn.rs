//! `hullvm learn`: knock out the output weights of FFN units, show that
//! the hard (hull-cache) decoder is no longer exact, then recover them by
//! gradient descent through the soft model on teacher-forced reference
//! traces of training programs, until the hard decoder built from the
//! learnt weights is token-for-token exact again on held-out corpus
//! programs (each checked by the main job's pipeline: reference trace,
//! wasmi, source steps, manifest).

use anyhow::{bail, ensure, Result};
use hullvm::decode::Decoder;
use hullvm::harness::check::check_corpus_program;
use hullvm::harness::corpus::{self, CorpusProgram};
use hullvm::harness::results::CorpusRow;
use hullvm::soft::learn::{learn, Knockout, Learning, Schedule, Window, NEXT_TOKEN_KIND};
use hullvm::soft::Temperature;
use hullvm::weights::Model;
use serde::Serialize;
use std::path::PathBuf;

const ABOUT: &str = "\
Only the knocked-out weights are trained: each unit's non-zero output
weights, at the slots the built model had them, starting from zero; the
rest of the model is the built one. Each step is one Adam step on the
summed negative log-probability of the training programs' reference runs
(prompt teacher-forced, the first --tokens generated tokens scored) under
softmax attention at --beta. Every --check-every steps the hard decoder is
rebuilt from the current weights and the held-out programs are checked as
`hullvm check` checks them; the run stops at the first check where every
one is exact and agrees with wasmi and its manifest. Learnt weights are
used as they are: nothing is rounded or snapped. Exit status 1 when the
knock-out leaves every held-out program exact (nothing to recover) or
when --max-steps pass without recovery.";

#[derive(clap::Args)]
#[command(after_help = ABOUT)]
pub struct Args {
    /// The layer whose FFN units are knocked out (with --unit; default: the
    /// layer of the units that choose the next token's kind).
    #[arg(long, requires = "units")]
    layer: Option<usize>,
    /// FFN units whose output weights are zeroed and learnt (repeatable;
    /// default: the units that choose the next token's kind which hello's
    /// run opens).
    #[arg(long = "unit")]
    units: Vec<usize>,
    /// Training programs (bundled corpus names, repeatable).
    #[arg(long = "train", default_values_t = ["hello".to_string()])]
    train: Vec<String>,
    /// Held-out programs the hard decoder must be exact on again
    /// (bundled corpus names, repeatable).
    #[arg(long = "held-out", default_values_t = DEFAULT_HELD_OUT.map(String::from))]
    held_out: Vec<String>,
    /// Programs checked once on the learnt model after the run, never to
    /// decide when to stop (bundled corpus names, repeatable).
    #[arg(long = "also")]
    also: Vec<String>,
    /// Inverse temperature of the soft model's attention.
    #[arg(long, default_value_t = 1e5)]
    beta: f64,
    /// Adam's step size.
    #[arg(long, default_value_t = 0.01)]
    learning_rate: f64,
    /// Steps at most.
    #[arg(long, default_value_t = 200)]
    max_steps: usize,
    /// Check the held-out programs after every this many steps.
    #[arg(long, default_value_t = 1)]
    check_every: usize,
    /// Score at most this many generated tokens of each training run.
    #[arg(long, default_value_t = 5_000)]
    tokens: usize,
    /// Token cap of each training and held-out run on the hard decoder
    /// (a knocked-out model runs to it: it need not halt).
    #[arg(long, default_value_t = 200_000)]
    max_tokens: usize,
    /// Token cap of each `--also` run.
    #[arg(long, default_value_t = 2_000_000)]
    also_max_tokens: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Also write the JSON here (the report's `--learn` input).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

const DEFAULT_HELD_OUT: [&str; 3] = ["addition", "fibonacci", "collatz"];

/// One program on the hard decoder.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub program: String,
    /// Token for token the reference trace.
    pub exact: bool,
    /// Exact, and agrees with wasmi, its source steps and its manifest.
    pub ok: bool,
    pub tokens: usize,
    /// The first diverging token or disagreement, in words.
    pub problem: Option<String>,
}

impl Verdict {
    fn of(row: &CorpusRow) -> Verdict {
        Verdict {
            program: row.program.clone(),
            exact: row.exact,
            ok: row.ok(),
            tokens: row.tokens,
            problem: row
                .divergence
                .as_ref()
                .map(ToString::to_string)
                .or_else(|| row.disagreement.clone()),
        }
    }
}

/// What `--json` prints.
#[derive(Debug, Serialize)]
pub struct LearnReport {
    /// Non-zero weights the knock-out zeroed.
    pub removed_weights: usize,
    pub train: Vec<String>,
    /// The knocked-out model on the training and held-out programs.
    pub knocked_out: Vec<Verdict>,
    pub learning: Learning,
    /// The learnt model on the held-out programs, at the last check.
    pub held_out: Vec<Verdict>,
    /// The learnt model on the `--also` programs, after the run.
    pub also: Vec<Verdict>,
    pub recovered: bool,
}

pub fn run(args: Args) -> Result<()> {
    ensure!(args.tokens > 0, "--tokens must be at least 1");
    super::prepare(args.out.as_deref())?;
    let built = hullvm::build_model();
    let units = hullvm::transformer::ffn_units();
    let default = Knockout::by_name(&NEXT_TOKEN_KIND, |node| units.get(node).cloned())?;
    let knockout = if args.units.is_empty() {
        default
    } else {
        Knockout {
            layer: args.layer.unwrap_or(default.layer),
            units: args.units.clone(),
        }
    };
    let knocked = knockout.apply(&built)?;
    let removed = knocked.removed();
    let mut model = knocked.model.clone();
    let held_out = corpus_programs(&args.held_out)?;
    let train = corpus_programs(&args.train)?;
    if let Some(p) = held_out.iter().find(|p| args.train.contains(&p.name)) {
        bail!("{} is both a training and a held-out program", p.name);
    }
    let all: Vec<CorpusProgram> = train.iter().chain(&held_out).cloned().collect();
    let knocked_out = verdicts(&model, &all, args.max_tokens)?;
    if !args.json {
        println!(
            "knocked out: layer {} FFN units {:?} (output weights, {removed} non-zero weights zeroed)",
            knockout.layer, knockout.units
        );
        print_verdicts("knocked-out model, hard decoder:", &knocked_out);
    }
    let held_out_names = |v: &Verdict| args.held_out.contains(&v.program);
    if knocked_out
        .iter()
        .filter(|v| held_out_names(v))
        .all(|v| v.ok)
    {
        bail!("the knock-out leaves every held-out program exact: nothing to recover");
    }
    let windows = train
        .iter()
        .map(|p| {
            let reference = super::soft::load_reference(&p.name, None, args.tokens)?;
            let tokens = reference.generated().len();
            Ok(Window {
                name: p.name.clone(),
                reference,
                start: 0,
                tokens,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let positions = windows
        .iter()
        .map(|w| w.reference.tokens.len())
        .max()
        .unwrap_or(1);
    let schedule = Schedule {
        temperature: Temperature::for_positions(args.beta, positions),
        learning_rate: args.learning_rate,
        max_steps: args.max_steps,
        check_every: args.check_every,
    };
    let mut last = Vec::new();
    let mut recovered = |m: &Model, step: usize| -> Result<bool> {
        last = verdicts(m, &held_out, args.max_tokens)?;
        let exact = last.iter().filter(|v| v.ok).count();
        if !args.json {
            eprintln!("step {step}: held-out exact {exact}/{}", last.len());
        }
        Ok(exact == last.len())
    };
    let also = corpus_programs(&args.also)?;
    let learning = learn(
        &mut model,
        &knockout,
        &knocked.trainable,
        &windows,
        schedule,
        &mut recovered,
    )?;
    let report = LearnReport {
        removed_weights: removed,
        train: args.train.clone(),
        knocked_out,
        recovered: learning.recovered_after.is_some(),
        learning,
        held_out: last,
        also: verdicts(&model, &also, args.also_max_tokens)?,
    };
    if let Some(path) = &args.out {
        super::write_json(path, &report)?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_learning(&report, &built, &model);
    }
    if !report.recovered {
        bail!(
            "not recovered within {} steps: the hard decoder is not exact on every held-out program",
            args.max_steps
        );
    }
    Ok(())
}

/// Bundled corpus programs by name.
fn corpus_programs(names: &[String]) -> Result<Vec<CorpusProgram>> {
    let bundled = corpus::bundled()?;
    names
        .iter()
        .map(|n| {
            bundled
                .iter()
                .find(|p| &p.name == n)
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("{n} is not a bundled corpus program"))
        })
        .collect()
}

/// `programs` on the hard (hull-cache) decoder built from `model`.
fn verdicts(model: &Model, programs: &[CorpusProgram], max_tokens: usize) -> Result<Vec<Verdict>> {
    let decoder = Decoder::new(model.clone());
    programs
        .iter()
        .map(|p| Ok(Verdict::of(&check_corpus_program(&decoder, p, max_tokens)?)))
        .collect()
}

fn print_verdicts(title: &str, verdicts: &[Verdict]) {
    println!("{title}");
    for v in verdicts {
        let what = match (&v.problem, v.ok) {
            (_, true) => "exact".to_string(),
            (Some(p), false) => p.clone(),
            (None, false) => "not ok".to_string(),
        };
        println!("  {:<12} {:>8} tokens  {what}", v.program, v.tokens);
    }
}

/// The loss curve, the outcome, and how far the learnt weights are from
/// the built ones.
fn print_learning(report: &LearnReport, built: &Model, learnt: &Model) {
    let l = &report.learning;
    println!(
        "training: {} ({} tokens scored per step), beta {:e}, Adam lr {}, {} trainable weights",
        report.train.join(", "),
        l.training_tokens,
        l.schedule.temperature.beta,
        l.schedule.learning_rate,
        l.trainable
    );
    println!(
        "{:>6} {:>14} {:>10} {:>12}",
        "step", "loss", "correct", "|grad|"
    );
    for s in &l.steps {
        println!(
            "{:>6} {:>14.6e} {:>10} {:>12.4e}",
            s.step, s.loss, s.correct, s.gradient_norm
        );
    }
    println!(
        "after the last step: loss {:.6e}, correct {}/{}",
        l.final_loss, l.final_correct, l.training_tokens
    );
    print_verdicts("learnt model, hard decoder, held out:", &report.held_out);
    if !report.also.is_empty() {
        print_verdicts(
            "learnt model, hard decoder, checked after the run (--also):",
            &report.also,
        );
    }
    let layer = &built.layers[l.knockout.layer].ffn_out;
    let learnt_layer = &learnt.layers[l.knockout.layer].ffn_out;
    for &u in &l.knockout.units {
        let entries: Vec<String> = (0..layer.nrows())
            .filter(|&s| layer[[s, u]] != 0.0 || learnt_layer[[s, u]] != 0.0)
            .map(|s| format!("slot {s}: {} -> {:.6}", layer[[s, u]], learnt_layer[[s, u]]))
            .collect();
        println!("unit {u}: built -> learnt: {}", entries.join(", "));
    }
    match l.recovered_after {
        Some(steps) => println!(
            "recovered after {steps} steps in {:.1} s: the hard decoder is exact on every held-out program",
            l.seconds
        ),
        None => println!("not recovered after {} steps ({:.1} s)", l.steps.len(), l.seconds),
    }
}

//! `hullvm learn`: knock out the output weights of FFN units, show that
//! the hard (hull-cache) decoder is no longer exact, then recover them by
//! gradient descent through the soft model on teacher-forced reference
//! traces of training programs, until the hard decoder built from the
//! learnt weights is token-for-token exact again on held-out corpus
//! programs (each checked by the main job's pipeline: reference trace,
//! wasmi, source steps, manifest).

use anyhow::{bail, ensure, Context, Result};
use hullvm::decode::Decoder;
use hullvm::harness::check::check_corpus_program;
use hullvm::harness::corpus::{self, CorpusProgram};
use hullvm::harness::input;
use hullvm::harness::results::CorpusRow;
use hullvm::oracle::reference;
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
softmax attention at --beta, the logits divided by --logit-temperature.
Every --check-every steps the hard decoder is rebuilt from the current
weights and the held-out programs (by default every bundled corpus program
not trained on) are checked as `hullvm check` checks them, shortest first
and up to the first that fails; the run stops at the first check where
every one is exact and agrees with wasmi and its manifest. Learnt weights are
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
    /// (bundled corpus names, repeatable; default: every bundled corpus
    /// program not trained on).
    #[arg(long = "held-out")]
    held_out: Vec<String>,
    /// Programs checked once on the learnt model after the run, never to
    /// decide when to stop (bundled corpus names, repeatable).
    #[arg(long = "also")]
    also: Vec<String>,
    /// Inverse temperature of the soft model's attention.
    #[arg(long, default_value_t = 1e5)]
    beta: f64,
    /// The training loss divides the logits by this before the
    /// log-softmax (1: the model's own distribution).
    #[arg(long, default_value_t = 65_536.0)]
    logit_temperature: f64,
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
    /// Token cap of each run of the knocked-out model, shown before
    /// training (it need not halt). The learnt model's runs stop one
    /// token past the program's reference run.
    #[arg(long, default_value_t = 20_000)]
    max_tokens: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Also write the JSON here (the report's `--learn` input).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Reference runs longer than this are refused: every bundled program
/// halts well within it (sudoku, the longest, in 3.8M tokens).
const REFERENCE_CAP: usize = 50_000_000;

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
    /// The knocked-out model on the training and held-out programs, each
    /// run capped at `--max-tokens`.
    pub knocked_out: Vec<Verdict>,
    pub learning: Learning,
    /// The learnt model on the held-out programs at the last check,
    /// shortest reference run first, up to the first that was not ok.
    pub held_out: Vec<Verdict>,
    /// Held-out programs the last check did not reach (an earlier one was
    /// not ok).
    pub held_out_unchecked: Vec<String>,
    /// The learnt model on the `--also` programs, after the run.
    pub also: Vec<Verdict>,
    pub recovered: bool,
}

/// A corpus program, and the token cap of the learnt model's runs: one
/// past its reference run, since a run still going there has left the
/// trace.
struct Capped {
    program: CorpusProgram,
    cap: usize,
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
    let bundled = corpus::bundled()?;
    let held_out_names: Vec<String> = if args.held_out.is_empty() {
        bundled
            .iter()
            .map(|p| p.name.clone())
            .filter(|n| !args.train.contains(n))
            .collect()
    } else {
        args.held_out.clone()
    };
    if let Some(n) = held_out_names.iter().find(|n| args.train.contains(n)) {
        bail!("{n} is both a training and a held-out program");
    }
    let train = capped(&bundled, &args.train)?;
    // Shortest first: a check stops at the first program that is not ok,
    // so an early step costs little, and only a recovered model pays for
    // the long runs.
    let mut held_out = capped(&bundled, &held_out_names)?;
    held_out.sort_by_key(|c| c.cap);
    let also = capped(&bundled, &args.also)?;
    let knocked_out = {
        let decoder = Decoder::new(model.clone());
        train
            .iter()
            .chain(&held_out)
            .map(|c| verdict(&decoder, &c.program, c.cap.min(args.max_tokens)))
            .collect::<Result<Vec<_>>>()?
    };
    if !args.json {
        println!(
            "knocked out: layer {} FFN units {:?} (output weights, {removed} non-zero weights zeroed)",
            knockout.layer, knockout.units
        );
        print_verdicts(
            &format!(
                "knocked-out model, hard decoder (each run capped at {} tokens):",
                args.max_tokens
            ),
            &knocked_out,
            false,
        );
    }
    let windows = train
        .iter()
        .map(|c| {
            let reference = super::soft::load_reference(&c.program.name, None, args.tokens)?;
            let tokens = reference.generated().len();
            Ok(Window {
                name: c.program.name.clone(),
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
        temperature: Temperature::for_positions(args.beta, positions)
            .with_logits(args.logit_temperature),
        learning_rate: args.learning_rate,
        max_steps: args.max_steps,
        check_every: args.check_every,
    };
    let mut last = Vec::new();
    let mut unchecked = Vec::new();
    let mut recovered = |m: &Model, step: usize| -> Result<bool> {
        let decoder = Decoder::new(m.clone());
        last.clear();
        unchecked.clear();
        for (i, c) in held_out.iter().enumerate() {
            let v = verdict(&decoder, &c.program, c.cap)?;
            let ok = v.ok;
            last.push(v);
            if !ok {
                unchecked.extend(held_out[i + 1..].iter().map(|c| c.program.name.clone()));
                break;
            }
        }
        let exact = last.iter().filter(|v| v.ok).count();
        if !args.json {
            match last.last().filter(|v| !v.ok) {
                Some(v) => eprintln!(
                    "step {step}: held-out ok {exact}/{}, then not {} ({} not checked)",
                    held_out.len(),
                    v.program,
                    unchecked.len()
                ),
                None => eprintln!("step {step}: held-out ok {exact}/{}", held_out.len()),
            }
        }
        Ok(exact == held_out.len())
    };
    let learning = learn(
        &mut model,
        &knockout,
        &knocked.trainable,
        &windows,
        schedule,
        &mut recovered,
    )?;
    if learning.recovered_after == Some(0) {
        bail!("the knock-out leaves every held-out program exact: nothing to recover");
    }
    let also = {
        let decoder = Decoder::new(model.clone());
        also.iter()
            .map(|c| verdict(&decoder, &c.program, c.cap))
            .collect::<Result<Vec<_>>>()?
    };
    let report = LearnReport {
        removed_weights: removed,
        train: args.train.clone(),
        knocked_out,
        recovered: learning.recovered_after.is_some(),
        learning,
        held_out: last,
        held_out_unchecked: unchecked,
        also,
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

/// Bundled corpus programs by name, each capped one token past its
/// reference run.
fn capped(bundled: &[CorpusProgram], names: &[String]) -> Result<Vec<Capped>> {
    names
        .iter()
        .map(|n| {
            let program = bundled
                .iter()
                .find(|p| &p.name == n)
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("{n} is not a bundled corpus program"))?;
            let source = input::load(&program.path, Some(&program.input))
                .with_context(|| format!("loading {n}"))?;
            let run = reference::run(&source.program, REFERENCE_CAP);
            ensure!(
                matches!(run.outcome, reference::Outcome::Halted { .. }),
                "{n}: the reference run does not halt within {REFERENCE_CAP} tokens ({:?})",
                run.outcome
            );
            Ok(Capped {
                cap: run.trace.len() + 1,
                program,
            })
        })
        .collect()
}

/// `program` on the hard (hull-cache) decoder, checked as `hullvm check`
/// checks it, within `max_tokens` trace tokens.
fn verdict(decoder: &Decoder, program: &CorpusProgram, max_tokens: usize) -> Result<Verdict> {
    Ok(Verdict::of(&check_corpus_program(
        decoder, program, max_tokens,
    )?))
}

/// One line per program; with `context`, a divergence's trace lines too.
fn print_verdicts(title: &str, verdicts: &[Verdict], context: bool) {
    println!("{title}");
    for v in verdicts {
        let what = match (&v.problem, v.ok) {
            (_, true) => "exact".to_string(),
            (Some(p), false) if context => p.clone(),
            (Some(p), false) => p.lines().next().unwrap_or_default().to_string(),
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
        "training: {} ({} tokens scored per step), beta {:e}, logit temperature {}, Adam lr {}, {} trainable weights",
        report.train.join(", "),
        l.training_tokens,
        l.schedule.temperature.beta,
        l.schedule.temperature.logits,
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
    print_verdicts(
        "learnt model, hard decoder, held out (shortest first, up to the first not ok):",
        &report.held_out,
        true,
    );
    if !report.held_out_unchecked.is_empty() {
        println!("  not checked: {}", report.held_out_unchecked.join(", "));
    }
    if !report.also.is_empty() {
        print_verdicts(
            "learnt model, hard decoder, checked after the run (--also):",
            &report.also,
            true,
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

//! `hullvm grad`: reverse-mode gradients of a teacher-forced window's
//! negative log-probability; `--check` compares them with central finite
//! differences and fails above a relative error of 1e-6.

use anyhow::{bail, ensure, Result};
use hullvm::soft::check::{finite_differences, random_model, CheckReport, RELATIVE_FLOOR};
use hullvm::soft::gradient::window_gradient;
use hullvm::soft::Temperature;
use serde::Serialize;

/// The largest worst relative error `--check` passes.
const TOLERANCE: f64 = 1e-6;

/// The random model's weights: uniform +-scale/sqrt(columns).
const WEIGHT_SCALE: f64 = 0.1;

/// The check's logit temperature: not 1, so that a missing or doubled
/// division by it shows (at 1 it would not); above 1 as `learn`'s is, but
/// small, since the random model's logits are already of order 1 and a
/// flatter loss leaves fewer gradients above the relative floor.
const CHECK_LOGIT_TEMPERATURE: f64 = 2.0;

const ABOUT_CHECK: &str = "\
--check runs on a model with the built model's shapes, tie rules and
position features but random dense weights (uniform +-0.1/sqrt(columns),
embeddings +-0.1): the built model's ReGLU gates sit exactly on their kinks
and its softmaxes saturate, where a finite difference measures neither.
The loss is taken at logit temperature 2 unless --logit-temperature
says otherwise: at 1 a missing or doubled division by it would not show.
The numeric derivative is the five-point central stencil at steps --step
and --step/2, Richardson-extrapolated; a coordinate whose stencil opens or
closes a ReGLU gate sits at a kink of the loss and is left out (counted).
Relative error is |analytic - numeric| / max(|analytic|, |numeric|, 1e-4):
below 1e-4 a gradient is compared absolutely, since f64 differences of the
loss carry noise near 1e-11. Exit status 1 when the worst coordinate's
error exceeds 1e-6.";

#[derive(clap::Args)]
#[command(after_help = ABOUT_CHECK)]
pub struct Args {
    /// A bundled corpus program by name, or a program file: its prompt
    /// and reference trace are the window's tokens.
    #[arg(default_value = "hello")]
    program: String,
    /// Input string (replaces the manifest's input).
    #[arg(long)]
    input: Option<String>,
    /// Compare with central finite differences instead of printing
    /// gradient norms.
    #[arg(long)]
    check: bool,
    /// Inverse temperature of the attention softmax.
    #[arg(long)]
    beta: Option<f64>,
    /// The loss divides the logits by this before the log-softmax
    /// (default 1; with --check, 2).
    #[arg(long)]
    logit_temperature: Option<f64>,
    /// Window length K in tokens. Without --check: generated tokens from
    /// the start of the run; with --check: the first K+1 tokens of the
    /// prompt and trace, all K predictions scored.
    #[arg(long, default_value_t = 8)]
    tokens: usize,
    /// Coordinates checked per tensor: this many uniformly random, and
    /// as many among those whose gradient is at least 1e-4.
    #[arg(long, default_value_t = 4)]
    per_tensor: usize,
    /// The finite-difference step.
    #[arg(long, default_value_t = 1e-3)]
    step: f64,
    /// Seed of the random model and coordinates.
    #[arg(long, default_value_t = 18)]
    seed: u64,
    /// With --check: print the check as JSON (every coordinate, the worst
    /// relative error, pass or fail) instead of text.
    #[arg(long, requires = "check")]
    json: bool,
}

/// What `--check --json` prints.
#[derive(Serialize)]
struct CheckOutput<'a> {
    program: &'a str,
    seed: u64,
    tolerance: f64,
    worst_relative_error: f64,
    worst_absolute_error: f64,
    significant: usize,
    passed: bool,
    check: &'a CheckReport,
}

pub fn run(args: Args) -> Result<()> {
    ensure!(args.tokens > 0, "--tokens must be at least 1");
    let reference = super::soft::load_reference(&args.program, args.input.as_deref(), args.tokens)?;
    let built = hullvm::build_model();
    if !args.check {
        let beta = args.beta.unwrap_or(1e6);
        let k = args.tokens.min(reference.generated().len());
        let t = Temperature::for_positions(beta, reference.prompt + k)
            .with_logits(args.logit_temperature.unwrap_or(1.0));
        let g = window_gradient(&built, t, &reference, 0, k)?;
        println!(
            "{}: loss {:.6e} over {} tokens (beta {beta:e}, recency {:e}, logit temperature {})",
            args.program, g.loss, g.scored, t.recency, t.logits
        );
        for (name, m) in g.d.tensors() {
            let norm = m.iter().map(|x| x * x).sum::<f64>().sqrt();
            println!("  {name:<24} |grad| {norm:.4e}");
        }
        return Ok(());
    }
    let tokens: Vec<u16> = reference.tokens.iter().map(|t| t.0).collect();
    ensure!(
        tokens.len() > args.tokens,
        "{} has only {} tokens; --tokens must be below that",
        args.program,
        tokens.len()
    );
    let model = random_model(&built, WEIGHT_SCALE, args.seed);
    let t = Temperature::for_positions(args.beta.unwrap_or(1.0), args.tokens)
        .with_logits(args.logit_temperature.unwrap_or(CHECK_LOGIT_TEMPERATURE));
    let report = finite_differences(
        &model,
        t,
        &tokens,
        0..args.tokens,
        args.per_tensor,
        args.step,
        args.seed,
    )?;
    let worst = report.worst().expect("every tensor is checked");
    if args.json {
        let out = CheckOutput {
            program: &args.program,
            seed: args.seed,
            tolerance: TOLERANCE,
            worst_relative_error: worst.relative_error,
            worst_absolute_error: report.worst_absolute_error(),
            significant: report.significant(),
            passed: worst.relative_error <= TOLERANCE,
            check: &report,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_check(&report, &built, t);
    }
    if worst.relative_error > TOLERANCE {
        bail!(
            "the worst relative error {:.3e} is above {TOLERANCE:e}",
            worst.relative_error
        );
    }
    Ok(())
}

/// The check in words: sizes, the worst coordinate.
fn print_check(report: &CheckReport, built: &hullvm::weights::Model, t: Temperature) {
    let worst = report.worst().expect("every tensor is checked");
    println!(
        "gradient check: {} coordinates over {} tensors, window {} tokens, beta {:e}, \
         logit temperature {}, loss {:.6e}",
        report.coordinates.len(),
        built.tensors().len(),
        report.scored,
        t.beta,
        t.logits,
        report.loss
    );
    println!(
        "{} coordinates with |gradient| >= {RELATIVE_FLOOR:e}; {} left out at ReGLU kinks; \
         worst absolute error {:.3e}",
        report.significant(),
        report.kinks,
        report.worst_absolute_error()
    );
    println!(
        "worst relative error {:.3e} at {}[{}, {}] (analytic {:.9e}, numeric {:.9e})",
        worst.relative_error, worst.tensor, worst.row, worst.col, worst.analytic, worst.numeric
    );
}

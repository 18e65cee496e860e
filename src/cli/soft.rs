//! `hullvm soft`: the built model with softmax attention at inverse
//! temperature beta, teacher-forced along a program's reference trace:
//! the exact prefix (how many tokens greedy soft decoding reproduces) and
//! the log-probability of the trace. `--sweep` finds the smallest beta
//! that reproduces the whole run.

use anyhow::{bail, ensure, Result};
use hullvm::harness::{corpus, input};
use hullvm::oracle::reference;
use hullvm::soft::{evaluate, Evaluation, Reference, Temperature, Until};
use serde::Serialize;
use std::path::Path;

const ABOUT_SWEEP: &str = "\
The sweep evaluates beta = 10^k for k = -1..=9, then bisects (in log
beta) between the largest beta that does not reproduce the run and the
smallest that does, down to a factor of 1.05; a bisection step stops at
its first divergence, so its log p covers only the tokens it scored. A
latest-tie head's scores gain recency x position (recency = the largest
power of two with recency x positions <= 1/2), so repeated writes of one
slot stop blending only at a beta near a few / recency: hello and
addition reproduce their runs from beta x recency = 6.3.";

#[derive(clap::Args)]
#[command(after_help = ABOUT_SWEEP)]
pub struct Args {
    /// A bundled corpus program by name (e.g. hello, addition; its
    /// manifest's input), or a token program (.txt), .wasm, .wat or .c file.
    program: String,
    /// Input string (replaces the manifest's or the token file's input).
    #[arg(long)]
    input: Option<String>,
    /// Inverse temperature(s) of the attention softmax (repeatable).
    #[arg(long, required_unless_present = "sweep")]
    beta: Vec<f64>,
    /// Find the smallest beta that reproduces the whole run (see below).
    #[arg(long)]
    sweep: bool,
    /// Score at most this many generated tokens (the reference run is cut
    /// there too).
    #[arg(long, default_value_t = 20_000)]
    tokens: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Output<'a> {
    program: &'a str,
    evaluations: &'a [Evaluation],
    /// With --sweep: the smallest beta found that reproduces the run.
    smallest_reproducing_beta: Option<f64>,
}

pub fn run(args: Args) -> Result<()> {
    ensure!(args.tokens > 0, "--tokens must be at least 1");
    let reference = load_reference(&args.program, args.input.as_deref(), args.tokens)?;
    let model = hullvm::build_model();
    let positions = reference.prompt + args.tokens.min(reference.generated().len());
    let at = |beta: f64, until: Until| {
        let t = Temperature::for_positions(beta, positions);
        evaluate(&model, t, &reference, args.tokens, until)
    };
    let mut evaluations = Vec::new();
    for &beta in &args.beta {
        evaluations.push(at(beta, Until::WindowEnd)?);
    }
    let smallest = if args.sweep {
        Some(sweep(&at, &mut evaluations)?)
    } else {
        None
    };
    evaluations.sort_by(|a, b| a.temperature.beta.total_cmp(&b.temperature.beta));
    if args.json {
        let out = Output {
            program: &args.program,
            evaluations: &evaluations,
            smallest_reproducing_beta: smallest.flatten(),
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    print!("{}", table(&args.program, &reference, &evaluations));
    match smallest {
        Some(Some(beta)) => println!("smallest beta reproducing the whole run: {beta:.4e}"),
        Some(None) => println!("no beta up to 1e9 reproduces the whole run"),
        None => {}
    }
    Ok(())
}

/// Decades of beta (scored over the whole window), then bisection to the
/// threshold (each step scored up to its first divergence); every
/// evaluation is kept for the table. None when no beta on the grid
/// reproduces the run.
fn sweep(
    at: &dyn Fn(f64, Until) -> Result<Evaluation>,
    evaluations: &mut Vec<Evaluation>,
) -> Result<Option<f64>> {
    let mut below = None;
    let mut above = None;
    for k in -1..=9 {
        let beta = 10f64.powi(k);
        let e = at(beta, Until::WindowEnd)?;
        let whole = e.reproduces_run();
        evaluations.push(e);
        if whole {
            above = Some(beta);
            break;
        }
        below = Some(beta);
    }
    let Some(mut hi) = above else {
        return Ok(None);
    };
    let Some(mut lo) = below else {
        return Ok(Some(hi));
    };
    while hi / lo > 1.05 {
        let mid = (lo * hi).sqrt();
        let e = at(mid, Until::Divergence)?;
        if e.reproduces_run() {
            hi = mid;
        } else {
            lo = mid;
        }
        evaluations.push(e);
    }
    Ok(Some(hi))
}

/// One line per beta: exact prefix, log-probability, first divergence.
fn table(program: &str, reference: &Reference, evaluations: &[Evaluation]) -> String {
    let mut s = format!(
        "{program}: prompt {} tokens, reference run {} generated tokens\n",
        reference.prompt,
        reference.generated().len()
    );
    s += &format!(
        "{:>12} {:>10} {:>16} {:>14} {:>13}  first divergence\n",
        "beta", "recency", "exact prefix", "log p", "worst log p"
    );
    for e in evaluations {
        let divergence = e.divergence.as_ref().map_or("none".to_string(), |d| {
            format!(
                "token {}: expected {}, got {}",
                d.index, d.expected, d.predicted
            )
        });
        s += &format!(
            "{:>12.4e} {:>10.3e} {:>9}/{:<6} {:>14.6e} {:>13.4e}  {divergence}\n",
            e.temperature.beta,
            e.temperature.recency,
            e.exact_prefix,
            e.scored,
            e.log_prob,
            e.worst_log_prob
        );
    }
    s
}

/// A program's reference run from the reference tracer, cut at
/// `max_tokens` generated tokens.
pub(super) fn load_reference(
    program: &str,
    input: Option<&str>,
    max_tokens: usize,
) -> Result<Reference> {
    let bundled = corpus::bundled()?.into_iter().find(|p| p.name == program);
    let source = match &bundled {
        Some(p) => {
            let bytes = input.map_or_else(|| p.input.clone(), |i| i.as_bytes().to_vec());
            input::load(&p.path, Some(&bytes))?
        }
        None if Path::new(program).is_file() => {
            input::load(Path::new(program), input.map(str::as_bytes))?
        }
        None => bail!("{program} is neither a bundled corpus program nor a file"),
    };
    let program_tokens = source.program;
    let section = program_tokens.input_section().len();
    let run = reference::run(&program_tokens, section + max_tokens);
    if let reference::Outcome::Fault { pc, message } = &run.outcome {
        bail!("the reference tracer faulted at pc {pc}: {message}");
    }
    Ok(Reference::from_trace(&program_tokens, &run.trace))
}

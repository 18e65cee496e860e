//! `hullvm report`: the HTML page from a `results.json`, or several (CI
//! shards) merged into one `results.json` and one page.

use anyhow::{bail, Context as _, Result};
use hullvm::harness::results::{LearnCurve, SoftResults, SoftSweep};
use serde_json::Value;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// The results file, or several to merge (the shards of one run).
    #[arg(long, num_args = 1.., default_value = "reports/results.json")]
    from: Vec<PathBuf>,
    /// Where to write index.html (default: next to the results file); a
    /// merge writes results.json there too, and needs it.
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    soft: SoftFiles,
}

/// Differentiable execution's outputs to chart (`check` and `report`).
#[derive(clap::Args)]
pub struct SoftFiles {
    /// A `hullvm soft NAME --sweep --json` output: exact prefix against
    /// beta (repeatable; one per program).
    #[arg(long = "soft", value_name = "FILE")]
    sweeps: Vec<PathBuf>,
    /// A `hullvm learn --out FILE` output: the loss curve.
    #[arg(long = "learn", value_name = "FILE")]
    learn: Option<PathBuf>,
}

impl SoftFiles {
    /// What the files say, for the results (None when no file is given).
    pub fn read(&self) -> Result<Option<SoftResults>> {
        if self.sweeps.is_empty() && self.learn.is_none() {
            return Ok(None);
        }
        let sweeps = self
            .sweeps
            .iter()
            .map(|p| sweep(&json(p)?))
            .collect::<Result<_>>()?;
        let learn = self
            .learn
            .as_deref()
            .map(|p| learn_curve(&json(p)?))
            .transpose()?;
        Ok(Some(SoftResults { sweeps, learn }))
    }
}

fn json(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// A field that must be there.
fn field<'a>(v: &'a Value, path: &[&str]) -> Result<&'a Value> {
    path.iter().try_fold(v, |v, key| {
        v.get(key)
            .with_context(|| format!("no field {}", path.join(".")))
    })
}

fn number(v: &Value, path: &[&str]) -> Result<f64> {
    field(v, path)?
        .as_f64()
        .with_context(|| format!("{} is not a number", path.join(".")))
}

fn sweep(v: &Value) -> Result<SoftSweep> {
    let evaluations = field(v, &["evaluations"])?
        .as_array()
        .context("evaluations is not a list")?;
    let mut points = evaluations
        .iter()
        .map(|e| {
            Ok((
                number(e, &["temperature", "beta"])?,
                number(e, &["exact_prefix"])? as usize,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let reference_tokens = match evaluations.first() {
        Some(e) => number(e, &["reference_tokens"])? as usize,
        None => 0,
    };
    Ok(SoftSweep {
        program: field(v, &["program"])?.as_str().unwrap_or("?").to_string(),
        reference_tokens,
        points,
        smallest_reproducing_beta: v.get("smallest_reproducing_beta").and_then(Value::as_f64),
    })
}

fn learn_curve(v: &Value) -> Result<LearnCurve> {
    let l = field(v, &["learning"])?;
    let knockout = field(l, &["knockout"])?;
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|x| x.to_string().trim_matches('"').to_string())
            .collect()
    };
    let losses = field(l, &["steps"])?
        .as_array()
        .context("steps is not a list")?
        .iter()
        .map(|s| number(s, &["loss"]))
        .collect::<Result<_>>()?;
    let held_out = verdicts(v, "held_out")?;
    let also = verdicts(v, "also")?;
    Ok(LearnCurve {
        knocked_out: format!(
            "the output weights of FFN units {} of layer {} ({} weights)",
            strings(field(knockout, &["units"])?).join(", "),
            number(knockout, &["layer"])?,
            number(v, &["removed_weights"])?
        ),
        train: strings(field(v, &["train"])?),
        losses,
        recovered_after: l
            .get("recovered_after")
            .and_then(Value::as_u64)
            .map(|n| n as usize),
        seconds: number(l, &["seconds"])?,
        held_out,
        also,
    })
}

/// A list of `learn` verdicts as (program, passed); an absent list is empty.
fn verdicts(v: &Value, name: &str) -> Result<Vec<(String, bool)>> {
    v.get(name)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|h| {
            let program = field(h, &["program"])?.as_str().unwrap_or("?").to_string();
            Ok((program, field(h, &["ok"])?.as_bool() == Some(true)))
        })
        .collect()
}

pub fn run(args: Args) -> Result<()> {
    match args.from.as_slice() {
        [one] => render(one, args.out, args.soft.read()?),
        several => match &args.out {
            Some(dir) => merge(several, dir, args.soft.read()?),
            None => bail!("merging {} results files needs --out DIR", several.len()),
        },
    }
}

/// The page (and, when soft results are added, results.json beside it).
fn render(from: &Path, out: Option<PathBuf>, soft: Option<SoftResults>) -> Result<()> {
    let dir = match out {
        Some(dir) => dir,
        None => match from.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        },
    };
    hullvm::files::prepare_dir(&dir)?;
    let mut results = hullvm::report::read(from)?;
    let page = if soft.is_some() {
        results.soft = soft;
        hullvm::report::write(&dir, &results)?
    } else {
        hullvm::report::write_page(&dir, &results)?
    };
    eprintln!("report: {}", page.display());
    Ok(())
}

fn merge(from: &[PathBuf], dir: &Path, soft: Option<SoftResults>) -> Result<()> {
    hullvm::files::prepare_dir(dir)?;
    let parts = from
        .iter()
        .map(|path| Ok((path.display().to_string(), hullvm::report::read(path)?)))
        .collect::<Result<Vec<_>>>()?;
    let mut merged = hullvm::report::merge(parts)?;
    if soft.is_some() {
        merged.soft = soft;
    }
    let s = &merged.summary;
    println!(
        "merged {} results: {} trials; {} decoded and exact, {} refused, {} fail, {} unsupported, {} oracle mismatch",
        from.len(),
        merged.spec.results.len(),
        s.exact,
        s.refused,
        s.fail,
        s.unsupported,
        s.oracle_mismatch
    );
    for line in super::totals(&merged.spec) {
        println!("{line}");
    }
    let page = hullvm::report::write(dir, &merged)?;
    eprintln!("report: {}", page.display());
    Ok(())
}

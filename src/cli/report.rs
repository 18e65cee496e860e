//! `hullvm report`: the HTML page from a `results.json`, or several (CI
//! shards) merged into one `results.json` and one page.

use anyhow::{bail, Result};
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
}

pub fn run(args: Args) -> Result<()> {
    match args.from.as_slice() {
        [one] => render(one, args.out),
        several => match &args.out {
            Some(dir) => merge(several, dir),
            None => bail!("merging {} results files needs --out DIR", several.len()),
        },
    }
}

fn render(from: &Path, out: Option<PathBuf>) -> Result<()> {
    let dir = match out {
        Some(dir) => dir,
        None => match from.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        },
    };
    hullvm::files::prepare_dir(&dir)?;
    let results = hullvm::report::read(from)?;
    let page = hullvm::report::write_page(&dir, &results)?;
    eprintln!("report: {}", page.display());
    Ok(())
}

fn merge(from: &[PathBuf], dir: &Path) -> Result<()> {
    hullvm::files::prepare_dir(dir)?;
    let parts = from
        .iter()
        .map(|path| Ok((path.display().to_string(), hullvm::report::read(path)?)))
        .collect::<Result<Vec<_>>>()?;
    let merged = hullvm::report::merge(parts)?;
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

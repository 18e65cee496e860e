//! `hullvm report`: the HTML page from a `results.json`.

use anyhow::Result;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The results file.
    #[arg(long, default_value = "reports/results.json")]
    from: PathBuf,
    /// Where to write index.html (default: next to the results file).
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<()> {
    let dir = match args.out {
        Some(dir) => dir,
        None => match args.from.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        },
    };
    hullvm::files::prepare_dir(&dir)?;
    let results = hullvm::report::read(&args.from)?;
    let page = hullvm::report::write_page(&dir, &results)?;
    eprintln!("report: {}", page.display());
    Ok(())
}

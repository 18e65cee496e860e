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
    let results = hullvm::report::read(&args.from)?;
    let dir = match args.out {
        Some(dir) => dir,
        None => args
            .from
            .parent()
            .map_or_else(|| PathBuf::from("."), |p| p.to_path_buf()),
    };
    let page = hullvm::report::write_page(&dir, &results)?;
    eprintln!("report: {}", page.display());
    Ok(())
}

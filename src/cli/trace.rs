//! `hullvm trace`: a token program on the reference tracer, printed in the
//! `_ref.txt` layout.

use anyhow::{Context as _, Result};
use hullvm::isa::{format_trace, Program};
use hullvm::pipeline;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// A token program file (the published format).
    program: PathBuf,
    /// Stop after this many trace tokens.
    #[arg(long, default_value_t = 50_000_000)]
    max_tokens: usize,
}

pub fn run(args: Args) -> Result<()> {
    let text = std::fs::read_to_string(&args.program)
        .with_context(|| format!("cannot read {}", args.program.display()))?;
    let program = Program::parse(&text)
        .with_context(|| format!("{} is not a valid program file", args.program.display()))?;
    let run = pipeline::trace(&program, args.max_tokens, None);
    if !run.run.ending.is_complete() {
        eprintln!("note: {}", run.run.ending);
    }
    super::emit(None, format_trace(&program, &run.trace).as_bytes())
}

//! `hullvm compile`: a wasm, wat or C program as a token program file.

use anyhow::{bail, Result};
use hullvm::harness::input;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The program: .wasm, .wat, or .c (needs clang with wasm32 and wasm-ld).
    input_file: PathBuf,
    /// Input string handed to compute(input).
    #[arg(long, default_value = "")]
    input: String,
    /// Write the program here instead of stdout (written whole or not at all).
    #[arg(short, long)]
    output: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<()> {
    super::prepare(args.output.as_deref())?;
    let src = input::load(&args.input_file, Some(args.input.as_bytes()))?;
    if src.compiled.is_none() {
        bail!(
            "{} is already a token program; compile takes .wasm, .wat or .c",
            args.input_file.display()
        );
    }
    super::emit(args.output.as_deref(), src.program.to_text().as_bytes())
}

//! `hullvm spec`: the bundled spec suite on the transformer, as `hullvm
//! wast` runs any scripts (the same collection, verdicts and outputs).

use anyhow::Result;

#[derive(clap::Args)]
pub struct Args {
    /// Spec version of the bundled suite.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    version: u8,
    #[command(flatten)]
    options: super::wast::Options,
}

pub fn run(args: Args) -> Result<()> {
    let scripts = hullvm::harness::spec::bundled(args.version);
    super::wast::run_scripts(args.version, &scripts, "hullvm spec", &args.options)
}

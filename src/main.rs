//! The `hullvm` command line: parse, dispatch to one file per subcommand
//! under `cli/`, print one line on error and exit non-zero.

mod cli;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "hullvm",
    version,
    about = "Compile WebAssembly into a hand-built transformer and check it token for token",
    long_about = "hullvm compiles WebAssembly (or C, or the published token format) into a flat \
                  ISA, runs it on a reference tracer, on wasmi, or on a transformer whose weights \
                  are computed, and checks that every generated token is exact."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile a .wasm, .wat or .c program into a token program file.
    Compile(cli::compile::Args),
    /// Run a token program on the reference tracer and print its trace in
    /// the _ref.txt layout.
    Trace(cli::trace::Args),
    /// Run a program and print its output bytes to stdout (diagnostics go to
    /// stderr); the exit status says how it ended (0 finished, 3 trap, 4
    /// token limit, 5 out of fuel, 1 error).
    Run(cli::run::Args),
    /// The main job: every bundled corpus program and all of spec v1 on the
    /// transformer (hull cache), in parallel, checked token for token against
    /// the reference tracer and for output against wasmi (and the corpus
    /// manifests); then a short benchmark, the numerics scan and a short
    /// fuzz round of every target. Writes OUT/results.json and the page
    /// OUT/index.html. Exits non-zero if anything disagrees (unsupported
    /// features are counted, not failures).
    Check(cli::check::Args),
    /// Run the official wasm spec suite on the transformer (hull cache), in
    /// parallel: a verdict for every assertion, a per-file table, totals.
    Spec(cli::spec::Args),
    /// Run .wast scripts (files, or every .wast under a folder) on the
    /// transformer as `spec` runs the bundled suite: a verdict for every
    /// assertion, exit non-zero if any fails; --junit writes JUnit XML.
    Wast(cli::wast::Args),
    /// Differential fuzzing without libFuzzer: generated programs on the
    /// transformer vs the reference tracer vs wasmi, wasm-smith modules,
    /// the hull cache vs brute force, and the readers on arbitrary bytes.
    /// Exits non-zero on a finding; findings are saved as reproducers.
    Fuzz(cli::fuzz::Args),
    /// Shrink a module while the disagreement it shows holds (the
    /// transformer against the reference tracer, hullvm against wasmi 2,
    /// or wasmi 2 against the others), each candidate checked by the full
    /// pipeline; writes the smallest to M.reduced.wasm (or --out).
    Reduce(cli::reduce::Args),
    /// Measure the decoder: tokens/s per corpus program with the hull and
    /// brute caches, per-token cost along the longest trace, parallel
    /// speedup across programs, and peak memory.
    Bench(cli::bench::Args),
    /// The built model with softmax attention at inverse temperature
    /// --beta, teacher-forced along a program's reference trace: how many
    /// tokens greedy soft decoding reproduces (the exact prefix) and the
    /// trace's log-probability; --sweep finds the smallest beta that
    /// reproduces the whole run.
    Soft(cli::soft::Args),
    /// Reverse-mode gradients of a teacher-forced window's negative
    /// log-probability with respect to every weight matrix; --check
    /// compares them with central finite differences and exits non-zero
    /// when the worst relative error exceeds 1e-6.
    Grad(cli::grad::Args),
    /// The learning demo: knock out FFN units' output weights, then
    /// recover them by gradient descent through the soft model until the
    /// hard decoder is exact again on held-out corpus programs.
    Learn(cli::learn::Args),
    /// Build the transformer and print its shape; optionally save it.
    Model(cli::model::Args),
    /// Render the HTML report from a results.json written by `check`,
    /// `spec --out` or `wast --out`; several (CI shards) are merged into
    /// one results.json and one page.
    Report(cli::report::Args),
}

fn main() -> ExitCode {
    // Like other Unix tools, end quietly when the reader of stdout goes away
    // (`hullvm model | head`) instead of panicking inside `println!`.
    #[cfg(unix)]
    // SAFETY: restoring a signal's default disposition before any thread
    // starts touches no Rust state.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let done = |r: anyhow::Result<()>| r.map(|()| 0);
    let result = match Cli::parse().command {
        Command::Compile(args) => done(cli::compile::run(args)),
        Command::Trace(args) => done(cli::trace::run(args)),
        // `run` says how the program ended in its exit code.
        Command::Run(args) => cli::run::run(args),
        Command::Check(args) => done(cli::check::run(args)),
        Command::Spec(args) => done(cli::spec::run(args)),
        Command::Wast(args) => done(cli::wast::run(args)),
        Command::Fuzz(args) => done(cli::fuzz::run(args)),
        Command::Reduce(args) => done(cli::reduce::run(args)),
        Command::Bench(args) => done(cli::bench::run(args)),
        Command::Soft(args) => done(cli::soft::run(args)),
        Command::Grad(args) => done(cli::grad::run(args)),
        Command::Learn(args) => done(cli::learn::run(args)),
        Command::Model(args) => done(cli::model::run(args)),
        Command::Report(args) => done(cli::report::run(args)),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {}", cli::one_line(&e));
            ExitCode::FAILURE
        }
    }
}

//! `hullvm bench`: decoding speed, cost along a trace, parallel speedup
//! and peak memory.

use anyhow::Result;
use hullvm::harness::{input, op_cost};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Shorter runs (token caps) for a quick look or CI.
    #[arg(long)]
    quick: bool,
    /// Also write the measurements as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Only programs whose name contains this.
    #[arg(long)]
    filter: Option<String>,
}

pub fn run(args: Args) -> Result<()> {
    super::prepare(args.json.as_deref())?;
    bench(args.quick, args.json.as_deref(), args.filter.as_deref())
}

fn bench(quick: bool, json: Option<&std::path::Path>, filter: Option<&str>) -> Result<()> {
    let decoder = hullvm::build_decoder();
    let mut programs = Vec::new();
    let mut compiled = Vec::new();
    for p in hullvm::harness::corpus::bundled()? {
        if filter.is_some_and(|f| !p.name.contains(f)) || p.expected_trap.is_some() {
            continue;
        }
        let src = input::load(&p.path, Some(&p.input))?;
        programs.push((p.name.clone(), src.program));
        if let Some(c) = src.compiled {
            compiled.push((p.name.clone(), c));
        }
    }
    eprintln!(
        "benchmarking {} programs{}",
        programs.len(),
        if quick { " (quick)" } else { "" }
    );
    let budget = if quick {
        hullvm::harness::bench::Budget::QUICK
    } else {
        hullvm::harness::bench::Budget::FULL
    };
    let mut report = hullvm::harness::bench::measure(&decoder, &programs, budget);
    report.run_costs = op_cost::run_costs(&compiled, budget.hull_tokens);
    println!(
        "{:<20} {:>6} {:>10} {:>9} {:>12}",
        "program", "cache", "tokens", "seconds", "tokens/s"
    );
    for s in &report.speeds {
        println!(
            "{:<20} {:>6} {:>10} {:>9.3} {:>12.0}{}",
            s.program,
            s.cache,
            s.tokens,
            s.seconds,
            s.tokens_per_second,
            if s.capped { "  (capped)" } else { "" }
        );
    }
    for c in &report.curves {
        println!(
            "per-token cost along {} ({}), windows of {} tokens:",
            c.program, c.cache, c.window
        );
        for (at, us) in &c.points {
            println!("  {:>10} tokens  {:>8.2} us/token", at, us);
        }
        println!("  growth last/first window: {:.2}x", c.growth());
    }
    if let Some(p) = &report.parallel {
        println!(
            "parallel: {} programs on {} threads: {:.2} s sequential, {:.2} s parallel, speedup {:.2}x",
            p.programs, p.threads, p.sequential_seconds, p.parallel_seconds, p.speedup
        );
    }
    if !report.op_costs.is_empty() {
        println!(
            "{:<20} {:>10} {:>12}",
            "wasm instruction", "tokens", "flat instrs"
        );
        for c in &report.op_costs {
            println!(
                "{:<20} {:>10.1} {:>12.1}",
                c.op, c.tokens_per_instruction, c.flat_instructions_per_instruction
            );
        }
    }
    if !report.run_costs.is_empty() {
        println!(
            "{:<20} {:>10} {:>12} {:>14}",
            "program", "tokens", "wasm instrs", "tokens/instr"
        );
        for c in &report.run_costs {
            println!(
                "{:<20} {:>10} {:>12} {:>14.1}",
                c.program,
                c.tokens,
                c.wasm_instructions,
                c.tokens_per_instruction()
            );
        }
        if let Some(w) = op_cost::weighted_tokens_per_instruction(&report.run_costs) {
            println!("corpus, weighted by instructions: {w:.1} tokens per wasm instruction");
        }
    }
    if let Some(b) = report.peak_memory_bytes {
        println!("peak memory: {:.1} MB", b as f64 / 1e6);
    }
    if let Some(path) = json {
        super::write_json(path, &report)?;
    }
    Ok(())
}

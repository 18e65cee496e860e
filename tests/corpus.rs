//! Every corpus program: the reference tracer's output equals wasmi's and the
//! manifest's, and traps end at the matching trap exit; its trace, lifted to
//! wasm instructions, agrees with wasmi's instrumented run at every step.

use hullvm::compile::{self, Entry};
use hullvm::harness::corpus;
use hullvm::oracle::instrument;
use hullvm::oracle::wasmi::{self, Budget};
use hullvm::pipeline;
use hullvm::verify::lift;

const TOKENS: usize = 200_000_000;

fn budget() -> Budget {
    Budget::fuel(1 << 40)
}

#[test]
fn reference_output_matches_wasmi_and_the_manifest() {
    let programs = corpus::bundled().unwrap();
    assert!(programs.len() >= 7, "the C corpus is bundled");
    for p in programs {
        let wasm = std::fs::read(&p.path).unwrap();
        let entry = Entry::for_module(&wasm, p.input.clone());
        let compiled =
            compile::compile(&wasm, &entry).unwrap_or_else(|e| panic!("{}: {e}", p.name));
        let run = pipeline::trace(&compiled.program, TOKENS, Some(&compiled));
        let oracle = wasmi::run(&wasm, &entry, budget()).unwrap();
        assert!(
            p.matches(&run.run),
            "{}: the reference's run {} is not the manifest's",
            p.name,
            run.run
        );
        assert_eq!(run.run, oracle, "{}: wasmi", p.name);
        eprintln!(
            "{}: {} steps, {} tokens",
            p.name,
            run.steps,
            run.trace.len()
        );
    }
}

#[test]
fn every_corpus_program_agrees_with_wasmi_at_every_source_step() {
    let mut total = 0;
    for p in corpus::bundled().unwrap() {
        let wasm = std::fs::read(&p.path).unwrap();
        let entry = Entry::for_module(&wasm, p.input.clone());
        let compiled = compile::compile(&wasm, &entry).unwrap();
        let run = pipeline::trace(&compiled.program, TOKENS, Some(&compiled));
        let lifted = lift::lift(&compiled, &run.trace);
        let (instrumented, steps) =
            wasmi::run_instrumented(&wasm, &entry, budget(), &compiled.source_map, usize::MAX)
                .unwrap();
        let check = lift::diff(&compiled, &wasm, &steps.steps, &lifted, true, true);
        if let Some(d) = &check.divergence {
            panic!("{}: {d}", p.name);
        }
        let plain = wasmi::run(&wasm, &entry, budget()).unwrap();
        assert_eq!(instrumented, plain, "{}", p.name);
        assert!(check.steps_compared > 0, "{}", p.name);
        eprintln!(
            "{}: {} source steps agree with wasmi ({} flat steps)",
            p.name, check.steps_compared, run.steps
        );
        total += check.steps_compared;
    }
    eprintln!("total: {total} source steps");
}

#[test]
fn instrumented_modules_validate() {
    for p in corpus::bundled().unwrap() {
        let wasm = std::fs::read(&p.path).unwrap();
        let entry = Entry::for_module(&wasm, p.input.clone());
        let compiled = compile::compile(&wasm, &entry).unwrap();
        let bytes = instrument::instrument(&wasm, &compiled.source_map).unwrap();
        wasmparser::Validator::new()
            .validate_all(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", p.name));
    }
}

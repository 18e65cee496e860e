//! Every corpus program: the reference tracer's output equals wasmi's and the
//! manifest's, and traps end at the matching trap exit; its trace, lifted to
//! wasm instructions, agrees with wasmi's instrumented run at every step.

use hullvm::compile::{self, Entry, Exit};
use hullvm::harness::corpus;
use hullvm::oracle::instrument;
use hullvm::oracle::reference::{self, Outcome};
use hullvm::oracle::wasmi::{self, OracleOutcome};
use hullvm::verify::lift;

#[test]
fn reference_output_matches_wasmi_and_the_manifest() {
    let programs = corpus::bundled().unwrap();
    assert!(programs.len() >= 7, "the C corpus is bundled");
    for p in programs {
        let wasm = std::fs::read(&p.path).unwrap();
        let compiled =
            compile::compile_compute(&wasm, &p.input).unwrap_or_else(|e| panic!("{}: {e}", p.name));
        let run = reference::run(&compiled.program, 200_000_000);
        let Outcome::Halted { pc } = run.outcome else {
            panic!("{}: {:?}", p.name, run.outcome)
        };
        let exit = compiled
            .exit_at(pc)
            .unwrap_or_else(|| panic!("{}: halt at {pc} is not an exit", p.name));
        let oracle = wasmi::run(
            &wasm,
            &compile::Entry::Compute {
                input: p.input.clone(),
            },
            1 << 40,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&run.output),
            String::from_utf8_lossy(&p.expected_output),
            "{}: reference output",
            p.name
        );
        assert_eq!(run.output, oracle.output, "{}: wasmi output", p.name);
        match (&p.expected_trap, exit, &oracle.outcome) {
            (None, Exit::Finished, OracleOutcome::Finished) => {}
            (Some(msg), Exit::Trap(t), OracleOutcome::Trap(ot)) => {
                assert_eq!(t.message(), msg, "{}", p.name);
                assert_eq!(ot.message(), *msg, "{}", p.name);
            }
            other => panic!("{}: outcome mismatch {other:?}", p.name),
        }
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
        let entry = Entry::Compute {
            input: p.input.clone(),
        };
        let compiled = compile::compile(&wasm, &entry).unwrap();
        let run = reference::run(&compiled.program, 200_000_000);
        let (check, instrumented) =
            lift::check(&compiled, &wasm, &entry, &run.trace, true, 1 << 40).unwrap();
        if let Some(d) = &check.divergence {
            panic!("{}: {d}", p.name);
        }
        let plain = wasmi::run(&wasm, &entry, 1 << 40).unwrap();
        assert_eq!(instrumented.output, plain.output, "{}", p.name);
        assert_eq!(instrumented.outcome, plain.outcome, "{}", p.name);
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
        let compiled = compile::compile_compute(&wasm, &p.input).unwrap();
        let bytes = instrument::instrument(&wasm, &compiled.source_map).unwrap();
        wasmparser::Validator::new()
            .validate_all(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", p.name));
    }
}

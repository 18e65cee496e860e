//! Every corpus program: the reference tracer's output equals wasmi's and the
//! manifest's, and traps end at the matching trap exit.

use hullvm::compile::{self, Exit};
use hullvm::corpus;
use hullvm::oracle::{self, OracleOutcome};
use hullvm::reference::{self, Outcome};

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
        let oracle = oracle::run(
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

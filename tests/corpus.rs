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
        let entry = Entry::Compute {
            input: p.input.clone(),
        };
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
        let entry = Entry::Compute {
            input: p.input.clone(),
        };
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
        let compiled = compile::compile_compute(&wasm, &p.input).unwrap();
        let bytes = instrument::instrument(&wasm, &compiled.source_map).unwrap();
        wasmparser::Validator::new()
            .validate_all(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", p.name));
    }
}

/// The C programs that wait for the compiler (`corpora/c/pending`: i64,
/// more than 64 locals, call_indirect). wasmi prints what their manifest
/// says (the same C built natively and node agree: `corpora/c/native.sh`,
/// `check.mjs`), and hullvm still refuses each one as unsupported. A
/// refusal is no pass: once one compiles, this fails until the program
/// moves into `corpora/c`, where every corpus check runs it.
#[test]
fn pending_programs_run_on_wasmi_and_wait_for_the_compiler() {
    let dir = corpus::repo_root().join("corpora/c/pending");
    let programs = corpus::load(&dir).unwrap();
    assert!(programs.len() >= 5, "the pending C programs are there");
    for p in programs {
        let wasm = std::fs::read(&p.path).unwrap();
        let entry = Entry::Compute {
            input: p.input.clone(),
        };
        let run = wasmi::run(&wasm, &entry, budget()).unwrap();
        assert!(
            p.matches(&run),
            "{}: wasmi's run {run} is not the manifest's",
            p.name
        );
        match compile::compile(&wasm, &entry) {
            Err(e @ compile::CompileError::Unsupported { .. }) => {
                eprintln!("{}: refused, {e}", p.name)
            }
            Err(e) => panic!("{}: not a refusal but {e}", p.name),
            Ok(_) => panic!(
                "{0} compiles now: move corpora/c/pending/{0}.c and {0}.wasm, and its line \
                 of pending/manifest.txt, into corpora/c so every corpus check runs it",
                p.name
            ),
        }
    }
}

//! Fuzzing in `cargo test`: every saved reproducer replays clean, a bounded
//! deterministic round of every target finds nothing, and the generator
//! reaches every operator, construct and trap.

use hullvm::fuzz::{self, FuzzConfig, Target};
use std::path::PathBuf;

fn regressions() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpora/fuzz-regressions")
}

#[test]
fn every_reproducer_replays_clean() {
    let decoder = fuzz::shared_decoder();
    let files = fuzz::reproducers(&regressions());
    for path in &files {
        let target = fuzz::target_of(path)
            .unwrap_or_else(|| panic!("{}: name does not start with a target", path.display()));
        match fuzz::replay(target, decoder, path).unwrap() {
            Ok(exec) => eprintln!("{}: {target}: {}", path.display(), exec.outcome),
            Err(finding) => panic!("{}: {target}: {finding}", path.display()),
        }
    }
    eprintln!("{} reproducers replayed", files.len());
}

/// The kept wasmi 2 miscompiles (notes with `expect-output`) and their
/// reduced copies, run the way
/// the differential target runs a module: wasmi 2 disagrees, and the
/// arbiter (wasmi 0.31) with the reference tracer overrules it.
#[test]
fn the_arbiter_overrules_wasmi_on_its_known_miscompiles() {
    let decoder = fuzz::shared_decoder();
    let mut settled = 0;
    for path in fuzz::reproducers(&regressions()) {
        let note = std::fs::read_to_string(path.with_extension("txt")).unwrap();
        if !note.contains("\nexpect-output: ") {
            continue;
        }
        let entry = note
            .lines()
            .find_map(|l| l.strip_prefix("entry: "))
            .and_then(fuzz::targets::parse_entry_line)
            .unwrap();
        // The module as found and, where `hullvm reduce` kept one, its
        // reduced copy: wasmi 2 is wrong on both.
        let reduced = path.with_extension("reduced.wasm");
        for module in [path.with_extension("wasm"), reduced.clone()] {
            if module == reduced && !module.is_file() {
                continue;
            }
            let wasm = std::fs::read(&module).unwrap();
            let exec = fuzz::targets::module(decoder, &wasm, &entry, true)
                .unwrap_or_else(|f| panic!("{}: {f}", module.display()));
            assert_eq!(
                exec.outcome,
                fuzz::targets::OVERRULED,
                "{}",
                module.display()
            );
            let wasmi = exec
                .wasmi_overruled
                .expect("wasmi 2's disagreement is kept");
            eprintln!("{}: overruled: {wasmi}", module.display());
            settled += 1;
        }
    }
    assert!(
        settled >= 10,
        "{settled} known miscompiles and their reductions"
    );
}

/// wasm-smith modules that loop until the token cap: wasmi's instrumented
/// run ran out of fuel first, and its shorter step list was read as a run
/// that ended (found by `hullvm check`'s fuzz round, seed 0). A run
/// stopped by a limit is compared as a prefix.
#[test]
fn a_wasmi_run_stopped_by_fuel_is_a_prefix_not_an_end() {
    use hullvm::fuzz::{input_for, targets, Target};
    for index in [1998, 2461, 3771, 5145] {
        let data = input_for(Target::Smith, 0, index);
        let exec = targets::smith(&data).unwrap_or_else(|f| panic!("smith #{index}: {f}"));
        assert_eq!(exec.outcome, "token limit", "smith #{index}");
    }
}

/// A wasm-smith module that grows its memory in an endless loop: wasmi's
/// fuel paid a unit per byte of possible growth, 2^26 units once the cap
/// became 64 MiB, and wasmi 2 overflowed its native stack and aborted the
/// process (as in smith-0-1330). Growth now costs what wasmi charges, a
/// unit per 64 bytes.
#[test]
fn fuel_for_memory_growth_is_what_wasmi_charges() {
    use hullvm::fuzz::{input_for, targets, Target};
    let data = input_for(Target::Smith, 0, 76);
    let exec = targets::smith(&data).unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(exec.outcome, "token limit");
}

/// A wasm-smith module whose `f64.sqrt` of a negative number reached an
/// `i64.xor` through a reinterpret: wasmi gave the NaN the sign bit,
/// hullvm did not, and both are valid (found by CI's fuzz round). Float
/// results are now canonicalized before the engines are compared.
#[test]
fn a_nan_sign_is_not_a_divergence() {
    use hullvm::fuzz::{input_for, targets, Target};
    let data = input_for(Target::Smith, 139481629301834, 506);
    let exec = targets::smith(&data).unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(exec.outcome, "finished");
}

#[test]
fn a_bounded_round_finds_nothing() {
    let decoder = fuzz::shared_decoder();
    for (target, executions) in [
        (Target::Differential, 60),
        (Target::Smith, 150),
        (Target::Hull, 3000),
        (Target::Parse, 3000),
    ] {
        let config = FuzzConfig {
            targets: vec![target],
            seconds: None,
            executions: Some(executions),
            seed: 8,
            ..FuzzConfig::default()
        };
        let summary = fuzz::run_target(&config, target, None, decoder, &|_| {});
        eprintln!(
            "{target}: {} execs in {:.1} s ({:.0} execs/s), {:?}",
            summary.executions, summary.seconds, summary.execs_per_sec, summary.outcomes
        );
        assert_eq!(summary.executions, executions, "{target}");
        assert!(
            summary.findings.is_empty(),
            "{target}: {:#?}",
            summary.findings
        );
    }
}

#[test]
fn inputs_and_programs_are_deterministic() {
    for target in Target::ALL {
        assert_eq!(
            fuzz::input_for(target, 3, 17),
            fuzz::input_for(target, 3, 17)
        );
        assert_ne!(
            fuzz::input_for(target, 3, 17),
            fuzz::input_for(target, 4, 17)
        );
    }
    let data = fuzz::input_for(Target::Differential, 1, 2);
    assert_eq!(
        fuzz::targets::generated(&data).wasm,
        fuzz::targets::generated(&data).wasm
    );
    // Any bytes give a module, even none at all.
    for data in [&[][..], &[0xff; 3][..], &[0; 64][..]] {
        let g = fuzz::targets::generated(data);
        hullvm::compile::compile(&g.wasm, &g.entry).unwrap();
    }
}

/// 10,000 generated programs: every core and lowered op, every control
/// construct, every trap and normal completion occur; none is refused by
/// the compiler or faults on the reference tracer.
#[test]
fn the_generator_reaches_every_op_construct_and_trap() {
    let n = 10_000;
    let h = fuzz::histogram(n, 0);
    let missing: Vec<String> = fuzz::expected_histogram_keys()
        .into_iter()
        .filter(|k| !h.contains_key(k))
        .collect();
    assert!(missing.is_empty(), "never occurred: {missing:?}\n{h:#?}");
    let bad: Vec<(&String, &u64)> = h
        .iter()
        .filter(|(k, _)| {
            k.starts_with("outcome: compile error")
                || k.starts_with("outcome: fault")
                || k.starts_with("outcome: halt outside")
        })
        .collect();
    assert!(bad.is_empty(), "{bad:?}");
    let outcomes: u64 = h
        .iter()
        .filter(|(k, _)| k.starts_with("outcome: "))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(outcomes, n);
}

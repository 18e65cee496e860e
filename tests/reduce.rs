//! `hullvm reduce`: a saved wasmi 2 finding shrinks to a module of a few
//! functions on which the same disagreement holds under the full check; a
//! hullvm bug (the planted rem_u lowering) reduces as a hullvm bug; a
//! module without a disagreement, or with another one than asked, is
//! refused before any work.

use hullvm::compile::{self, Entry, Invocation};
use hullvm::fuzz::reduce::{self, Budget, Keep, Reduction, Size};
use hullvm::pipeline::Limits;
mod common;

use common::{hullvm, scratch};
use std::path::{Path, PathBuf};

fn regression(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpora/fuzz-regressions")
        .join(name)
}

/// The entry a fuzz note gives its module.
fn noted_entry(wasm: &Path) -> Entry {
    let note = std::fs::read_to_string(wasm.with_extension("txt")).unwrap();
    let line = note
        .lines()
        .find_map(|l| l.strip_prefix("entry: "))
        .unwrap();
    hullvm::fuzz::targets::parse_entry_line(line).unwrap()
}

/// The acceptance of issue #17's reduction: a wasmi 2 miscompile found by
/// the fuzzer (four functions, two calls of `run`) shrinks, through the
/// command line, to at most a few functions; re-checked here by the full
/// pipeline, wasmi 2 still disagrees and wasmi 0.31 still overrules it.
#[test]
fn reduce_shrinks_a_saved_wasmi2_finding_while_it_holds() {
    let original = regression("differential-1000-2918.wasm");
    let out = scratch("2918.reduced.wasm");
    let run = hullvm(&[
        "reduce",
        original.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--attempts",
        "600",
    ]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    assert!(
        err.contains("entry from "),
        "the note's entry is used: {err}"
    );
    assert!(
        err.lines()
            .any(|l| l.starts_with("reduce: ") && l.contains("(smaller)")),
        "{err}"
    );
    assert!(err.contains("wasmi2") && err.contains(" holds; "), "{err}");
    assert_eq!(
        String::from_utf8_lossy(&run.stdout).trim(),
        out.to_str().unwrap()
    );

    let before = std::fs::read(&original).unwrap();
    let after = std::fs::read(&out).unwrap();
    let (b, a) = (Size::of(&before), Size::of(&after));
    eprintln!("{b} -> {a}");
    assert!(a.bytes < b.bytes, "{b} -> {a}");
    assert!(a.functions <= 2 && a.functions < b.functions, "{b} -> {a}");

    let decoder = hullvm::fuzz::shared_decoder();
    let reduction = Reduction::new(
        noted_entry(&original),
        Limits::tokens(100_000),
        Budget::FINDING,
    );
    let shown = reduce::check(decoder, &after, &reduction).expect("still disagrees");
    assert_eq!(shown.keep, Keep::Wasmi2, "{shown}");
    assert_eq!(Some(shown), reduce::check(decoder, &before, &reduction));
}

/// `i % 7` summed for i = 0..10, beside dead code that reduction can drop.
const REM_U: &str = r#"
(module
  (import "env" "output_byte" (func $out (param i32)))
  (memory 1)
  (global $g (mut i32) (i32.const 5))
  (func $unused (param i32) (result i32)
    (i32.mul (local.get 0) (global.get $g)))
  (func $print (param i32)
    (call $out (local.get 0))
    (call $out (i32.shr_u (local.get 0) (i32.const 8))))
  (func (export "run") (result i32)
    (local $i i32) (local $acc i32)
    (call $print (i32.const 7))
    (i32.store (i32.const 16) (call $unused (i32.const 3)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (i32.const 10)))
        (local.set $acc (i32.add (local.get $acc) (i32.rem_u (local.get $i) (i32.const 7))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $acc)))
"#;

/// A hullvm compiler bug (the planted rem_u lowering) is kept as a hullvm
/// bug: the reduced module still has wasmi 2 and wasmi 0.31 against the
/// transformer at the source level, and lost the code that has nothing to
/// do with it.
#[test]
fn a_hullvm_bug_reduces_as_a_hullvm_bug() {
    let wasm = wat::parse_str(REM_U).unwrap();
    let reduction = Reduction {
        options: compile::Options {
            plant_rem_u_bug: true,
            ..compile::Options::default()
        },
        ..Reduction::new(
            Entry::Invoke(vec![Invocation {
                export: "run".into(),
                args: vec![],
            }]),
            Limits::tokens(100_000),
            Budget {
                attempts: 300,
                patience: 150,
                seconds: 120.0,
            },
        )
    };
    let decoder = hullvm::fuzz::shared_decoder();
    let mut reports = 0;
    let reduced = reduce::reduce(decoder, &wasm, &reduction, &mut |_| reports += 1).unwrap();
    eprintln!(
        "{} -> {}, {} attempts, {:.1} s, {}",
        reduced.before, reduced.after, reduced.attempts, reduced.seconds, reduced.stopped
    );
    assert_eq!(reduced.shown.keep, Keep::Wasmi, "{}", reduced.shown);
    assert_eq!(reduced.shown.kind, "source divergence");
    assert_eq!(reports, reduced.attempts);
    assert!(reduced.after.bytes < reduced.before.bytes);
    assert!(reduced.after.functions <= reduced.before.functions);
    assert_eq!(
        reduce::check(decoder, &reduced.wasm, &reduction),
        Some(reduced.shown)
    );
    // Without the planted bug the reduced module agrees everywhere: the
    // disagreement was the bug's.
    let fixed = Reduction {
        options: compile::Options::default(),
        ..reduction
    };
    assert_eq!(reduce::check(decoder, &reduced.wasm, &fixed), None);
}

/// Nothing to keep, or not what was asked: one line, exit 1, nothing
/// written.
#[test]
fn reduce_refuses_what_it_cannot_keep() {
    let agreeing = scratch("agrees.wat");
    std::fs::write(
        &agreeing,
        r#"(module (func (export "f") (param i32) (result i32)
             (i32.add (local.get 0) (i32.const 1))))"#,
    )
    .unwrap();
    let out = scratch("agrees.reduced.wasm");
    let _ = std::fs::remove_file(&out);
    let run = hullvm(&[
        "reduce",
        agreeing.to_str().unwrap(),
        "--invoke",
        "f",
        "--arg",
        "41",
    ]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: ") && last.contains("shows no disagreement"),
        "{err}"
    );
    assert!(!out.exists());

    let finding = regression("differential-9-1019.wasm");
    let out = scratch("9-1019.reduced.wasm");
    let run = hullvm(&[
        "reduce",
        finding.to_str().unwrap(),
        "--keep",
        "transformer",
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(
        err.contains("not a disagreement of the transformer against the reference tracer"),
        "{err}"
    );
    assert!(!out.exists());

    let missing = hullvm(&["reduce", "no/such/module.wasm"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read"));
}

/// The budget ends a reduction: after the candidates it allows, or at its
/// time, with the smallest module found so far (which still holds).
#[test]
fn the_budget_bounds_a_reduction() {
    let original = regression("differential-1000-77997.wasm");
    let wasm = std::fs::read(&original).unwrap();
    let decoder = hullvm::fuzz::shared_decoder();
    let reduction =
        |budget| Reduction::new(noted_entry(&original), Limits::tokens(100_000), budget);
    let few = reduction(Budget {
        attempts: 5,
        patience: 1000,
        seconds: 600.0,
    });
    let reduced = reduce::reduce(decoder, &wasm, &few, &mut |_| {}).unwrap();
    assert_eq!(reduced.stopped, reduce::Stopped::Attempts);
    assert_eq!(reduced.attempts, 5);
    assert!(reduced.after.bytes <= reduced.before.bytes);
    assert_eq!(
        reduce::check(decoder, &reduced.wasm, &few),
        Some(reduced.shown)
    );
    // The first check of the original alone takes longer than this.
    let brief = reduction(Budget {
        attempts: 5000,
        patience: 1000,
        seconds: 1e-6,
    });
    let reduced = reduce::reduce(decoder, &wasm, &brief, &mut |_| {}).unwrap();
    assert_eq!(reduced.stopped, reduce::Stopped::Time);
    assert_eq!((reduced.attempts, reduced.wasm), (0, wasm));
}

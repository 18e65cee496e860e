//! wasmtime as the third engine (cargo feature `wasmtime`): it runs what
//! wasmi runs with the same host and limits and ends the same way, and it
//! sides with the transformer where wasmi 2 is known to be wrong.
#![cfg(feature = "wasmtime")]

use hullvm::compile::{Entry, Invocation, Resume};
use hullvm::ending::{Ending, EngineRun, Exhaustion};
use hullvm::harness::{corpus, input};
use hullvm::oracle::{self, arbiter, wasmi, wasmtime};
use std::path::PathBuf;

const FUEL: u64 = 1_000_000_000;

fn on_both(wasm: &[u8], entry: &Entry) -> (EngineRun, EngineRun) {
    let budget = wasmi::Budget::fuel(FUEL);
    let by_wasmtime = wasmtime::run(wasm, entry, budget).expect("wasmtime runs it");
    let by_wasmi = wasmi::run(wasm, entry, budget).expect("wasmi runs it");
    (by_wasmtime, by_wasmi)
}

#[test]
fn every_corpus_program_runs_as_its_manifest_says() {
    let programs = corpus::bundled().unwrap();
    for p in &programs {
        let (wasm, entry) = input::load_wasm(&p.path, Some(&p.input)).unwrap();
        let (by_wasmtime, by_wasmi) = on_both(&wasm, &entry);
        assert!(p.matches(&by_wasmtime), "{}: {by_wasmtime}", p.name);
        assert_eq!(by_wasmtime, by_wasmi, "{}", p.name);
    }
    assert!(programs.len() >= 25, "{} corpus programs", programs.len());
}

/// Each way a run can end, and the calls of a spec script (traps that end
/// a call, not the script; a global read after the calls).
#[test]
fn it_ends_as_wasmi_does() {
    let invoke = |export: &str, args: Vec<u32>| {
        Entry::Invoke(vec![Invocation {
            export: export.into(),
            args,
        }])
    };
    let module = r#"(module
        (type $v (func (result i32)))
        (memory 1 256)
        (table 3 funcref)
        (elem (i32.const 0) $seven $wide)
        (global $g (export "g") (mut i32) (i32.const 0))
        (func $seven (type $v) (i32.const 7))
        (func $wide (param i64) (result i64) (local.get 0))
        (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
        (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
        (func (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
        (func (export "indirect") (param i32) (result i32) (call_indirect (type $v) (local.get 0)))
        (func (export "unreachable") unreachable)
        (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
        (func (export "spin") (loop (br 0)))
        (func $deep (export "deep") (param i32) (result i32)
            (i32.add (i32.const 1) (call $deep (local.get 0))))
        (func (export "mix") (param i64 f32 f64) (result f64 i64 f32)
            (local.get 2) (local.get 0) (local.get 1))
        (func (export "bump") (global.set $g (i32.add (global.get $g) (i32.const 1)))))"#;
    let nan = f64::NAN.to_bits();
    let entries = [
        invoke("div", vec![7, 2]),
        invoke("div", vec![7, 0]),
        invoke("div", vec![i32::MIN as u32, u32::MAX]),
        invoke("load", vec![65_534]),
        invoke("trunc", vec![nan as u32, (nan >> 32) as u32]),
        invoke("indirect", vec![0]),
        invoke("indirect", vec![1]),
        invoke("indirect", vec![2]),
        invoke("indirect", vec![3]),
        invoke("unreachable", vec![]),
        invoke("grow", vec![255]),
        invoke("grow", vec![1 << 20]),
        invoke("spin", vec![]),
        invoke("deep", vec![0]),
        invoke("mix", vec![1, 2, 0x3fc0_0000, 0, 0x4000_0000]),
        Entry::Resume(Resume {
            before: ["bump", "unreachable", "bump"]
                .map(|export| Invocation {
                    export: export.into(),
                    args: vec![],
                })
                .to_vec(),
            image: None,
            calls: vec![Invocation {
                export: "bump".into(),
                args: vec![],
            }],
            read: Some("g".into()),
        }),
    ];
    for entry in &entries {
        let (by_wasmtime, by_wasmi) = on_both(module.as_bytes(), entry);
        eprintln!("{entry:?}: {by_wasmtime}");
        match (&by_wasmtime.ending, &by_wasmi.ending) {
            // A call depth in stack bytes, not frames: both run out.
            (
                Ending::Exhausted {
                    what: Exhaustion::CallStack,
                },
                Ending::Exhausted {
                    what: Exhaustion::CallStack,
                },
            ) => {}
            _ => assert_eq!(by_wasmtime, by_wasmi, "{entry:?}"),
        }
    }
}

/// Segments that do not fit trap the instantiation, on wasmtime as on
/// wasmi 2.
#[test]
fn segments_out_of_bounds_trap_the_instantiation() {
    let entry = Entry::Invoke(vec![]);
    for module in [
        r#"(module (memory 1) (data (i32.const 65535) "ab"))"#,
        r#"(module (table 1 funcref) (func $f) (elem (i32.const 1) $f))"#,
    ] {
        let (by_wasmtime, by_wasmi) = on_both(module.as_bytes(), &entry);
        assert!(
            matches!(by_wasmtime.ending, Ending::Trap { .. }),
            "{module}"
        );
        assert_eq!(by_wasmtime, by_wasmi, "{module}");
    }
}

fn regressions() -> PathBuf {
    corpus::repo_root().join("corpora/fuzz-regressions")
}

/// The kept wasmi 2 miscompiles (notes with `expect-output`): wasmtime
/// gives what wasmi 0.31 gives, not what wasmi 2 gives; asked beside
/// wasmi 0.31 as the second arbiter, it overrules wasmi 2 with it.
#[test]
fn it_sides_against_wasmi_2_on_its_known_miscompiles() {
    let mut settled = 0;
    for entry in std::fs::read_dir(regressions()).unwrap() {
        let path = entry.unwrap().path();
        let note = match path.extension() {
            Some(e) if e == "txt" => std::fs::read_to_string(&path).unwrap(),
            _ => continue,
        };
        if !note.contains("\nexpect-output: ") {
            continue;
        }
        let entry = note
            .lines()
            .find_map(|l| l.strip_prefix("entry: "))
            .and_then(hullvm::fuzz::targets::parse_entry_line)
            .unwrap();
        let wasm = std::fs::read(path.with_extension("wasm")).unwrap();
        let budget = wasmi::Budget::fuel(FUEL);
        let by_wasmtime = wasmtime::run(&wasm, &entry, budget).unwrap();
        assert_eq!(
            by_wasmtime,
            arbiter::run(&wasm, &entry, budget).unwrap(),
            "{}",
            path.display()
        );
        assert_ne!(
            by_wasmtime,
            wasmi::run(&wasm, &entry, budget).unwrap(),
            "{}",
            path.display()
        );
        let engines: Vec<_> = oracle::arbitrate(&wasm, &entry, budget)
            .into_iter()
            .map(|a| a.engine)
            .collect();
        assert_eq!(engines, ["wasmi 0.31", "wasmtime"]);
        // Both arbiters agree with the transformer: wasmi 2 is overruled.
        let decoder = hullvm::fuzz::shared_decoder();
        let exec = hullvm::fuzz::targets::module(decoder, &wasm, &entry, true)
            .unwrap_or_else(|f| panic!("{}: {f}", path.display()));
        assert_eq!(exec.outcome, hullvm::fuzz::targets::OVERRULED);
        settled += 1;
    }
    assert!(settled >= 8, "{settled} known miscompiles");
}

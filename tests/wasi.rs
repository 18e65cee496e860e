//! WASI preview1 commands: one host on every engine. A C program built with
//! clang + wasi-libc runs exact on the transformer and ends as on wasmi 2
//! and wasmi 0.31 (output bytes and exit status); WASI calls hullvm does not
//! implement return ENOSYS everywhere; a pointer outside memory traps
//! everywhere; imports hullvm cannot link are refused by every engine.

mod common;

use hullvm::compile::{self, CompileError, Entry};
use hullvm::decode::Decoder;
use hullvm::ending::{Ending, EngineRun};
use hullvm::oracle::arbiter;
use hullvm::oracle::wasmi::{self, Budget};
use hullvm::pipeline::{self, Config, Subject};

fn budget() -> Budget {
    Budget::fuel(1 << 32)
}

/// The full check of a command (transformer, reference, wasmi, source
/// steps), asserting that nothing disagrees; returns the transformer's run
/// after checking that wasmi 0.31 ends the same.
fn check_command(wasm: &[u8]) -> EngineRun {
    let decoder = Decoder::new(hullvm::build_model());
    let subject = Subject::Wasm {
        wasm,
        entry: &Entry::Command,
        options: compile::Options::default(),
    };
    let checked = pipeline::check(&decoder, subject, &Config::default()).unwrap();
    if let Some(d) = checked.disagreement() {
        panic!("{d}");
    }
    assert!(checked.divergence.is_none(), "exact on the transformer");
    let run = checked.transformer.run.clone();
    assert_eq!(checked.wasmi, Some(Ok(run.clone())), "wasmi 2");
    assert!(checked.source_steps() > 0, "the source steps were compared");
    let arbiter = arbiter::run(wasm, &Entry::Command, budget()).unwrap();
    assert_eq!(arbiter, run, "wasmi 0.31");
    run
}

#[test]
fn a_printf_command_runs_exact_and_exits_with_its_status() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/corpora/wasi/status.wasm");
    let wasm = std::fs::read(path).unwrap();
    assert_eq!(Entry::for_module(&wasm, Vec::new()), Entry::Command);
    let run = check_command(&wasm);
    assert_eq!(
        run,
        EngineRun {
            output: b"to stdout 1\nto stderr 2\n".to_vec(),
            ending: Ending::Finished { results: vec![3] },
        }
    );
}

/// Calls hullvm answers with an errno, argv, and `proc_exit` with the
/// bytes fd_write reported.
const ERRNOS: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func $seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  ;; two iovecs at 16: the errnos at 32 (4 bytes), argv[0] at 64 (its size)
  (data (i32.const 16) "\20\00\00\00\04\00\00\00\40\00\00\00")
  (func (export "_start")
    (i32.store8 (i32.const 32) (call $yield))
    (i32.store8 (i32.const 33) (call $random (i32.const 0) (i32.const 8)))
    (i32.store8 (i32.const 34)
      (call $seek (i32.const 1) (i64.const 0) (i32.const 0) (i32.const 0)))
    (i32.store8 (i32.const 35)
      (call $write (i32.const 9) (i32.const 16) (i32.const 1) (i32.const 0)))
    (drop (call $sizes (i32.const 0) (i32.const 28)))
    (drop (call $args (i32.const 4) (i32.const 64)))
    (drop (call $write (i32.const 1) (i32.const 16) (i32.const 2) (i32.const 8)))
    (call $exit (i32.load (i32.const 8)))
    unreachable))"#;

#[test]
fn unimplemented_calls_return_enosys_and_std_fds_their_errnos_on_every_engine() {
    let run = check_command(ERRNOS.as_bytes());
    let mut output = vec![52, 52, 70, 8]; // ENOSYS, ENOSYS, ESPIPE, EBADF
    output.extend_from_slice(b"program\0");
    assert_eq!(
        run,
        EngineRun {
            output,
            ending: Ending::Finished { results: vec![12] },
        }
    );
}

#[test]
fn an_iovec_outside_memory_traps_after_the_bytes_inside_on_every_engine() {
    let wat = r#"(module
      (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
      (memory 1)
      (data (i32.const 0) "\fa\ff\00\00\0a\00\00\00")  ;; (65530, 10): 6 bytes fit
      (data (i32.const 65530) "abcdef")
      (func (export "_start")
        (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;
    let run = check_command(wat.as_bytes());
    assert_eq!(
        run,
        EngineRun {
            output: b"abcdef".to_vec(),
            ending: Ending::Trap {
                trap: compile::Trap::MemoryOutOfBounds
            },
        }
    );
}

#[test]
fn wasi_imports_hullvm_cannot_link_are_refused_by_every_engine() {
    // fd_write of the wrong type.
    let wat = r#"(module
      (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "_start") (drop (call $write (i32.const 1)))))"#;
    let err = compile::compile(wat.as_bytes(), &Entry::Command).unwrap_err();
    assert!(
        matches!(&err, CompileError::Unsupported { feature, .. }
            if feature.contains("wasi_snapshot_preview1.fd_write")),
        "{err}"
    );
    assert!(wasmi::run(wat.as_bytes(), &Entry::Command, budget()).is_err());
    assert!(arbiter::run(wat.as_bytes(), &Entry::Command, budget()).is_err());

    // proc_exit where no command's exit is: refused by the compiler.
    let wat = r#"(module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (func (export "f") (call $exit (i32.const 1))))"#;
    let entry = Entry::Invoke(vec![compile::Invocation {
        export: "f".into(),
        args: Vec::new(),
    }]);
    let err = compile::compile(wat.as_bytes(), &entry).unwrap_err();
    assert!(err.to_string().contains("proc_exit outside"), "{err}");
}

#[test]
fn hullvm_run_picks_start_for_a_command_and_refuses_it_an_input() {
    let out = common::hullvm(&["run", "corpora/wasi/status.wasm", "--engine", "reference"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(out.stdout, b"to stdout 1\nto stderr 2\n");
    assert!(stderr.contains("finished with [00000003]"), "{stderr}");

    let out = common::hullvm(&["run", "corpora/wasi/status.wasm", "--input", "x"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("takes no input"), "{stderr}");
}

//! The command line: real runs, and one-line errors with a non-zero exit for
//! bad input.

use std::path::PathBuf;
use std::process::{Command, Output};

fn hullvm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hullvm"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("hullvm runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hullvm-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn assert_one_line_error(out: &Output, needle: &str) {
    assert!(!out.status.success(), "exit status must be non-zero");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(needle), "{err:?} should mention {needle:?}");
    assert!(out.stdout.is_empty(), "nothing on stdout");
}

#[test]
fn run_prints_the_program_output() {
    let out = hullvm(&["run", "corpora/c/hello.wasm", "--input", "World"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"Hello World!\n");
    let out = hullvm(&[
        "run",
        "corpora/c/hello.wasm",
        "--input",
        "World",
        "--engine",
        "wasmi",
    ]);
    assert_eq!(out.stdout, b"Hello World!\n");
}

#[test]
fn run_verify_diffs_tokens_and_source_steps() {
    let out = hullvm(&[
        "run",
        "corpora/c/hello.wasm",
        "--input",
        "World",
        "--verify",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(out.stdout, b"Hello World!\n");
    assert!(
        err.contains("tokens agree with the reference tracer"),
        "{err}"
    );
    let line = err
        .lines()
        .find(|l| l.ends_with("source steps agree with wasmi's instrumented run"))
        .unwrap_or_else(|| panic!("{err}"));
    let n: u64 = line.split_whitespace().next().unwrap().parse().unwrap();
    assert!(n > 50, "{line}");
    assert!(
        err.contains("wasmi's run of the original module ends the same"),
        "{err}"
    );
}

/// The reduced wasmi 2.0.0 miscompile (corpora/fuzz-regressions/
/// differential-9-1019): the instrumented module does not trip it, so its
/// source steps agree, but the plain module prints 02 on wasmi 2. `--verify`
/// must say so rather than claim agreement with wasmi.
#[test]
fn run_verify_compares_with_wasmi_on_the_original_module() {
    let wat = scratch("select-eqz.wat");
    std::fs::write(
        &wat,
        r#"(module
  (import "env" "output_byte" (func $out (param i32)))
  (global (mut i32) (i32.const 2))
  (func (export "compute") (local i32 i32)
    (call $out (select (i32.const 1)
                       (select (i32.const 3) (global.get 0) (local.get 1))
                       (i32.eqz (local.get 0))))))"#,
    )
    .unwrap();
    let out = hullvm(&["run", wat.to_str().unwrap(), "--verify"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(out.stdout, [1], "V8 and hullvm print 01");
    assert!(err.contains("wasmi 2 disagrees"), "{err}");
    assert!(err.contains("output [02]"), "{err}");
    assert!(err.contains("wasmi 2 overruled"), "{err}");
    assert!(!err.contains("ends the same"), "{err}");
}

#[test]
fn run_json_summarises_the_run() {
    let out = hullvm(&["run", "corpora/c/collatz.wasm", "--input", "7", "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "finished");
    assert!(v["output"].as_str().unwrap().starts_with("7 22 11"));
    assert!(v["tokens"].as_u64().unwrap() > 1000);
    assert!(v["steps"].as_u64().unwrap() > 100);
    assert!(v["tokens_per_second"].as_f64().unwrap() > 0.0);
}

#[test]
fn compile_then_trace_round_trips_through_files() {
    let prog = scratch("hello.txt");
    let out = hullvm(&[
        "compile",
        "corpora/c/hello.wasm",
        "--input",
        "World",
        "-o",
        prog.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = hullvm(&["trace", prog.to_str().unwrap()]);
    assert!(out.status.success());
    let trace = String::from_utf8(out.stdout).unwrap();
    assert!(trace.starts_with("{\ninput_base"));
    assert!(trace.contains("\nW o r l d 00 commit(+0,sts=0,bt=0)\n"));
    assert!(trace.trim_end().ends_with("halt"));
    let out = hullvm(&["run", prog.to_str().unwrap()]);
    assert_eq!(out.stdout, b"Hello World!\n");
}

#[test]
fn bad_inputs_fail_with_one_line() {
    let missing = hullvm(&["run", "no/such/program.wasm"]);
    assert_one_line_error(&missing, "cannot read");

    let bad_wasm = scratch("bad.wasm");
    std::fs::write(&bad_wasm, b"\0asm\x01\0\0\0\x99garbage").unwrap();
    assert_one_line_error(
        &hullvm(&["run", bad_wasm.to_str().unwrap()]),
        "invalid wasm",
    );

    let not_wasm = scratch("text.wasm");
    std::fs::write(&not_wasm, b"hello").unwrap();
    assert_one_line_error(
        &hullvm(&["run", not_wasm.to_str().unwrap()]),
        "not a wasm binary",
    );

    let bad_tokens = scratch("bad.txt");
    std::fs::write(
        &bad_tokens,
        "{\ni32.const 01 00 00 00\ni32.frobnicate 00 00 00 00\n}\n",
    )
    .unwrap();
    assert_one_line_error(
        &hullvm(&["trace", bad_tokens.to_str().unwrap()]),
        "i32.frobnicate",
    );
    assert_one_line_error(
        &hullvm(&["run", bad_tokens.to_str().unwrap()]),
        "i32.frobnicate",
    );

    let unsupported = scratch("f64.wat");
    std::fs::write(
        &unsupported,
        "(module (func (export \"compute\") (drop (f64.add (f64.const 1) (f64.const 2)))))",
    )
    .unwrap();
    assert_one_line_error(
        &hullvm(&["run", unsupported.to_str().unwrap()]),
        "unsupported: f64",
    );
}

#[test]
fn compile_writes_nothing_when_it_fails() {
    let target = scratch("never.txt");
    let _ = std::fs::remove_file(&target);
    let out = hullvm(&["compile", "no/such.wasm", "-o", target.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(!target.exists(), "no half-written output");
}

#[test]
fn report_refuses_missing_and_foreign_results() {
    let missing = scratch("no-such-results.json");
    let out = hullvm(&["report", "--from", missing.to_str().unwrap()]);
    assert_one_line_error(&out, "cannot read");
    let foreign = scratch("foreign.json");
    std::fs::write(&foreign, "{\"corpus\": 3}").unwrap();
    let dir = scratch("report-out");
    let out = hullvm(&[
        "report",
        "--from",
        foreign.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_one_line_error(&out, "not a hullvm results file");
    assert!(!dir.join("index.html").exists(), "nothing half-written");
}

/// Ctrl-C ends a fuzz round cleanly: the summary is printed, the JSON is
/// written and says so, and the exit is non-zero.
#[test]
fn fuzz_stops_cleanly_on_ctrl_c() {
    let json = scratch("interrupted.json");
    let child = Command::new(env!("CARGO_BIN_EXE_hullvm"))
        .args(["fuzz", "--target", "hull", "--jobs", "1", "--time", "120"])
        .args(["--save", scratch("findings").to_str().unwrap()])
        .args(["--json", json.to_str().unwrap()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("hullvm runs");
    std::thread::sleep(std::time::Duration::from_secs(2));
    let started = std::time::Instant::now();
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed().as_secs() < 30, "the round did not stop");
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("hull "), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
    let summaries: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(summaries[0]["target"], "hull");
    assert_eq!(summaries[0]["interrupted"], true);
    assert!(summaries[0]["executions"].as_u64().unwrap() > 0);
}

/// A `__heap_base` near 2^32 must not wrap the input round to address 0:
/// every engine refuses the input with one line, and `compile` too.
#[test]
fn heap_base_near_the_top_of_memory_is_refused_not_wrapped() {
    let wat = scratch("heap-top.wat");
    std::fs::write(
        &wat,
        r#"(module
  (import "env" "output_byte" (func $out (param i32)))
  (memory (export "memory") 1)
  (global (export "__heap_base") i32 (i32.const -8))
  (func (export "compute") (param i32)
    (call $out (i32.load8_u (local.get 0)))))"#,
    )
    .unwrap();
    let wat = wat.to_str().unwrap();
    for engine in ["transformer", "reference", "wasmi"] {
        let out = hullvm(&["run", wat, "--input", "x", "--engine", engine]);
        assert_one_line_error(&out, "input bytes do not fit in memory above __heap_base");
    }
    let out = hullvm(&["compile", wat, "--input", "x"]);
    assert_one_line_error(&out, "do not fit");
}

/// The exit code of a finished process (not killed by a signal).
fn code(out: &Output) -> i32 {
    out.status
        .code()
        .expect("hullvm exited (not killed by a signal)")
}

/// A module that prints "A" and then traps.
fn trapping_module() -> PathBuf {
    let wat = scratch("trap-after-a.wat");
    std::fs::write(
        &wat,
        r#"(module
  (import "env" "output_byte" (func $out (param i32)))
  (func (export "compute") (call $out (i32.const 65)) unreachable))"#,
    )
    .unwrap();
    wat
}

/// A module that prints "A" and then never ends.
fn endless_module() -> PathBuf {
    let wat = scratch("endless-after-a.wat");
    std::fs::write(
        &wat,
        r#"(module
  (import "env" "output_byte" (func $out (param i32)))
  (func (export "compute") (local i32)
    (call $out (i32.const 65))
    (loop $l
      (local.set 0 (i32.add (local.get 0) (i32.const 1)))
      (br $l))))"#,
    )
    .unwrap();
    wat
}

/// `hullvm run` exits 0 only when the program finished: 3 for a trap, 4
/// at the token limit, on every engine, and the output is still printed.
#[test]
fn run_exit_status_says_how_the_program_ended() {
    let out = hullvm(&["run", "corpora/c/hello.wasm", "--input", "World"]);
    assert_eq!(code(&out), 0);
    let trap = trapping_module();
    for engine in ["transformer", "reference", "wasmi"] {
        let out = hullvm(&["run", trap.to_str().unwrap(), "--engine", engine]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(code(&out), 3, "{engine}: {err}");
        assert_eq!(out.stdout, b"A", "{engine}");
        assert!(err.contains("trap: unreachable"), "{engine}: {err}");
    }
    let endless = endless_module();
    for engine in ["transformer", "reference"] {
        let args = ["run", endless.to_str().unwrap(), "--engine", engine];
        let out = hullvm(&[&args[..], &["--max-tokens", "5000"]].concat());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(code(&out), 4, "{engine}: {err}");
        assert_eq!(out.stdout, b"A", "{engine}");
        assert!(err.contains("token limit reached"), "{engine}: {err}");
    }
    // --json is printed too, and says which status the run gives.
    let out = hullvm(&["run", trap.to_str().unwrap(), "--json"]);
    assert_eq!(code(&out), 3);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "trap: unreachable");
    assert_eq!(v["exit_status"], 3);
    assert_eq!(v["output"], "A");
}

/// `--engine wasmi` on a module that never ends stops at `--fuel` with
/// "out of fuel" and exit status 5, its output printed.
#[test]
fn run_wasmi_stops_at_its_fuel() {
    let endless = endless_module();
    let started = std::time::Instant::now();
    let out = hullvm(&[
        "run",
        endless.to_str().unwrap(),
        "--engine",
        "wasmi",
        "--fuel",
        "20000000",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code(&out), 5, "{err}");
    assert_eq!(out.stdout, b"A");
    assert!(err.contains("out of fuel"), "{err}");
    assert!(
        started.elapsed().as_secs() < 30,
        "the fuel did not stop wasmi"
    );
    let out = hullvm(&[
        "run",
        endless.to_str().unwrap(),
        "--engine",
        "wasmi",
        "--fuel",
        "1000",
        "--json",
    ]);
    assert_eq!(code(&out), 5);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "out of fuel");
    assert_eq!(v["exit_status"], 5);
    // The default is bounded, and stated.
    let help = String::from_utf8_lossy(&hullvm(&["run", "--help"]).stdout).into_owned();
    assert!(help.contains("--fuel <FUEL>"), "{help}");
    assert!(help.contains("[default: 10000000000]"), "{help}");
}

/// With several programs the worst status wins (1, 5, 4, 3, 0), and every
/// program's output is printed first.
#[test]
fn run_several_programs_exit_with_the_worst_status() {
    let trap = trapping_module();
    let endless = endless_module();
    let (trap, endless) = (trap.to_str().unwrap(), endless.to_str().unwrap());
    let hello = "corpora/c/hello.wasm";
    let several = |programs: &[&str], engine: &str| {
        let mut args = vec!["run", "--engine", engine, "--max-tokens", "200000"];
        args.extend(["--fuel", "5000000", "--input", "W"]);
        args.extend(programs);
        hullvm(&args)
    };
    let out = several(&[hello, trap], "reference");
    assert_eq!(code(&out), 3);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout, format!("== {hello}\nHello W!\n== {trap}\nA"));
    assert_eq!(code(&several(&[trap, endless, hello], "reference")), 4);
    assert_eq!(code(&several(&[endless, trap], "wasmi")), 5);
    let out = several(&[hello, "no/such.wasm", endless, trap], "reference");
    assert_eq!(code(&out), 1);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Hello W!"), "{stdout}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1 of 4 programs failed"), "{err}");
}

/// `hullvm run --help` documents every exit status.
#[test]
fn run_help_documents_the_exit_status() {
    let out = hullvm(&["run", "--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for line in [
        "Exit status:",
        "0  every program finished",
        "1  an error",
        "2  bad usage",
        "3  the program trapped",
        "4  the token limit",
        "5  wasmi ran out of fuel",
        "the worst status wins, in the order 1, 5, 4, 3, 0",
    ] {
        assert!(help.contains(line), "{line:?} missing from {help}");
    }
}

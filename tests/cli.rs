//! The command line: real runs, and one-line errors with a non-zero exit for
//! bad input.

mod common;

use common::{hullvm, scratch};
use std::path::PathBuf;
use std::process::{Command, Output};

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

    let unsupported = scratch("v128.wat");
    std::fs::write(
        &unsupported,
        "(module (func (export \"compute\") (drop (i32x4.splat (i32.const 1)))))",
    )
    .unwrap();
    assert_one_line_error(
        &hullvm(&["run", unsupported.to_str().unwrap()]),
        "unsupported: i32x4.splat",
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
    fuzz_stops_cleanly_on("INT");
}

/// SIGTERM (a CI timeout, `kill`) ends a fuzz round as Ctrl-C does.
#[test]
fn fuzz_stops_cleanly_on_sigterm() {
    fuzz_stops_cleanly_on("TERM");
}

fn fuzz_stops_cleanly_on(signal: &str) {
    let json = scratch(&format!("interrupted-{signal}.json"));
    let child = Command::new(env!("CARGO_BIN_EXE_hullvm"))
        .args(["fuzz", "--target", "hull", "--jobs", "1", "--time", "120"])
        .args([
            "--save",
            scratch(&format!("findings-{signal}")).to_str().unwrap(),
        ])
        .args(["--json", json.to_str().unwrap()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("hullvm runs");
    std::thread::sleep(std::time::Duration::from_secs(2));
    let started = std::time::Instant::now();
    let kill = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed().as_secs() < 30, "the round did not stop");
    // Exited with an error, not killed by the signal.
    assert_eq!(out.status.code(), Some(1), "{signal}: {:?}", out.status);
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

/// FNV-1a 64 of the input, printed as 16 hex digits: i64 locals, params,
/// results and arithmetic, and a `compute` that returns an i64 (dropped by
/// the C convention).
const FNV1A64_WAT: &str = r#"(module
  (import "env" "output_byte" (func $out (param i32)))
  (memory (export "memory") 1)
  (global (export "__heap_base") i32 (i32.const 1024))
  (func $hash (param $p i32) (result i64) (local $h i64) (local $c i32)
    (local.set $h (i64.const 0xcbf29ce484222325))
    (block $done
      (loop $next
        (local.set $c (i32.load8_u (local.get $p)))
        (br_if $done (i32.eqz (local.get $c)))
        (local.set $h (i64.mul (i64.xor (local.get $h) (i64.extend_i32_u (local.get $c)))
                               (i64.const 0x100000001b3)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (local.get $h))
  (func (export "compute") (param i32) (result i64) (local $h i64) (local $shift i64) (local $d i32)
    (local.set $h (call $hash (local.get 0)))
    (local.set $shift (i64.const 60))
    (loop $digit
      (local.set $d (i32.wrap_i64 (i64.and (i64.shr_u (local.get $h) (local.get $shift))
                                           (i64.const 15))))
      (call $out (i32.add (local.get $d)
                          (select (i32.const 48) (i32.const 87) (i32.lt_u (local.get $d) (i32.const 10)))))
      (local.set $shift (i64.sub (local.get $shift) (i64.const 4)))
      (br_if $digit (i64.ge_s (local.get $shift) (i64.const 0))))
    (call $out (i32.const 10))
    (local.get $h)))"#;

/// The host's FNV-1a 64, the expectation for [`FNV1A64_WAT`].
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `--engine wasmi` runs what wasmi runs, not only what hullvm compiles:
/// an i64 module prints the host's 64-bit hash.
#[test]
fn run_wasmi_runs_modules_hullvm_does_not_compile() {
    let wat = scratch("fnv1a64.wat");
    std::fs::write(&wat, FNV1A64_WAT).unwrap();
    let wat = wat.to_str().unwrap();
    for input in [
        "",
        "a",
        "hullvm",
        "The quick brown fox jumps over the lazy dog",
    ] {
        let out = hullvm(&["run", wat, "--engine", "wasmi", "--input", input]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(code(&out), 0, "{input:?}: {err}");
        let want = format!("{:016x}\n", fnv1a64(input.as_bytes()));
        assert_eq!(String::from_utf8_lossy(&out.stdout), want, "{input:?}");
        assert!(err.contains("wasmi: 0 tokens, 0 steps"), "{err}");
    }
    // The published FNV-1a 64 test vector, so the host function is checked too.
    assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
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
        "5  wasmi or wasmtime ran out of fuel",
        "the worst status wins, in the order 1, 5, 4, 3, 0",
    ] {
        assert!(help.contains(line), "{line:?} missing from {help}");
    }
}

/// The tensors of a safetensors file: (name, shape, values), all F64.
type Tensors = Vec<(String, Vec<usize>, Vec<f64>)>;

fn read_safetensors(path: &std::path::Path) -> Tensors {
    let raw = std::fs::read(path).unwrap();
    let n = u64::from_le_bytes(raw[..8].try_into().unwrap()) as usize;
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&raw[8..8 + n]).unwrap();
    let data = &raw[8 + n..];
    let mut tensors: Vec<(usize, String, Vec<usize>, Vec<f64>)> = header
        .into_iter()
        .filter(|(name, _)| name != "__metadata__")
        .map(|(name, t)| {
            assert_eq!(t["dtype"], "F64");
            let shape = t["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap() as usize)
                .collect();
            let at = |i: usize| t["data_offsets"][i].as_u64().unwrap() as usize;
            let values = data[at(0)..at(1)]
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
                .collect();
            (at(0), name, shape, values)
        })
        .collect();
    tensors.sort_by_key(|t| t.0);
    tensors.into_iter().map(|(_, n, s, v)| (n, s, v)).collect()
}

fn write_safetensors(path: &std::path::Path, tensors: &Tensors) {
    let mut header = serde_json::Map::new();
    let mut data = Vec::new();
    for (name, shape, values) in tensors {
        let start = data.len();
        data.extend(values.iter().flat_map(|x| x.to_le_bytes()));
        header.insert(
            name.clone(),
            serde_json::json!({"dtype": "F64", "shape": shape, "data_offsets": [start, data.len()]}),
        );
    }
    let mut head = serde_json::to_vec(&header).unwrap();
    while !head.len().is_multiple_of(8) {
        head.push(b' ');
    }
    let mut raw = (head.len() as u64).to_le_bytes().to_vec();
    raw.extend(head);
    raw.extend(data);
    std::fs::write(path, raw).unwrap();
}

/// A model saved by `hullvm model -o`, with its config or tensors broken,
/// is refused by `hullvm run --model` with one line naming what is wrong:
/// no panic in the decoder, no garbage run that exits 0.
#[test]
fn run_refuses_a_model_that_disagrees_with_its_config() {
    let dir = scratch("models");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let saved = dir.join("m");
    let out = hullvm(&["model", "-o", saved.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(saved.with_extension("json")).unwrap()).unwrap();
    let tensors = read_safetensors(&saved.with_extension("safetensors"));
    let run = |base: &std::path::Path| {
        let model = base.to_str().unwrap();
        let hello = "corpora/c/hello.wasm";
        // A wrong model that slips through must not decode for minutes.
        let cap = ["--max-tokens", "100000"];
        hullvm(&[&["run", "--model", model, hello, "--input", "W"][..], &cap].concat())
    };

    // The saved model, read back and rewritten by these helpers, runs.
    let copy = dir.join("copy");
    std::fs::write(copy.with_extension("json"), json.to_string()).unwrap();
    write_safetensors(&copy.with_extension("safetensors"), &tensors);
    let out = run(&copy);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stdout, b"Hello W!\n");

    type JsonEdit = Box<dyn Fn(&mut serde_json::Value)>;
    type TensorEdit = Box<dyn Fn(&mut Tensors)>;
    let none_j: fn() -> JsonEdit = || Box::new(|_| {});
    let none_t: fn() -> TensorEdit = || Box::new(|_| {});
    let tensor = |t: &mut Tensors, name: &str| t.iter().position(|x| x.0 == name).unwrap();
    // The built model's shape: the messages name it.
    let config = &json["config"];
    let size = |key: &str| config[key].as_u64().unwrap() as usize;
    let (layers, d, f, heads) = (
        size("layers"),
        size("d_model"),
        size("d_ffn"),
        size("heads"),
    );
    let vocab = config["vocab"].as_array().unwrap().len();
    let cases: Vec<(&str, JsonEdit, TensorEdit, String)> = vec![
        (
            "layers-6",
            Box::new(move |j| j["config"]["layers"] = (layers - 1).into()),
            none_t(),
            format!("says {} layers", layers - 1),
        ),
        (
            "layers-8",
            Box::new(move |j| j["config"]["layers"] = (layers + 1).into()),
            none_t(),
            format!("says {} layers", layers + 1),
        ),
        (
            "dropped-layer",
            none_j(),
            Box::new(move |t| t.retain(|x| !x.0.starts_with(&format!("layers.{}.", layers - 1)))),
            format!("says {layers} layers"),
        ),
        (
            "missing-tensor",
            none_j(),
            Box::new(|t| t.retain(|x| x.0 != "layers.4.ffn.out")),
            "missing tensor layers.4.ffn.out".into(),
        ),
        (
            "extra-tensor",
            none_j(),
            Box::new(|t| t.push(("layers.0.attn.bias".into(), vec![1, 1], vec![0.0]))),
            "unexpected tensor layers.0.attn.bias".into(),
        ),
        (
            "d_model",
            Box::new(move |j| j["config"]["d_model"] = (d + 1).into()),
            none_t(),
            format!(
                "tensor embedding is {vocab} x {d}, the config makes it {vocab} x {}",
                d + 1
            ),
        ),
        (
            "d_ffn",
            Box::new(move |j| j["config"]["d_ffn"] = (f - 1).into()),
            none_t(),
            format!(
                "tensor layers.0.ffn.gate is {f} x {d}, the config makes it {} x {d}",
                f - 1
            ),
        ),
        (
            "heads",
            Box::new(move |j| j["config"]["heads"] = (heads - 1).into()),
            none_t(),
            format!("layers.0: {heads} tie rules for {} heads", heads - 1),
        ),
        (
            "transposed",
            none_j(),
            Box::new(move |t| {
                let i = tensor(t, "layers.1.attn.output");
                t[i].1.reverse();
            }),
            format!(
                "tensor layers.1.attn.output is {} x {d}, the config makes it {d} x {}",
                2 * heads,
                2 * heads
            ),
        ),
        (
            "nan",
            none_j(),
            Box::new(move |t| {
                let i = tensor(t, "layers.3.ffn.gate");
                t[i].2[5] = f64::NAN;
            }),
            "tensor layers.3.ffn.gate: weight (0, 5) is NaN, not finite".into(),
        ),
        (
            "infinity",
            none_j(),
            Box::new(move |t| {
                let i = tensor(t, "unembedding");
                t[i].2[d * 2 + 1] = f64::INFINITY;
            }),
            "tensor unembedding: weight (2, 1) is inf, not finite".into(),
        ),
        (
            "vocab-renamed",
            Box::new(|j| j["config"]["vocab"][3] = "frobnicate".into()),
            none_t(),
            "vocabulary token 3 is \"frobnicate\"".into(),
        ),
        (
            "vocab-short",
            Box::new(|j| {
                j["config"]["vocab"].as_array_mut().unwrap().pop();
            }),
            none_t(),
            format!(
                "the vocabulary has {} tokens, hullvm's has {vocab}",
                vocab - 1
            ),
        ),
        (
            "stop-token",
            Box::new(move |j| j["config"]["stop_token"] = vocab.into()),
            none_t(),
            format!("stop_token {vocab} is outside the vocabulary"),
        ),
        (
            "position-slots",
            Box::new(move |j| j["config"]["position_slots"][1] = d.into()),
            none_t(),
            format!("position_slots[1] is {d}, outside d_model {d}"),
        ),
        (
            "ties",
            Box::new(|j| {
                j["ties"]["layers.2"].as_array_mut().unwrap().pop();
            }),
            none_t(),
            format!("layers.2: {} tie rules for {heads} heads", heads - 1),
        ),
        (
            "ties-missing",
            Box::new(|j| {
                j["ties"].as_object_mut().unwrap().remove("layers.5");
            }),
            none_t(),
            "no ties for layers.5".into(),
        ),
        (
            "head-info-tie",
            Box::new(|j| j["config"]["head_info"][0][0]["tie"] = "Average".into()),
            none_t(),
            "head_info's tie is Average, the layer's is Latest".into(),
        ),
        (
            "head-info-layers",
            Box::new(|j| {
                j["config"]["head_info"]
                    .as_array_mut()
                    .unwrap()
                    .push(vec![0; 0].into())
            }),
            none_t(),
            format!(
                "head_info describes {} layers, the config says {layers}",
                layers + 1
            ),
        ),
    ];
    for (name, edit_json, edit_tensors, needle) in cases {
        let base = dir.join(name);
        let mut j = json.clone();
        edit_json(&mut j);
        std::fs::write(base.with_extension("json"), j.to_string()).unwrap();
        let mut t = tensors.clone();
        edit_tensors(&mut t);
        write_safetensors(&base.with_extension("safetensors"), &t);
        let out = run(&base);
        assert_eq!(
            code(&out),
            1,
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_one_line_error(&out, &needle);
        assert_one_line_error(&out, "is not a model hullvm can run");
    }
}

/// Every output path creates its missing folders; a path that cannot be
/// written fails at once, before the work, in one line, writing nothing.
#[test]
fn outputs_create_their_folders_and_are_checked_before_the_work() {
    let root = scratch("outputs");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let at = |p: &str| root.join(p).to_str().unwrap().to_string();
    let ok = |args: &[&str]| {
        let out = hullvm(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let hello = ["corpora/c/hello.wasm", "--input", "World"];
    ok(&[&["compile"][..], &hello, &["-o", &at("a/b/hello.txt")]].concat());
    ok(&["run", &at("a/b/hello.txt"), "--trace", &at("c/d/trace.txt")]);
    ok(&["model", "-o", &at("e/f/m")]);
    ok(&[
        "spec",
        "--filter",
        "v1/forward/",
        "--json",
        &at("g/spec.json"),
    ]);
    ok(&[
        "bench",
        "--quick",
        "--filter",
        "hello",
        "--json",
        &at("h/bench.json"),
    ]);
    ok(&[
        "fuzz",
        "--target",
        "parse",
        "--execs",
        "20",
        "--jobs",
        "1",
        "--save",
        &at("i/findings"),
        "--json",
        &at("j/fuzz.json"),
    ]);
    ok(&[
        "check",
        "--corpus-filter",
        "hello",
        "--spec-filter",
        "no such trial",
        "--no-bench",
        "--fuzz-time",
        "0",
        "--out",
        &at("k/l"),
    ]);
    ok(&[
        "report",
        "--from",
        &at("k/l/results.json"),
        "--out",
        &at("m/n"),
    ]);
    for file in [
        "a/b/hello.txt",
        "c/d/trace.txt",
        "e/f/m.json",
        "e/f/m.safetensors",
        "g/spec.json",
        "h/bench.json",
        "j/fuzz.json",
        "k/l/results.json",
        "k/l/index.html",
        "m/n/index.html",
    ] {
        assert!(root.join(file).is_file(), "{file} was not written");
    }
    assert!(root.join("i/findings").is_dir());

    // Under a plain file nothing can be created: each command says so at
    // once (the full spec suite, check and a 60 s fuzz round would take
    // minutes before writing anything).
    std::fs::write(root.join("plain"), "").unwrap();
    let bad = |p: &str| at(&format!("plain/{p}"));
    for args in [
        vec!["spec", "--json", &bad("spec.json")],
        vec!["check", "--out", &bad("reports")],
        vec!["fuzz", "--time", "60", "--json", &bad("fuzz.json")],
        vec!["fuzz", "--time", "60", "--save", &bad("findings")],
        vec!["bench", "--json", &bad("bench.json")],
        vec!["compile", hello[0], "-o", &bad("hello.txt")],
        vec!["run", hello[0], "--trace", &bad("trace.txt")],
        vec!["model", "-o", &bad("m")],
        vec![
            "report",
            "--from",
            &at("k/l/results.json"),
            "--out",
            &bad("page"),
        ],
    ] {
        let started = std::time::Instant::now();
        let out = hullvm(&args);
        assert_one_line_error(&out, "cannot create");
        assert_eq!(code(&out), 1, "{args:?}");
        assert!(
            started.elapsed().as_secs() < 10,
            "{args:?} did the work first"
        );
    }
    // Nothing was left behind: no temporary files anywhere.
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                !name.contains(".tmp") && !name.contains("probe"),
                "left behind: {}",
                path.display()
            );
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
}

/// Whether some line of `text` starts with `prefix`.
fn has_line(text: &str, prefix: &str) -> bool {
    text.lines().any(|l| l.starts_with(prefix))
}

/// With stderr not a terminal (a CI log), progress is plain lines: one
/// per stage of `check` when it starts and ends (and every few seconds),
/// and no `\r` from `spec` or `fuzz`.
#[test]
fn progress_is_plain_lines_when_stderr_is_not_a_terminal() {
    let out = hullvm(&[
        "check",
        "--corpus-filter",
        "hello",
        "--spec-filter",
        "v1/br_if/",
        "--no-bench",
        "--fuzz-time",
        "2",
        "--out",
        scratch("progress-report").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains('\r'), "{err:?}");
    for prefix in [
        "corpus: 0/1 programs, ",
        "corpus: 1/1 programs, ",
        "spec v1: 0/",
        "numerics: 0/1 programs, ",
        "numerics: 1/1 programs, ",
        "fuzz: started",
        "fuzz: done, ",
    ] {
        assert!(has_line(&err, prefix), "no {prefix:?} line in {err}");
    }
    let trials = err
        .lines()
        .find_map(|l| l.strip_prefix("spec v1: 0/"))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap();
    assert!(
        err.contains(&format!("spec v1: {trials}/{trials} trials")),
        "{err}"
    );

    let out = hullvm(&["spec", "--filter", "v1/br_if/"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains('\r'), "{err:?}");
    assert!(
        err.contains(&format!("spec v1: 0/{trials} trials")),
        "{err}"
    );
    assert!(
        err.contains(&format!("spec v1: {trials}/{trials} trials")),
        "{err}"
    );

    let findings = scratch("progress-findings");
    let out = hullvm(
        &["fuzz", "--target", "hull", "--jobs", "1", "--time", "2"]
            .into_iter()
            .chain(["--save", findings.to_str().unwrap()])
            .collect::<Vec<_>>(),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains('\r'), "{err:?}");
    assert!(
        err.lines()
            .any(|l| l.starts_with("hull: ") && l.contains(" execs, ")),
        "{err}"
    );
}

/// `run --invoke EXPORT --arg V ...` calls any export with typed arguments
/// and prints its results by type; every engine agrees, and --verify checks
/// the transformer's run.
#[test]
fn run_invoke_calls_an_export_with_typed_arguments() {
    let wat = scratch("invoke.wat");
    std::fs::write(
        &wat,
        r#"(module (func (export "mix") (param i64 i32) (result i64 i32)
             (i64.mul (local.get 0) (i64.extend_i32_s (local.get 1)))
             (i32.sub (i32.const 0) (local.get 1))))"#,
    )
    .unwrap();
    let wat = wat.to_str().unwrap();
    let call = [
        "run",
        wat,
        "--invoke",
        "mix",
        "--arg",
        "0x100000001",
        "--arg",
        "-3",
    ];
    let mut engines = vec!["transformer", "reference", "wasmi"];
    if cfg!(feature = "wasmtime") {
        engines.push("wasmtime");
    }
    for engine in engines {
        let out = hullvm(&[&call[..], &["--engine", engine, "--verify"]].concat());
        assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
        let want = format!("i64 {}\ni32 3\n", 0x1_0000_0001i64 * -3);
        assert_eq!(String::from_utf8_lossy(&out.stdout), want, "{engine}");
    }
    let wrong = hullvm(&["run", wat, "--invoke", "mix", "--arg", "1"]);
    assert_eq!(code(&wrong), 1);
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("takes 2 arguments, got 1"));
    let range = hullvm(&[
        "run",
        wat,
        "--invoke",
        "mix",
        "--arg",
        "1",
        "--arg",
        "4294967296",
    ]);
    assert_eq!(code(&range), 1);
    assert!(String::from_utf8_lossy(&range.stderr).contains("out of range for i32"));
}

/// Without the `wasmtime` feature, `--engine wasmtime` says how to get it.
#[cfg(not(feature = "wasmtime"))]
#[test]
fn engine_wasmtime_needs_the_feature() {
    let wat = scratch("wasmtime.wat");
    std::fs::write(&wat, r#"(module (func (export "f")))"#).unwrap();
    let out = hullvm(&[
        "run",
        wat.to_str().unwrap(),
        "--invoke",
        "f",
        "--engine",
        "wasmtime",
    ]);
    assert_eq!(code(&out), 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("built without wasmtime") && err.contains("--features wasmtime"),
        "{err}"
    );
}

/// A module that keeps its memory to itself (no memory export): the
/// instrumented and plain oracles export it themselves, so `--verify`
/// checks both the C convention (input written into that memory) and an
/// `--invoke` call of an export other than `compute`.
const HIDDEN_MEMORY: &str = r#"(module
  (import "env" "output_byte" (func $out (param i32)))
  (memory 8)
  (data (i32.const 64) "\05")
  (global (export "__heap_base") i32 (i32.const 1024))
  ;; Prints each input byte plus one, then the input's length in 3 bytes.
  (func (export "compute") (param $p i32) (result i32)
    (local $n i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
      (if (i32.lt_u (local.get $n) (i32.const 16))
        (then (call $out (i32.add (i32.const 1)
          (i32.load8_u (i32.add (local.get $p) (local.get $n)))))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $l)))
    (call $out (local.get $n))
    (call $out (i32.shr_u (local.get $n) (i32.const 8)))
    (call $out (i32.shr_u (local.get $n) (i32.const 16)))
    (i32.const 0))
  (func (export "scale") (param $x i32) (result i32)
    (i32.store (i32.const 32) (local.get $x))
    (i32.mul (i32.load (i32.const 32)) (i32.load8_u (i32.const 64)))))"#;

#[test]
fn run_verify_and_invoke_work_without_a_memory_export() {
    let wat = scratch("hidden-memory.wat");
    std::fs::write(&wat, HIDDEN_MEMORY).unwrap();
    let wat = wat.to_str().unwrap();
    for engine in ["transformer", "wasmi"] {
        let out = hullvm(&[
            "run", wat, "--invoke", "scale", "--arg", "7", "--engine", engine, "--verify",
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(code(&out), 0, "{engine}: {err}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "i32 35\n", "{engine}");
        let out = hullvm(&["run", wat, "--input", "HAL", "--engine", engine, "--verify"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(code(&out), 0, "{engine}: {err}");
        assert_eq!(out.stdout, b"IBM\x03\x00\x00", "{engine}");
        if engine == "transformer" {
            assert!(
                err.contains("source steps agree with wasmi's instrumented run"),
                "{err}"
            );
            assert!(
                err.contains("wasmi's run of the original module ends the same"),
                "{err}"
            );
        }
    }
}

/// `--input-file` reads the input from a file: here 300,000 bytes, more
/// than one command-line argument may carry (128 KiB on Linux), on wasmi;
/// and a smaller file checked on the transformer with --verify.
#[test]
fn run_input_file_carries_inputs_larger_than_a_command_line() {
    let wat = scratch("input-file.wat");
    std::fs::write(&wat, HIDDEN_MEMORY).unwrap();
    let wat = wat.to_str().unwrap();
    let big = scratch("big-input.txt");
    std::fs::write(&big, "a".repeat(300_000)).unwrap();
    let out = hullvm(&[
        "run",
        wat,
        "--input-file",
        big.to_str().unwrap(),
        "--engine",
        "wasmi",
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let n = 300_000u32.to_le_bytes();
    assert_eq!(out.stdout, [&[b'b'; 16][..], &n[..3]].concat());

    let small = scratch("small-input.txt");
    std::fs::write(&small, "x".repeat(500)).unwrap();
    let out = hullvm(&[
        "run",
        wat,
        "--input-file",
        small.to_str().unwrap(),
        "--verify",
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        out.stdout,
        [&[b'y'; 16][..], &500u32.to_le_bytes()[..3]].concat()
    );

    let both = hullvm(&[
        "run",
        wat,
        "--input",
        "a",
        "--input-file",
        small.to_str().unwrap(),
    ]);
    assert_eq!(code(&both), 2, "a usage error");
    let missing = hullvm(&["run", wat, "--input-file", "no/such/input"]);
    assert_one_line_error(&missing, "cannot read no/such/input");
}

/// A `results.json` written by `--out DIR`, read back.
fn results_in(dir: &std::path::Path) -> hullvm::harness::results::Results {
    hullvm::report::read(&dir.join("results.json")).expect("results.json")
}

/// The trial names of a run, in its order.
fn trial_names(r: &hullvm::harness::results::Results) -> Vec<String> {
    r.spec.results.iter().map(|t| t.name.clone()).collect()
}

const ONE_FALSE: &str = "tests/data/wast/one-false.wast";

/// One false assertion: that one failure, with the directive it came from,
/// a non-zero exit, and JUnit XML that parses back with each verdict where
/// a dashboard looks for it.
#[test]
fn wast_reports_the_one_false_assertion() {
    let junit = scratch("one-false.xml");
    let out = hullvm(&["wast", ONE_FALSE, "--junit", junit.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stdout}");
    assert!(stderr.contains("error: 1 trials failed"), "{stderr}");
    let failures: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("v2/one-false/"))
        .collect();
    assert_eq!(failures.len(), 1, "{stdout}");
    assert!(
        failures[0].starts_with("v2/one-false/assert_return/L9: oracle-mismatch: wasmi: "),
        "{stdout}"
    );
    assert!(
        stdout.contains("one-false:9: (assert_return (invoke \"add\" (i32.const 2) (i32.const 2)) (i32.const 5))"),
        "the failure shows its directive: {stdout}"
    );
    assert!(
        stdout.contains("4 assertions hold: 3 decoded and exact, 1 refused"),
        "{stdout}"
    );

    let xml = std::fs::read_to_string(&junit).unwrap();
    let report = quick_junit::Report::deserialize_from_str(&xml).expect("valid JUnit XML");
    assert_eq!(
        (report.tests, report.failures, report.skipped, report.errors),
        (6, 1, 1, 0)
    );
    let cases = &report.test_suites[0].test_cases;
    let failed: Vec<&str> = cases
        .iter()
        .filter(|c| matches!(c.status, quick_junit::TestCaseStatus::NonSuccess { .. }))
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(failed, ["v2/one-false/assert_return/L9"]);
    let refused = cases
        .iter()
        .find(|c| c.name.as_str() == "v2/one-false/assert_invalid/L11")
        .unwrap();
    assert!(refused
        .properties
        .iter()
        .any(|p| p.name.as_str() == "verdict" && p.value.as_str() == "refused"));
}

/// Shards 1/2 and 2/2, merged by `report --from`, are the unsharded run:
/// the same trials in the same order, the same totals.
#[test]
fn wast_shards_merge_into_the_unsharded_run() {
    let run = |dir: &PathBuf, shard: Option<&str>| {
        let mut args = vec!["wast", ONE_FALSE, "--out", dir.to_str().unwrap()];
        if let Some(shard) = shard {
            args.extend(["--shard", shard]);
        }
        let out = hullvm(&args);
        // The false assertion fails in whichever run has it.
        assert!(dir.join("results.json").is_file(), "{out:?}");
    };
    let (whole, first, second, merged) = (
        scratch("shard-whole"),
        scratch("shard-1"),
        scratch("shard-2"),
        scratch("shard-merged"),
    );
    run(&whole, None);
    run(&first, Some("1/2"));
    run(&second, Some("2/2"));
    let (a, b) = (results_in(&first), results_in(&second));
    assert_eq!(trial_names(&a).len(), 3);
    assert_eq!(trial_names(&b).len(), 3);

    let out = hullvm(&[
        "report",
        "--from",
        second.join("results.json").to_str().unwrap(),
        first.join("results.json").to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(merged.join("index.html").is_file());
    let (merged, whole) = (results_in(&merged), results_in(&whole));
    assert_eq!(trial_names(&merged), trial_names(&whole));
    assert_eq!(merged.spec.totals, whole.spec.totals);
    assert_eq!(merged.summary.exact, whole.summary.exact);
    assert_eq!(merged.summary.oracle_mismatch, 1);

    // One shard alone is not the run.
    let out = hullvm(&[
        "report",
        "--from",
        first.join("results.json").to_str().unwrap(),
        first.join("results.json").to_str().unwrap(),
        "--out",
        scratch("shard-bad").to_str().unwrap(),
    ]);
    assert_one_line_error(&out, "both shard 1/2");
}

/// `wast` over a bundled file written out gives `spec`'s verdicts for it.
#[test]
fn wast_on_a_bundled_file_gives_specs_verdicts() {
    let dir = scratch("bundled");
    std::fs::create_dir_all(&dir).unwrap();
    let file = hullvm::harness::spec::bundled(1)
        .into_iter()
        .find(|f| f.name == "br_if")
        .unwrap();
    std::fs::write(dir.join("br_if.wast"), file.text.as_bytes()).unwrap();
    let (via_wast, via_spec) = (scratch("bundled-wast"), scratch("bundled-spec"));
    let wast = hullvm(&[
        "wast",
        "--version",
        "1",
        dir.to_str().unwrap(),
        "--out",
        via_wast.to_str().unwrap(),
    ]);
    assert!(
        wast.status.success(),
        "{}",
        String::from_utf8_lossy(&wast.stdout)
    );
    let spec = hullvm(&[
        "spec",
        "--filter",
        "v1/br_if/",
        "--out",
        via_spec.to_str().unwrap(),
    ]);
    assert!(
        spec.status.success(),
        "{}",
        String::from_utf8_lossy(&spec.stdout)
    );
    let (w, s) = (results_in(&via_wast), results_in(&via_spec));
    assert!(w.spec.total("pass") > 20, "{:?}", w.spec.totals);
    assert_eq!(w.spec.totals, s.spec.totals);
    let verdicts = |r: &hullvm::harness::results::Results| {
        r.spec
            .results
            .iter()
            .map(|t| (t.name.clone(), t.verdict.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(verdicts(&w), verdicts(&s));
}

#[test]
fn wast_bad_input_is_a_one_line_error() {
    let out = hullvm(&["wast", "tests/data/wast/no-such.wast"]);
    assert_one_line_error(&out, "cannot read tests/data/wast/no-such.wast");
    let broken = scratch("broken.wast");
    std::fs::write(&broken, "(module (func)\n(assert_return (invoke \"f\"").unwrap();
    let out = hullvm(&["wast", broken.to_str().unwrap()]);
    assert_one_line_error(&out, "broken.wast is not a wast script");
    let out = hullvm(&["wast", ONE_FALSE, "--shard", "3/2"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("K/N"));
    let out = hullvm(&["report", "--from", "a.json", "b.json"]);
    assert_one_line_error(&out, "needs --out");
}

#[test]
fn a_reader_that_goes_away_ends_the_output_without_a_panic() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_hullvm"))
        .arg("model")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end before the model is built and printed, as
    // `| head -0` would: the first write finds no reader.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        !out.status.success(),
        "ended by SIGPIPE, not as if all was printed"
    );
}

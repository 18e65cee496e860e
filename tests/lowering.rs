//! Every lowered i32 op, on random and edge operands, variable and constant:
//! the compiled program run by the reference tracer gives wasmi's result
//! (or wasmi's trap).

use hullvm::compile::{self, Entry, Invocation};
use hullvm::ending::{Ending, EngineRun};
use hullvm::oracle::reference;
use hullvm::oracle::wasmi::{self, Budget};
use hullvm::pipeline;
use proptest::prelude::*;

const BINARY: [&str; 15] = [
    "mul", "div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor", "shl", "shr_s", "shr_u", "rotl",
    "rotr", "add", "sub",
];
const UNARY: [&str; 5] = ["clz", "ctz", "popcnt", "extend8_s", "extend16_s"];

fn edge() -> impl Strategy<Value = u32> {
    prop_oneof![
        3 => any::<u32>(),
        1 => prop::sample::select(vec![
            0u32, 1, 2, 3, 7, 8, 31, 32, 33, 63, 0xff, 0x100, 0xffff, 0x7fff_ffff,
            0x8000_0000, 0xffff_ffff, 0xffff_fffe, 0x8000_0001,
        ]),
    ]
}

fn entry(args: &[u32]) -> Entry {
    Entry::Invoke(vec![Invocation {
        export: "f".into(),
        args: args.to_vec(),
    }])
}

/// `wat`'s export "f" with `args` on the reference tracer.
fn hullvm_run(wat: &str, args: &[u32]) -> Result<EngineRun, String> {
    let compiled = compile::compile(wat.as_bytes(), &entry(args)).map_err(|e| e.to_string())?;
    Ok(pipeline::trace(&compiled.program, 10_000_000, Some(&compiled)).run)
}

/// The single result of a finished run, or how it ended otherwise.
fn hullvm_result(wat: &str, args: &[u32]) -> Result<u32, String> {
    let run = hullvm_run(wat, args)?;
    match run.ending {
        Ending::Finished { results } => Ok(results[0]),
        other => Err(other.to_string()),
    }
}

fn wasmi_run(wat: &str, args: &[u32]) -> Result<EngineRun, String> {
    Ok(wasmi::run(wat.as_bytes(), &entry(args), Budget::fuel(1 << 30)).unwrap())
}

fn check(wat: &str, args: &[u32]) -> Result<(), TestCaseError> {
    let ours = hullvm_run(wat, args);
    let theirs = wasmi_run(wat, args);
    prop_assert_eq!(ours, theirs, "{} with {:x?}", wat, args);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn binary_ops_with_variable_operands(a in edge(), b in edge()) {
        for op in BINARY {
            let wat = format!(
                "(module (func (export \"f\") (param i32 i32) (result i32) \
                 local.get 0 local.get 1 i32.{op}))"
            );
            check(&wat, &[a, b])?;
        }
    }

    #[test]
    fn binary_ops_with_constant_operands(a in edge(), b in edge()) {
        for op in BINARY {
            let wat = format!(
                "(module (func (export \"f\") (param i32) (result i32) \
                 local.get 0 i32.const {} i32.{op}))",
                b as i32
            );
            check(&wat, &[a])?;
        }
    }

    #[test]
    fn unary_ops(a in edge()) {
        for op in UNARY {
            let wat = format!(
                "(module (func (export \"f\") (param i32) (result i32) local.get 0 i32.{op}))"
            );
            check(&wat, &[a])?;
        }
    }
}

/// What an i32 operator computes, natively.
fn native(op: &str, a: u32, b: u32) -> u32 {
    match op {
        "mul" => a.wrapping_mul(b),
        "and" => a & b,
        "or" => a | b,
        "xor" => a ^ b,
        "shl" => a.wrapping_shl(b),
        "shr_u" => a.wrapping_shr(b),
        "shr_s" => (a as i32).wrapping_shr(b) as u32,
        "rotl" => a.rotate_left(b),
        "rotr" => a.rotate_right(b),
        _ => unreachable!("{op}"),
    }
}

/// Every constant the compiler writes out inline (`function/constant.rs`):
/// all shift counts, every mask that is one run of ones, and multipliers
/// with short and long addition chains, each of either sign.
fn inline_constants() -> Vec<(&'static str, u32)> {
    let mut cases = vec![];
    for op in ["shl", "shr_u", "shr_s", "rotl", "rotr"] {
        cases.extend((0..40).map(|k| (op, k)));
    }
    let runs = (0..32u32)
        .flat_map(|low| (low + 1..=32).map(move |high| (u32::MAX >> (32 - (high - low))) << low));
    for mask in runs.chain([0]) {
        cases.extend(["and", "or", "xor"].map(|op| (op, mask)));
    }
    let multipliers = [
        0u32,
        1,
        2,
        3,
        5,
        7,
        10,
        12,
        255,
        256,
        1000,
        0x10001,
        0x7fff_ffff,
    ];
    for m in multipliers.into_iter().chain((0..32).map(|k| 1 << k)) {
        cases.extend([("mul", m), ("mul", m.wrapping_neg())]);
        cases.push(("mul", m.wrapping_mul(0x9e37_79b9)));
    }
    cases
}

/// Operands for each constant: edges and a fixed pseudo-random spread.
fn operands() -> Vec<u32> {
    let mut xs = vec![
        0,
        1,
        2,
        0x7f,
        0x80,
        0xff,
        0x100,
        0x7fff_ffff,
        0x8000_0000,
        u32::MAX,
    ];
    let mut s = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..22 {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        xs.push(s as u32 >> (s >> 59));
    }
    xs
}

/// A module whose "run" applies `x <op> c` to each operand in its data and
/// stores the results after them.
fn constant_batch(op: &str, c: u32, xs: &[u32]) -> String {
    let data: String = xs
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .map(|b| format!("\\{b:02x}"))
        .collect();
    let n = 4 * xs.len();
    format!(
        r#"(module (memory 1) (data (i32.const 0) "{data}")
  (func (export "run") (local $p i32)
    (loop $next
      (i32.store offset={n} (local.get $p)
        (i32.{op} (i32.load (local.get $p)) (i32.const {c})))
      (br_if $next (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 4)))
        (i32.const {n})))))
  (func (export "f") (param i32) (result i32)
    local.get 0 i32.const {c} i32.{op}))"#,
        c = c as i32
    )
}

#[test]
fn constant_operands_are_inline_and_match_the_host() {
    let xs = operands();
    let run = Entry::Invoke(vec![Invocation {
        export: "run".into(),
        args: vec![],
    }]);
    for (op, c) in inline_constants() {
        let wat = constant_batch(op, c, &xs);
        let compiled = compile::compile(wat.as_bytes(), &run).unwrap();
        assert!(
            compiled
                .functions
                .iter()
                .all(|f| !f.name.starts_with("hullvm.")),
            "i32.{op} by {c:#x} calls a runtime helper"
        );
        let (ran, mut memory) = reference::run_with_memory(&compiled.program, 1 << 24);
        assert!(matches!(ran.outcome, reference::Outcome::Halted { .. }));
        let n = 4 * xs.len();
        // Memory comes back without its trailing zeros.
        memory.resize(memory.len().max(2 * n), 0);
        for (k, &x) in xs.iter().enumerate() {
            let at = n + 4 * k;
            let got = u32::from_le_bytes(memory[at..at + 4].try_into().unwrap());
            let want = native(op, x, c);
            assert_eq!(got, want, "i32.{op} of {x:#x} by {c:#x}: got {got:#x}");
        }
    }
}

#[test]
fn a_constant_operator_is_checked_against_wasmi_too() {
    for (op, c) in [
        ("shr_s", 5),
        ("and", 0x3ff0),
        ("mul", 10),
        ("rotr", 9),
        ("xor", 48),
    ] {
        let wat = constant_batch(op, c, &[]);
        for x in [0, 0xdead_beef, 0x8000_0001] {
            check(&wat, &[x]).unwrap();
        }
    }
}

#[test]
fn traps_are_exits_not_wrong_numbers() {
    let div = "(module (func (export \"f\") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s))";
    assert_eq!(
        hullvm_result(div, &[5, 0]),
        Err("trap: integer divide by zero".into())
    );
    assert_eq!(
        hullvm_result(div, &[0x8000_0000, u32::MAX]),
        Err("trap: integer overflow".into())
    );
    let rem = "(module (func (export \"f\") (param i32 i32) (result i32) local.get 0 local.get 1 i32.rem_s))";
    assert_eq!(hullvm_result(rem, &[0x8000_0000, u32::MAX]), Ok(0));
    assert_eq!(
        hullvm_result(rem, &[7, 0]),
        Err("trap: integer divide by zero".into())
    );
}

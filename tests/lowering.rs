//! Every lowered i32 op, on random and edge operands, variable and constant:
//! the compiled program run by the reference tracer gives wasmi's result
//! (or wasmi's trap).

use hullvm::compile::{self, Entry, Invocation};
use hullvm::ending::{Ending, EngineRun};
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

#[test]
fn masks_take_the_memory_shortcut_and_stay_exact() {
    for mask in [0xffu32, 0xffff] {
        let wat = format!(
            "(module (func (export \"f\") (param i32) (result i32) local.get 0 i32.const {mask} i32.and))"
        );
        let compiled = compile::compile(
            wat.as_bytes(),
            &Entry::Invoke(vec![Invocation {
                export: "f".into(),
                args: vec![0xdead_beef],
            }]),
        )
        .unwrap();
        assert!(
            !compiled.functions.iter().any(|f| f.name.contains("and")),
            "no runtime call for a constant mask"
        );
        assert_eq!(hullvm_result(&wat, &[0xdead_beef]), Ok(0xdead_beef & mask));
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

//! A planted compiler bug is caught by the source-level diff against wasmi
//! at the exact wasm instruction, while the transformer still agrees with
//! the reference tracer token for token (both run the wrongly compiled
//! program). The bug is a compile option, so it touches nothing else.

use hullvm::compile::{Entry, Invocation, Options};
use hullvm::decode::Decoder;
use hullvm::ending::Ending;
use hullvm::pipeline::{self, Config, Disagreement, Subject};

/// `i % 7` summed for i = 0..10; the import moves the function to index 1.
const MODULE: &str = r#"
(module
  (import "env" "output_byte" (func $out (param i32)))
  (func (export "run") (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (i32.const 10)))
        (local.set $acc (i32.add (local.get $acc) (i32.rem_u (local.get $i) (i32.const 7))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $acc)))
"#;

/// Index of the first `i32.rem_u` in the body of defined function 0.
fn rem_u_index() -> u32 {
    let wasm = wat::parse_str(MODULE).unwrap();
    for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
        if let wasmparser::Payload::CodeSectionEntry(body) = payload.unwrap() {
            let mut ops = body.get_operators_reader().unwrap();
            let mut i = 0;
            while !ops.eof() {
                if matches!(ops.read().unwrap(), wasmparser::Operator::I32RemU) {
                    return i;
                }
                i += 1;
            }
        }
    }
    panic!("no i32.rem_u")
}

#[test]
fn a_wrong_rem_u_lowering_is_named_at_the_wasm_instruction() {
    let decoder = Decoder::new(hullvm::build_model());
    let entry = Entry::Invoke(vec![Invocation {
        export: "run".into(),
        args: vec![],
    }]);
    let planted = Options {
        plant_rem_u_bug: true,
        ..Options::default()
    };
    let check = |options: &Options| {
        let subject = Subject::Wasm {
            wasm: MODULE.as_bytes(),
            entry: &entry,
            options: *options,
        };
        pipeline::check(&decoder, subject, &Config::default())
    };

    let good = check(&Options::default()).unwrap();
    assert!(good.disagreement().is_none(), "{:?}", good.disagreement());
    assert!(good.source_steps() > 50);
    let results = vec![(0..10).map(|i| i % 7).sum::<u32>()];
    assert_eq!(good.transformer.run.ending, Ending::Finished { results });

    let bad = check(&planted);
    // The fuzzer's arbiter (wasmi 0.31) only overrules wasmi 2 by agreeing
    // with hullvm; here it agrees with wasmi 2, so this stays a finding.
    let fuzzed =
        hullvm::fuzz::targets::module_with(&decoder, MODULE.as_bytes(), &entry, true, &planted);
    let finding = fuzzed.expect_err("a hullvm bug is a finding, not overruled");
    assert_eq!(finding.kind, "source divergence", "{finding}");
    let bad = bad.unwrap();
    // The transformer executes the (wrong) program exactly ...
    assert!(bad.divergence.is_none(), "{}", bad.divergence.unwrap());
    // ... wasmi's plain run disagrees at the end, and the arbiter does not
    // overrule it ...
    assert!(bad.wasmi_disagreement().is_some());
    assert!(!bad.overruled());
    // ... and the source diff names the wasm instruction where it goes wrong.
    let Some(Disagreement::SourceSteps(d)) = bad.disagreement() else {
        panic!("the planted bug is caught: {:?}", bad.disagreement())
    };
    eprintln!("{d}");
    let expected = d.expected.as_ref().unwrap();
    let got = d.got.as_ref().unwrap();
    assert_eq!(expected.step.func, 1);
    assert_eq!(expected.step.instr, rem_u_index());
    assert_eq!(expected.wat, "i32.rem_u");
    assert_eq!((got.step.func, got.step.instr), (1, rem_u_index()));
    // The first remainder above 4: 5 % 7 = 5, lowered as 6.
    assert_eq!(expected.step.value, Some(5));
    assert_eq!(got.step.value, Some(6));
    assert_eq!(
        bad.compiled.as_ref().unwrap().program.instrs[d.at.pc as usize].op,
        hullvm::isa::Op::LocalTee,
        "the flat pc is the first instruction of rem_u's inline lowering"
    );
    assert!(d.context.len() == hullvm::verify::lift::CONTEXT_STEPS);
    let text = d.to_string();
    assert!(text.contains("`i32.rem_u`"), "{text}");
    assert!(
        d.flat_instruction.contains("local.tee") && d.flat_instruction.contains("(lowered)"),
        "{}",
        d.flat_instruction
    );
    assert!(text.contains(&format!("instr {}", rem_u_index())), "{text}");
}

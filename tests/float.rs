//! f32 and f64 in compiled programs: floats as bits in locals, globals,
//! params, results, memory and `select`, every computing operator a call of
//! the soft-float runtime, decoded on the transformer and checked against
//! wasmi at every source step. The runtime itself is checked operator by
//! operator against the host's floats in `tests/softfloat.rs`.

use hullvm::compile::{self, words_of_u64, Entry, Invocation, Num, Trap};
use hullvm::decode::Decoder;
use hullvm::ending::Ending;
use hullvm::pipeline::{self, Checked, Config, Subject};

fn check(module: &str, export: &str, args: Vec<u32>) -> Checked {
    let entry = Entry::Invoke(vec![Invocation {
        export: export.into(),
        args,
    }]);
    let decoder = Decoder::new(hullvm::build_model());
    let subject = Subject::Wasm {
        wasm: module.as_bytes(),
        entry: &entry,
        options: compile::Options::default(),
    };
    pipeline::check(&decoder, subject, &Config::default()).unwrap()
}

fn finished(checked: &Checked) -> Vec<u32> {
    if let Some(d) = checked.disagreement() {
        panic!("{d}");
    }
    match &checked.transformer.run.ending {
        Ending::Finished { results } => results.clone(),
        other => panic!("the transformer's run: {other}"),
    }
}

/// Floats through every place a value can live, with conversions both
/// ways, on the transformer; the results are the host's own floats.
#[test]
fn float_programs_are_exact_on_the_transformer() {
    let module = r#"(module
      (global $scale (mut f64) (f64.const 0.1))
      (global $third f32 (f32.const 0.33333334))
      (memory 1)
      (func $axpy (param $a f32) (param $x f32) (param $y f32) (result f32)
        (f32.add (f32.mul (local.get $a) (local.get $x)) (local.get $y)))
      (func (export "main") (param $x f32) (param $n i32) (result f32 f64 i32 i64)
        (local $sum f64)
        (f32.store (i32.const 8) (call $axpy (local.get $x) (global.get $third) (f32.const -1.5)))
        (global.set $scale (f64.mul (global.get $scale) (f64.convert_i32_s (local.get $n))))
        (f64.store (i32.const 16) (global.get $scale))
        (local.set $sum (f64.add (f64.promote_f32 (f32.load (i32.const 8))) (f64.load (i32.const 16))))
        (select (f32.load (i32.const 8)) (f32.neg (local.get $x)) (f32.lt (local.get $x) (f32.const 0)))
        (local.get $sum)
        (i32.trunc_f32_s (f32.sqrt (f32.abs (local.get $x))))
        (i64.reinterpret_f64 (f64.copysign (local.get $sum) (f64.const -0)))))"#;
    let (x, n) = (-7.25f32, 3i32);
    let checked = check(module, "main", vec![x.to_bits(), n as u32]);
    let results = finished(&checked);
    assert!(
        checked.source_steps() > 20,
        "the source steps were compared"
    );

    let axpy = x * 0.333_333_34f32 + -1.5;
    let scale = 0.1f64 * n as f64;
    let sum = axpy as f64 + scale;
    let chosen = if x < 0.0 { axpy } else { -x };
    let mut want = vec![chosen.to_bits()];
    want.extend(words_of_u64(sum.to_bits()));
    want.push(x.abs().sqrt() as i32 as u32);
    want.extend(words_of_u64((-sum.abs()).to_bits()));
    assert_eq!(results, want);
}

/// wasm lets engines differ in a NaN's sign and payload: 0/0 is the
/// positive canonical NaN in hullvm's runtime and may be the negative one
/// on the host under wasmi. Such results and steps agree as NaNs; any
/// other difference in bits would not.
#[test]
fn nans_agree_as_nans_and_trunc_of_nan_traps() {
    let module = r#"(module
      (func (export "nan") (param f64) (result f64)
        (f64.div (local.get 0) (local.get 0)))
      (func (export "trunc") (param f32) (result i32)
        (i32.trunc_f32_u (local.get 0))))"#;
    let checked = check(module, "nan", words_of_u64(0).to_vec());
    let results = finished(&checked);
    let bits = compile::u64_of_words(results[0], results[1]);
    assert_eq!(bits, 0x7ff8_0000_0000_0000, "the runtime's canonical NaN");
    assert!(Num::F64.is_nan(bits));

    let checked = check(module, "trunc", vec![f32::NAN.to_bits()]);
    assert!(checked.disagreement().is_none());
    assert_eq!(
        checked.transformer.run.ending,
        Ending::Trap {
            trap: Trap::InvalidConversionToInteger
        }
    );
    let checked = check(module, "trunc", vec![(-1.0f32).to_bits()]);
    assert!(checked.disagreement().is_none());
    assert_eq!(
        checked.transformer.run.ending,
        Ending::Trap {
            trap: Trap::IntegerOverflow
        }
    );
}

#[test]
fn nan_comparison_is_by_class_only() {
    assert_eq!(Num::F32.comparable(0xffc0_0000), 0x7fc0_0000);
    assert_eq!(Num::F32.comparable(0x7f80_0001), 0x7fc0_0000);
    assert_eq!(
        Num::F32.comparable(0xff80_0000),
        0xff80_0000,
        "-inf is no NaN"
    );
    assert_eq!(Num::I32.comparable(0xffc0_0000), 0xffc0_0000);
    assert_eq!(
        Num::F64.comparable(0xfff8_0000_0000_0001),
        0x7ff8_0000_0000_0000
    );
}

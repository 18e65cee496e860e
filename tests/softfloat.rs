//! The soft-float runtime (`src/compile/float/`) against the host's own
//! IEEE 754 arithmetic.
//!
//! - `native_short` builds `check.c` with `softfloat.c` by the host C
//!   compiler and runs it: edge cases and 10^6 random inputs per operator
//!   (ignored, with the reason printed, where there is no `cc`, unless
//!   `HULLVM_REQUIRE_CC=1`, as in CI, makes that a failure).
//! - `native_long` (ignored unless `HULLVM_SOFTFLOAT_LONG=1` or
//!   `--ignored`): all 2^32 inputs of every f32 unary operator and every
//!   conversion from f32 or i32, 10^8 random and edge inputs per other
//!   operator.
//! - `wasm_*` check the committed `softfloat.wasm` itself: its interface
//!   and instructions, its results under wasmi against Rust's f32/f64, and
//!   a few operators compiled by hullvm and run on the reference tracer and
//!   the transformer.
//!
//! NaN results follow the contract at the top of `softfloat.c`: a NaN made
//! from non-NaN operands is canonical, otherwise it is the first NaN operand
//! with its quiet bit set.

mod common;

use common::SplitMix;
use hullvm::compile::{self, u64_of_words, words_of_u64, Entry, Invocation};
use hullvm::decode::Decoder;
use hullvm::ending::Ending;
use hullvm::pipeline::{self, Checks, Config, Subject};
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::{Path, PathBuf};
use std::process::Command;

const FLOAT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/compile/float");
const LONG_VAR: &str = "HULLVM_SOFTFLOAT_LONG";

fn main() {
    let args = Arguments::from_args();
    let cc = find_cc();
    if cc.is_none() {
        eprintln!("skipped: native soft-float checks need a C compiler (cc); none found");
    }
    let long = std::env::var(LONG_VAR).is_ok_and(|v| v == "1");
    let native = |mode: &'static str| {
        let cc = cc.clone();
        move || match &cc {
            Some(cc) => run_native(cc, mode),
            None => Err("no C compiler (cc) found".into()),
        }
    };
    let trials = vec![
        // CI sets HULLVM_REQUIRE_CC=1: there a missing compiler fails the
        // trial instead of skipping it.
        Trial::test("native_short", native("short"))
            .with_ignored_flag(cc.is_none() && !required("HULLVM_REQUIRE_CC")),
        Trial::test("native_long", native("long")).with_ignored_flag(cc.is_none() || !long),
        Trial::test(
            "wasm_interface_and_instructions",
            wasm_interface_and_instructions,
        ),
        Trial::test(
            "wasm_matches_the_host_under_wasmi",
            wasm_matches_the_host_under_wasmi,
        ),
        Trial::test("wasm_runs_compiled_by_hullvm", wasm_runs_compiled_by_hullvm),
        Trial::test("wasm_runs_on_the_transformer", wasm_runs_on_the_transformer),
    ];
    libtest_mimic::run(&args, trials).exit();
}

// ---- native checks ----

fn required(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == "1")
}

fn find_cc() -> Option<String> {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let found = Command::new(&cc).arg("--version").output();
    found.is_ok_and(|o| o.status.success()).then_some(cc)
}

fn run_native(cc: &str, mode: &str) -> Result<(), Failed> {
    let dir = Path::new(FLOAT_DIR);
    let exe = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("softfloat-check-{mode}"));
    let built = Command::new(cc)
        .args([
            "-O2",
            "-fno-fast-math",
            "-ffp-contract=off",
            "-Wno-attributes",
            "-pthread",
        ])
        .arg(dir.join("check.c"))
        .arg(dir.join("softfloat.c"))
        .args(["-lm", "-o"])
        .arg(&exe)
        .output()
        .map_err(|e| format!("running {cc}: {e}"))?;
    if !built.status.success() {
        return Err(format!("{cc} failed:\n{}", String::from_utf8_lossy(&built.stderr)).into());
    }
    let ran = Command::new(&exe)
        .arg(mode)
        .output()
        .map_err(|e| format!("running {}: {e}", exe.display()))?;
    let stdout = String::from_utf8_lossy(&ran.stdout);
    println!("{stdout}");
    let summary = stdout.lines().last().unwrap_or_default();
    if !ran.status.success() || !summary.ends_with(" 0 mismatches") {
        return Err(format!(
            "the native check failed: {summary}\n{}",
            String::from_utf8_lossy(&ran.stderr)
        )
        .into());
    }
    Ok(())
}

// ---- the operators, natively ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    F32,
    F64,
    I32,
    I64,
}

impl Kind {
    fn is_float(self) -> bool {
        matches!(self, Kind::F32 | Kind::F64)
    }

    fn is_nan(self, bits: u64) -> bool {
        match self {
            Kind::F32 => f32::from_bits(bits as u32).is_nan(),
            Kind::F64 => f64::from_bits(bits).is_nan(),
            _ => false,
        }
    }

    fn quiet_bit(self) -> u64 {
        if self == Kind::F32 {
            1 << 22
        } else {
            1 << 51
        }
    }

    fn canonical_nan(self) -> u64 {
        if self == Kind::F32 {
            0x7fc0_0000
        } else {
            0x7ff8_0000_0000_0000
        }
    }

    fn words(self) -> usize {
        if matches!(self, Kind::F32 | Kind::I32) {
            1
        } else {
            2
        }
    }
}

/// How a NaN result is judged: bit for bit, or by the contract's rule for
/// arithmetic (canonical when made, else the first NaN operand quieted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NanRule {
    Bits,
    Arith,
}

/// One operator: its export, operand and result kinds, arity, NaN rule
/// and its native result (None: it traps).
struct Op {
    name: &'static str,
    input: Kind,
    output: Kind,
    arity: usize,
    rule: NanRule,
    native: Native,
}

type Native = fn(u64, u64) -> Option<u64>;

fn a32(a: u64) -> f32 {
    f32::from_bits(a as u32)
}
fn a64(a: u64) -> f64 {
    f64::from_bits(a)
}
fn r32(x: f32) -> Option<u64> {
    Some(u64::from(x.to_bits()))
}
fn r64(x: f64) -> Option<u64> {
    Some(x.to_bits())
}
fn flag(b: bool) -> Option<u64> {
    Some(u64::from(b))
}

/// wasm's min: a NaN operand gives a NaN, -0 is below +0.
fn wasm_min<T: Into<f64> + Copy + PartialOrd>(x: T, y: T, neg_zero: impl Fn(T) -> bool) -> T {
    if x.into() == 0.0 && y.into() == 0.0 {
        return if neg_zero(x) { x } else { y };
    }
    if x < y {
        x
    } else {
        y
    }
}
fn wasm_max<T: Into<f64> + Copy + PartialOrd>(x: T, y: T, neg_zero: impl Fn(T) -> bool) -> T {
    if x.into() == 0.0 && y.into() == 0.0 {
        return if neg_zero(x) { y } else { x };
    }
    if x > y {
        x
    } else {
        y
    }
}

/// min and max with a NaN operand give a NaN (judged by the contract).
fn min_max32(a: u64, b: u64, f: fn(f32, f32) -> f32) -> Option<u64> {
    let (x, y) = (a32(a), a32(b));
    r32(if x.is_nan() || y.is_nan() {
        f32::NAN
    } else {
        f(x, y)
    })
}
fn min_max64(a: u64, b: u64, f: fn(f64, f64) -> f64) -> Option<u64> {
    let (x, y) = (a64(a), a64(b));
    r64(if x.is_nan() || y.is_nan() {
        f64::NAN
    } else {
        f(x, y)
    })
}

/// The exclusive bounds lo < x < hi of the floats whose truncation fits.
const I32_RANGE: (f64, f64) = (-2147483649.0, 2147483648.0);
const U32_RANGE: (f64, f64) = (-1.0, 4294967296.0);
const I64_RANGE: (f64, f64) = (-9223372036854777856.0, 9223372036854775808.0);
const U64_RANGE: (f64, f64) = (-1.0, 18446744073709551616.0);

/// A trapping truncation: None outside the range; inside it Rust's `as`
/// (saturating, and exact there) is the value.
fn trunc_in(x: f64, range: (f64, f64), value: fn(f64) -> u64) -> Option<u64> {
    (x > range.0 && x < range.1).then(|| value(x))
}

use Kind::{F32, F64, I32, I64};
use NanRule::{Arith, Bits};

const fn op(
    name: &'static str,
    input: Kind,
    output: Kind,
    arity: usize,
    rule: NanRule,
    native: Native,
) -> Op {
    Op {
        name,
        input,
        output,
        arity,
        rule,
        native,
    }
}
const fn un32(name: &'static str, rule: NanRule, native: Native) -> Op {
    op(name, F32, F32, 1, rule, native)
}
const fn bin32(name: &'static str, rule: NanRule, native: Native) -> Op {
    op(name, F32, F32, 2, rule, native)
}
const fn un64(name: &'static str, rule: NanRule, native: Native) -> Op {
    op(name, F64, F64, 1, rule, native)
}
const fn bin64(name: &'static str, rule: NanRule, native: Native) -> Op {
    op(name, F64, F64, 2, rule, native)
}
/// A comparison: two floats, an i32 0 or 1.
const fn cmp(name: &'static str, input: Kind, native: Native) -> Op {
    op(name, input, I32, 2, Bits, native)
}
/// A conversion: one operand, the result bit for bit (traps where native
/// gives None).
const fn conv(name: &'static str, input: Kind, output: Kind, native: Native) -> Op {
    op(name, input, output, 1, Bits, native)
}

#[rustfmt::skip]
const OPS: &[Op] = &[
    un32("f32.abs", Bits, |a, _| r32(a32(a).abs())),
    un32("f32.neg", Bits, |a, _| r32(-a32(a))),
    un32("f32.ceil", Arith, |a, _| r32(a32(a).ceil())),
    un32("f32.floor", Arith, |a, _| r32(a32(a).floor())),
    un32("f32.trunc", Arith, |a, _| r32(a32(a).trunc())),
    un32("f32.nearest", Arith, |a, _| r32(a32(a).round_ties_even())),
    un32("f32.sqrt", Arith, |a, _| r32(a32(a).sqrt())),
    bin32("f32.add", Arith, |a, b| r32(a32(a) + a32(b))),
    bin32("f32.sub", Arith, |a, b| r32(a32(a) - a32(b))),
    bin32("f32.mul", Arith, |a, b| r32(a32(a) * a32(b))),
    bin32("f32.div", Arith, |a, b| r32(a32(a) / a32(b))),
    bin32("f32.min", Arith, |a, b| min_max32(a, b, |x, y| wasm_min(x, y, f32::is_sign_negative))),
    bin32("f32.max", Arith, |a, b| min_max32(a, b, |x, y| wasm_max(x, y, f32::is_sign_negative))),
    bin32("f32.copysign", Bits, |a, b| r32(a32(a).copysign(a32(b)))),
    cmp("f32.eq", F32, |a, b| flag(a32(a) == a32(b))),
    cmp("f32.ne", F32, |a, b| flag(a32(a) != a32(b))),
    cmp("f32.lt", F32, |a, b| flag(a32(a) < a32(b))),
    cmp("f32.gt", F32, |a, b| flag(a32(a) > a32(b))),
    cmp("f32.le", F32, |a, b| flag(a32(a) <= a32(b))),
    cmp("f32.ge", F32, |a, b| flag(a32(a) >= a32(b))),
    un64("f64.abs", Bits, |a, _| r64(a64(a).abs())),
    un64("f64.neg", Bits, |a, _| r64(-a64(a))),
    un64("f64.ceil", Arith, |a, _| r64(a64(a).ceil())),
    un64("f64.floor", Arith, |a, _| r64(a64(a).floor())),
    un64("f64.trunc", Arith, |a, _| r64(a64(a).trunc())),
    un64("f64.nearest", Arith, |a, _| r64(a64(a).round_ties_even())),
    un64("f64.sqrt", Arith, |a, _| r64(a64(a).sqrt())),
    bin64("f64.add", Arith, |a, b| r64(a64(a) + a64(b))),
    bin64("f64.sub", Arith, |a, b| r64(a64(a) - a64(b))),
    bin64("f64.mul", Arith, |a, b| r64(a64(a) * a64(b))),
    bin64("f64.div", Arith, |a, b| r64(a64(a) / a64(b))),
    bin64("f64.min", Arith, |a, b| min_max64(a, b, |x, y| wasm_min(x, y, f64::is_sign_negative))),
    bin64("f64.max", Arith, |a, b| min_max64(a, b, |x, y| wasm_max(x, y, f64::is_sign_negative))),
    bin64("f64.copysign", Bits, |a, b| r64(a64(a).copysign(a64(b)))),
    cmp("f64.eq", F64, |a, b| flag(a64(a) == a64(b))),
    cmp("f64.ne", F64, |a, b| flag(a64(a) != a64(b))),
    cmp("f64.lt", F64, |a, b| flag(a64(a) < a64(b))),
    cmp("f64.gt", F64, |a, b| flag(a64(a) > a64(b))),
    cmp("f64.le", F64, |a, b| flag(a64(a) <= a64(b))),
    cmp("f64.ge", F64, |a, b| flag(a64(a) >= a64(b))),
    conv("i32.trunc_f32_s", F32, I32, |a, _| trunc_in(a32(a).into(), I32_RANGE, |x| u64::from(x as i32 as u32))),
    conv("i32.trunc_f32_u", F32, I32, |a, _| trunc_in(a32(a).into(), U32_RANGE, |x| u64::from(x as u32))),
    conv("i32.trunc_f64_s", F64, I32, |a, _| trunc_in(a64(a), I32_RANGE, |x| u64::from(x as i32 as u32))),
    conv("i32.trunc_f64_u", F64, I32, |a, _| trunc_in(a64(a), U32_RANGE, |x| u64::from(x as u32))),
    conv("i64.trunc_f32_s", F32, I64, |a, _| trunc_in(a32(a).into(), I64_RANGE, |x| x as i64 as u64)),
    conv("i64.trunc_f32_u", F32, I64, |a, _| trunc_in(a32(a).into(), U64_RANGE, |x| x as u64)),
    conv("i64.trunc_f64_s", F64, I64, |a, _| trunc_in(a64(a), I64_RANGE, |x| x as i64 as u64)),
    conv("i64.trunc_f64_u", F64, I64, |a, _| trunc_in(a64(a), U64_RANGE, |x| x as u64)),
    // Rust's float -> int `as` saturates and maps NaN to 0: trunc_sat.
    conv("i32.trunc_sat_f32_s", F32, I32, |a, _| Some(u64::from(a32(a) as i32 as u32))),
    conv("i32.trunc_sat_f32_u", F32, I32, |a, _| Some(u64::from(a32(a) as u32))),
    conv("i32.trunc_sat_f64_s", F64, I32, |a, _| Some(u64::from(a64(a) as i32 as u32))),
    conv("i32.trunc_sat_f64_u", F64, I32, |a, _| Some(u64::from(a64(a) as u32))),
    conv("i64.trunc_sat_f32_s", F32, I64, |a, _| Some(a32(a) as i64 as u64)),
    conv("i64.trunc_sat_f32_u", F32, I64, |a, _| Some(a32(a) as u64)),
    conv("i64.trunc_sat_f64_s", F64, I64, |a, _| Some(a64(a) as i64 as u64)),
    conv("i64.trunc_sat_f64_u", F64, I64, |a, _| Some(a64(a) as u64)),
    conv("f64.convert_i32_s", I32, F64, |a, _| r64(f64::from(a as i32))),
    conv("f64.convert_i32_u", I32, F64, |a, _| r64(f64::from(a as u32))),
    conv("f64.convert_i64_s", I64, F64, |a, _| r64(a as i64 as f64)),
    conv("f64.convert_i64_u", I64, F64, |a, _| r64(a as f64)),
    conv("f32.convert_i32_s", I32, F32, |a, _| r32(a as i32 as f32)),
    conv("f32.convert_i32_u", I32, F32, |a, _| r32(a as u32 as f32)),
    conv("f32.convert_i64_s", I64, F32, |a, _| r32(a as i64 as f32)),
    conv("f32.convert_i64_u", I64, F32, |a, _| r32(a as f32)),
    // Between widths a NaN keeps sign, quiet bit and the payload's top
    // bits: what x86 and the contract both do, so bit for bit.
    conv("f64.promote_f32", F32, F64, |a, _| r64(f64::from(a32(a)))),
    conv("f32.demote_f64", F64, F32, |a, _| r32(a64(a) as f32)),
];

impl Op {
    /// The result the runtime must give where the host gives `host`.
    fn wanted(&self, a: u64, b: u64, host: u64) -> u64 {
        if self.rule == NanRule::Bits || !self.output.is_nan(host) {
            return host;
        }
        let operands = [a, b];
        let first_nan = operands[..self.arity]
            .iter()
            .find(|&&x| self.input.is_nan(x));
        first_nan.map_or(self.output.canonical_nan(), |&x| x | self.input.quiet_bit())
    }

    fn describe(&self, a: u64, b: u64) -> String {
        if self.arity == 2 {
            format!("{}({a:#x}, {b:#x})", self.name)
        } else {
            format!("{}({a:#x})", self.name)
        }
    }
}

// ---- inputs ----

impl SplitMix {
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Edge floats: every exponent where classes, integer ranges and rounding
/// change, with significands at their own edges, both signs.
fn float_edges(kind: Kind) -> Vec<u64> {
    let (exps, fracs, width): (&[u64], &[u64], u32) = if kind == Kind::F32 {
        (
            &[
                0, 1, 2, 103, 104, 125, 126, 127, 128, 149, 150, 151, 157, 158, 159, 189, 190, 191,
                253, 254, 255,
            ],
            &[
                0, 1, 2, 0x20_0000, 0x40_0000, 0x40_0001, 0x7f_fffe, 0x7f_ffff,
            ],
            23,
        )
    } else {
        (
            &[
                0, 1, 2, 874, 896, 897, 1021, 1022, 1023, 1024, 1074, 1075, 1076, 1053, 1054, 1085,
                1086, 1087, 1150, 1151, 2046, 2047,
            ],
            &[
                0,
                1,
                2,
                0x4_0000_0000_0000,
                0x8_0000_0000_0000,
                0x8_0000_0000_0001,
                0xf_ffff_e000_0000,
                0xf_ffff_f000_0000,
                0xf_ffff_ffff_fffe,
                0xf_ffff_ffff_ffff,
            ],
            52,
        )
    };
    let sign = if kind == Kind::F32 { 1 << 31 } else { 1 << 63 };
    let mut edges = Vec::new();
    for &e in exps {
        for &f in fracs {
            edges.push(e << width | f);
            edges.push(e << width | f | sign);
        }
    }
    edges
}

fn int_edges(kind: Kind) -> Vec<u64> {
    let bits = if kind == Kind::I32 { 32 } else { 64 };
    let mask = if bits == 32 { 0xffff_ffff } else { u64::MAX };
    let mut edges = vec![0, 1, 2, 3];
    for shift in [23, 24, 25, 31, 32, 52, 53, 54, 63] {
        if shift < bits {
            for d in [0u64, 1, 2, 3] {
                edges.push((1u64 << shift).wrapping_add(d));
                edges.push((1u64 << shift).wrapping_sub(d));
            }
        }
    }
    let negated: Vec<u64> = edges.iter().map(|x| x.wrapping_neg()).collect();
    edges.extend(negated);
    edges.iter().map(|x| x & mask).collect()
}

fn edges(kind: Kind) -> Vec<u64> {
    if kind.is_float() {
        float_edges(kind)
    } else {
        int_edges(kind)
    }
}

/// A random operand: uniform bits, an edge, or a float with an exponent
/// near the first operand's (for the second) and a significand whose low
/// bits are all zeros or all ones (halfway and exact cases).
fn operand(rng: &mut SplitMix, kind: Kind, edges: &[u64], near: Option<u64>) -> u64 {
    let mask = if kind.words() == 1 {
        0xffff_ffff
    } else {
        u64::MAX
    };
    match rng.below(6) {
        0 => return edges[rng.below(edges.len() as u64) as usize],
        1 | 2 => return rng.next() & mask,
        _ => {}
    }
    if !kind.is_float() {
        return (rng.next() & mask) >> rng.below(if mask == u64::MAX { 64 } else { 32 });
    }
    let (width, max_exp) = if kind == Kind::F32 {
        (23, 0xff)
    } else {
        (52, 0x7ff)
    };
    let exp = match near {
        Some(a) => {
            ((a >> width & max_exp) as i64 + rng.below(2 * width + 9) as i64 - width as i64 - 4)
                .clamp(0, max_exp as i64) as u64
        }
        None => rng.below(max_exp + 1),
    };
    let low = (1u64 << rng.below(width + 1)) - 1;
    let frac = rng.next() & ((1 << width) - 1);
    let frac = if rng.below(2) == 0 {
        frac & !low
    } else {
        frac | low
    } & ((1 << width) - 1);
    let sign = rng.below(2) << (if kind == Kind::F32 { 31 } else { 63 });
    sign | exp << width | frac
}

/// Edge inputs (every pair for binary operators), then random ones up to
/// `count` in all.
fn inputs(op: &Op, count: usize, seed: u64) -> Vec<(u64, u64)> {
    let edges = edges(op.input);
    let mut all: Vec<(u64, u64)> = if op.arity == 1 {
        edges.iter().map(|&a| (a, 0)).collect()
    } else {
        edges
            .iter()
            .flat_map(|&a| edges.iter().map(move |&b| (a, b)))
            .collect()
    };
    let mut rng = SplitMix(seed);
    while all.len() < count {
        let a = operand(&mut rng, op.input, &edges, None);
        let b = if op.arity == 2 {
            operand(&mut rng, op.input, &edges, Some(a))
        } else {
            0
        };
        all.push((a, b));
    }
    all
}

// ---- the committed wasm ----

fn softfloat_wasm() -> Vec<u8> {
    let path = Path::new(FLOAT_DIR).join("softfloat.wasm");
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Exactly the operators above are exported, the only imports are hullvm's
/// traps, and no instruction touches floats, memory, globals or tables.
fn wasm_interface_and_instructions() -> Result<(), Failed> {
    use wasmparser::{Parser, Payload};
    let wasm = softfloat_wasm();
    let mut exports = Vec::new();
    for payload in Parser::new(0).parse_all(&wasm) {
        match payload? {
            Payload::ImportSection(r) => {
                for import in r.into_imports() {
                    let import = import?;
                    if import.module != "hullvm" || !import.name.starts_with("trap_") {
                        return Err(format!("import {}.{}", import.module, import.name).into());
                    }
                }
            }
            Payload::ExportSection(r) => {
                for export in r {
                    exports.push(export?.name.to_string());
                }
            }
            Payload::MemorySection(_) | Payload::GlobalSection(_) | Payload::TableSection(_) => {
                return Err("the runtime defines a memory, global or table".into());
            }
            Payload::CodeSectionEntry(body) => {
                let mut ops = body.get_operators_reader()?;
                while !ops.eof() {
                    let op = format!("{:?}", ops.read()?);
                    let forbidden = [
                        "F32",
                        "F64",
                        "Load",
                        "Store",
                        "Memory",
                        "Global",
                        "Table",
                        "CallIndirect",
                    ];
                    if forbidden.iter().any(|f| op.contains(f)) {
                        return Err(format!("instruction {op}").into());
                    }
                }
            }
            _ => {}
        }
    }
    let mut want: Vec<String> = OPS.iter().map(|op| op.name.to_string()).collect();
    want.sort();
    exports.sort();
    if exports != want {
        return Err(format!("exports {exports:?}, want {want:?}").into());
    }
    Ok(())
}

fn to_val(kind: Kind, x: u64) -> wasmi::Val {
    match kind {
        Kind::I32 | Kind::F32 => wasmi::Val::I32(x as u32 as i32),
        Kind::I64 | Kind::F64 => wasmi::Val::I64(x as i64),
    }
}

fn from_val(v: &wasmi::Val) -> u64 {
    match v {
        wasmi::Val::I32(x) => u64::from(*x as u32),
        wasmi::Val::I64(x) => *x as u64,
        other => panic!("unexpected result {other:?}"),
    }
}

/// Inputs per operator under wasmi; `HULLVM_SOFTFLOAT_WASM_CASES` changes
/// it.
fn wasm_cases() -> usize {
    std::env::var("HULLVM_SOFTFLOAT_WASM_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// The committed softfloat.wasm under wasmi, every operator, against Rust's
/// f32/f64 (traps where the host's range check says).
fn wasm_matches_the_host_under_wasmi() -> Result<(), Failed> {
    use wasmi::{Caller, Engine, Linker, Module, Store};
    let engine = Engine::default();
    let module = Module::new(&engine, softfloat_wasm())?;
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::<()>::new(&engine);
    for import in module.imports() {
        linker.func_wrap(
            "hullvm",
            import.name(),
            |_: Caller<'_, ()>| -> Result<(), wasmi::Error> { Err(wasmi::Error::new("trap")) },
        )?;
    }
    let instance = linker.instantiate_and_start(&mut store, &module)?;
    let cases = wasm_cases();
    let mut failures = Vec::new();
    for (n, op) in OPS.iter().enumerate() {
        let func = instance
            .get_func(&store, op.name)
            .ok_or_else(|| format!("no export {}", op.name))?;
        let mut result = [to_val(op.output, 0)];
        for (a, b) in inputs(op, cases, 0xf10a7 + n as u64) {
            let args = [to_val(op.input, a), to_val(op.input, b)];
            let got = func
                .call(&mut store, &args[..op.arity], &mut result)
                .ok()
                .map(|()| from_val(&result[0]));
            let want = (op.native)(a, b).map(|host| op.wanted(a, b, host));
            if got != want && failures.len() < 20 {
                failures.push(format!(
                    "{}: got {got:x?}, want {want:x?}",
                    op.describe(a, b)
                ));
            }
        }
    }
    if failures.is_empty() {
        println!(
            "{} operators x {cases} inputs under wasmi: all exact",
            OPS.len()
        );
        Ok(())
    } else {
        Err(failures.join("\n").into())
    }
}

/// One call of an operator as hullvm's entry.
fn invocation(op: &Op, a: u64, b: u64) -> Entry {
    let words = |x: u64| words_of_u64(x)[..op.input.words()].to_vec();
    let mut args = words(a);
    if op.arity == 2 {
        args.extend(words(b));
    }
    Entry::Invoke(vec![Invocation {
        export: op.name.into(),
        args,
    }])
}

/// What hullvm's run ended with, as the native value (None: a trap).
fn result_of(op: &Op, ending: &Ending) -> Result<Option<u64>, String> {
    match ending {
        Ending::Finished { results } if results.len() == op.output.words() => Ok(Some(
            u64_of_words(results[0], results.get(1).copied().unwrap_or(0)),
        )),
        Ending::Trap { .. } => Ok(None),
        other => Err(format!("{}: ended {other}", op.name)),
    }
}

/// Every operator compiled by hullvm's own compiler from the committed
/// wasm and run on the reference tracer (the flat ISA interpreter the
/// transformer is checked against token for token), on its edge inputs.
fn wasm_runs_compiled_by_hullvm() -> Result<(), Failed> {
    let wasm = softfloat_wasm();
    let mut checked = 0;
    for op in OPS {
        let edges = edges(op.input);
        // a sample of edges (pairs on a stride for binary operators)
        let pairs: Vec<(u64, u64)> = (0..edges.len())
            .step_by(if op.arity == 2 { 3 } else { 1 })
            .map(|i| (edges[i], edges[(i * 7 + 3) % edges.len()]))
            .collect();
        for (a, b) in pairs {
            let compiled = compile::compile(&wasm, &invocation(op, a, b))
                .map_err(|e| format!("{}: hullvm refuses it: {e}", op.name))?;
            let traced = pipeline::trace(&compiled.program, 10_000_000, Some(&compiled));
            let got = result_of(op, &traced.run.ending)?;
            let want = (op.native)(a, b).map(|host| op.wanted(a, b, host));
            if got != want {
                return Err(format!("{}: got {got:x?}, want {want:x?}", op.describe(a, b)).into());
            }
            checked += 1;
        }
    }
    println!("{checked} calls compiled by hullvm, exact on the reference tracer");
    Ok(())
}

/// A few operators on the transformer, token for token against the
/// reference tracer and exact against the host.
fn wasm_runs_on_the_transformer() -> Result<(), Failed> {
    let wasm = softfloat_wasm();
    let decoder = Decoder::new(hullvm::build_model());
    let config = Config {
        checks: Checks {
            reference: true,
            wasmi: false,
            source_steps: false,
            arbiter: false,
        },
        ..Config::default()
    };
    // (f64.sqrt, about 2 million tokens, is left to `hullvm run --verify`.)
    let calls: [(&str, u64, u64); 3] = [
        ("f32.add", 0x3f80_0000, 0x3400_0001), // 1 + (2^-23 + a bit): rounds up
        ("f64.mul", 0x3ff8_0000_0000_0001, 0xc00f_ffff_ffff_ffff),
        ("f64.div", 0x3ff0_0000_0000_0000, 0x4008_0000_0000_0000), // 1 / 3
    ];
    for (name, a, b) in calls {
        let op = OPS
            .iter()
            .find(|op| op.name == name)
            .expect("a known operator");
        let entry = invocation(op, a, b);
        let subject = Subject::Wasm {
            wasm: &wasm,
            entry: &entry,
            options: compile::Options::default(),
        };
        let checked = pipeline::check(&decoder, subject, &config)?;
        if let Some(d) = checked.disagreement() {
            return Err(format!("{}: {d}", op.describe(a, b)).into());
        }
        let got = result_of(op, &checked.transformer.run.ending)?;
        let want = (op.native)(a, b).map(|host| op.wanted(a, b, host));
        if got != want {
            return Err(format!("{}: got {got:x?}, want {want:x?}", op.describe(a, b)).into());
        }
        println!(
            "{} on the transformer: {} tokens, exact",
            op.describe(a, b),
            checked.transformer.trace.len()
        );
    }
    Ok(())
}

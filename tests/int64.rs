//! i64 on the 32-bit machine: every lowered i64 operation against the
//! host's own u64/i64 arithmetic and against wasmi, on edge and random
//! operands, and whole i64 programs on the transformer.
//!
//! The operand sweeps run batches: one module per batch keeps its operands
//! in a data segment, applies the operation to each pair in a loop and
//! stores each result; the compiled program runs on the reference tracer
//! (the flat ISA interpreter the transformer is checked against token for
//! token elsewhere) and the memory it leaves is compared result by result.

mod common;

use hullvm::compile::{self, words_of_u64, Entry, Invocation};
use hullvm::decode::Decoder;
use hullvm::ending::{Ending, EngineRun};
use hullvm::oracle::reference;
use hullvm::oracle::wasmi::{self, Budget};
use hullvm::pipeline::{self, Config, Subject};

/// What an operation does, natively: its wasm name, and its result for two
/// operands (None: it traps). Comparisons and eqz give 0 or 1.
type Native = fn(u64, u64) -> Option<u64>;

fn shift(b: u64) -> u32 {
    (b & 63) as u32
}

const BINARY: &[(&str, Native)] = &[
    ("add", |a, b| Some(a.wrapping_add(b))),
    ("sub", |a, b| Some(a.wrapping_sub(b))),
    ("mul", |a, b| Some(a.wrapping_mul(b))),
    ("div_u", |a, b| a.checked_div(b)),
    ("rem_u", |a, b| a.checked_rem(b)),
    ("div_s", |a, b| {
        (a as i64).checked_div(b as i64).map(|q| q as u64)
    }),
    ("rem_s", |a, b| {
        if b == 0 {
            None
        } else {
            Some((a as i64).wrapping_rem(b as i64) as u64)
        }
    }),
    ("and", |a, b| Some(a & b)),
    ("or", |a, b| Some(a | b)),
    ("xor", |a, b| Some(a ^ b)),
    ("shl", |a, b| Some(a << shift(b))),
    ("shr_u", |a, b| Some(a >> shift(b))),
    ("shr_s", |a, b| Some(((a as i64) >> shift(b)) as u64)),
    ("rotl", |a, b| Some(a.rotate_left(shift(b)))),
    ("rotr", |a, b| Some(a.rotate_right(shift(b)))),
];

const COMPARE: &[(&str, Native)] = &[
    ("eq", |a, b| Some((a == b) as u64)),
    ("ne", |a, b| Some((a != b) as u64)),
    ("lt_u", |a, b| Some((a < b) as u64)),
    ("gt_u", |a, b| Some((a > b) as u64)),
    ("le_u", |a, b| Some((a <= b) as u64)),
    ("ge_u", |a, b| Some((a >= b) as u64)),
    ("lt_s", |a, b| Some(((a as i64) < (b as i64)) as u64)),
    ("gt_s", |a, b| Some(((a as i64) > (b as i64)) as u64)),
    ("le_s", |a, b| Some(((a as i64) <= (b as i64)) as u64)),
    ("ge_s", |a, b| Some(((a as i64) >= (b as i64)) as u64)),
];

/// Unary operations and conversions, written as the wasm that computes them
/// from an i64 `a` to an i64 result.
const UNARY: &[(&str, &str, Native)] = &[
    ("clz", "i64.clz", |a, _| Some(a.leading_zeros() as u64)),
    ("ctz", "i64.ctz", |a, _| Some(a.trailing_zeros() as u64)),
    ("popcnt", "i64.popcnt", |a, _| Some(a.count_ones() as u64)),
    ("eqz", "i64.eqz i64.extend_i32_u", |a, _| {
        Some((a == 0) as u64)
    }),
    ("extend8_s", "i64.extend8_s", |a, _| {
        Some(a as i8 as i64 as u64)
    }),
    ("extend16_s", "i64.extend16_s", |a, _| {
        Some(a as i16 as i64 as u64)
    }),
    ("extend32_s", "i64.extend32_s", |a, _| {
        Some(a as i32 as i64 as u64)
    }),
    (
        "wrap+extend_i32_s",
        "i32.wrap_i64 i64.extend_i32_s",
        |a, _| Some(a as u32 as i32 as i64 as u64),
    ),
    (
        "wrap+extend_i32_u",
        "i32.wrap_i64 i64.extend_i32_u",
        |a, _| Some(a as u32 as u64),
    ),
];

/// Edge values: 0, ±1, the extremes, powers of two and their neighbours.
fn edges() -> Vec<u64> {
    let mut v = vec![0, 1, u64::MAX, i64::MIN as u64, i64::MAX as u64];
    for k in 0..64 {
        let p = 1u64 << k;
        v.extend([p, p.wrapping_sub(1), p.wrapping_add(1), p.wrapping_neg()]);
    }
    v.extend([
        0xffff_ffff,
        0x1_0000_0000,
        0xdead_beef_0bad_f00d,
        37,
        63,
        64,
        65,
    ]);
    v.sort();
    v.dedup();
    v
}

/// A deterministic stream of operands.
use common::SplitMix as Rng;

impl Rng {
    /// Random words, edge values, and narrow values (the common case in
    /// programs, and the fast paths of the lowerings).
    fn operand(&mut self, edges: &[u64]) -> u64 {
        let r = self.next();
        match r % 4 {
            0 => edges[(r >> 8) as usize % edges.len()],
            1 => self.next() >> (self.next() % 64),
            _ => self.next(),
        }
    }
}

/// Operand pairs, `n` in all: pairs of edge values (in a shuffled order)
/// alternating with random pairs; pairs whose operation traps are left out
/// (they would end a batch).
fn pairs(n: usize, seed: u64, native: Native) -> Vec<(u64, u64)> {
    let edges = edges();
    let mut rng = Rng(seed);
    let mut grid: Vec<(u64, u64)> = edges
        .iter()
        .flat_map(|&a| edges.iter().map(move |&b| (a, b)))
        .collect();
    for i in (1..grid.len()).rev() {
        grid.swap(i, rng.next() as usize % (i + 1));
    }
    let random = std::iter::repeat_with(move || {
        let a = rng.operand(&edges);
        (a, rng.operand(&edges))
    });
    grid.into_iter()
        .zip(random)
        .flat_map(|(g, r)| [g, r])
        .filter(|&(a, b)| native(a, b).is_some())
        .take(n)
        .collect()
}

/// A module whose export "run" applies `body` (plain wasm instructions from
/// i64 locals $a, $b to one i64) to each pair in its data and stores the results after them.
fn batch_module(body: &str, pairs: &[(u64, u64)]) -> String {
    let mut data = String::new();
    for &(a, b) in pairs {
        for byte in a.to_le_bytes().iter().chain(&b.to_le_bytes()) {
            data.push_str(&format!("\\{byte:02x}"));
        }
    }
    let n = pairs.len();
    let pages = (n * 24).div_ceil(65536);
    format!(
        r#"(module
  (memory {pages})
  (data (i32.const 0) "{data}")
  (func (export "run")
    (local $p i32) (local $r i32) (local $a i64) (local $b i64)
    (local.set $r (i32.const {results}))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (i32.const {results})))
        (local.set $a (i64.load (local.get $p)))
        (local.set $b (i64.load offset=8 (local.get $p)))
        local.get $r
        {body}
        i64.store
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $r (i32.add (local.get $r) (i32.const 8)))
        (br $next)))))"#,
        results = n * 16,
    )
}

/// Run a batch on the reference tracer; the results it stored, in order.
fn run_batch(wat: &str, n: usize) -> Vec<u64> {
    let entry = Entry::Invoke(vec![Invocation {
        export: "run".into(),
        args: vec![],
    }]);
    let compiled = compile::compile(wat.as_bytes(), &entry).expect("the batch compiles");
    let (run, mut memory) = reference::run_with_memory(&compiled.program, usize::MAX);
    // Memory comes back without its trailing zeros.
    memory.resize(memory.len().max(n * 24), 0);
    assert!(
        matches!(run.outcome, reference::Outcome::Halted { .. }),
        "the batch ran to its end"
    );
    let results = &memory[n * 16..n * 24];
    results
        .chunks(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

/// Sweep one operation over `n` pairs in batches of `batch`; every result
/// must be the host's.
fn sweep(name: &str, body: &str, native: Native, n: usize, seed: u64) {
    let pairs = pairs(n, seed, native);
    for chunk in pairs.chunks(2048) {
        let wat = batch_module(body, chunk);
        let got = run_batch(&wat, chunk.len());
        for (&(a, b), got) in chunk.iter().zip(got) {
            let want = native(a, b).unwrap();
            assert_eq!(
                got, want,
                "i64 {name} of {a:#x}, {b:#x}: got {got:#x}, want {want:#x}"
            );
        }
    }
}

/// Pairs per operation (100,000; about 35 s for all 34 on 2 cores);
/// `HULLVM_I64_CASES` changes it.
fn cases() -> usize {
    std::env::var("HULLVM_I64_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

#[test]
fn binary_ops_match_the_host() {
    for (i, &(op, native)) in BINARY.iter().enumerate() {
        let body = format!("local.get $a local.get $b i64.{op}");
        sweep(op, &body, native, cases(), i as u64);
    }
}

/// Shifts and rotations by every count, and bit operations, additions and
/// subtractions of masks whose words are each 0, all ones or one run of
/// ones: the compiler writes these out inline
/// (`function/constant.rs`) instead of calling the runtime helper.
#[test]
fn constant_operands_are_inline_and_match_the_host() {
    let runs = (0..32u32).flat_map(|low| {
        (low + 1..=32).map(move |high| u64::from((u32::MAX >> (32 - (high - low))) << low))
    });
    let words: Vec<u64> = runs.chain([0]).collect();
    let masks = words
        .iter()
        .step_by(7)
        .flat_map(|&lo| words.iter().step_by(11).map(move |&hi| hi << 32 | lo));
    let mut cases: Vec<(&str, u64)> = vec![];
    for op in ["shl", "shr_u", "shr_s", "rotl", "rotr"] {
        cases.extend((0..70).map(|k| (op, k)));
    }
    for mask in masks.chain([0xffff_ffff, u64::MAX, 0xffff_ffff_0000_0000, 0xff]) {
        cases.extend(["and", "or", "xor", "add", "sub"].map(|op| (op, mask)));
    }
    let operands: Vec<u64> = edges().into_iter().step_by(3).collect();
    for (op, c) in cases {
        let body = format!("local.get $a i64.const {} i64.{op}", c as i64);
        let native = BINARY.iter().find(|b| b.0 == op).unwrap().1;
        inline_and_exact(&format!("i64.{op}"), &body, c, &operands, native);
    }
}

/// Comparisons with a constant: words compared inline
/// (`function/constant.rs`), on operands at, around and far from it.
/// Constants whose low word is 0 or all ones take the high-word-only form.
#[test]
fn comparisons_with_a_constant_are_inline_and_match_the_host() {
    let constants = [
        0,
        1,
        u64::MAX,
        0xffff_ffff,
        0x1_0000_0000,
        0x7ff0_0000_0000_0000,
        0x8000_0000_0000_0000,
        0x7fff_ffff_ffff_ffff,
        0x1234_5678_9abc_def0,
        0xfff0_0000_ffff_ffff,
    ];
    for c in constants {
        let near = [
            0,
            1,
            u64::MAX,
            1 << 63,
            c,
            c.wrapping_sub(1),
            c.wrapping_add(1),
        ];
        let hi = [c ^ 1 << 32, c ^ 1 << 63, c.wrapping_add(1 << 32)];
        let operands: Vec<u64> = near.into_iter().chain(hi).collect();
        for &(op, native) in COMPARE {
            let body = format!(
                "local.get $a i64.const {} i64.{op} i64.extend_i32_u",
                c as i64
            );
            inline_and_exact(&format!("i64.{op}"), &body, c, &operands, native);
        }
    }
}

/// `body` (`$a` the operand, `c` its constant) compiles without a runtime
/// helper and gives what `native` does for every operand.
fn inline_and_exact(op: &str, body: &str, c: u64, operands: &[u64], native: Native) {
    let pairs: Vec<(u64, u64)> = operands.iter().map(|&a| (a, 0)).collect();
    let wat = batch_module(body, &pairs);
    let entry = Entry::Invoke(vec![Invocation {
        export: "run".into(),
        args: vec![],
    }]);
    let compiled = compile::compile(wat.as_bytes(), &entry).unwrap();
    assert!(
        compiled
            .functions
            .iter()
            .all(|f| !f.name.starts_with("hullvm.")),
        "{op} by {c:#x} calls a runtime helper"
    );
    for (&a, got) in operands.iter().zip(run_batch(&wat, operands.len())) {
        let want = native(a, c).unwrap();
        assert_eq!(got, want, "{op} of {a:#x} by {c:#x}: got {got:#x}");
    }
}

#[test]
fn comparisons_match_the_host() {
    for (i, &(op, native)) in COMPARE.iter().enumerate() {
        let body = format!("local.get $a local.get $b i64.{op} i64.extend_i32_u");
        sweep(op, &body, native, cases(), 100 + i as u64);
    }
}

#[test]
fn unary_ops_and_conversions_match_the_host() {
    for (i, &(name, wasm, native)) in UNARY.iter().enumerate() {
        let body = format!("local.get $a {wasm}");
        sweep(name, &body, native, cases(), 200 + i as u64);
    }
}

/// One call of `export` on the reference tracer and on wasmi.
fn reference_and_wasmi(module: &str, export: &str, args: Vec<u32>) -> (EngineRun, EngineRun) {
    let entry = Entry::Invoke(vec![Invocation {
        export: export.to_string(),
        args,
    }]);
    let compiled = compile::compile(module.as_bytes(), &entry).unwrap();
    let ours = pipeline::trace(&compiled.program, 10_000_000, Some(&compiled)).run;
    let theirs = wasmi::run(module.as_bytes(), &entry, Budget::fuel(1 << 24)).unwrap();
    (ours, theirs)
}

/// Every operation on edge and random pairs, traps included, called as an
/// export with i64 arguments: the reference tracer's run (result or trap)
/// is wasmi's.
#[test]
fn every_op_agrees_with_wasmi_traps_included() {
    let mut rng = Rng(7);
    let edges = edges();
    let ops = BINARY
        .iter()
        .map(|&(op, _)| format!("local.get 0 local.get 1 i64.{op}"))
        .chain(
            COMPARE
                .iter()
                .map(|&(op, _)| format!("local.get 0 local.get 1 i64.{op} i64.extend_i32_u")),
        )
        .chain(
            UNARY
                .iter()
                .map(|&(_, wasm, _)| format!("local.get 0 {wasm}")),
        );
    for body in ops {
        let module = format!("(module (func (export \"f\") (param i64 i64) (result i64) {body}))");
        for k in 0..60 {
            let (a, b) = match k {
                0 => (5, 0),
                1 => (i64::MIN as u64, u64::MAX),
                _ => (rng.operand(&edges), rng.operand(&edges)),
            };
            let args = [words_of_u64(a), words_of_u64(b)].concat();
            let (ours, theirs) = reference_and_wasmi(&module, "f", args);
            assert_eq!(ours, theirs, "{body} of {a:#x}, {b:#x}");
        }
    }
}

/// Traps and loads/stores of every width, compared with wasmi on one call
/// each.
#[test]
fn traps_loads_and_stores_agree_with_wasmi() {
    let module = r#"(module
      (memory 1)
      (func (export "div_s") (param i64 i64) (result i64) (i64.div_s (local.get 0) (local.get 1)))
      (func (export "rem_u") (param i64 i64) (result i64) (i64.rem_u (local.get 0) (local.get 1)))
      (func (export "widths") (param $x i64) (result i64 i64 i64 i64 i64 i64 i64)
        (i64.store (i32.const 100) (local.get $x))
        (i64.store32 (i32.const 200) (local.get $x))
        (i64.store16 (i32.const 300) (local.get $x))
        (i64.store8 (i32.const 400) (local.get $x))
        (i64.load (i32.const 100))
        (i64.load32_s (i32.const 200))
        (i64.load32_u (i32.const 200))
        (i64.load16_s (i32.const 300))
        (i64.load16_u (i32.const 300))
        (i64.load8_s (i32.const 400))
        (i64.load8_u (i32.const 400)))
      (func (export "oob") (param i32) (result i64) (i64.load (local.get 0))))"#;
    let min = i64::MIN as u64;
    let calls: &[(&str, Vec<u64>)] = &[
        ("div_s", vec![min, u64::MAX]),
        ("div_s", vec![5, 0]),
        ("div_s", vec![min, 3]),
        ("rem_u", vec![7, 0]),
        ("widths", vec![0x8182_8384_f5f6_f7f8]),
        ("widths", vec![0x0102_0304_0506_0708]),
        ("oob", vec![]),
    ];
    for (export, args) in calls {
        let mut args: Vec<u32> = args.iter().flat_map(|&v| words_of_u64(v)).collect();
        if *export == "oob" {
            args = vec![65536 - 7];
        }
        let (ours, theirs) = reference_and_wasmi(module, export, args);
        assert_eq!(ours, theirs, "{export}");
    }
}

/// i64 locals, globals, params, results, calls, blocks with i64 results,
/// `select` and `drop` of i64s: a 64-bit FNV-1a hash and a 64x64 -> 128
/// multiply, decoded on the transformer and checked at every source step.
#[test]
fn i64_programs_are_exact_on_the_transformer() {
    let module = r#"(module
      (import "env" "output_byte" (func $out (param i32)))
      (global $basis (mut i64) (i64.const 0xcbf29ce484222325))
      (func $fnv (param $p i32) (param $n i32) (result i64)
        (local $h i64)
        (local.set $h (global.get $basis))
        (block $done
          (loop $next
            (br_if $done (i32.eqz (local.get $n)))
            (local.set $h (i64.xor (local.get $h) (i64.load8_u (local.get $p))))
            (local.set $h (i64.mul (local.get $h) (i64.const 0x100000001b3)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br $next)))
        (local.get $h))
      ;; the high 64 bits of a * b, from 32-bit halves
      (func $mulhi (param $a i64) (param $b i64) (result i64)
        (local $lo_lo i64) (local $hi_lo i64) (local $cross i64)
        (local.set $lo_lo (i64.mul (i64.and (local.get $a) (i64.const 0xffffffff))
                                   (i64.and (local.get $b) (i64.const 0xffffffff))))
        (local.set $hi_lo (i64.mul (i64.shr_u (local.get $a) (i64.const 32))
                                   (i64.and (local.get $b) (i64.const 0xffffffff))))
        (local.set $cross (i64.add (i64.add (i64.shr_u (local.get $lo_lo) (i64.const 32))
                                            (i64.and (local.get $hi_lo) (i64.const 0xffffffff)))
                                   (i64.mul (i64.and (local.get $a) (i64.const 0xffffffff))
                                            (i64.shr_u (local.get $b) (i64.const 32)))))
        (i64.add (i64.add (i64.mul (i64.shr_u (local.get $a) (i64.const 32))
                                   (i64.shr_u (local.get $b) (i64.const 32)))
                          (i64.shr_u (local.get $hi_lo) (i64.const 32)))
                 (i64.shr_u (local.get $cross) (i64.const 32))))
      (memory 1)
      (data (i32.const 16) "hullvm")
      (func (export "main") (param $x i64) (result i64 i64 i32)
        (local $h i64)
        (local.set $h (call $fnv (i32.const 16) (i32.const 6)))
        (global.set $basis (i64.rotl (local.get $h) (i64.const 5)))
        (call $out (i32.wrap_i64 (i64.shr_u (local.get $h) (i64.const 56))))
        (drop (i64.const 7))
        (block (result i64)
          (select (local.get $h) (global.get $basis) (i64.lt_s (local.get $x) (i64.const 0))))
        (call $mulhi (local.get $h) (local.get $x))
        (i64.eqz (local.get $x))))"#;
    let x: u64 = 0xfedc_ba98_7654_3210;
    let entry = Entry::Invoke(vec![Invocation {
        export: "main".into(),
        args: words_of_u64(x).to_vec(),
    }]);
    let decoder = Decoder::new(hullvm::build_model());
    let subject = Subject::Wasm {
        wasm: module.as_bytes(),
        entry: &entry,
        options: compile::Options::default(),
    };
    let checked = pipeline::check(&decoder, subject, &Config::default()).unwrap();
    if let Some(d) = checked.disagreement() {
        panic!("{d}");
    }
    assert!(
        checked.source_steps() > 100,
        "the source steps were compared"
    );

    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in b"hullvm" {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
    }
    let basis = h.rotate_left(5);
    let chosen = if (x as i64) < 0 { h } else { basis };
    let hi = ((h as u128 * x as u128) >> 64) as u64;
    let mut want = words_of_u64(chosen).to_vec();
    want.extend(words_of_u64(hi));
    want.push(0);
    assert_eq!(
        checked.transformer.run.ending,
        Ending::Finished { results: want }
    );
    assert_eq!(checked.transformer.run.output, vec![(h >> 56) as u8]);
}

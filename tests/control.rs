//! The rest of integer control and memory through the whole pipeline:
//! `call_indirect` with its traps, `memory.size`/`memory.grow`, two
//! memories, `br_table` of any size, and the call-depth limit. Every run is checked as
//! `hullvm check` does: the transformer follows the reference tracer token
//! for token, its source steps are wasmi's, and its ending is wasmi's.

use hullvm::compile::{Entry, Invocation, Trap};
use hullvm::decode::Decoder;
use hullvm::ending::{Ending, Exhaustion};
use hullvm::oracle::arbiter;
use hullvm::oracle::wasmi::Budget;
use hullvm::pipeline::{self, Checked, Config, Limits, Subject};
use std::sync::OnceLock;

fn decoder() -> &'static Decoder {
    static DECODER: OnceLock<Decoder> = OnceLock::new();
    DECODER.get_or_init(|| Decoder::new(hullvm::build_model()))
}

fn invoke(export: &str, args: &[u32]) -> Entry {
    Entry::Invoke(vec![Invocation {
        export: export.into(),
        args: args.to_vec(),
    }])
}

fn check_with(wat: &str, entry: &Entry, limits: Limits) -> Checked {
    let config = Config {
        limits,
        ..Config::default()
    };
    pipeline::check(decoder(), Subject::wasm(wat.as_bytes(), entry), &config)
        .unwrap_or_else(|e| panic!("compile: {e}"))
}

/// The transformer's ending of an exact run (no disagreement anywhere,
/// and the source steps were compared).
fn exact(wat: &str, entry: &Entry) -> Ending {
    let checked = check_with(wat, entry, Limits::tokens(2_000_000));
    assert!(
        checked.disagreement().is_none(),
        "{entry:?}: {}",
        checked.disagreement().unwrap()
    );
    assert!(
        checked.source_steps() > 0,
        "{entry:?}: no source steps compared"
    );
    let wasmi = checked.wasmi.clone().unwrap().unwrap();
    assert_eq!(wasmi, checked.transformer.run, "{entry:?}");
    checked.transformer.run.ending
}

fn results(values: &[u32]) -> Ending {
    Ending::Finished {
        results: values.to_vec(),
    }
}

fn trap(trap: Trap) -> Ending {
    Ending::Trap { trap }
}

/// Slots 0-1 hold `$double` and `$negate` ([i32] -> [i32]), slot 2 `$zero`
/// ([] -> [i32]), slot 3 `$dup` (the type of `$double`, declared again:
/// equal structurally), slot 4 is `ref.null`, 5 is never filled, the
/// table has 7 slots.
const TABLE: &str = r#"
(module
  (type $unary (func (param i32) (result i32)))
  (type $unary_again (func (param i32) (result i32)))
  (type $nullary (func (result i32)))
  (table 7 funcref)
  (elem (i32.const 0) func $double $negate $zero $dup)
  (elem (i32.const 4) funcref (ref.null func))
  (func $double (type $unary) (i32.add (local.get 0) (local.get 0)))
  (func $negate (type $unary) (i32.sub (i32.const 0) (local.get 0)))
  (func $zero (type $nullary) (i32.const 0))
  (func $dup (type $unary_again) (i32.add (local.get 0) (i32.const 1000)))
  (func (export "apply") (param $slot i32) (param $x i32) (result i32)
    (call_indirect (type $unary) (local.get $x) (local.get $slot))))
"#;

#[test]
fn call_indirect_calls_or_traps_by_slot() {
    let cases = [
        (0, results(&[42])),
        (1, results(&[(-21i32) as u32])),
        (2, trap(Trap::IndirectCallTypeMismatch)),
        (3, results(&[1021])),
        (4, trap(Trap::UninitializedElement)),
        (5, trap(Trap::UninitializedElement)),
        (6, trap(Trap::UninitializedElement)),
        (7, trap(Trap::UndefinedElement)),
        (u32::MAX, trap(Trap::UndefinedElement)),
    ];
    for (slot, want) in cases {
        assert_eq!(
            exact(TABLE, &invoke("apply", &[slot, 21])),
            want,
            "slot {slot}"
        );
    }
}

/// A table of 40 functions, each returning its own number, filled by two
/// segments that overlap (the later one wins), reached through a loop.
#[test]
fn call_indirect_in_a_large_table_and_overlapping_segments() {
    let funcs: String = (0..40)
        .map(|i| format!("(func $f{i} (result i32) (i32.const {i}))\n"))
        .collect();
    let first: String = (0..40).map(|i| format!("$f{i} ")).collect();
    let wat = format!(
        r#"(module
  (type $t (func (result i32)))
  (table 50 funcref)
  (elem (i32.const 0) func {first})
  (elem (i32.const 10) func $f0 $f0)
  {funcs}
  (func (export "sum") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $acc (i32.add (local.get $acc)
        (call_indirect (type $t) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $acc)))"#
    );
    let want = (0..40).sum::<u32>() - 10 - 11;
    assert_eq!(exact(&wat, &invoke("sum", &[40])), results(&[want]));
    assert_eq!(
        exact(&wat, &invoke("sum", &[41])),
        trap(Trap::UninitializedElement)
    );
}

const GROW: &str = r#"
(module
  (memory 1 3)
  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "load_at_end") (result i32) (i32.load offset=131068 (i32.const 0))))
"#;

/// Exports to invoke in order, with their arguments.
type Calls<'a> = &'a [(&'a str, &'a [u32])];

fn calls(calls: Calls) -> Entry {
    Entry::Invoke(
        calls
            .iter()
            .map(|(export, args)| Invocation {
                export: export.to_string(),
                args: args.to_vec(),
            })
            .collect(),
    )
}

#[test]
fn memory_grows_up_to_its_maximum() {
    let cases: [(Calls, Ending); 8] = [
        (&[("size", &[])], results(&[1])),
        (&[("grow", &[1])], results(&[1])),
        (&[("grow", &[1]), ("size", &[])], results(&[2])),
        (&[("grow", &[2]), ("grow", &[0])], results(&[3])),
        (&[("grow", &[3])], results(&[u32::MAX])),
        (&[("grow", &[u32::MAX])], results(&[u32::MAX])),
        // Past the initial page: a trap before growing, zeroes after.
        (&[("load", &[65536])], trap(Trap::MemoryOutOfBounds)),
        (
            &[("grow", &[1]), ("store", &[65536, 7]), ("load", &[65536])],
            results(&[7]),
        ),
    ];
    for (invocations, want) in cases {
        assert_eq!(exact(GROW, &calls(invocations)), want, "{invocations:?}");
    }
    assert_eq!(
        exact(GROW, &calls(&[("load_at_end", &[])])),
        trap(Trap::MemoryOutOfBounds)
    );
    assert_eq!(
        exact(GROW, &calls(&[("grow", &[1]), ("load_at_end", &[])])),
        results(&[0])
    );
    assert_eq!(
        exact(GROW, &calls(&[("grow", &[1]), ("load", &[u32::MAX - 2])])),
        trap(Trap::MemoryOutOfBounds)
    );
}

/// A memory without a maximum stops at hullvm's cap, on wasmi too.
#[test]
fn memory_grows_up_to_the_cap_from_zero_pages() {
    let wat = r#"(module
  (memory 0)
  (func (export "f") (param i32) (result i32)
    (drop (memory.grow (local.get 0)))
    (i32.store8 (i32.const 0) (i32.const 9))
    (i32.add (memory.size) (i32.load8_u (i32.const 0)))))"#;
    let cap_pages = (hullvm::compile::MAX_MEMORY_BYTES >> 16) as u32;
    assert_eq!(
        exact(wat, &invoke("f", &[0])),
        trap(Trap::MemoryOutOfBounds)
    );
    assert_eq!(exact(wat, &invoke("f", &[1])), results(&[10]));
    assert_eq!(
        exact(wat, &invoke("f", &[cap_pages])),
        results(&[cap_pages + 9])
    );
    assert_eq!(
        exact(wat, &invoke("f", &[cap_pages + 1])),
        trap(Trap::MemoryOutOfBounds)
    );
    // The memory lookup's keys carry an address's square: at the top of
    // the largest memory it is still exact, and a byte written there is
    // read back apart from its neighbours.
    let top = r#"(module
  (memory 0)
  (func (export "f") (param i32) (result i32) (local $end i32)
    (drop (memory.grow (local.get 0)))
    (local.set $end (i32.mul (memory.size) (i32.const 65536)))
    (i32.store8 (i32.sub (local.get $end) (i32.const 1)) (i32.const 7))
    (i32.store8 (i32.sub (local.get $end) (i32.const 2)) (i32.const 5))
    (i32.load16_u (i32.sub (local.get $end) (i32.const 2)))))"#;
    assert_eq!(exact(top, &invoke("f", &[cap_pages])), results(&[0x0705]));
}

/// Two memories (as a merge of linked modules has them): `$a` grows to 2
/// pages, `$b` starts at 2 and grows to 4, each with its own data, bounds
/// and size; an i64, f64 and f32 access on either.
const TWO_MEMORIES: &str = r#"
(module
  (memory $a 1 2)
  (memory $b 2 4)
  (data (memory $a) (i32.const 0) "\01\02\03\04")
  (data (memory $b) (i32.const 0) "\10\20\30\40")
  (data (memory $b) (i32.const 131068) "\aa\bb\cc\dd")
  (func (export "load_a") (param i32) (result i32) (i32.load $a (local.get 0)))
  (func (export "load_b") (param i32) (result i32) (i32.load $b (local.get 0)))
  (func (export "store_a") (param i32 i32) (i32.store $a (local.get 0) (local.get 1)))
  (func (export "store_b") (param i32 i32) (i32.store8 $b offset=1 (local.get 0) (local.get 1)))
  (func (export "grow_a") (param i32) (result i32) (memory.grow $a (local.get 0)))
  (func (export "grow_b") (param i32) (result i32) (memory.grow $b (local.get 0)))
  (func (export "sizes") (result i32)
    (i32.add (i32.mul (memory.size $a) (i32.const 100)) (memory.size $b)))
  (func (export "end_b") (result i32) (i32.load $b offset=131068 (i32.const 0)))
  (func (export "wide") (param i32) (result i64)
    (i64.store $b (local.get 0) (i64.const 0x0102030405060708))
    (f64.store $b offset=8 (local.get 0) (f64.const 1.5))
    (f32.store $a offset=4 (local.get 0) (f32.const -2))
    (i64.add
      (i64.add
        (i64.load $b (local.get 0))
        (i64.reinterpret_f64 (f64.load $b offset=8 (local.get 0))))
      (i64.add
        (i64.load32_u $a offset=4 (local.get 0))
        (i64.load8_s $b offset=7 (local.get 0))))))
"#;

#[test]
fn two_memories_keep_their_own_bytes_bounds_and_sizes() {
    let oob = || trap(Trap::MemoryOutOfBounds);
    let wide = 0x40fa_0304_c506_0709u64;
    let cases: Vec<(Calls, Ending)> = vec![
        (&[("sizes", &[])], results(&[102])),
        (&[("load_a", &[0])], results(&[0x0403_0201])),
        (&[("load_b", &[0])], results(&[0x4030_2010])),
        // A store to one memory leaves the other alone.
        (
            &[("store_a", &[0, 7]), ("load_b", &[0])],
            results(&[0x4030_2010]),
        ),
        (
            &[("store_b", &[0, 0x99]), ("load_a", &[0])],
            results(&[0x0403_0201]),
        ),
        (
            &[("store_b", &[0, 0x99]), ("load_b", &[0])],
            results(&[0x4030_9910]),
        ),
        // Each memory's own bounds.
        (&[("load_a", &[65532])], results(&[0])),
        (&[("load_a", &[65533])], oob()),
        (&[("load_a", &[65536])], oob()),
        (&[("load_b", &[131068])], results(&[0xddcc_bbaa])),
        (&[("end_b", &[])], results(&[0xddcc_bbaa])),
        (&[("load_b", &[131069])], oob()),
        (&[("store_b", &[131071, 1])], oob()),
        // Growth, each memory to its own maximum.
        (&[("grow_a", &[1]), ("sizes", &[])], results(&[202])),
        (&[("grow_a", &[1]), ("load_a", &[65536])], results(&[0])),
        (&[("grow_a", &[1]), ("grow_a", &[1])], results(&[u32::MAX])),
        (&[("grow_b", &[2]), ("sizes", &[])], results(&[104])),
        (&[("grow_b", &[3])], results(&[u32::MAX])),
        (&[("load_b", &[262140])], oob()),
        (&[("grow_b", &[2]), ("load_b", &[262140])], results(&[0])),
        (
            &[
                ("grow_a", &[1]),
                ("store_a", &[131068, 5]),
                ("load_b", &[0]),
            ],
            results(&[0x4030_2010]),
        ),
        (&[("grow_a", &[1]), ("load_a", &[131069])], oob()),
        // i64, f64 and f32 accesses.
        (
            &[("wide", &[16])],
            results(&hullvm::compile::words_of_u64(wide)),
        ),
        (&[("wide", &[131064])], oob()),
    ];
    for (invocations, want) in cases {
        assert_eq!(
            exact(TWO_MEMORIES, &calls(invocations)),
            want,
            "{invocations:?}"
        );
    }
}

/// Memories that could together grow past the cap are unsupported, named
/// as such; one memory without a maximum alone still compiles.
#[test]
fn memories_past_the_cap_together_are_unsupported() {
    let two = r#"(module
  (memory $a 0)
  (memory $b 1)
  (func (export "f") (result i32) (memory.grow $a (i32.const 1))))"#;
    // A memory that never grows, beside one that can reach the cap.
    let one = r#"(module
  (memory $a 1)
  (memory $b 0)
  (func (export "f") (result i32) (memory.grow $b (i32.const 1))))"#;
    for wat in [two, one] {
        let err = hullvm::compile::compile(wat.as_bytes(), &invoke("f", &[])).unwrap_err();
        assert!(err.to_string().contains("across all memories"), "{err}");
    }
    let bounded = r#"(module
  (memory $a 0)
  (memory $b 1 2)
  (func (export "f") (result i32) (memory.grow $b (i32.const 1))))"#;
    assert_eq!(exact(bounded, &invoke("f", &[])), results(&[1]));
}

/// 300 targets: past the compare chain's size, searched by index.
#[test]
fn a_br_table_of_300_targets() {
    let n = 300;
    let blocks_open: String = (0..4).map(|b| format!("(block $b{b} ")).collect();
    // Target of index i: block i % 4, in runs of 7.
    let targets: String = (0..n).map(|i| format!("$b{} ", (i / 7) % 4)).collect();
    let mut body = format!("{blocks_open} (br_table {targets} $b3 (local.get 0))");
    for b in 0..4 {
        body.push_str(&format!(") (return (i32.const {}))", 100 + b));
    }
    let wat =
        format!("(module (func (export \"f\") (param i32) (result i32) {body} (i32.const 0)))");
    for i in [0u32, 6, 7, 13, 14, 150, 298, 299, 300, 301, u32::MAX] {
        // A branch to $b{k} lands after its end: `return 103 - k`.
        let want = if i < n { 103 - (i / 7) % 4 } else { 100 };
        assert_eq!(
            exact(&wat, &invoke("f", &[i])),
            results(&[want]),
            "index {i}"
        );
    }
}

fn exhausted() -> Ending {
    Ending::Exhausted {
        what: Exhaustion::CallStack,
    }
}

/// Runaway recursion ends as call stack exhaustion on the transformer,
/// the reference tracer and wasmi, in a bounded number of tokens.
#[test]
fn runaway_recursion_exhausts_the_call_stack_everywhere() {
    let direct = r#"(module (func $f (export "f") (call $f)))"#;
    let mutual = r#"(module
  (type $t (func (param i32) (result i32)))
  (table funcref (elem $a $b))
  (func $a (type $t) (call_indirect (type $t) (local.get 0) (i32.const 1)))
  (func $b (type $t) (call_indirect (type $t) (local.get 0) (i32.const 0)))
  (func (export "f") (result i32) (call $a (i32.const 5))))"#;
    for (wat, entry) in [(direct, invoke("f", &[])), (mutual, invoke("f", &[]))] {
        let checked = check_with(wat, &entry, Limits::default());
        assert!(
            checked.disagreement().is_none(),
            "{}",
            checked.disagreement().unwrap()
        );
        assert_eq!(checked.transformer.run.ending, exhausted());
        assert_eq!(checked.reference.as_ref().unwrap().run.ending, exhausted());
        assert_eq!(
            checked.wasmi.as_ref().unwrap().as_ref().unwrap().ending,
            exhausted()
        );
        let tokens = checked.transformer.trace.len();
        assert!(tokens < 1_000_000, "{tokens} tokens");
    }
}

/// Recursion as deep as the limit allows finishes, exactly.
#[test]
fn deep_finite_recursion_under_the_limit_is_exact() {
    let wat = r#"(module
  (func $sum (export "sum") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (local.get $n)
        (call $sum (i32.sub (local.get $n) (i32.const 1))))))))"#;
    let depth = Limits::default().call_depth as u32;
    // `sum n` has n + 1 frames.
    let n = depth - 1;
    assert_eq!(
        exact(wat, &invoke("sum", &[n])),
        results(&[n * (n + 1) / 2])
    );
    assert_eq!(exact(wat, &invoke("sum", &[n + 1])), exhausted());
}

/// Only recursive frames count on hullvm, every frame on wasmi: where a
/// non-recursive caller makes the difference, the two runs end otherwise,
/// and the check says so.
#[test]
fn a_run_at_the_depth_boundary_is_reported_not_passed() {
    let wat = r#"(module
  (func $down (param $n i32)
    (if (local.get $n) (then (call $down (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "f") (param i32) (call $down (local.get 0))))"#;
    let limits = Limits {
        call_depth: 40,
        ..Limits::tokens(1_000_000)
    };
    // 40 frames of $down and `f`'s own: 41 frames for wasmi.
    let checked = check_with(wat, &invoke("f", &[39]), limits);
    assert_eq!(checked.transformer.run.ending, results(&[]));
    assert_eq!(
        checked.wasmi.as_ref().unwrap().as_ref().unwrap().ending,
        exhausted()
    );
    let d = checked.disagreement().expect("a disagreement");
    assert_eq!(d.kind(), "wasmi mismatch", "{d}");
    // The arbiter counts frames as wasmi does: it does not overrule.
    assert!(!checked.overruled());
    let budget = Budget {
        fuel: 1 << 20,
        call_depth: 40,
    };
    for (n, want) in [(39, exhausted()), (38, results(&[]))] {
        let arbiter = arbiter::run(wat.as_bytes(), &invoke("f", &[n]), budget).unwrap();
        assert_eq!(arbiter.ending, want, "the arbiter at {n}");
    }
    // One frame less agrees.
    let checked = check_with(wat, &invoke("f", &[38]), limits);
    assert!(checked.disagreement().is_none());
}

/// A table that holds the output import and a function without results:
/// `call_indirect` reports like `call` (a path step at the return), and
/// through the import it prints.
#[test]
fn call_indirect_to_an_import_and_to_a_function_without_results() {
    let wat = r#"(module
  (import "env" "output_byte" (func $out (param i32)))
  (type $sink (func (param i32)))
  (table 2 funcref)
  (elem (i32.const 0) func $out $twice)
  (func $twice (type $sink)
    (call $out (local.get 0)) (call $out (local.get 0)))
  (func (export "f") (param $slot i32)
    (call_indirect (type $sink) (i32.const 65) (local.get $slot))
    (call_indirect (type $sink) (i32.const 66) (i32.sub (i32.const 1) (local.get $slot)))))"#;
    for slot in [0, 1] {
        let checked = check_with(wat, &invoke("f", &[slot]), Limits::tokens(1_000_000));
        assert!(
            checked.disagreement().is_none(),
            "{}",
            checked.disagreement().unwrap()
        );
        let want: &[u8] = if slot == 0 { b"ABB" } else { b"AAB" };
        assert_eq!(checked.transformer.run.output, want);
        assert_eq!(checked.transformer.run.ending, results(&[]));
    }
}

/// Whether an export can write state follows `call_indirect` into the
/// functions of its table with the expected type, and only those.
#[test]
fn writing_state_is_followed_through_tables() {
    let wat = r#"(module
  (memory 1)
  (type $pure (func (result i32)))
  (type $writes (func (param i32)))
  (table funcref (elem $one $store))
  (func $one (type $pure) (i32.const 1))
  (func $store (type $writes) (i32.store (i32.const 0) (local.get 0)))
  (func (export "pure") (result i32) (call_indirect (type $pure) (i32.const 0)))
  (func (export "writes") (call_indirect (type $writes) (i32.const 7) (i32.const 1))))"#;
    assert!(!hullvm::compile::export_writes_state(
        wat.as_bytes(),
        "pure"
    ));
    assert!(hullvm::compile::export_writes_state(
        wat.as_bytes(),
        "writes"
    ));
}

/// An element segment that does not fit its table traps the instantiation,
/// before any call, on the transformer, wasmi and the arbiter alike.
#[test]
fn an_element_segment_out_of_bounds_traps_the_instantiation() {
    let wat = r#"(module
      (table 2 funcref)
      (func $f (result i32) (i32.const 7))
      (elem (i32.const 1) $f $f)
      (func (export "g") (result i32) (i32.const 1)))"#;
    let entry = invoke("g", &[]);
    let checked = check_with(wat, &entry, Limits::tokens(100_000));
    assert!(
        checked.disagreement().is_none(),
        "{}",
        checked.disagreement().unwrap()
    );
    assert_eq!(checked.transformer.run.ending, trap(Trap::TableOutOfBounds));
    assert_eq!(
        checked.wasmi.clone().unwrap().unwrap(),
        checked.transformer.run
    );
    let budget = hullvm::oracle::wasmi::Budget::fuel(1 << 20);
    let arbiter = hullvm::oracle::arbiter::run(wat.as_bytes(), &entry, budget);
    assert_eq!(arbiter.unwrap().ending, trap(Trap::TableOutOfBounds));
}

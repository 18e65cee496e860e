//! The transformer decodes: its trace equals the reference tracer's, token
//! for token, with both KV caches; and breaking its weights breaks the run,
//! visibly, at a named token.

use hullvm::decode::attention::{BruteCache, HullCache};
use hullvm::decode::{Decoder, Stop};
use hullvm::harness::corpus;
use hullvm::isa::{Program, TraceFile};
use hullvm::oracle::reference;
use hullvm::verify::tokens as verify;
use std::path::PathBuf;

fn vectors_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors");
    dir.is_dir().then_some(dir).or_else(|| {
        eprintln!("skipped: ../shared/vectors not found");
        None
    })
}

fn read(dir: &std::path::Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

#[test]
fn both_caches_reproduce_the_published_traces() {
    let decoder = Decoder::new(hullvm::build_model());
    reproduce_the_published_traces(|_| &decoder, "full machine");
}

/// Each published program on the decoder `pick` gives it, with the hull
/// cache (and brute force where it is short), token for token.
fn reproduce_the_published_traces<'d>(pick: impl Fn(&Program) -> &'d Decoder, machine: &str) {
    let Some(dir) = vectors_dir() else { return };
    for name in ["hello", "addition", "fibonacci", "collatz"] {
        let program = Program::parse(&read(&dir, &format!("{name}.txt"))).unwrap();
        let expected = TraceFile::parse(&read(&dir, &format!("{name}_ref.txt"))).unwrap();
        let decoder = pick(&program);
        let limit = expected.trace.len() + 10;
        let hull = decoder.session::<HullCache>().run(&program, limit);
        if let Some(d) = verify::first_divergence(&program, &expected.trace, &hull.trace) {
            panic!("{name} (hull, {machine}): {d}");
        }
        assert_eq!(hull.stop, Stop::Halted);
        if name != "collatz" {
            let brute = decoder.session::<BruteCache>().run(&program, limit);
            assert_eq!(
                brute.trace, hull.trace,
                "{name} ({machine}): brute and hull differ"
            );
        }
    }
}

/// `build_decoder` hands a program that uses no extension op to the
/// published machine, smaller than the built one, which reproduces the
/// published traces with both caches; a program with an extension op runs
/// on the built machine.
#[test]
fn the_published_machine_runs_exactly_the_programs_without_extension_ops() {
    let built = hullvm::build_decoder();
    let corpus_program = |name: &str, input: &[u8]| {
        let path = corpus::repo_root().join(format!("corpora/c/{name}.wasm"));
        let wasm = std::fs::read(path).unwrap();
        hullvm::compile::compile_compute(&wasm, input)
            .unwrap()
            .program
    };
    let crc = corpus_program("crc32", b"");
    assert!(crc.instrs.iter().any(|i| !i.op.is_published()));
    assert!(!built.for_program(&crc).is_published());
    // Of the corpus, only sudoku compiles to core ops alone.
    let sudoku = corpus_program("sudoku", b"8000000000036");
    let published = built.for_program(&sudoku);
    assert!(published.is_published());
    let (small, full) = (&published.model.config, &built.model.config);
    assert!(small.heads < full.heads && small.d_ffn < full.d_ffn);
    assert!(small.d_model < full.d_model);

    let published_only = |program: &Program| {
        let decoder = built.for_program(program);
        assert!(
            decoder.is_published(),
            "a published program uses only published ops"
        );
        decoder
    };
    reproduce_the_published_traces(published_only, "published machine");
}

#[test]
fn every_corpus_program_runs_exactly_on_the_transformer() {
    let decoder = Decoder::new(hullvm::build_model());
    for p in corpus::bundled().unwrap() {
        let wasm = std::fs::read(&p.path).unwrap();
        let entry = hullvm::compile::Entry::for_module(&wasm, p.input.clone());
        let compiled = hullvm::compile::compile(&wasm, &entry).unwrap();
        let r = reference::run(&compiled.program, 50_000_000);
        let run = decoder
            .session::<HullCache>()
            .run(&compiled.program, 50_000_000);
        if let Some(d) = verify::first_divergence(&compiled.program, &r.trace, &run.trace) {
            panic!("{}: {d}", p.name);
        }
        // A WASI command's exit status follows its bytes as a result word
        // (tests/corpus.rs checks it against the manifest).
        let (output, _) = compiled.split_output(&run.output).unwrap();
        assert_eq!(output, p.expected_output, "{}", p.name);
        eprintln!("{}: {} tokens agree", p.name, run.trace.len());
    }
}

/// A model with one part switched off must leave the reference trace of
/// collatz on 7, and the divergence must be reported with its position.
fn assert_breaks(
    model: hullvm::weights::Model,
    what: &str,
    edit: impl FnOnce(&mut hullvm::weights::Model),
) {
    let wasm = std::fs::read(corpus::repo_root().join("corpora/c/collatz.wasm")).unwrap();
    let compiled = hullvm::compile::compile_compute(&wasm, b"7").unwrap();
    assert_breaks_on(&compiled.program, model, what, edit);
}

fn assert_breaks_on(
    program: &Program,
    mut model: hullvm::weights::Model,
    what: &str,
    edit: impl FnOnce(&mut hullvm::weights::Model),
) {
    edit(&mut model);
    let decoder = Decoder::new(model);
    let r = reference::run(program, 1_000_000);
    let run = decoder
        .session::<HullCache>()
        .run(program, r.trace.len() + 100);
    let d = verify::first_divergence(program, &r.trace, &run.trace)
        .unwrap_or_else(|| panic!("{what}: the run still matches"));
    let text = d.to_string();
    assert!(text.contains("first divergence at token"), "{text}");
    assert!(text.contains("expected"), "{text}");
    eprintln!("{what}: {text}");
}

#[test]
fn zeroing_an_ffn_or_a_head_breaks_the_run_and_is_reported() {
    let model = hullvm::build_model();
    // The untouched model matches (the corpus test covers it at length).
    assert_breaks(model.clone(), "layer 6 FFN zeroed", |m| {
        m.layers[6].ffn_out.fill(0.0)
    });
    assert_breaks(model.clone(), "layer 4 FFN zeroed", |m| {
        m.layers[4].ffn_out.fill(0.0)
    });
    let head = model.config.head_info[4]
        .iter()
        .position(|h| h.name == "top")
        .unwrap();
    assert_breaks(model, "stack-top head zeroed", |m| {
        m.layers[4].output.column_mut(2 * head).fill(0.0);
        m.layers[4].output.column_mut(2 * head + 1).fill(0.0);
    });
}

/// Every extension op over every shift count, signs and bytes that the
/// window reads past: both caches give the reference's tokens, and cutting
/// a head or an FFN node of the new circuits breaks the run.
#[test]
fn the_extension_ops_are_exact_and_their_circuits_carry_them() {
    let wat = r#"(module
      (import "env" "output_byte" (func $out (param i32)))
      (memory 1)
      (func $emit (param $v i32)
        (call $out (local.get $v)))
      (func (export "compute")
        (local $i i32) (local $x i32)
        (local.set $x (i32.const 0x9e3779b9))
        (loop $counts
          (call $emit (i32.shl (local.get $x) (local.get $i)))
          (call $emit (i32.shr_u (local.get $x) (local.get $i)))
          (call $emit (i32.shr_s (local.get $x) (local.get $i)))
          (call $emit (i32.and (local.get $x) (i32.rotl (local.get $x) (local.get $i))))
          (call $emit (i32.or (local.get $x) (i32.rotr (local.get $x) (local.get $i))))
          (local.set $x (i32.xor (local.get $x) (i32.mul (local.get $i) (i32.const 0x01000193))))
          (br_if $counts (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                                 (i32.const 34))))))"#;
    let program = hullvm::compile::compile_compute(wat.as_bytes(), b"")
        .unwrap()
        .program;
    let model = hullvm::build_model();
    let decoder = Decoder::new(model.clone());
    let r = reference::run(&program, 2_000_000);
    // Brute force is O(n) per token: it checks the first tokens.
    const BRUTE: usize = 6_000;
    let hull = decoder.session::<HullCache>().run(&program, 2_000_000);
    if let Some(d) = verify::first_divergence(&program, &r.trace, &hull.trace) {
        panic!("hull: {d}");
    }
    assert_eq!(hull.output.len(), 34 * 5);
    let brute = decoder.session::<BruteCache>().run(&program, BRUTE);
    assert_eq!(brute.trace, r.trace[..BRUTE]);
    let head = |name: &str| {
        let (l, heads) = (model.config.head_info.iter().enumerate())
            .find(|(_, heads)| heads.iter().any(|h| h.name == name))
            .unwrap();
        (l, heads.iter().position(|h| h.name == name).unwrap())
    };
    for name in [
        "shift_high_mod32_128",
        "shift_count",
        "top_byte_crumbs",
        "second_byte_crumbs",
    ] {
        let (l, h) = head(name);
        assert_breaks_on(&program, model.clone(), name, |m| {
            m.layers[l].output.column_mut(2 * h).fill(0.0);
            m.layers[l].output.column_mut(2 * h + 1).fill(0.0);
        });
    }
    // A head whose query reads one position further than its would-be
    // leader's is answered on its own: both caches leave the reference
    // together.
    let (l, h) = head("top_byte_crumbs");
    let card = |m: &hullvm::weights::Model| {
        let cards = Decoder::new(m.clone()).head_cards();
        let c = cards.iter().find(|c| c.layer == l && c.head == h).unwrap();
        c.answered_by.clone()
    };
    assert_eq!(card(&model), "position, by token, winner of top_byte");
    let one = (0..model.config.d_model)
        .find(|&s| model.embedding.column(s).iter().all(|&v| v == 1.0))
        .unwrap();
    let mut moved = model.clone();
    moved.layers[l].query[[2 * h, one]] += 1.0;
    assert_eq!(card(&moved), "position, by token");
    let decoder = Decoder::new(moved);
    let hull = decoder.session::<HullCache>().run(&program, 2_000_000);
    let brute = decoder.session::<BruteCache>().run(&program, BRUTE);
    assert_eq!(hull.trace[..BRUTE], brute.trace);
    assert!(verify::first_divergence(&program, &r.trace, &brute.trace).is_some());
    let units = hullvm::transformer::ffn_units();
    for node in ["shift_low_inside", "shift_bits==5", "second_bit3"] {
        let (l, rows) = units[node].clone();
        assert_breaks_on(&program, model.clone(), node, |m| {
            for u in rows {
                m.layers[l].ffn_out.column_mut(u).fill(0.0);
            }
        });
    }
}

/// Brute force is O(n) per token, so each corpus program with a short
/// prompt is compared over its first tokens (whole runs for the short ones).
#[test]
fn brute_and_hull_agree_on_the_corpus() {
    const PREFIX: usize = 4_000;
    let decoder = Decoder::new(hullvm::build_model());
    let mut compared = 0;
    for p in corpus::bundled().unwrap() {
        let src = hullvm::harness::input::load(&p.path, Some(&p.input)).unwrap();
        if src.program.prompt().len() > 6_000 {
            continue;
        }
        let hull = decoder.session::<HullCache>().run(&src.program, PREFIX);
        let brute = decoder.session::<BruteCache>().run(&src.program, PREFIX);
        if let Some(d) = verify::first_divergence(&src.program, &hull.trace, &brute.trace) {
            panic!("{}: brute leaves the hull's trace: {d}", p.name);
        }
        compared += 1;
    }
    assert!(compared >= 9, "only {compared} programs have short prompts");
}

/// The model saved as safetensors + JSON and loaded back is the same model
/// and decodes the same tokens as the one built in memory.
#[test]
fn a_saved_and_loaded_model_decodes_the_same_tokens() {
    let built = hullvm::build_model();
    let dir = std::env::temp_dir().join(format!("hullvm-roundtrip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let base = dir.join("model");
    built.save(&base).unwrap();
    let loaded = hullvm::weights::Model::load(&base).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        loaded == built,
        "the loaded weights differ from the saved ones"
    );
    let wasm = corpus::repo_root().join("corpora/c/addition.wasm");
    let src = hullvm::harness::input::load(&wasm, Some(b"12345+6789")).unwrap();
    let runs: Vec<_> = [built, loaded]
        .into_iter()
        .map(|m| {
            Decoder::new(m)
                .session::<HullCache>()
                .run(&src.program, 1_000_000)
        })
        .collect();
    assert_eq!(runs[0].stop, Stop::Halted);
    assert!(runs[0].trace == runs[1].trace, "traces differ");
    assert_eq!(runs[1].output, b"19134\n");
}

/// `i32.mul`, `i32.div_u` and `i32.clz` on the transformer: products
/// whose columns and carries reach their extremes (all-ones operands, a
/// carry into every byte), quotients with every digit set or just one, and
/// a xorshift walk over the rest (with `rem_u`, which is `a - b * (a / b)`,
/// and `clz` of every bit length), exact with both caches; their heads and
/// units carry the results.
#[test]
fn the_native_multiply_and_divide_are_exact_and_their_circuits_carry_them() {
    let wat = r#"(module
      (import "env" "output_byte" (func $out (param i32)))
      (memory 1)
      (func $emit (param $v i32)
        (call $out (local.get $v))
        (call $out (i32.shr_u (local.get $v) (i32.const 8)))
        (call $out (i32.shr_u (local.get $v) (i32.const 16)))
        (call $out (i32.shr_u (local.get $v) (i32.const 24))))
      (func (export "compute")
        (local $i i32) (local $x i32) (local $y i32)
        (call $emit (i32.mul (i32.const -1) (i32.const -1)))
        (call $emit (i32.mul (i32.const 0xffff) (i32.const 0xffff)))
        (call $emit (i32.mul (i32.const 0x00ff00ff) (i32.const 0xff00ff01)))
        (call $emit (i32.mul (i32.const 0x80000000) (i32.const 3)))
        (call $emit (i32.div_u (i32.const -1) (i32.const 1)))
        (call $emit (i32.div_u (i32.const -1) (i32.const -1)))
        (call $emit (i32.div_u (i32.const 0x80000000) (i32.const 0x7fffffff)))
        (call $emit (i32.div_u (i32.const -1) (i32.const 0x100)))
        (call $emit (i32.div_u (i32.const 12345) (i32.const 0x10000)))
        (local.set $x (i32.const 0x9e3779b9))
        (loop $walk
          (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 13))))
          (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 17))))
          (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 5))))
          (local.set $y (i32.mul (local.get $x) (i32.const 0x2545f491)))
          (call $emit (i32.mul (local.get $x) (local.get $y)))
          (call $emit (i32.mul (i32.shr_u (local.get $y) (local.get $i)) (local.get $x)))
          (call $emit (i32.div_u (local.get $x) (i32.or (i32.shr_u (local.get $y) (local.get $i)) (i32.const 1))))
          (call $emit (i32.rem_u (local.get $y) (i32.or (i32.shr_u (local.get $x) (local.get $i)) (i32.const 1))))
          (call $emit (i32.clz (i32.shr_u (local.get $y) (local.get $i))))
          (br_if $walk (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                               (i32.const 32))))))"#;
    let program = hullvm::compile::compile_compute(wat.as_bytes(), b"")
        .unwrap()
        .program;
    let expected: Vec<u8> = {
        let mut products = vec![
            u32::MAX.wrapping_mul(u32::MAX),
            0xffff * 0xffff,
            0x00ff_00ffu32.wrapping_mul(0xff00_ff01),
            0x8000_0000u32.wrapping_mul(3),
            u32::MAX,
            1,
            1,
            0x00ff_ffff,
            0,
        ];
        let mut x: u32 = 0x9e37_79b9;
        for i in 0..32 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let y = x.wrapping_mul(0x2545_f491);
            products.push(x.wrapping_mul(y));
            products.push((y >> i).wrapping_mul(x));
            products.push(x / ((y >> i) | 1));
            products.push(y % ((x >> i) | 1));
            products.push((y >> i).leading_zeros());
        }
        products.iter().flat_map(|p| p.to_le_bytes()).collect()
    };
    let model = hullvm::build_model();
    let decoder = Decoder::new(model.clone());
    let r = reference::run(&program, 2_000_000);
    assert_eq!(r.output, expected, "the reference tracer");
    let hull = decoder.session::<HullCache>().run(&program, 2_000_000);
    if let Some(d) = verify::first_divergence(&program, &r.trace, &hull.trace) {
        panic!("hull: {d}");
    }
    assert_eq!(hull.output, expected);
    const BRUTE: usize = 3_000;
    let brute = decoder.session::<BruteCache>().run(&program, BRUTE);
    assert_eq!(brute.trace, r.trace[..BRUTE]);
    for name in ["mul_top[3]", "mul_second[0]", "div_digit"] {
        let (l, h) = (model.config.head_info.iter().enumerate())
            .find_map(|(l, heads)| Some((l, heads.iter().position(|h| h.name == name)?)))
            .unwrap();
        assert_breaks_on(&program, model.clone(), name, |m| {
            m.layers[l].output.column_mut(2 * h).fill(0.0);
        });
    }
    let units = hullvm::transformer::ffn_units();
    for node in [
        "mul_remainder",
        "k==7",
        "div_divisor2",
        "result_scale",
        "bit_length",
    ] {
        let (l, rows) = units[node].clone();
        assert_breaks_on(&program, model.clone(), node, |m| {
            for u in rows {
                m.layers[l].ffn_out.column_mut(u).fill(0.0);
            }
        });
    }
}

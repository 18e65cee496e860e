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
    let Some(dir) = vectors_dir() else { return };
    let decoder = Decoder::new(hullvm::build_model());
    for name in ["hello", "addition", "fibonacci", "collatz"] {
        let program = Program::parse(&read(&dir, &format!("{name}.txt"))).unwrap();
        let expected = TraceFile::parse(&read(&dir, &format!("{name}_ref.txt"))).unwrap();
        let limit = expected.trace.len() + 10;
        let hull = decoder.session::<HullCache>().run(&program, limit);
        if let Some(d) = verify::first_divergence(&program, &expected.trace, &hull.trace) {
            panic!("{name} (hull): {d}");
        }
        assert_eq!(hull.stop, Stop::Halted);
        if name != "collatz" {
            let brute = decoder.session::<BruteCache>().run(&program, limit);
            assert_eq!(
                brute.trace, hull.trace,
                "{name}: brute and hull traces differ"
            );
        }
    }
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

/// A model with one part switched off must leave the reference trace, and
/// the divergence must be reported with its position.
fn assert_breaks(
    mut model: hullvm::weights::Model,
    what: &str,
    edit: impl FnOnce(&mut hullvm::weights::Model),
) {
    edit(&mut model);
    let decoder = Decoder::new(model);
    let wasm = std::fs::read(corpus::repo_root().join("corpora/c/collatz.wasm")).unwrap();
    let compiled = hullvm::compile::compile_compute(&wasm, b"7").unwrap();
    let r = reference::run(&compiled.program, 1_000_000);
    let run = decoder
        .session::<HullCache>()
        .run(&compiled.program, r.trace.len() + 100);
    let d = verify::first_divergence(&compiled.program, &r.trace, &run.trace)
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

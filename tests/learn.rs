//! The learning demo (#18): knocking out output weights of the last
//! layer's FFN makes the hard decoder inexact, and gradient descent through
//! the soft model on hello's reference trace recovers them until the hard
//! decoder is exact again on programs it was not trained on, including
//! those a plain negative log-likelihood's weights fail.

use hullvm::decode::Decoder;
use hullvm::harness::check::check_corpus_program;
use hullvm::harness::corpus::{self, CorpusProgram};
use hullvm::harness::{input, results::CorpusRow};
use hullvm::oracle::reference;
use hullvm::soft::gradient::window_gradient;
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

/// Held-out programs cheap enough for a test build: addition, and those
/// where weights learnt under the plain negative log-likelihood (logit
/// temperature 1) left the trace, an `out(ff)`-like token outscoring a
/// due `branch_taken` or byte. Shortest first, as `hullvm learn` checks.
const HELD_OUT: [&str; 6] = [
    "traps_overflow",
    "addition",
    "stack_branches",
    "lowering",
    "fnptr",
    "core_ops",
];

/// The default of `hullvm learn`.
const LOGIT_TEMPERATURE: f64 = 65_536.0;

/// d loss / d trainable weight, unit by unit (each has one).
fn trainable_gradient(model: &Model, t: Temperature, window: &Window) -> Vec<f64> {
    let knockout = knockout();
    let trainable = knockout.apply(&hullvm::build_model()).unwrap().trainable;
    let g = window_gradient(model, t, &window.reference, window.start, window.tokens).unwrap();
    let d = &g.d.layers[knockout.layer].ffn_out;
    let mut out = Vec::new();
    for (i, &u) in knockout.units.iter().enumerate() {
        for s in 0..model.config.d_model {
            if trainable[[i, s]] {
                out.push(d[[s, u]]);
            }
        }
    }
    out
}

#[test]
fn gradient_descent_on_hello_recovers_exactness_on_every_held_out_program() {
    let built = hullvm::build_model();
    let knockout = knockout();
    let knocked = knockout.apply(&built).unwrap();
    let mut model = knocked.model.clone();
    let window = hello_window();
    let temperature = Temperature::for_positions(1e5, window.reference.tokens.len())
        .with_logits(LOGIT_TEMPERATURE);
    let schedule = Schedule {
        temperature,
        learning_rate: 0.01,
        max_steps: 20,
        check_every: 1,
    };
    let mut checks = Vec::new();
    let mut recovered = |m: &Model, step: usize| {
        let decoder = Decoder::new(m.clone());
        let ok = HELD_OUT.iter().all(|name| {
            check_corpus_program(&decoder, &program(name), 1_000_000)
                .unwrap()
                .ok()
        });
        checks.push((step, ok));
        Ok(ok)
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
    assert_eq!(checks.first(), Some(&(0, false)));
    assert_eq!(checks.last(), Some(&(steps, true)));
    // Every training token is the soft model's argmax again, and the
    // loss fell.
    let first = learning.steps.first().unwrap().loss;
    assert!(
        learning.final_loss < first,
        "{first} -> {}",
        learning.final_loss
    );
    assert_eq!(learning.final_correct, learning.training_tokens);
    // Only the knocked-out weights moved, and each of them did.
    for (i, &u) in knockout.units.iter().enumerate() {
        for s in 0..model.config.d_model {
            let learnt = model.layers[knockout.layer].ffn_out[[s, u]];
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
    // Why it generalises: at the learnt weights the tempered loss still
    // pushes every one of them up (a kind's logit over 2^16 is 16 x its
    // weight, a few nats here), while the plain negative log-likelihood
    // has stopped pushing: hello's tokens are already certain.
    let tempered = trainable_gradient(&model, temperature, &window);
    let plain = trainable_gradient(&model, temperature.with_logits(1.0), &window);
    assert_eq!(tempered.len(), 12);
    assert!(tempered.iter().all(|&g| g < -10.0), "{tempered:?}");
    assert!(plain.iter().all(|&g| g.abs() < 1e-6), "{plain:?}");
}

//! The soft decoder (#18): softmax attention reproduces hello's trace at a
//! large beta and not at a small one, and the hand-written gradients agree
//! with finite differences.

use hullvm::harness::{corpus, input};
use hullvm::isa::Token;
use hullvm::oracle::reference;
use hullvm::soft::check::{finite_differences, random_model};
use hullvm::soft::gradient::window_gradient;
use hullvm::soft::{decode, evaluate, Reference, Temperature, Until};

/// hello's prompt and its reference run (about 670 generated tokens).
fn hello() -> Reference {
    let hello = corpus::bundled()
        .unwrap()
        .into_iter()
        .find(|p| p.name == "hello")
        .expect("hello is a bundled corpus program");
    let source = input::load(&hello.path, Some(&hello.input)).unwrap();
    let run = reference::run(&source.program, 100_000);
    assert!(
        matches!(run.outcome, reference::Outcome::Halted { .. }),
        "hello did not halt: {:?}",
        run.outcome
    );
    Reference::from_trace(&source.program, &run.trace)
}

fn at(beta: f64, reference: &Reference) -> Temperature {
    Temperature::for_positions(beta, reference.tokens.len())
}

#[test]
fn greedy_soft_decoding_at_a_large_beta_reproduces_hellos_trace() {
    let model = hullvm::build_model();
    let hello = hello();
    let n = hello.generated().len();
    assert!(n > 500, "hello generates {n} tokens");
    let t = at(1e5, &hello);
    let prompt = &hello.tokens[..hello.prompt];
    let decoded = decode(&model, t, prompt, hello.generated().len()).unwrap();
    assert_eq!(decoded.as_slice(), hello.generated());
    assert_eq!(decoded.last(), Some(&Token::halt()));
    let eval = evaluate(&model, t, &hello, usize::MAX, Until::WindowEnd).unwrap();
    assert_eq!(eval.exact_prefix, n);
    assert!(eval.reproduces_run() && eval.divergence.is_none());
    // Exact is not certain: the unembedding's margins are about 1, so the
    // reference tokens carry a finite log-probability.
    assert!(
        eval.log_prob < -100.0 && eval.log_prob > -1000.0,
        "{}",
        eval.log_prob
    );
}

#[test]
fn at_small_betas_soft_decoding_leaves_hellos_trace() {
    let model = hullvm::build_model();
    let hello = hello();
    let blended = evaluate(
        &model,
        at(1.0, &hello),
        &hello,
        usize::MAX,
        Until::WindowEnd,
    )
    .unwrap();
    assert_eq!(blended.exact_prefix, 0);
    assert_eq!(blended.divergence.as_ref().map(|d| d.index), Some(0));
    assert!(!blended.reproduces_run());
    let partial = evaluate(
        &model,
        at(1e3, &hello),
        &hello,
        usize::MAX,
        Until::WindowEnd,
    )
    .unwrap();
    assert!(
        partial.exact_prefix > 0 && partial.exact_prefix < hello.generated().len(),
        "beta 1e3 reproduces {} tokens",
        partial.exact_prefix
    );
    assert!(partial.log_prob < blended.log_prob.max(-1e6));
}

/// At logit temperature 1, the model's own distribution; at 2, a loss
/// where a missing or doubled division by the temperature would show.
#[test]
fn gradients_agree_with_finite_differences_below_1e_6() {
    let built = hullvm::build_model();
    let hello = hello();
    let tokens: Vec<u16> = hello.tokens.iter().map(|t| t.0).collect();
    let model = random_model(&built, 0.1, 18);
    for logits in [1.0, 2.0] {
        let t = Temperature::for_positions(1.0, 8).with_logits(logits);
        let report = finite_differences(&model, t, &tokens, 0..8, 4, 1e-3, 18).unwrap();
        let worst = report.worst().unwrap();
        assert!(
            worst.relative_error < 1e-6,
            "logit temperature {logits}: worst relative error {:e} at {}[{}, {}]",
            worst.relative_error,
            worst.tensor,
            worst.row,
            worst.col
        );
        // Most checked coordinates are real relative comparisons, and every
        // tensor had some.
        assert!(report.significant() > 200, "{}", report.significant());
        assert!(report.kinks < 40, "{} kinks", report.kinks);
        for (name, _) in built.tensors() {
            assert!(
                report.coordinates.iter().any(|c| c.tensor == name),
                "{name} was not checked"
            );
        }
        assert!(report.coordinates.iter().all(|c| c.numeric.is_finite()));
    }
}

#[test]
fn the_gradients_loss_is_the_evaluations_negative_log_probability() {
    let model = hullvm::build_model();
    let hello = hello();
    let window = 40;
    let mut losses = Vec::new();
    for logits in [1.0, 65_536.0] {
        let t = at(1e5, &hello).with_logits(logits);
        let g = window_gradient(&model, t, &hello, 0, window).unwrap();
        let eval = evaluate(&model, t, &hello, window, Until::WindowEnd).unwrap();
        assert_eq!(g.scored, window);
        assert!(
            (g.loss + eval.log_prob).abs() <= 1e-9 * g.loss.abs(),
            "{} vs {}",
            g.loss,
            -eval.log_prob
        );
        // The unembedding is where a saturated softmax still passes gradient.
        let norm: f64 = g.d.unembedding.iter().map(|x| x * x).sum::<f64>().sqrt();
        assert!(norm > 0.0);
        // What decoding emits does not depend on the logit temperature.
        assert_eq!(eval.exact_prefix, window);
        losses.push(g.loss);
    }
    // Divided by 2^16, the built model's logit gaps are a few nats, not
    // thousands: its tokens are no longer certain.
    assert!(losses[1] > losses[0], "{losses:?}");
}

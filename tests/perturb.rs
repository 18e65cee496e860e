//! Ablations: perturb the weights of one head of each kind (answered by
//! position arithmetic, by a running sum, by a hull search) and of one FFN
//! unit, and decode with both KV caches. Whether or not a perturbed model
//! stays on the reference trace, the hull and brute force must give the
//! same tokens, or refuse (Stop::Inexact) instead of guessing. Perturbing
//! what the position shortcut assumes must turn the shortcut off.

use hullvm::decode::attention::{BruteCache, HullCache};
use hullvm::decode::{Decoded, Decoder, Stop};
use hullvm::harness::{corpus, input};
use hullvm::isa::{Program, Token};
use hullvm::oracle::reference;
use hullvm::weights::Model;
use std::sync::OnceLock;

/// Trace tokens decoded per program (hello halts well before).
const TOKENS: usize = 3_000;

struct Case {
    name: &'static str,
    program: Program,
    reference: Vec<Token>,
}

fn cases() -> &'static [Case] {
    static CASES: OnceLock<Vec<Case>> = OnceLock::new();
    CASES.get_or_init(|| {
        [
            ("hello", "corpora/c/hello.wasm", "World"),
            ("addition", "corpora/c/addition.wasm", "12345+6789"),
        ]
        .into_iter()
        .map(|(name, path, text)| {
            let path = corpus::repo_root().join(path);
            let program = input::load(&path, Some(text.as_bytes())).unwrap().program;
            let reference = reference::run(&program, TOKENS).trace;
            Case {
                name,
                program,
                reference,
            }
        })
        .collect()
    })
}

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(hullvm::build_model)
}

/// (layer, head) of the head that looks up `name`.
fn head(name: &str) -> (usize, usize) {
    model()
        .config
        .head_info
        .iter()
        .enumerate()
        .find_map(|(l, heads)| Some((l, heads.iter().position(|h| h.name == name)?)))
        .unwrap_or_else(|| panic!("no head {name}"))
}

/// How the decoder answers head (layer, head).
fn answered_by(decoder: &Decoder, (layer, head): (usize, usize)) -> String {
    let cards = decoder.head_cards();
    let card = cards.iter().find(|c| c.layer == layer && c.head == head);
    card.unwrap().answered_by.clone()
}

/// The two caches agree: the same tokens and the same stop, or one of them
/// refused (Stop::Inexact) where the other went on, with the same tokens
/// up to the refusal.
fn assert_agree(what: &str, program: &str, hull: &Decoded, brute: &Decoded) {
    if hull.stop == brute.stop {
        assert!(
            hull.trace == brute.trace,
            "{what}, {program}: traces differ"
        );
        return;
    }
    let (short, long) = match (&hull.stop, &brute.stop) {
        (Stop::Inexact { .. }, _) => (hull, brute),
        (_, Stop::Inexact { .. }) => (brute, hull),
        (h, b) => panic!("{what}, {program}: hull {h:?}, brute force {b:?}"),
    };
    assert!(
        long.trace.starts_with(&short.trace),
        "{what}, {program}: traces differ before the refusal"
    );
}

/// What a perturbed model did over the cases.
#[derive(Debug, Default)]
struct Effect {
    /// Programs whose trace left the reference.
    left_reference: Vec<&'static str>,
    /// Refusals, by program.
    refused: Vec<(&'static str, String)>,
}

/// Decode every case with both caches, check they agree, and report how
/// the run compares with the reference.
fn decode_both(what: &str, model: Model) -> Effect {
    let decoder = Decoder::new(model);
    let mut effect = Effect::default();
    for case in cases() {
        let hull = decoder.session::<HullCache>().run(&case.program, TOKENS);
        let brute = decoder.session::<BruteCache>().run(&case.program, TOKENS);
        assert_agree(what, case.name, &hull, &brute);
        if hull.trace != case.reference {
            effect.left_reference.push(case.name);
        }
        for stop in [&hull.stop, &brute.stop] {
            if let Stop::Inexact { .. } = stop {
                effect.refused.push((case.name, stop.to_string()));
            }
        }
    }
    eprintln!("{what}: {effect:?}");
    effect
}

fn perturbed(edit: impl FnOnce(&mut Model)) -> Model {
    let mut m = model().clone();
    edit(&mut m);
    m
}

/// Rows 2h and 2h+1 of one of a head's projections.
fn scale_rows(m: &mut ndarray::Array2<f64>, h: usize, factor: f64) {
    for r in [2 * h, 2 * h + 1] {
        m.row_mut(r).mapv_inplace(|v| v * factor);
    }
}

#[test]
fn the_shipped_model_stays_on_the_reference_with_both_caches() {
    let effect = decode_both("unperturbed", model().clone());
    assert!(effect.left_reference.is_empty() && effect.refused.is_empty());
}

/// prev1 is answered by position arithmetic. Its query scaled by 1.3 is a
/// positive multiple of the same direction, but rounded in f64 coordinate
/// by coordinate; keys no longer (2p, -p^2) take it off the shortcut.
#[test]
fn a_position_head_perturbed() {
    let (l, h) = head("prev1");
    assert_eq!(
        answered_by(&Decoder::new(model().clone()), (l, h)),
        "position, by token"
    );
    let query = decode_both(
        "prev1 query x1.3",
        perturbed(|m| scale_rows(&mut m.layers[l].query, h, 1.3)),
    );
    // score(j) = 1.3 (2 qx j - qy j^2) peaks where it did: the nearest
    // position to qx/qy is unchanged by the rounding.
    assert!(query.left_reference.is_empty(), "{query:?}");
    let key = perturbed(|m| m.layers[l].key[[2 * h, m.config.position_slots[0]]] = 3.0);
    assert_eq!(answered_by(&Decoder::new(key.clone()), (l, h)), "hull");
    let key = decode_both("prev1 key 2p -> 3p", key);
    assert!(!key.left_reference.is_empty(), "{key:?}");
    let value = decode_both(
        "prev1 value x1.3",
        perturbed(|m| scale_rows(&mut m.layers[l].value, h, 1.3)),
    );
    assert!(!value.left_reference.is_empty(), "{value:?}");
}

/// sums.avg has no key rows: every key is (0, 0) and the head averages
/// every value so far, summed in the same order by both caches.
#[test]
fn a_constant_head_perturbed() {
    let (l, h) = head("sums.avg");
    assert_eq!(
        answered_by(&Decoder::new(model().clone()), (l, h)),
        "running sum"
    );
    // Every score is 0 whatever the query: nothing changes.
    let query = decode_both(
        "sums.avg query x1.3",
        perturbed(|m| scale_rows(&mut m.layers[l].query, h, 1.3)),
    );
    assert!(
        query.left_reference.is_empty() && query.refused.is_empty(),
        "{query:?}"
    );
    // Keys (p, 0): the query's sign picks the first or the latest position.
    let pos = model().config.position_slots[0];
    let key = perturbed(|m| m.layers[l].key[[2 * h, pos]] = 1.0);
    assert_eq!(answered_by(&Decoder::new(key.clone()), (l, h)), "hull");
    decode_both("sums.avg key reads p", key);
    // Values x1.3 are no longer integers: averaging them is exact only
    // while their sums are.
    let value = decode_both(
        "sums.avg value x1.3",
        perturbed(|m| scale_rows(&mut m.layers[l].value, h, 1.3)),
    );
    assert!(!value.left_reference.is_empty(), "{value:?}");
}

/// `top` is searched by the hull; the same edits as above, keys scaled
/// by 1.3 too (the caches raise their power-of-two key scale).
#[test]
fn a_general_head_perturbed() {
    let (l, h) = head("top");
    assert_eq!(answered_by(&Decoder::new(model().clone()), (l, h)), "hull");
    // A positive scale keeps every argmax in exact arithmetic; rounding
    // 1.3 qx and 1.3 qy apart tilts the query a little, which flips no
    // winner on these programs. (Before the caches were exact, brute force
    // left the reference here and the hull, rounding, did not.)
    let query = decode_both(
        "top query x1.3",
        perturbed(|m| scale_rows(&mut m.layers[l].query, h, 1.3)),
    );
    assert!(
        query.left_reference.is_empty() && query.refused.is_empty(),
        "{query:?}"
    );
    // The head's keys mix -1e30 (about 2^100) with small ones. Scaled by
    // 1.3 the small ones have 51 binary digits after the point, so at one
    // scale the large ones need 151 bits, over the exact domain's 120: both
    // caches refuse at the same key.
    let key = decode_both(
        "top key x1.3",
        perturbed(|m| scale_rows(&mut m.layers[l].key, h, 1.3)),
    );
    assert_eq!(key.refused.len(), 2 * cases().len(), "{key:?}");
    let value = decode_both(
        "top value +0.5",
        perturbed(|m| m.layers[l].value[[2 * h, 0]] += 0.5),
    );
    assert!(!value.left_reference.is_empty(), "{value:?}");
}

/// One FFN unit of the last layer, its output scaled.
#[test]
fn an_ffn_unit_perturbed() {
    let m = model();
    let last = m.layers.len() - 1;
    let unit = (0..m.config.d_ffn)
        .find(|&u| m.layers[last].ffn_out.column(u).iter().any(|&v| v != 0.0))
        .unwrap();
    let effect = decode_both(
        "last FFN unit x1.3",
        perturbed(|m| {
            m.layers[last]
                .ffn_out
                .column_mut(unit)
                .mapv_inplace(|v| v * 1.3)
        }),
    );
    assert!(!effect.left_reference.is_empty(), "{effect:?}");
}

/// The embedding adds 1 to the p slot of every other token: p is no
/// longer the position, so no head may be answered by position arithmetic
/// (which would still find the reference's answers).
#[test]
fn a_perturbed_position_column_turns_the_shortcut_off() {
    let pos = model().config.position_slots[0];
    let vocab = model().config.vocab.len();
    let m = perturbed(|m| {
        for t in (0..vocab).step_by(2) {
            m.embedding[[t, pos]] = 1.0;
        }
    });
    let decoder = Decoder::new(m.clone());
    let cards = decoder.head_cards();
    assert!(cards.iter().all(|c| !c.answered_by.starts_with("position")));
    assert_eq!(answered_by(&decoder, head("prev1")), "hull");
    let effect = decode_both("embedding p column +1 on even tokens", m);
    assert!(!effect.left_reference.is_empty(), "{effect:?}");
}

/// Heads that read the residual after `layer` writes a position slot lose
/// the shortcut; earlier ones keep it.
fn assert_shortcut_ends_after(layer: usize, decoder: &Decoder) {
    let base = Decoder::new(model().clone());
    for (b, a) in base.head_cards().iter().zip(&decoder.head_cards()) {
        if b.answered_by.starts_with("position") && b.layer > layer {
            assert_eq!(a.answered_by, "hull", "layer {} head {}", a.layer, a.head);
        } else {
            assert_eq!(
                a.answered_by, b.answered_by,
                "layer {} head {}",
                a.layer, a.head
            );
        }
    }
}

/// prev1's output added to the p^2 slot by layer 0's attention, or an FFN
/// unit of layer 2 writing the p slot: the heads of later layers no longer
/// see (2p, -p^2) keys.
#[test]
fn an_earlier_layer_writing_a_position_slot_turns_the_shortcut_off() {
    let [pos, pos_sq] = model().config.position_slots;
    let (l, h) = head("prev1");
    assert_eq!(l, 0);
    let attention = perturbed(|m| m.layers[l].output[[pos_sq, 2 * h]] = 1.0);
    let decoder = Decoder::new(attention.clone());
    assert_shortcut_ends_after(0, &decoder);
    assert_eq!(answered_by(&decoder, head("prev1")), "position, by token");
    assert_eq!(answered_by(&decoder, head("fetch_op")), "hull");
    let effect = decode_both("layer 0 attention writes p^2", attention);
    assert!(!effect.left_reference.is_empty(), "{effect:?}");
    let ffn = perturbed(|m| m.layers[2].ffn_out[[pos, 0]] = 0.5);
    assert_shortcut_ends_after(2, &Decoder::new(ffn.clone()));
    decode_both("layer 2 FFN writes p", ffn);
}

/// A prompt token's output scores are never read, so the hull session
/// skips the FFN units and head answers that feed only slots nothing reads
/// again (brute force runs them all). Make a unit of the next-to-last
/// layer that the prompt skips write a slot the last layer's values read:
/// the decoder must now run it on the prompt, and both caches still agree.
#[test]
fn a_unit_made_to_feed_a_value_is_run_on_the_prompt() {
    let m = model();
    let base = Decoder::new(m.clone());
    let last = m.layers.len() - 1;
    assert!(
        base.prompt_units()[last].iter().all(|&run| !run),
        "nothing after the last layer reads its units on the prompt"
    );
    let l = last - 1;
    let writes = |u: usize| m.layers[l].ffn_out.column(u).iter().any(|&v| v != 0.0);
    let unit = (0..m.config.d_ffn)
        .find(|&u| writes(u) && !base.prompt_units()[l][u])
        .expect("a unit of the next-to-last layer skipped on the prompt");
    let slot = (0..m.config.d_model)
        .find(|&s| m.layers[last].value.column(s).iter().any(|&v| v != 0.0))
        .unwrap();
    let fed = perturbed(|m| m.layers[l].ffn_out[[slot, unit]] += 0.25);
    let decoder = Decoder::new(fed.clone());
    assert!(decoder.prompt_units()[l][unit]);
    decode_both("a skipped unit writes a value's slot", fed);
}

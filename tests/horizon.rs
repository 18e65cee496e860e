//! The decoder's horizon: exact far past 2^53 = (2^26.5)^2, up to the
//! bound `hullvm model` states, and a clear stop at it. A session started
//! at a position offset runs the position arithmetic (keys (2p, -p^2),
//! queries, the shortcut's candidates) at first + j without decoding that
//! many tokens; both caches must still give the reference's tokens.

use hullvm::decode::attention::{BruteCache, HullCache, KvCache};
use hullvm::decode::{Decoded, Decoder, HorizonLimit, Stop};
use hullvm::isa::Program;
use hullvm::oracle::reference;
use hullvm::verify::tokens as verify;
use std::sync::OnceLock;

/// Loads and stores, locals, a call, a loop and output: every kind of
/// head, in about two thousand tokens.
const LOOP: &str = r#"(module
  (import "env" "output_byte" (func $out (param i32)))
  (memory 1)
  (func $bump (param i32) (result i32) local.get 0 i32.const 3 i32.add)
  (func (export "compute")
    (local i32 i32)
    (loop $again
      i32.const 64 local.get 0 i32.add
      i32.const 64 local.get 0 i32.add i32.load8_u
      local.get 1 call $bump i32.add
      i32.store8
      local.get 1 i32.const 7 i32.add local.set 1
      local.get 0 i32.const 1 i32.add local.tee 0
      i32.const 6 i32.lt_u br_if $again)
    i32.const 66 i32.load8_u call $out
    local.get 1 call $out))"#;

const LIMIT: usize = 20_000;

fn decoder() -> &'static Decoder {
    static DECODER: OnceLock<Decoder> = OnceLock::new();
    DECODER.get_or_init(|| Decoder::new(hullvm::build_model()))
}

fn program() -> Program {
    hullvm::compile::compile_compute(LOOP.as_bytes(), b"")
        .unwrap()
        .program
}

fn run<C: KvCache>(program: &Program, first: u64) -> Decoded {
    decoder().session_at::<C>(first).run(program, LIMIT)
}

/// Hull and brute force from position `first` give the reference's trace
/// and halt.
fn exact_from(first: u64) {
    let program = program();
    let expected = reference::run(&program, LIMIT).trace;
    for (name, run) in [
        ("hull", run::<HullCache>(&program, first)),
        ("brute", run::<BruteCache>(&program, first)),
    ] {
        if let Some(d) = verify::first_divergence(&program, &expected, &run.trace) {
            panic!("{name} from position {first}: {d}");
        }
        assert_eq!(run.stop, Stop::Halted, "{name} from position {first}");
        assert_eq!(run.trace.len(), expected.len(), "{name}");
    }
}

/// Positions the program's run feeds: its prompt and its trace but the
/// final halt, which is emitted and not fed.
fn fed() -> u64 {
    let program = program();
    let section = program.input_section().len();
    let trace = reference::run(&program, LIMIT).trace.len();
    (program.prompt().len() - section + trace - 1) as u64
}

#[test]
fn the_loop_runs_exactly_from_position_zero() {
    exact_from(0);
}

/// p^2 passes 2^53 here: the old decoder refused.
#[test]
fn exact_past_2_to_the_27() {
    exact_from(1 << 27);
}

#[test]
fn exact_just_below_2_to_the_32() {
    exact_from((1 << 32) - 1_000_000);
}

#[test]
fn exact_up_to_the_stated_horizon() {
    let horizon = decoder().horizon();
    assert!(horizon.positions >= 1 << 32, "{horizon}");
    assert_eq!(horizon.limit, HorizonLimit::PositionSlot, "{horizon}");
    // `hullvm model` states it.
    let card = decoder().describe_plans();
    assert!(card.contains(&format!(
        "horizon: exact up to {} tokens",
        horizon.positions
    )));
    // The last token fed sits at the last exact position.
    exact_from(horizon.positions - fed());
}

/// One position short: the run stops at the horizon with the tokens
/// it emitted so far all the reference's.
#[test]
fn a_run_that_would_pass_the_horizon_stops_there() {
    let horizon = decoder().horizon();
    let program = program();
    let expected = reference::run(&program, LIMIT).trace;
    for run in [
        run::<HullCache>(&program, horizon.positions - fed() + 1),
        run::<BruteCache>(&program, horizon.positions - fed() + 1),
    ] {
        assert_eq!(
            run.stop,
            Stop::Horizon {
                token: horizon.positions,
                horizon
            }
        );
        assert_eq!(run.trace[..], expected[..run.trace.len()]);
        assert!(run.stop.to_string().contains("past the decoder's horizon"));
    }
}

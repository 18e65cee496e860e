//! The decoder's horizon, measured: one short program decoded with its
//! position heads moved to large positions (`Decoder::session_at`), with
//! both caches, against the reference tracer, at each bound that matters.

use crate::decode::attention::{BruteCache, HullCache, KvCache};
use crate::decode::{Decoded, Decoder, Horizon, Stop};
use crate::isa::{Program, Token};
use crate::oracle::reference;
use crate::verify::tokens::first_divergence;
use serde::{Deserialize, Serialize};

/// The stated horizon and the runs that test it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HorizonReport {
    pub stated: Horizon,
    pub program: String,
    pub offsets: Vec<OffsetRun>,
}

/// One program decoded from a position offset.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OffsetRun {
    /// The bound the offset tests ("2^27", "horizon", ...).
    pub bound: String,
    /// The position of the first token.
    pub first: u64,
    /// Whether both caches did what the bound says: the reference's whole
    /// trace below the horizon, a stop at it past the horizon.
    pub held: bool,
    pub verdict: String,
}

/// Trace tokens at most: the brute-force cache is quadratic.
const TOKENS: usize = 5_000;

/// Decode `program` (named `name`) from offsets at 2^27 (where p^2 passes
/// 2^53), just below 2^32, ending at the horizon, and one position past it.
pub fn measure(decoder: &Decoder, name: &str, program: &Program) -> HorizonReport {
    let stated = decoder.horizon();
    let expected = reference::run(program, TOKENS).trace;
    let section = program.input_section().len();
    // Positions fed: the prompt and the trace but its last token.
    let fed = (program.prompt().len() - section + expected.len()).saturating_sub(1) as u64;
    let end = stated.positions.saturating_sub(fed);
    let offsets = [
        ("2^27".to_string(), 1 << 27),
        ("2^32 - 10^6".to_string(), (1 << 32) - 1_000_000),
        ("horizon".to_string(), end),
        ("past the horizon".to_string(), end + 1),
    ]
    .into_iter()
    .map(|(bound, first)| {
        let past = first > end;
        let (held, verdict) = judge(decoder, program, &expected, first, past);
        OffsetRun {
            bound,
            first,
            held,
            verdict,
        }
    })
    .collect();
    HorizonReport {
        stated,
        program: name.to_string(),
        offsets,
    }
}

/// Both caches from `first`: the whole reference trace, or (past the
/// horizon) a stop at it after tokens that are all the reference's.
fn judge(
    decoder: &Decoder,
    program: &Program,
    expected: &[Token],
    first: u64,
    past: bool,
) -> (bool, String) {
    let runs = [
        ("hull", decode::<HullCache>(decoder, program, first)),
        ("brute", decode::<BruteCache>(decoder, program, first)),
    ];
    for (cache, run) in &runs {
        // A stopped run is held to the tokens it emitted.
        let emitted = &expected[..run.trace.len().min(expected.len())];
        if let Some(d) = first_divergence(program, emitted, &run.trace) {
            return (false, format!("{cache}: {d}"));
        }
        let stopped_at_horizon = matches!(run.stop, Stop::Horizon { .. });
        let whole = run.stop == Stop::Halted && run.trace.len() == expected.len();
        if past != stopped_at_horizon || (!past && !whole) {
            return (
                false,
                format!("{cache}: {} after {} tokens", run.stop, run.trace.len()),
            );
        }
    }
    let verdict = if past {
        "stopped at the horizon (both caches)".to_string()
    } else {
        format!("exact, {} tokens (both caches)", expected.len())
    };
    (true, verdict)
}

fn decode<C: KvCache>(decoder: &Decoder, program: &Program, first: u64) -> Decoded {
    decoder.session_at::<C>(first).run(program, TOKENS)
}

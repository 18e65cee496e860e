//! Speed and memory of the decoder: tokens/s per program with each KV cache,
//! per-token cost in windows along a trace (how it grows with n), parallel
//! speedup across programs, and peak memory.

use crate::decode::attention::{BruteCache, HullCache, KvCache};
use crate::decode::Decoder;
use crate::isa::Program;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::time::Instant;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProgramSpeed {
    pub program: String,
    pub cache: String,
    pub tokens: usize,
    pub seconds: f64,
    pub tokens_per_second: f64,
    /// True when the run stopped at the token cap rather than at `halt`.
    pub capped: bool,
    /// The published machine ran it: the program uses no extension op.
    #[serde(default)]
    pub published_machine: bool,
}

/// Microseconds per token in consecutive windows of a trace.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CostCurve {
    pub program: String,
    pub cache: String,
    pub window: usize,
    /// (tokens at the end of the window, microseconds per token in it)
    pub points: Vec<(usize, f64)>,
}

impl CostCurve {
    /// Cost of the last window over the first.
    pub fn growth(&self) -> f64 {
        match (self.points.first(), self.points.last()) {
            (Some(a), Some(b)) if a.1 > 0.0 => b.1 / a.1,
            _ => 1.0,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Parallel {
    pub programs: usize,
    pub threads: usize,
    pub sequential_seconds: f64,
    pub parallel_seconds: f64,
    pub speedup: f64,
}

/// Time one decode.
pub(crate) fn time_run<C: KvCache>(
    decoder: &Decoder,
    name: &str,
    program: &Program,
    max_tokens: usize,
) -> ProgramSpeed {
    let decoder = decoder.for_program(program);
    let t = Instant::now();
    let run = decoder.session::<C>().run(program, max_tokens);
    let seconds = t.elapsed().as_secs_f64();
    let generated = run.trace.len() - program.input_section().len();
    ProgramSpeed {
        program: name.to_string(),
        cache: cache_name::<C>().into(),
        tokens: run.trace.len(),
        seconds,
        tokens_per_second: generated as f64 / seconds.max(1e-9),
        capped: run.stop == crate::decode::Stop::TokenLimit,
        published_machine: decoder.is_published(),
    }
}

pub(crate) fn cache_name<C: KvCache>() -> &'static str {
    if C::SHORTCUTS {
        "hull"
    } else {
        "brute"
    }
}

/// Per-token cost in windows of `window` tokens, up to `max_tokens`.
pub(crate) fn cost_curve<C: KvCache>(
    decoder: &Decoder,
    name: &str,
    program: &Program,
    window: usize,
    max_tokens: usize,
) -> CostCurve {
    let mut points = Vec::new();
    let mut last = (0usize, Instant::now());
    decoder
        .for_program(program)
        .session::<C>()
        .run_observed(program, max_tokens, |fed| {
            if fed.is_multiple_of(window) {
                let now = Instant::now();
                let micros = now.duration_since(last.1).as_secs_f64() * 1e6;
                points.push((fed, micros / (fed - last.0) as f64));
                last = (fed, now);
            }
        });
    CostCurve {
        program: name.to_string(),
        cache: cache_name::<C>().into(),
        window,
        points,
    }
}

/// Decode every program once in a row, then all at once over rayon.
pub fn parallel(decoder: &Decoder, programs: &[(String, Program)], max_tokens: usize) -> Parallel {
    let t = Instant::now();
    for (_, p) in programs {
        decoder
            .for_program(p)
            .session::<HullCache>()
            .run(p, max_tokens);
    }
    let sequential = t.elapsed().as_secs_f64();
    let t = Instant::now();
    programs.par_iter().for_each(|(_, p)| {
        decoder
            .for_program(p)
            .session::<HullCache>()
            .run(p, max_tokens);
    });
    let parallel = t.elapsed().as_secs_f64();
    Parallel {
        programs: programs.len(),
        threads: rayon::current_num_threads(),
        sequential_seconds: sequential,
        parallel_seconds: parallel,
        speedup: sequential / parallel.max(1e-9),
    }
}

/// Peak resident memory of this process so far, in bytes (Linux).
pub fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Everything `hullvm bench` measures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchReport {
    pub speeds: Vec<ProgramSpeed>,
    pub curves: Vec<CostCurve>,
    pub parallel: Option<Parallel>,
    pub peak_memory_bytes: Option<u64>,
    /// Tokens per execution of each lowered wasm operation.
    #[serde(default)]
    pub op_costs: Vec<super::op_cost::OpCost>,
    /// Tokens per executed wasm instruction of each program's run
    /// (`hullvm bench`; empty where the caller had no wasm source).
    #[serde(default)]
    pub run_costs: Vec<super::op_cost::RunCost>,
}

/// How long each part of the benchmark runs.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Token cap per hull run.
    pub hull_tokens: usize,
    /// Token cap per brute run (O(n^2) per run).
    pub brute_tokens: usize,
    /// (window, tokens) of the hull cost curve along the longest trace.
    pub long_curve: (usize, usize),
    /// (window, tokens) of the hull and brute curves on a short-prompt program.
    pub short_curve: (usize, usize),
}

impl Budget {
    /// A quick look (CI, `hullvm check`).
    pub const QUICK: Budget = Budget {
        hull_tokens: 300_000,
        brute_tokens: 4_000,
        long_curve: (50_000, 1_000_000),
        short_curve: (1_000, 8_000),
    };
    /// Whole runs and long curves (`hullvm bench`).
    pub const FULL: Budget = Budget {
        hull_tokens: 20_000_000,
        brute_tokens: 20_000,
        long_curve: (100_000, 20_000_000),
        short_curve: (5_000, 30_000),
    };
}

/// Run the standard benchmark on `programs` (name, program).
pub fn measure(decoder: &Decoder, programs: &[(String, Program)], budget: Budget) -> BenchReport {
    let mut speeds = Vec::new();
    // The brute cache is O(n) per token, so O(n^2) per run: it only runs
    // where the prompt is short.
    let brute_ok = |p: &Program| p.prompt().len() < 3_000;
    for (name, p) in programs {
        speeds.push(time_run::<HullCache>(decoder, name, p, budget.hull_tokens));
        if brute_ok(p) {
            speeds.push(time_run::<BruteCache>(
                decoder,
                name,
                p,
                budget.brute_tokens,
            ));
        }
    }
    // How cost grows along a trace: the longest trace on the hull; the
    // longest short-prompt trace on both caches. Trace lengths come from
    // the reference tracer, which is fast.
    let length = |p: &Program| crate::oracle::reference::run(p, 50_000_000).trace.len();
    // At least eight windows, however short the trace.
    let window = |(window, tokens): (usize, usize), length: usize| {
        (window.min(length.min(tokens) / 8).max(100), tokens)
    };
    let mut curves = Vec::new();
    if let Some((name, p, n)) = programs
        .iter()
        .map(|(name, p)| (name, p, length(p)))
        .max_by_key(|x| x.2)
    {
        let (window, tokens) = window(budget.long_curve, n);
        curves.push(cost_curve::<HullCache>(decoder, name, p, window, tokens));
    }
    if let Some((name, p, n)) = programs
        .iter()
        .filter(|(_, p)| brute_ok(p))
        .map(|(name, p)| (name, p, length(p)))
        .max_by_key(|x| x.2)
    {
        let (window, tokens) = window(budget.short_curve, n);
        curves.push(cost_curve::<HullCache>(decoder, name, p, window, tokens));
        curves.push(cost_curve::<BruteCache>(decoder, name, p, window, tokens));
    }
    let parallel = (programs.len() > 1)
        .then(|| parallel(decoder, programs, budget.hull_tokens.min(2_000_000)));
    BenchReport {
        speeds,
        curves,
        parallel,
        peak_memory_bytes: peak_memory_bytes(),
        // Only a failure to compile a fixed module could stop it: a bug, so
        // the table is left empty and the tests say why.
        op_costs: super::op_cost::op_costs().unwrap_or_default(),
        run_costs: Vec::new(),
    }
}

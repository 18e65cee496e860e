//! The decoder: embedding plus position features, then per layer 2D
//! attention heads and a ReGLU FFN, then the argmax of the output scores.
//!
//! Every generated token is the argmax of logits computed from the weight
//! matrices; nothing here knows what the machine means. The projections are
//! stored sparse (the weights are ~98% zeros) and evaluated in row order, so
//! every run adds the same numbers in the same order.

pub mod attention;
mod horizon;
mod lookup;
mod numerics;
mod plan;
mod sparse;
mod unembed;

pub use horizon::{Horizon, HorizonLimit};
pub use numerics::{numerics, Numerics};
pub use plan::HeadCard;

use crate::isa::{Program, Token, TokenKind};
use crate::weights::{Model, Tie};
use attention::{Inexact, KvCache};
use lookup::{position_key, position_winner, rebase, Running, Winner};
use plan::{HeadPlan, ProjectionRows, Unscored};
use sparse::{Csc, Csr};
use unembed::Unembedding;

struct SparseLayer {
    query: Csr,
    key: Csr,
    value: Csr,
    output: Csr,
    /// ffn_gate by column: the gates are summed over the non-zero inputs.
    ffn_gate_by_input: Csc,
    /// The same for a token whose scores are not read: the gates of the
    /// units it needs only (`plan::Unscored`).
    unscored_gate_by_input: Csc,
    ffn_value: Csr,
    /// ffn_out by column: only open units contribute.
    ffn_out_by_unit: Csc,
    ties: Vec<Tie>,
}

impl SparseLayer {
    fn new(l: &crate::weights::Layer, unscored_units: &[bool]) -> SparseLayer {
        let mut unscored_gate = l.ffn_gate.clone();
        for (mut row, &needed) in unscored_gate.rows_mut().into_iter().zip(unscored_units) {
            if !needed {
                row.fill(0.0);
            }
        }
        SparseLayer {
            unscored_gate_by_input: Csc::from_dense(&unscored_gate),
            query: Csr::from_dense(&l.query),
            key: Csr::from_dense(&l.key),
            value: Csr::from_dense(&l.value),
            output: Csr::from_dense(&l.output),
            ffn_gate_by_input: Csc::from_dense(&l.ffn_gate),
            ffn_value: Csr::from_dense(&l.ffn_value),
            ffn_out_by_unit: Csc::from_dense(&l.ffn_out),
            ties: l.ties.clone(),
        }
    }

    /// The kernels index without bounds checks: every matrix must read
    /// vectors as long as the ones the session passes.
    fn shapes_agree(&self, d_model: usize, heads: usize, d_ffn: usize) -> bool {
        [&self.query, &self.key, &self.value, &self.ffn_value]
            .iter()
            .all(|m| m.n_cols == d_model)
            && self.ffn_gate_by_input.cols.len() == d_model
            && self.ffn_gate_by_input.n_rows == d_ffn
            && self.unscored_gate_by_input.cols.len() == d_model
            && self.unscored_gate_by_input.n_rows == d_ffn
            && self.output.n_cols == 2 * heads
            && self.ffn_out_by_unit.cols.len() == d_ffn
            && self.ties.len() == heads
    }
}

/// A model prepared for decoding.
pub struct Decoder {
    pub model: Model,
    embedding: Vec<Vec<f64>>,
    layers: Vec<SparseLayer>,
    unembedding: Unembedding,
    position_slots: [usize; 2],
    stop: Token,
    plans: Vec<HeadPlan>,
    unscored: Unscored,
    horizon: Horizon,
    /// The published machine, when this is the built one: see
    /// [`Decoder::with_published`].
    published: Option<Box<Decoder>>,
    is_published: bool,
}

impl Decoder {
    /// A decoder of `model` with `published`, the published machine (the
    /// 36 core ops alone), beside it: a program that uses no extension op
    /// runs on the published machine ([`Decoder::for_program`]), whose
    /// fewer heads and units make every token cheaper, so the extension
    /// costs such a program nothing. [`crate::build_decoder`] builds both.
    pub fn with_published(model: Model, published: Model) -> Decoder {
        let mut decoder = Decoder::new(model);
        let mut published = Decoder::new(published);
        published.is_published = true;
        decoder.published = Some(Box::new(published));
        decoder
    }

    /// The decoder that runs `program`: the published machine when this
    /// decoder has one and the program uses only its ops, else this one.
    pub fn for_program(&self, program: &Program) -> &Decoder {
        match &self.published {
            Some(published) if program.instrs.iter().all(|i| i.op.is_published()) => published,
            _ => self,
        }
    }

    /// Whether this decoder is the published machine of
    /// [`Decoder::with_published`].
    pub fn is_published(&self) -> bool {
        self.is_published
    }

    pub fn new(model: Model) -> Decoder {
        let plans = plan::plan_heads(&model);
        let unscored = Unscored::new(&model, &plans);
        let layers: Vec<SparseLayer> = model
            .layers
            .iter()
            .zip(&unscored.units)
            .map(|(l, units)| SparseLayer::new(l, units))
            .collect();
        let c = &model.config;
        assert!(
            layers
                .iter()
                .all(|l| l.shapes_agree(c.d_model, c.heads, c.d_ffn)),
            "weight shapes agree with the config"
        );
        Decoder {
            horizon: horizon::horizon(&model, &plans),
            plans,
            unscored,
            embedding: model
                .embedding
                .rows()
                .into_iter()
                .map(|r| r.to_vec())
                .collect(),
            unembedding: Unembedding::new(&model.unembedding),
            position_slots: model.config.position_slots,
            stop: Token(model.config.stop_token),
            layers,
            model,
            published: None,
            is_published: false,
        }
    }

    /// What each head looks up and how the decoder answers it.
    pub fn head_cards(&self) -> Vec<HeadCard> {
        plan::head_cards(&self.model, &self.plans)
    }

    /// The longest trace this decoder runs exactly.
    pub fn horizon(&self) -> Horizon {
        self.horizon
    }

    /// How each head is answered, one line a layer, and the horizon (for
    /// `hullvm model`).
    pub fn describe_plans(&self) -> String {
        let cards = self.head_cards();
        let mut out = String::new();
        for l in 0..self.model.config.layers {
            let kinds: Vec<String> = cards
                .iter()
                .filter(|c| c.layer == l)
                .map(|c| format!("{} [{}]", c.looks_up, c.answered_by))
                .collect();
            out += &format!("layer {l}: {}\n", kinds.join(", "));
        }
        let [(units, all_units), (asked, heads)] = self.unscored.work();
        out += &format!(
            "a prompt token (its scores unread) runs {units} of {all_units} FFN units \
             and asks {asked} of {heads} heads\n"
        );
        out + &format!("horizon: {}\n", self.horizon)
    }

    /// Per layer and FFN unit: does a token whose output scores are not
    /// read (every prompt token but the last) run it? Read from the
    /// weights: only units that write a slot some later key, value, needed
    /// query or needed unit reads.
    pub fn prompt_units(&self) -> &[Vec<bool>] {
        &self.unscored.units
    }

    /// Heads per layer.
    fn heads(&self) -> usize {
        self.model.config.heads
    }

    /// Start a run with fresh caches.
    pub fn session<C: KvCache>(&self) -> Session<'_, C> {
        self.session_at(0)
    }

    /// Start a run whose position heads see every position moved by
    /// `first`: their keys sit at first + j and their queries move with
    /// them, which changes every score of a query by one constant, so the
    /// tokens are the same as from 0 while the exact position arithmetic
    /// runs at first + j (tests of the horizon, without decoding that many
    /// tokens). The residual stream's p slot stays the token's index: the
    /// machine also uses p as a count and reads its prompt at absolute
    /// positions, which no shift keeps.
    pub fn session_at<C: KvCache>(&self, first: u64) -> Session<'_, C> {
        let c = &self.model.config;
        let (d, h, f) = (c.d_model, c.heads, c.d_ffn);
        let heads = self
            .plans
            .iter()
            .zip(self.layers.iter().flat_map(|l| &l.ties))
            .map(|(p, &tie)| Head::new(p, tie, C::SHORTCUTS))
            .collect();
        Session {
            decoder: self,
            heads,
            tokens: Vec::new(),
            position: 0,
            first,
            x: vec![0.0; d],
            q: vec![0.0; 2 * h],
            k: vec![0.0; 2 * h],
            v: vec![0.0; 2 * h],
            heads_out: vec![vec![0.0; 2 * h]; c.layers],
            winners: vec![Winner::All; h],
            gate_sums: vec![0.0; f],
            gate: vec![0.0; f],
            open: Vec::with_capacity(f),
            ffn_acc: vec![0.0; d],
            logits: vec![0.0; self.unembedding.vocab],
            follow: vec![0; self.unembedding.block_count()],
            last_block: 0,
            projections: plan::projection_rows(&self.plans, h, C::SHORTCUTS, &self.unscored),
        }
    }
}

/// One head's state during a run. The shortcuts stand for a cache only
/// where `plan` proved the keys from the weights.
enum Head<C> {
    Unused,
    /// Every key is (0, 0): every value ties.
    Constant(Running),
    /// Keys (2j, -j^2) for positions j.
    Position {
        /// Values by position, unless they are a function of the token.
        stored: Option<Vec<[f64; 2]>>,
        all: Running,
    },
    General(C),
}

impl<C: KvCache> Head<C> {
    /// A cache for every head unless the cache allows shortcuts.
    fn new(plan: &HeadPlan, tie: Tie, shortcuts: bool) -> Head<C> {
        match (shortcuts, plan) {
            (true, HeadPlan::Unused) => Head::Unused,
            (true, HeadPlan::Constant) => Head::Constant(Running::new(tie)),
            (true, HeadPlan::Position { token_values, .. }) => Head::Position {
                stored: token_values.is_none().then(Vec::new),
                all: Running::new(tie),
            },
            _ => Head::General(C::default()),
        }
    }
}

/// One decoding run: the KV caches and scratch buffers (no allocation per
/// token beyond the caches' own growth).
pub struct Session<'d, C: KvCache> {
    decoder: &'d Decoder,
    heads: Vec<Head<C>>,
    /// Tokens fed so far (position-keyed heads read values through them).
    tokens: Vec<u16>,
    position: usize,
    /// Where the position heads' positions start (see `session_at`).
    first: u64,
    x: Vec<f64>,
    q: Vec<f64>,
    k: Vec<f64>,
    v: Vec<f64>,
    /// Per layer, the heads' outputs (an unvisited head's stay 0).
    heads_out: Vec<Vec<f64>>,
    /// Per head of the current layer, the position(s) a position head
    /// attended to: heads with the same query take their leader's.
    winners: Vec<Winner>,
    /// Per FFN unit, its gate's sum so far (zero between layers).
    gate_sums: Vec<f64>,
    gate: Vec<f64>,
    /// FFN units open for the current token, ascending.
    open: Vec<u32>,
    ffn_acc: Vec<f64>,
    logits: Vec<f64>,
    /// Per output block, the block that won the step after it last won.
    follow: Vec<usize>,
    last_block: usize,
    /// Per layer, the projection rows this session computes.
    projections: Vec<ProjectionRows>,
}

/// How a decoding run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    Halted,
    TokenLimit,
    /// A head could not be answered exactly from what the weights compute
    /// (a key, query or tied average outside the exact domain), so no next
    /// token is emitted. `token` is the position of the token being fed
    /// (prompt included); layer and head name the head.
    Inexact {
        token: usize,
        layer: usize,
        head: usize,
        detail: String,
    },
    /// The next position is past the decoder's horizon (see
    /// [`Decoder::horizon`]): no token is emitted that might be wrong.
    Horizon {
        token: u64,
        horizon: Horizon,
    },
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Halted => write!(f, "halted"),
            Stop::TokenLimit => write!(f, "token limit reached"),
            Stop::Inexact {
                token,
                layer,
                head,
                detail,
            } => write!(
                f,
                "no exact answer at token {token} (layer {layer}, head {head}): {detail}"
            ),
            Stop::Horizon { token, horizon } => {
                write!(f, "token {token} is past the decoder's horizon ({horizon})")
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Decoded {
    /// Every token after `}`: input section, then generated tokens.
    pub trace: Vec<Token>,
    pub output: Vec<u8>,
    pub stop: Stop,
}

impl<C: KvCache> Session<'_, C> {
    /// Feed one token through every layer; with `scored` false nothing
    /// will read its output scores, so only what later tokens read is
    /// computed (`plan::Unscored`).
    fn feed(&mut self, token: Token, scored: bool) -> Result<(), Stop> {
        let dec = self.decoder;
        let at = self.first + self.position as u64;
        if at >= dec.horizon.positions {
            return Err(Stop::Horizon {
                token: at,
                horizon: dec.horizon,
            });
        }
        self.tokens.push(token.0);
        self.x.copy_from_slice(&dec.embedding[token.id()]);
        let p = self.position as f64;
        self.x[dec.position_slots[0]] += p;
        self.x[dec.position_slots[1]] += p * p;
        for l in 0..dec.layers.len() {
            self.attend(l, scored)?;
            self.ffn(l, scored);
        }
        self.position += 1;
        Ok(())
    }

    /// Layer `l`'s attention heads, added to the residual stream.
    fn attend(&mut self, l: usize, scored: bool) -> Result<(), Stop> {
        let dec = self.decoder;
        let layer = &dec.layers[l];
        let rows = &self.projections[l];
        let query = if scored {
            &rows.query
        } else {
            &rows.unscored_query
        };
        for &r in query {
            self.q[r as usize] = layer.query.dot_row(r as usize, &self.x);
        }
        for &r in &rows.key {
            self.k[r as usize] = layer.key.dot_row(r as usize, &self.x);
        }
        for &r in &rows.value {
            self.v[r as usize] = layer.value.dot_row(r as usize, &self.x);
        }
        let heads = dec.heads();
        for i in 0..self.projections[l].visited.len() {
            let h = self.projections[l].visited[i] as usize;
            let answer = scored || self.projections[l].unscored_answers[h];
            let out = self
                .head(l * heads + h, h, layer.ties[h], answer)
                .map_err(|e| Stop::Inexact {
                    token: self.position,
                    layer: l,
                    head: h,
                    detail: e.to_string(),
                })?;
            self.heads_out[l][2 * h] = out[0];
            self.heads_out[l][2 * h + 1] = out[1];
        }
        layer.output.mul_add_into(&self.heads_out[l], &mut self.x);
        Ok(())
    }

    /// One head's output: `index` over all heads, `h` within the layer.
    /// The token's key and value always go in (later tokens attend to
    /// them); the head is asked only if its `answer` is read, else its
    /// output is 0 (it writes only slots nothing reads again).
    fn head(
        &mut self,
        index: usize,
        h: usize,
        tie: Tie,
        answer: bool,
    ) -> Result<[f64; 2], Inexact> {
        self.store(index, h)?;
        if !answer {
            return Ok([0.0; 2]);
        }
        self.ask(index, h, tie)
    }

    /// Add the current token's key and value to head `index`.
    fn store(&mut self, index: usize, h: usize) -> Result<(), Inexact> {
        let i = 2 * h;
        let value = [self.v[i], self.v[i + 1]];
        let plan = &self.decoder.plans[index];
        match &mut self.heads[index] {
            Head::Unused => {}
            Head::Constant(run) => run.push(value),
            Head::Position { stored, all } => {
                all.push(value);
                if let Some(s) = stored {
                    s.push(value);
                }
            }
            // The plan proved these keys are (2p, -p^2) of the exact
            // positions: they go in as integers, never a rounded p^2.
            Head::General(cache) if matches!(plan, HeadPlan::Position { .. }) => {
                cache.insert_integer(position_key(self.first + self.position as u64), value)?
            }
            Head::General(cache) => cache.insert([self.k[i], self.k[i + 1]], value)?,
        }
        Ok(())
    }

    /// Head `index`'s answer to the current token's query.
    fn ask(&mut self, index: usize, h: usize, tie: Tie) -> Result<[f64; 2], Inexact> {
        let query = [self.q[2 * h], self.q[2 * h + 1]];
        let plan = &self.decoder.plans[index];
        match &mut self.heads[index] {
            Head::Unused => Ok([0.0; 2]),
            Head::Constant(run) => run.resolve(),
            Head::Position { stored, all } => {
                let HeadPlan::Position {
                    token_values,
                    same_query_as,
                } = plan
                else {
                    unreachable!("a position head has a position plan")
                };
                let tokens = &self.tokens;
                let value_at = |j: usize| match (stored.as_ref(), token_values) {
                    (Some(s), _) => s[j],
                    (None, Some(t)) => t[tokens[j] as usize],
                    (None, None) => unreachable!("a position head has values"),
                };
                let winner = match same_query_as {
                    Some(g) => self.winners[*g],
                    None => position_winner(query, self.first, self.position, tie)?,
                };
                self.winners[h] = winner;
                winner.value(all, value_at)
            }
            Head::General(cache) if matches!(plan, HeadPlan::Position { .. }) => {
                let (scaled, shift) = attention::scale_query(query)?;
                let moved = rebase(scaled, self.first).ok_or(Inexact::Query(query))?;
                cache.query_integer(moved, shift, tie)
            }
            Head::General(cache) => cache.query(query, tie),
        }
    }

    /// Layer `l`'s ReGLU FFN, added to the residual stream. The gates are
    /// summed over the residual's non-zero slots only; the value is only
    /// needed where the gate is open, and few units are open per token,
    /// so the value and output products run over the open ones only.
    fn ffn(&mut self, l: usize, scored: bool) {
        let layer = &self.decoder.layers[l];
        // A brute-force session takes no shortcut: it runs every unit.
        let gates = if scored || !C::SHORTCUTS {
            &layer.ffn_gate_by_input
        } else {
            &layer.unscored_gate_by_input
        };
        gates.mul_add_nonzero_columns(&self.x, &mut self.gate_sums);
        self.open.clear();
        for &j in &gates.written {
            // Taking the sum leaves gate_sums all zeros for the next layer.
            let g = std::mem::take(&mut self.gate_sums[j as usize]);
            if g > 0.0 {
                self.gate[j as usize] = g;
                self.open.push(j);
            }
        }
        for &j in &self.open {
            self.gate[j as usize] *= layer.ffn_value.dot_row(j as usize, &self.x);
        }
        layer.ffn_out_by_unit.mul_add_sparse(
            &self.gate,
            &self.open,
            &mut self.ffn_acc,
            &mut self.x,
        );
    }

    /// The next token: the argmax of the output scores (lowest id on ties).
    fn next_token(&mut self) -> Token {
        // Traces repeat their line shapes, so the block that won after the
        // previous winner's block last time is the first guess.
        let first = self.follow[self.last_block];
        let (token, block) = self
            .decoder
            .unembedding
            .argmax(&self.x, &mut self.logits, first);
        self.follow[self.last_block] = block;
        self.last_block = block;
        Token(token as u16)
    }

    /// Feed the prompt, then generate until `halt` or `max_tokens` trace tokens.
    pub fn run(&mut self, program: &Program, max_tokens: usize) -> Decoded {
        self.run_observed(program, max_tokens, |_| {})
    }

    /// [`Session::run`], calling `observe(tokens fed so far)` after every
    /// token (benchmarks time windows of the trace with it).
    pub(crate) fn run_observed(
        &mut self,
        program: &Program,
        max_tokens: usize,
        mut observe: impl FnMut(usize),
    ) -> Decoded {
        let prompt = program.prompt();
        let section = program.input_section().len();
        let mut trace: Vec<Token> = prompt[prompt.len() - section..].to_vec();
        let mut output = Vec::new();
        let stop = 'run: {
            for (i, &t) in prompt.iter().enumerate() {
                // The scores after the last prompt token give the first
                // trace token; nothing reads the others'.
                let scored = i + 1 == prompt.len();
                if let Err(stop) = self.feed(t, scored) {
                    break 'run stop;
                }
                observe(self.position);
            }
            loop {
                if trace.len() >= max_tokens {
                    break Stop::TokenLimit;
                }
                let next = self.next_token();
                trace.push(next);
                if let TokenKind::Out(b) = next.kind() {
                    output.push(b);
                }
                if next == self.decoder.stop {
                    break Stop::Halted;
                }
                if let Err(stop) = self.feed(next, true) {
                    break stop;
                }
                observe(self.position);
            }
        };
        Decoded {
            trace,
            output,
            stop,
        }
    }
}

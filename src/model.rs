//! The decoder: embedding plus position features, then per layer 2D
//! attention heads and a ReGLU FFN, then the argmax of the output scores.
//!
//! Every generated token is the argmax of logits computed from the weight
//! matrices; nothing here knows what the machine means. The projections are
//! stored sparse (the weights are ~98% zeros) and evaluated in row order, so
//! every run adds the same numbers in the same order.

use crate::attention::KvCache;
use crate::graph::Tie;
use crate::isa::{Program, Token, TokenKind};
use crate::weights::Model;
use ndarray::Array2;

/// A sparse matrix in compressed rows.
#[derive(Debug, Clone, Default)]
pub struct Csr {
    ptr: Vec<u32>,
    col: Vec<u32>,
    val: Vec<f64>,
}

impl Csr {
    pub fn from_dense(a: &Array2<f64>) -> Csr {
        let mut m = Csr {
            ptr: vec![0],
            ..Csr::default()
        };
        for row in a.rows() {
            for (j, &v) in row.iter().enumerate() {
                if v != 0.0 {
                    m.col.push(j as u32);
                    m.val.push(v);
                }
            }
            m.ptr.push(m.col.len() as u32);
        }
        m
    }

    pub fn rows(&self) -> usize {
        self.ptr.len() - 1
    }

    pub fn nnz(&self) -> usize {
        self.val.len()
    }

    #[inline]
    fn row_dot(&self, i: usize, x: &[f64]) -> f64 {
        let (a, b) = (self.ptr[i] as usize, self.ptr[i + 1] as usize);
        let mut s = 0.0;
        for k in a..b {
            s += self.val[k] * x[self.col[k] as usize];
        }
        s
    }

    /// y = A x
    #[inline]
    pub fn mul_into(&self, x: &[f64], y: &mut [f64]) {
        for (i, yi) in y.iter_mut().enumerate() {
            *yi = self.row_dot(i, x);
        }
    }

    /// y += A x
    #[inline]
    pub fn mul_add_into(&self, x: &[f64], y: &mut [f64]) {
        for (i, yi) in y.iter_mut().enumerate() {
            let (a, b) = (self.ptr[i] as usize, self.ptr[i + 1] as usize);
            if a != b {
                *yi += self.row_dot(i, x);
            }
        }
    }
}

struct SparseLayer {
    query: Csr,
    key: Csr,
    value: Csr,
    output: Csr,
    ffn_gate: Csr,
    ffn_value: Csr,
    ffn_out: Csr,
    ties: Vec<Tie>,
}

/// A model prepared for decoding.
pub struct Decoder {
    pub model: Model,
    embedding: Vec<Vec<f64>>,
    layers: Vec<SparseLayer>,
    unembedding: Csr,
    position_slots: [usize; 2],
    stop: Token,
}

impl Decoder {
    pub fn new(model: Model) -> Decoder {
        let layers = model
            .layers
            .iter()
            .map(|l| SparseLayer {
                query: Csr::from_dense(&l.query),
                key: Csr::from_dense(&l.key),
                value: Csr::from_dense(&l.value),
                output: Csr::from_dense(&l.output),
                ffn_gate: Csr::from_dense(&l.ffn_gate),
                ffn_value: Csr::from_dense(&l.ffn_value),
                ffn_out: Csr::from_dense(&l.ffn_out),
                ties: l.ties.clone(),
            })
            .collect();
        Decoder {
            embedding: model
                .embedding
                .rows()
                .into_iter()
                .map(|r| r.to_vec())
                .collect(),
            unembedding: Csr::from_dense(&model.unembedding),
            position_slots: model.config.position_slots,
            stop: Token(model.config.stop_token),
            layers,
            model,
        }
    }

    /// Heads per layer.
    pub fn heads(&self) -> usize {
        self.model.config.heads
    }

    /// Start a run with fresh caches.
    pub fn session<C: KvCache>(&self) -> Session<'_, C> {
        let d = self.model.config.d_model;
        let h = self.heads();
        let f = self.model.config.d_ffn;
        Session {
            decoder: self,
            caches: (0..self.layers.len() * h).map(|_| C::default()).collect(),
            position: 0,
            x: vec![0.0; d],
            q: vec![0.0; 2 * h],
            k: vec![0.0; 2 * h],
            v: vec![0.0; 2 * h],
            heads_out: vec![0.0; 2 * h],
            gate: vec![0.0; f],
            value: vec![0.0; f],
            logits: vec![0.0; self.unembedding.rows()],
        }
    }
}

/// One decoding run: the KV caches and scratch buffers (no allocation per token).
pub struct Session<'d, C: KvCache> {
    decoder: &'d Decoder,
    caches: Vec<C>,
    position: usize,
    x: Vec<f64>,
    q: Vec<f64>,
    k: Vec<f64>,
    v: Vec<f64>,
    heads_out: Vec<f64>,
    gate: Vec<f64>,
    value: Vec<f64>,
    logits: Vec<f64>,
}

/// How a decoding run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    Halted,
    TokenLimit,
}

#[derive(Debug, Clone)]
pub struct Decoded {
    /// Every token after `}`: input section, then generated tokens.
    pub trace: Vec<Token>,
    pub output: Vec<u8>,
    pub stop: Stop,
    /// Prompt tokens fed.
    pub prompt_tokens: usize,
}

impl<C: KvCache> Session<'_, C> {
    /// Feed one token through every layer.
    pub fn feed(&mut self, token: Token) {
        self.feed_probed(token, |_, _| {});
    }

    /// Feed one token; `probe(time, residual)` sees the residual stream
    /// after the embedding (time -1) and after every sublayer (attention of
    /// layer l at 2l, its FFN at 2l+1).
    pub fn feed_probed(&mut self, token: Token, mut probe: impl FnMut(i64, &[f64])) {
        let dec = self.decoder;
        self.x.copy_from_slice(&dec.embedding[token.id()]);
        let p = self.position as f64;
        self.x[dec.position_slots[0]] += p;
        self.x[dec.position_slots[1]] += p * p;
        probe(-1, &self.x);
        let heads = dec.heads();
        for (l, layer) in dec.layers.iter().enumerate() {
            layer.query.mul_into(&self.x, &mut self.q);
            layer.key.mul_into(&self.x, &mut self.k);
            layer.value.mul_into(&self.x, &mut self.v);
            for h in 0..heads {
                let cache = &mut self.caches[l * heads + h];
                let i = 2 * h;
                cache.insert([self.k[i], self.k[i + 1]], [self.v[i], self.v[i + 1]]);
                let out = cache.query([self.q[i], self.q[i + 1]], layer.ties[h]);
                self.heads_out[i] = out[0];
                self.heads_out[i + 1] = out[1];
            }
            layer.output.mul_add_into(&self.heads_out, &mut self.x);
            probe(2 * l as i64, &self.x);
            layer.ffn_gate.mul_into(&self.x, &mut self.gate);
            layer.ffn_value.mul_into(&self.x, &mut self.value);
            for (g, v) in self.gate.iter_mut().zip(&self.value) {
                *g = if *g > 0.0 { *g * *v } else { 0.0 };
            }
            layer.ffn_out.mul_add_into(&self.gate, &mut self.x);
            probe(2 * l as i64 + 1, &self.x);
        }
        self.position += 1;
    }

    /// The next token: the argmax of the output scores (lowest id on ties).
    pub fn next_token(&mut self) -> Token {
        self.decoder.unembedding.mul_into(&self.x, &mut self.logits);
        let mut best = 0;
        for (i, &s) in self.logits.iter().enumerate() {
            if s > self.logits[best] {
                best = i;
            }
        }
        Token(best as u16)
    }

    /// The residual stream after the last fed token.
    pub fn residual(&self) -> &[f64] {
        &self.x
    }

    pub fn retained_keys(&self) -> usize {
        self.caches.iter().map(|c| c.retained()).sum()
    }

    /// Feed the prompt, then generate until `halt` or `max_tokens` trace tokens.
    pub fn run(&mut self, program: &Program, max_tokens: usize) -> Decoded {
        let prompt = program.prompt();
        let section = program.input_section().len();
        let mut trace: Vec<Token> = prompt[prompt.len() - section..].to_vec();
        for &t in &prompt {
            self.feed(t);
        }
        let mut output = Vec::new();
        let stop = loop {
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
            self.feed(next);
        };
        Decoded {
            trace,
            output,
            stop,
            prompt_tokens: prompt.len(),
        }
    }
}

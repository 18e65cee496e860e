//! The output layer: the score of every token and their argmax.

use ndarray::Array2;

/// The output scores, grouped: tokens whose score rows read the same
/// residual slots form a block, stored column by column, so the scores of a
/// block are a few dense vector updates. Every score of this model is an
/// integer below 2^53, so the order of the additions does not change them.
#[derive(Debug, Clone)]
pub(crate) struct Unembedding {
    pub(crate) blocks: Vec<Block>,
    pub(crate) vocab: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct Block {
    /// Token ids of the block's rows, ascending.
    tokens: Vec<u32>,
    /// (slot, coefficient of each row).
    columns: Vec<(usize, Vec<f64>)>,
    /// Per column, the smallest and largest coefficient: bounds on the
    /// block's scores without computing them.
    range: Vec<(f64, f64)>,
}

impl Block {
    /// An upper bound on every score in the block, at least the exact
    /// maximum even after rounding (scores are integers below 2^53, so a
    /// margin of one is ample).
    fn bound(&self, x: &[f64]) -> f64 {
        let mut b = 0.0;
        let mut magnitude = 0.0;
        for ((s, _), &(lo, hi)) in self.columns.iter().zip(&self.range) {
            let xs = x[*s];
            let term = if xs >= 0.0 { hi * xs } else { lo * xs };
            b += term;
            magnitude += term.abs();
        }
        b + 1.0 + magnitude * 1e-15
    }
}

impl Unembedding {
    pub(crate) fn new(u: &Array2<f64>) -> Unembedding {
        let mut blocks: Vec<(Vec<usize>, Block)> = Vec::new();
        for (t, row) in u.rows().into_iter().enumerate() {
            let support: Vec<usize> = (0..row.len()).filter(|&s| row[s] != 0.0).collect();
            let i = match blocks.iter().position(|(sup, _)| *sup == support) {
                Some(i) => i,
                None => {
                    let columns = support.iter().map(|&s| (s, Vec::new())).collect();
                    blocks.push((
                        support.clone(),
                        Block {
                            tokens: Vec::new(),
                            columns,
                            range: Vec::new(),
                        },
                    ));
                    blocks.len() - 1
                }
            };
            let block = &mut blocks[i].1;
            block.tokens.push(t as u32);
            for (s, col) in &mut block.columns {
                col.push(row[*s]);
            }
        }
        let blocks = blocks
            .into_iter()
            .map(|(_, mut b)| {
                b.range = b
                    .columns
                    .iter()
                    .map(|(_, col)| {
                        col.iter()
                            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &c| {
                                (lo.min(c), hi.max(c))
                            })
                    })
                    .collect();
                b
            })
            .collect();
        Unembedding {
            blocks,
            vocab: u.nrows(),
        }
    }

    /// The token with the highest score; the lowest id among equal scores.
    /// Returns (token, index of its block). Blocks are visited starting
    /// with `first`: a good guess at the winner makes the bound prune the
    /// rest. The visiting order does not change the result.
    pub(crate) fn argmax(&self, x: &[f64], scratch: &mut [f64], first: usize) -> (usize, usize) {
        let mut best = (f64::NEG_INFINITY, usize::MAX, 0);
        let order = std::iter::once(first).chain((0..self.blocks.len()).filter(|&b| b != first));
        for b in order {
            let block = &self.blocks[b];
            // A block that cannot reach the best score so far cannot hold
            // the argmax (ties still count: the lowest id wins them).
            if block.bound(x) < best.0 {
                continue;
            }
            let acc = &mut scratch[..block.tokens.len()];
            acc.fill(0.0);
            for (s, col) in &block.columns {
                let xs = x[*s];
                if xs != 0.0 {
                    for (a, &c) in acc.iter_mut().zip(col) {
                        *a += c * xs;
                    }
                }
            }
            let top = acc
                .iter()
                .fold(f64::NEG_INFINITY, |m, &v| if v > m { v } else { m });
            if top >= best.0 {
                // The lowest token id reaching the block's top score.
                let i = acc.iter().position(|&v| v == top).unwrap_or(0);
                let t = block.tokens[i] as usize;
                if top > best.0 || t < best.1 {
                    best = (top, t, b);
                }
            }
        }
        (best.1, best.2)
    }

    /// Every token's score, by token id.
    pub(crate) fn scores(&self, x: &[f64], out: &mut [f64]) {
        for block in &self.blocks {
            for (i, &t) in block.tokens.iter().enumerate() {
                out[t as usize] = block.columns.iter().map(|(s, col)| col[i] * x[*s]).sum();
            }
        }
    }
}

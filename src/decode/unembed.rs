//! The output layer: the score of every token and their argmax.

use ndarray::Array2;

/// The output scores, grouped: tokens whose score rows read the same
/// residual slots form a block, stored column by column, so the scores of a
/// block are a few dense vector updates. Each score adds its terms in
/// ascending column order from 0.0, as a row product would.
#[derive(Debug, Clone)]
pub(crate) struct Unembedding {
    blocks: Vec<Block>,
    pub(crate) vocab: usize,
}

#[derive(Debug, Clone)]
struct Block {
    /// Token ids of the block's rows, ascending.
    tokens: Vec<u32>,
    /// (slot, coefficient of each row).
    columns: Vec<(usize, Vec<f64>)>,
    /// Per column, the smallest and largest coefficient and the largest
    /// magnitude: bounds on the block's scores without computing them.
    range: Vec<[f64; 3]>,
    /// Rounding allowance per unit of score magnitude (see `bound`).
    slack: f64,
}

impl Block {
    fn new(tokens: Vec<u32>, columns: Vec<(usize, Vec<f64>)>) -> Block {
        let range = columns
            .iter()
            .map(|(_, col)| {
                let (lo, hi) = col
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &c| {
                        (lo.min(c), hi.max(c))
                    });
                [lo, hi, lo.abs().max(hi.abs())]
            })
            .collect();
        // A sum of n rounded products is within n ulps of its magnitude;
        // the bound and each score are such sums, and the bound's last
        // additions round too: 8 (n + 2) half-ulps covers them all.
        let slack = 8.0 * (columns.len() + 2) as f64 * f64::EPSILON / 2.0;
        Block {
            tokens,
            columns,
            range,
            slack,
        }
    }

    /// An upper bound on every score the block computes, rounding
    /// included: the argmax may skip a block only if none of its computed
    /// scores can reach the best so far. (The smallest normal covers
    /// products that underflow.)
    fn bound(&self, x: &[f64]) -> f64 {
        let mut b = 0.0;
        let mut magnitude = 0.0;
        for ((s, _), &[lo, hi, abs]) in self.columns.iter().zip(&self.range) {
            let xs = x[*s];
            b += if xs >= 0.0 { hi * xs } else { lo * xs };
            magnitude += abs * xs.abs();
        }
        b + magnitude * self.slack + f64::MIN_POSITIVE
    }
}

impl Unembedding {
    pub(crate) fn new(u: &Array2<f64>) -> Unembedding {
        // Rows by their support (the slots they read), in first-seen order.
        let mut groups: Vec<(Vec<usize>, Vec<u32>)> = Vec::new();
        for (t, row) in u.rows().into_iter().enumerate() {
            let support: Vec<usize> = (0..row.len()).filter(|&s| row[s] != 0.0).collect();
            match groups.iter_mut().find(|(sup, _)| *sup == support) {
                Some((_, tokens)) => tokens.push(t as u32),
                None => groups.push((support, vec![t as u32])),
            }
        }
        let blocks = groups
            .into_iter()
            .map(|(support, tokens)| {
                let column = |s: usize| tokens.iter().map(|&t| u[[t as usize, s]]).collect();
                let columns = support.iter().map(|&s| (s, column(s))).collect();
                Block::new(tokens, columns)
            })
            .collect();
        Unembedding {
            blocks,
            vocab: u.nrows(),
        }
    }

    pub(crate) fn block_count(&self) -> usize {
        self.blocks.len()
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The lowest id among the highest scores, from every score.
    fn naive_argmax(u: &Unembedding, x: &[f64]) -> usize {
        let mut scores = vec![0.0; u.vocab];
        u.scores(x, &mut scores);
        let top = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        scores.iter().position(|&v| v == top).unwrap()
    }

    fn coefficient() -> impl Strategy<Value = f64> {
        prop_oneof![
            2 => Just(0.0),
            2 => (-4i64..5).prop_map(|c| c as f64),
            1 => (-1000i64..1000).prop_map(|c| c as f64 * 1.3),
        ]
    }

    fn input() -> impl Strategy<Value = f64> {
        prop_oneof![
            (-20i64..20).prop_map(|v| v as f64),
            (-1000i64..1000).prop_map(|v| v as f64 * 0.1),
            prop::sample::select(vec![1e15, -1e15, 3e17 + 2.0, 1e-300]),
        ]
    }

    proptest! {
        /// Pruning blocks by their bound never changes the argmax, from any
        /// first guess, including scores that round.
        #[test]
        fn the_pruned_argmax_is_the_argmax_of_every_score(
            rows in prop::collection::vec(prop::collection::vec(coefficient(), 4), 1..24),
            x in prop::collection::vec(input(), 4),
        ) {
            let flat: Vec<f64> = rows.iter().flatten().copied().collect();
            let u = Unembedding::new(&Array2::from_shape_vec((rows.len(), 4), flat).unwrap());
            let mut scratch = vec![0.0; u.vocab];
            let expected = naive_argmax(&u, &x);
            for first in 0..u.block_count() {
                prop_assert_eq!(u.argmax(&x, &mut scratch, first).0, expected);
            }
        }
    }
}

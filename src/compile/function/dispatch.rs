//! Dispatch on an index by binary search: the index range is cut into runs
//! that share one outcome (a branch target, a function to call, a trap),
//! and the code compares the index with the runs' boundaries, about log2
//! of the number of runs compares per dispatch. Large `br_table`s and every
//! `call_indirect` compile to this.

use super::{FunctionCompiler, TEMP_BR_TABLE};
use crate::compile::asm::Target;
use crate::compile::CompileError;
use crate::isa::Op;
use wasmparser::BrTable;

impl FunctionCompiler<'_, '_, '_> {
    /// Emit the search over `runs` (first index of each run, increasing,
    /// the first 0; the last run extends to 2^32) for the index in local
    /// `index`. `leaf` emits one run's code; its flag is true for the run
    /// emitted last, whose code the caller's continues.
    pub(super) fn search<L>(
        &mut self,
        index: u32,
        runs: &[(u32, L)],
        last: bool,
        leaf: &mut impl FnMut(&mut Self, &L, bool),
    ) {
        if let [(_, only)] = runs {
            leaf(self, only, last);
            return;
        }
        let mid = runs.len() / 2;
        let below = self.cx.asm.new_label();
        self.emit(Op::LocalGet, index);
        self.emit(Op::I32Const, runs[mid].0);
        self.emit(Op::I32LtU, 0);
        self.cx.asm.emit_jump(Op::BrIf, Target::Label(below));
        self.search(index, &runs[mid..], false, leaf);
        self.cx.asm.place(below);
        self.search(index, &runs[..mid], last, leaf);
    }

    /// A `br_table` too large for a compare chain: neighbouring indices
    /// with the same target form one run, the default covers the rest.
    pub(super) fn br_table_search(&mut self, table: &BrTable) -> Result<(), CompileError> {
        let depths = table
            .targets()
            .collect::<Result<Vec<u32>, _>>()
            .map_err(|e| CompileError::Invalid(e.to_string()))?;
        let runs = depth_runs(&depths, table.default());
        self.height -= 1;
        let t = self.temp(TEMP_BR_TABLE);
        self.emit(Op::LocalSet, t);
        self.search(t, &runs, true, &mut |fc, &depth, _| fc.branch(depth, false));
        self.reachable = false;
        Ok(())
    }
}

/// `(first index, depth)` runs of a `br_table`'s targets, then its default.
fn depth_runs(depths: &[u32], default: u32) -> Vec<(u32, u32)> {
    let mut runs: Vec<(u32, u32)> = Vec::new();
    let indexed = depths.iter().copied().chain([default]).enumerate();
    for (i, depth) in indexed {
        if runs.last().map(|&(_, d)| d) != Some(depth) {
            runs.push((i as u32, depth));
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::depth_runs;

    #[test]
    fn runs_of_equal_targets_merge_with_the_default() {
        assert_eq!(depth_runs(&[], 3), vec![(0, 3)]);
        assert_eq!(
            depth_runs(&[0, 0, 1, 1, 2, 2], 2),
            vec![(0, 0), (2, 1), (4, 2)]
        );
        assert_eq!(depth_runs(&[5, 4], 0), vec![(0, 5), (1, 4), (2, 0)]);
    }
}

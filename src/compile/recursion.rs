//! What the compiler learns from every function body before it compiles
//! any: whether the module grows its memory, and which functions can
//! recurse.
//!
//! A function can recurse when it lies on a cycle of the static call graph.
//! Its edges are the direct `call`s and, for a `call_indirect`, every
//! function of its table whose type is the expected one (the only ones it
//! can reach without trapping). Only these functions count their frames
//! against the call-depth limit ([`super::Options::call_depth`]): every
//! chain of calls through the others is at most as long as the number of
//! functions.

use super::{CompileError, ModuleInfo};
use std::collections::BTreeSet;
use wasmparser::Operator;

/// The module-wide facts the code of one function depends on.
#[derive(Debug, Clone, Default)]
pub(super) struct Scan {
    /// The memories some function executes `memory.grow` on.
    pub(super) grown: BTreeSet<u32>,
    /// Defined functions on a cycle of the call graph (wasm indices).
    pub(super) recursive: BTreeSet<u32>,
}

pub(super) fn scan(module: &ModuleInfo) -> Result<Scan, CompileError> {
    let imported = module.num_imported_funcs();
    let invalid = |e: wasmparser::BinaryReaderError| CompileError::Invalid(e.to_string());
    let mut grown = BTreeSet::new();
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); module.bodies.len()];
    for (i, body) in module.bodies.iter().enumerate() {
        let mut ops = body.get_operators_reader().map_err(invalid)?;
        while !ops.eof() {
            match ops.read().map_err(invalid)? {
                Operator::MemoryGrow { mem, .. } => {
                    grown.insert(mem);
                }
                Operator::Call { function_index } => {
                    if let Some(callee) = function_index.checked_sub(imported) {
                        edges[i].push(callee as usize);
                    }
                }
                Operator::CallIndirect {
                    type_index,
                    table_index,
                } => {
                    let callees = indirect_callees(module, type_index, table_index);
                    let defined = callees
                        .into_iter()
                        .flatten()
                        .filter_map(|f| f.checked_sub(imported));
                    edges[i].extend(defined.map(|f| f as usize));
                }
                _ => {}
            }
        }
    }
    let recursive = on_cycles(&edges)
        .into_iter()
        .map(|i| i as u32 + imported)
        .collect();
    Ok(Scan { grown, recursive })
}

/// The functions a `call_indirect` can call without trapping: those of its
/// table with the expected type (None: the table's contents are unknown).
pub(super) fn indirect_callees(
    module: &ModuleInfo,
    type_index: u32,
    table: u32,
) -> Option<Vec<u32>> {
    let expected = module.types.get(type_index as usize)?;
    let table = module.tables.get(table as usize)?;
    if table.unknown.is_some() {
        return None;
    }
    let callees = table
        .slots
        .values()
        .filter(|&&f| module.func_type(f) == expected)
        .copied()
        .collect();
    Some(callees)
}

/// The nodes that lie on a cycle (a self-loop included): Tarjan's strongly
/// connected components, iterative so that deep call graphs do not
/// overflow the native stack.
fn on_cycles(edges: &[Vec<usize>]) -> BTreeSet<usize> {
    const UNSEEN: usize = usize::MAX;
    let n = edges.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut cyclic = BTreeSet::new();
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        // (node, how many of its edges are explored)
        let mut work = vec![(root, 0usize)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(top) = work.last_mut() {
            let v = top.0;
            if let Some(&w) = edges[v].get(top.1) {
                top.1 += 1;
                if index[w] == UNSEEN {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 || edges[v].contains(&v) {
                    cyclic.extend(component);
                }
            }
        }
    }
    cyclic
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_self_loops_and_chains() {
        // 0 -> 1 -> 2 -> 1 (cycle 1,2); 3 -> 3 (self-loop); 4 -> 0 (chain).
        let edges = vec![vec![1], vec![2], vec![1], vec![3], vec![0]];
        assert_eq!(on_cycles(&edges), BTreeSet::from([1, 2, 3]));
        assert!(on_cycles(&[vec![1], vec![], vec![0, 1]]).is_empty());
    }

    #[test]
    fn a_long_chain_does_not_overflow() {
        let n = 200_000;
        let mut edges: Vec<Vec<usize>> = (0..n).map(|i| vec![i + 1]).collect();
        edges[n - 1] = vec![0];
        assert_eq!(on_cycles(&edges).len(), n);
    }
}

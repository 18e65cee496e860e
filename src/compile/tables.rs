//! Tables as instantiation leaves them, and what `call_indirect` does at
//! each index.
//!
//! hullvm has no table instructions (`table.get`, `table.set`, `table.grow`
//! are refused), so a table never changes after instantiation: its
//! contents are known when the program is compiled, and a `call_indirect`
//! compiles to a search over the index that ends in direct calls or traps
//! ([`outcomes`]).

use super::{CompileError, Global, Trap};
use std::collections::BTreeMap;
use wasmparser::{ConstExpr, ElementItems, FuncType, Operator};

/// One table after the active element segments are applied.
#[derive(Debug, Clone, Default)]
pub(super) struct Table {
    /// Number of elements.
    pub(super) size: u64,
    /// The function in each slot an element segment filled (a slot filled
    /// with `ref.null`, or never filled, is absent).
    pub(super) slots: BTreeMap<u32, u32>,
    /// Why the contents are not known at compile time (an imported table,
    /// a segment offset read from an imported global, an element
    /// expression other than `ref.func`/`ref.null`): a `call_indirect` on
    /// it is refused.
    pub(super) unknown: Option<String>,
}

impl Table {
    pub(super) fn imported() -> Table {
        Table {
            unknown: Some("call_indirect through an imported table".into()),
            ..Table::default()
        }
    }

    /// A table of `size` null slots that its module's segments fill.
    pub(super) fn with_size(size: u64) -> Table {
        Table {
            size,
            ..Table::default()
        }
    }

    pub(super) fn defined(ty: &wasmparser::Table) -> Table {
        let mut table = Table {
            size: ty.ty.initial,
            ..Table::default()
        };
        if ty.ty.table64 {
            table.unknown = Some("64-bit tables".into());
        }
        if let wasmparser::TableInit::Expr(_) = ty.init {
            table.unknown = Some("a table with an initialiser expression".into());
        }
        table
    }

    /// Write an active segment's `items` at `offset` (None: the offset is
    /// not a constant hullvm knows). Returns false when the segment does
    /// not fit: instantiation fails.
    pub(super) fn apply(
        &mut self,
        offset: Option<u32>,
        items: &ElementItems,
    ) -> Result<bool, CompileError> {
        let invalid = |e: wasmparser::BinaryReaderError| CompileError::Invalid(e.to_string());
        let Some(offset) = offset else {
            self.unknown = Some("an element segment with a non-constant offset".into());
            return Ok(true);
        };
        let values: Vec<Option<u32>> = match items {
            ElementItems::Functions(r) => r
                .clone()
                .into_iter()
                .map(|f| f.map(Some).map_err(invalid))
                .collect::<Result<_, _>>()?,
            ElementItems::Expressions(_, r) => {
                let mut values = Vec::new();
                for expr in r.clone() {
                    match element_value(&expr.map_err(invalid)?) {
                        Some(v) => values.push(v),
                        None => {
                            self.unknown =
                                Some("an element expression hullvm does not read".into());
                            return Ok(true);
                        }
                    }
                }
                values
            }
        };
        // An imported table's size is the host's: no verdict on fit here
        // (call_indirect through it is refused).
        if self.unknown.is_some() {
            return Ok(true);
        }
        if u64::from(offset) + values.len() as u64 > self.size {
            return Ok(false);
        }
        for (i, v) in values.into_iter().enumerate() {
            let slot = offset + i as u32;
            match v {
                Some(f) => self.slots.insert(slot, f),
                None => self.slots.remove(&slot),
            };
        }
        Ok(true)
    }
}

/// `ref.func f` -> Some(Some(f)), `ref.null` -> Some(None), else None.
fn element_value(expr: &ConstExpr) -> Option<Option<u32>> {
    let mut r = expr.get_operators_reader();
    let value = match r.read().ok()? {
        Operator::RefFunc { function_index } => Some(function_index),
        Operator::RefNull { .. } => None,
        _ => return None,
    };
    matches!(r.read().ok()?, Operator::End).then_some(value)
}

/// A segment's offset: an `i32.const`, or a `global.get` of a global with a
/// constant value hullvm knows.
pub(super) fn segment_offset(expr: &ConstExpr, globals: &[Global]) -> Option<u32> {
    let mut r = expr.get_operators_reader();
    let value = match r.read().ok()? {
        Operator::I32Const { value } => value as u32,
        Operator::GlobalGet { global_index } => {
            let g = globals.get(global_index as usize)?;
            if g.imported || g.mutable || g.ty != wasmparser::ValType::I32 {
                return None;
            }
            g.init? as u32
        }
        _ => return None,
    };
    matches!(r.read().ok()?, Operator::End).then_some(value)
}

/// What `call_indirect` does for an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Call(u32),
    Trap(Trap),
}

/// The outcomes of `call_indirect` of type `expected` through `table`, as
/// runs over the whole u32 index range: `(first index, outcome)` with
/// increasing first indices, the first at 0, neighbours different. `ty`
/// gives a function's type; types compare structurally (wasm's rule for
/// the MVP's function types: equal parameters and results).
pub(super) fn outcomes<'t>(
    table: &Table,
    expected: &FuncType,
    ty: impl Fn(u32) -> &'t FuncType,
) -> Vec<(u32, Outcome)> {
    let mut runs: Vec<(u32, Outcome)> = Vec::new();
    let mut push = |at: u32, outcome: Outcome| {
        if runs.last().map(|&(_, o)| o) != Some(outcome) {
            runs.push((at, outcome));
        }
    };
    let size = table.size.min(1 << 32);
    let mut next = 0u64;
    for (&slot, &f) in &table.slots {
        if u64::from(slot) > next {
            push(next as u32, Outcome::Trap(Trap::UninitializedElement));
        }
        let outcome = if ty(f) == expected {
            Outcome::Call(f)
        } else {
            Outcome::Trap(Trap::IndirectCallTypeMismatch)
        };
        push(slot, outcome);
        next = u64::from(slot) + 1;
    }
    if next < size {
        push(next as u32, Outcome::Trap(Trap::UninitializedElement));
    }
    if size < 1 << 32 {
        push(size as u32, Outcome::Trap(Trap::UndefinedElement));
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmparser::ValType;

    fn table(size: u64, slots: &[(u32, u32)]) -> Table {
        Table {
            size,
            slots: slots.iter().copied().collect(),
            unknown: None,
        }
    }

    #[test]
    fn runs_cover_the_index_range_with_every_trap() {
        let unary = FuncType::new([ValType::I32], [ValType::I32]);
        let nullary = FuncType::new([], []);
        let types = [unary.clone(), unary.clone(), nullary];
        let t = table(6, &[(1, 0), (2, 1), (3, 2)]);
        let runs = outcomes(&t, &unary, |f| &types[f as usize]);
        assert_eq!(
            runs,
            vec![
                (0, Outcome::Trap(Trap::UninitializedElement)),
                (1, Outcome::Call(0)),
                (2, Outcome::Call(1)),
                (3, Outcome::Trap(Trap::IndirectCallTypeMismatch)),
                (4, Outcome::Trap(Trap::UninitializedElement)),
                (6, Outcome::Trap(Trap::UndefinedElement)),
            ]
        );
    }

    #[test]
    fn equal_neighbours_merge_and_an_empty_table_is_all_undefined() {
        let ty = FuncType::new([], []);
        let types = [ty.clone()];
        let t = table(3, &[(0, 0), (1, 0), (2, 0)]);
        let runs = outcomes(&t, &ty, |f| &types[f as usize]);
        assert_eq!(
            runs,
            vec![
                (0, Outcome::Call(0)),
                (3, Outcome::Trap(Trap::UndefinedElement))
            ]
        );
        let empty = outcomes(&table(0, &[]), &ty, |f| &types[f as usize]);
        assert_eq!(empty, vec![(0, Outcome::Trap(Trap::UndefinedElement))]);
    }
}

//! What hullvm provides to a module's imports: `env.output_byte`, the C
//! convention's output, and the spec suite's `spectest` module (its print
//! functions, which have no effect a run can observe, its constant
//! globals, its one-page memory and its ten-slot table). An import links
//! when its type matches what is provided, as wasm's linking rules say; the
//! oracles define the same items ([`SPECTEST_GLOBALS`],
//! [`SPECTEST_MEMORY_PAGES`], [`SPECTEST_TABLE`]).
//!
//! Each run gets a fresh `spectest`, on every engine: what one module of a
//! script writes into its memory or table, a later module does not see.

use wasmparser::{FuncType, TypeRef, ValType};

/// An item hullvm provides for an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Provided {
    /// `env.output_byte`: the `output` op.
    Output,
    /// A `spectest.print*` function: its arguments are dropped.
    Ignore,
    /// A constant global with this value (an i32 in the low word).
    Global(u64),
    /// `spectest.memory`.
    Memory,
    /// `spectest.table`.
    Table,
}

/// `spectest`'s print functions and their parameters.
pub(crate) const SPECTEST_PRINTS: &[(&str, &[ValType])] = &[
    ("print", &[]),
    ("print_i32", &[ValType::I32]),
    ("print_i64", &[ValType::I64]),
    ("print_f32", &[ValType::F32]),
    ("print_f64", &[ValType::F64]),
    ("print_i32_f32", &[ValType::I32, ValType::F32]),
    ("print_f64_f64", &[ValType::F64, ValType::F64]),
];

/// `spectest`'s globals, by their bits (666 and 666.6 in each type).
pub(crate) const SPECTEST_GLOBALS: &[(&str, ValType, u64)] = &[
    ("global_i32", ValType::I32, 666),
    ("global_i64", ValType::I64, 666),
    ("global_f32", ValType::F32, 0x4426_a666),
    ("global_f64", ValType::F64, 0x4084_d4cc_cccc_cccd),
];

/// `spectest.memory`: (initial, maximum) pages.
pub(crate) const SPECTEST_MEMORY_PAGES: (u64, u64) = (1, 2);

/// `spectest.table`: (initial, maximum) funcref slots, all null.
pub(crate) const SPECTEST_TABLE: (u64, u64) = (10, 20);

/// What hullvm provides for the import `module.name` of type `ty`, if the
/// types match (`types`: the module's function types).
pub(crate) fn provided(
    module: &str,
    name: &str,
    ty: TypeRef,
    types: &[FuncType],
) -> Option<Provided> {
    let func = |t: u32| types.get(t as usize);
    match (module, ty) {
        ("env", TypeRef::Func(t)) if name == "output_byte" => func(t)
            .filter(|f| f.params() == [ValType::I32] && f.results().is_empty())
            .map(|_| Provided::Output),
        ("spectest", TypeRef::Func(t)) => {
            let (_, params) = SPECTEST_PRINTS.iter().find(|(n, _)| *n == name)?;
            func(t)
                .filter(|f| f.params() == *params && f.results().is_empty())
                .map(|_| Provided::Ignore)
        }
        ("spectest", TypeRef::Global(g)) => {
            let &(_, ty, value) = SPECTEST_GLOBALS.iter().find(|(n, ..)| *n == name)?;
            (g.content_type == ty && !g.mutable && !g.shared).then_some(Provided::Global(value))
        }
        ("spectest", TypeRef::Memory(m)) if name == "memory" => {
            let (initial, maximum) = SPECTEST_MEMORY_PAGES;
            let fits = m.initial <= initial && m.maximum.is_none_or(|max| maximum <= max);
            (fits && !m.memory64 && !m.shared && m.page_size_log2.is_none())
                .then_some(Provided::Memory)
        }
        ("spectest", TypeRef::Table(t)) if name == "table" => {
            let (initial, maximum) = SPECTEST_TABLE;
            let fits = t.initial <= initial && t.maximum.is_none_or(|max| maximum <= max);
            let funcref = t.element_type == wasmparser::RefType::FUNCREF;
            (fits && funcref && !t.table64 && !t.shared).then_some(Provided::Table)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmparser::{GlobalType, MemoryType};

    #[test]
    fn imports_link_only_with_matching_types() {
        let types = [
            FuncType::new([ValType::I32], []),
            FuncType::new([ValType::I64], []),
            FuncType::new([ValType::I32], [ValType::I32]),
        ];
        let p = |m, n, ty| provided(m, n, ty, &types);
        assert_eq!(
            p("env", "output_byte", TypeRef::Func(0)),
            Some(Provided::Output)
        );
        assert_eq!(p("env", "output_byte", TypeRef::Func(2)), None);
        assert_eq!(
            p("spectest", "print_i32", TypeRef::Func(0)),
            Some(Provided::Ignore)
        );
        assert_eq!(p("spectest", "print_i32", TypeRef::Func(1)), None);
        assert_eq!(
            p("spectest", "print_i64", TypeRef::Func(1)),
            Some(Provided::Ignore)
        );
        assert_eq!(p("spectest", "unknown", TypeRef::Func(0)), None);
        let global = |ty, mutable| {
            TypeRef::Global(GlobalType {
                content_type: ty,
                mutable,
                shared: false,
            })
        };
        assert_eq!(
            p("spectest", "global_i32", global(ValType::I32, false)),
            Some(Provided::Global(666))
        );
        assert_eq!(
            p("spectest", "global_i32", global(ValType::I32, true)),
            None
        );
        assert_eq!(
            p("spectest", "global_i32", global(ValType::I64, false)),
            None
        );
        let memory = |initial, maximum| {
            TypeRef::Memory(MemoryType {
                memory64: false,
                shared: false,
                initial,
                maximum,
                page_size_log2: None,
            })
        };
        assert_eq!(
            p("spectest", "memory", memory(1, None)),
            Some(Provided::Memory)
        );
        assert_eq!(
            p("spectest", "memory", memory(0, Some(2))),
            Some(Provided::Memory)
        );
        assert_eq!(p("spectest", "memory", memory(2, None)), None);
        assert_eq!(p("spectest", "memory", memory(1, Some(1))), None);
        let table = |initial, maximum| {
            TypeRef::Table(wasmparser::TableType {
                element_type: wasmparser::RefType::FUNCREF,
                table64: false,
                initial,
                maximum,
                shared: false,
            })
        };
        assert_eq!(
            p("spectest", "table", table(10, Some(20))),
            Some(Provided::Table)
        );
        assert_eq!(p("spectest", "table", table(11, None)), None);
    }
}

//! What a module exports as functions, with their types: the one reader
//! behind `run --invoke` (an export's parameters and results) and the smith
//! fuzz target (the first export it can call with integer words).

use super::CompileError;
use wasmparser::{CompositeInnerType, ExternalKind, FuncType, Payload, TypeRef, ValType};

/// A function the module exports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedFunction {
    pub name: String,
    /// The module's own import, re-exported: hullvm runs module code only,
    /// so a fuzz entry never calls one.
    pub imported: bool,
    pub params: Vec<ValType>,
    pub results: Vec<ValType>,
}

impl ExportedFunction {
    /// Every parameter and result is an i32 or an i64.
    pub fn is_integer(&self) -> bool {
        self.params
            .iter()
            .chain(&self.results)
            .all(|t| matches!(t, ValType::I32 | ValType::I64))
    }

    /// Argument words a call takes: one per i32 or f32, two per i64 or f64.
    pub fn param_words(&self) -> usize {
        self.params
            .iter()
            .map(|&t| super::Num::of(t).map_or(1, super::Num::words) as usize)
            .sum()
    }
}

/// The exported functions of `wasm` (binary), in export order. The module
/// is read only up to its export section, so a module whose code is
/// malformed still lists them; an export whose type is not a function type
/// (GC types) is left out.
pub fn exported_functions(wasm: &[u8]) -> Result<Vec<ExportedFunction>, CompileError> {
    let invalid = |e: wasmparser::BinaryReaderError| CompileError::Invalid(e.to_string());
    let mut types: Vec<Option<FuncType>> = Vec::new();
    // The type index of every function, imported ones first.
    let mut funcs = Vec::new();
    let mut imported = 0;
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload.map_err(invalid)? {
            Payload::TypeSection(r) => {
                for group in r {
                    for sub in group.map_err(invalid)?.into_types() {
                        types.push(match sub.composite_type.inner {
                            CompositeInnerType::Func(f) => Some(f),
                            _ => None,
                        });
                    }
                }
            }
            Payload::ImportSection(r) => {
                for import in r.into_imports() {
                    if let TypeRef::Func(t) | TypeRef::FuncExact(t) = import.map_err(invalid)?.ty {
                        funcs.push(t);
                    }
                }
                imported = funcs.len();
            }
            Payload::FunctionSection(r) => {
                for t in r {
                    funcs.push(t.map_err(invalid)?);
                }
            }
            Payload::ExportSection(r) => {
                let mut exported = Vec::new();
                for e in r {
                    let e = e.map_err(invalid)?;
                    if e.kind != ExternalKind::Func {
                        continue;
                    }
                    let ty = funcs
                        .get(e.index as usize)
                        .and_then(|&t| types.get(t as usize))
                        .ok_or_else(|| {
                            CompileError::Invalid(format!("export {:?} has no type", e.name))
                        })?;
                    if let Some(ty) = ty {
                        exported.push(ExportedFunction {
                            name: e.name.to_string(),
                            imported: (e.index as usize) < imported,
                            params: ty.params().to_vec(),
                            results: ty.results().to_vec(),
                        });
                    }
                }
                return Ok(exported);
            }
            _ => {}
        }
    }
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_are_listed_with_their_types() {
        let wasm = wat::parse_str(
            r#"(module
                 (import "env" "output_byte" (func $out (param i32)))
                 (memory (export "memory") 1)
                 (func (export "f") (param f32) (result i32) (i32.const 0))
                 (func (export "g") (param i64 i32) (result i64) (local.get 0))
                 (export "out" (func $out)))"#,
        )
        .unwrap();
        let exported = exported_functions(&wasm).unwrap();
        let names: Vec<(&str, bool, bool, usize)> = exported
            .iter()
            .map(|e| (e.name.as_str(), e.imported, e.is_integer(), e.param_words()))
            .collect();
        assert_eq!(
            names,
            [
                ("f", false, false, 1),
                ("g", false, true, 3),
                ("out", true, true, 1)
            ]
        );
        assert_eq!(exported[1].results, [ValType::I64]);
        assert!(exported_functions(b"\0asm\x01\0\0\0").unwrap().is_empty());
        assert!(exported_functions(b"\0asm\x01\0\0\0\x07\x05").is_err());
    }
}

//! The instrumented oracle: the module rewritten so that, under wasmi, every
//! wasm instruction the source map marks reports itself to the host.
//!
//! wasmi has no per-instruction hook (only per-block fuel), so the module is
//! re-encoded (wasmparser -> wasm-encoder) with two imported host functions
//! appended to its imports:
//!
//! ```text
//! (import "hullvm_oracle" "value" (func (param i32 i32 i32) (result i32)))  ;; (v, func, instr) -> v
//! (import "hullvm_oracle" "path"  (func (param i32 i32)))                   ;; (func, instr)
//! (import "hullvm_oracle" "value64" (func (param i64 i32 i32) (result i64))) ;; an i64 value
//! (import "hullvm_oracle" "value_f32" (func (param f32 i32 i32) (result f32))) ;; an f32 value
//! (import "hullvm_oracle" "value_f64" (func (param f64 i32 i32) (result f64))) ;; an f64 value
//! ```
//!
//! A reported value is already on top of the stack, so `i32.const func;
//! i32.const instr; call $value` records it and leaves it in place: no
//! scratch locals, no change to the stack. [`Report::After`] puts that call
//! after the instruction, [`Report::Before`] before it, [`Report::Path`] puts
//! `i32.const func; i32.const instr; call $path` after it, [`Report::Jump`]
//! before it; a value of another type than i32 goes to the hook of its type.
//! The functions defined in the module move up by five indices; every reference to them
//! (calls, exports, the start function, element segments, `ref.func`) is
//! renumbered, custom sections (names) are dropped. Nothing else changes,
//! so the program's output, results and traps are those of the original.

use super::OracleError;
use crate::compile::{self, Num, Report, SourceMap};
use wasm_encoder::reencode::{self, Reencode};
use wasm_encoder::{EntityType, ImportSection, Instruction, SectionId, TypeSection, ValType};

/// Module and field names of the hooks (distinct from `env` and `hullvm`).
pub(crate) const HOOK_MODULE: &str = "hullvm_oracle";
pub(crate) const HOOK_VALUE: &str = "value";
pub(crate) const HOOK_PATH: &str = "path";
pub(crate) const HOOK_VALUE64: &str = "value64";
pub(crate) const HOOK_VALUE_F32: &str = "value_f32";
pub(crate) const HOOK_VALUE_F64: &str = "value_f64";

/// The hooks' imports, appended after the module's own imported functions,
/// in this order, each with its own type: (name, the value's type, if any).
const HOOKS: [(&str, Option<Num>); 5] = [
    (HOOK_VALUE, Some(Num::I32)),
    (HOOK_PATH, None),
    (HOOK_VALUE64, Some(Num::I64)),
    (HOOK_VALUE_F32, Some(Num::F32)),
    (HOOK_VALUE_F64, Some(Num::F64)),
];

/// Rewrite `wasm` (binary or text) so that it reports the steps `map` marks.
pub fn instrument(wasm: &[u8], map: &SourceMap) -> Result<Vec<u8>, OracleError> {
    let bytes = compile::to_binary(wasm)?;
    let mut counts = (0u32, 0u32); // (types, imported functions)
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        match payload.map_err(|e| OracleError::Wasmi(e.to_string()))? {
            wasmparser::Payload::TypeSection(r) => counts.0 = r.count(),
            wasmparser::Payload::ImportSection(r) => {
                for imp in r.into_imports() {
                    let imp = imp.map_err(|e| OracleError::Wasmi(e.to_string()))?;
                    if matches!(
                        imp.ty,
                        wasmparser::TypeRef::Func(_) | wasmparser::TypeRef::FuncExact(_)
                    ) {
                        counts.1 += 1;
                    }
                }
            }
            _ => {}
        }
    }
    let mut rewriter = Rewriter {
        map,
        types: counts.0,
        imported: counts.1,
        next_body: 0,
        types_done: false,
        imports_done: false,
    };
    let mut module = wasm_encoder::Module::new();
    rewriter
        .parse_core_module(&mut module, wasmparser::Parser::new(0), &bytes)
        .map_err(|e| OracleError::Wasmi(format!("instrumenting: {e:?}")))?;
    Ok(module.finish())
}

/// The name [`export_memory`] gives a memory the module does not export as
/// `memory`.
pub(crate) const MEMORY_EXPORT: &str = "hullvm_oracle_memory";

/// `wasm` (binary) with its memory exported as [`MEMORY_EXPORT`] when it
/// has a memory (its own or imported) but exports none as `memory`: the C
/// convention's input is written into that memory, and an engine reaches a
/// memory only through an export. Adding an export changes no run; a module
/// without memory, or that exports it as `memory`, is returned as it is.
pub fn export_memory(wasm: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, OracleError> {
    use wasmparser::{ExternalKind, Payload, TypeRef};
    let invalid = |e: wasmparser::BinaryReaderError| OracleError::Wasmi(e.to_string());
    let (mut memories, mut exported, mut exports) = (0u32, false, false);
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload.map_err(invalid)? {
            Payload::ImportSection(r) => {
                for imp in r.into_imports() {
                    if let TypeRef::Memory(_) = imp.map_err(invalid)?.ty {
                        memories += 1;
                    }
                }
            }
            Payload::MemorySection(r) => memories += r.count(),
            Payload::ExportSection(r) => {
                exports = true;
                for e in r {
                    let e = e.map_err(invalid)?;
                    exported |= e.kind == ExternalKind::Memory && e.name == "memory";
                }
            }
            _ => {}
        }
    }
    // Without an export section there is no `compute` to call either.
    if memories == 0 || exported || !exports {
        return Ok(std::borrow::Cow::Borrowed(wasm));
    }
    let mut module = wasm_encoder::Module::new();
    MemoryExporter
        .parse_core_module(&mut module, wasmparser::Parser::new(0), wasm)
        .map_err(|e| OracleError::Wasmi(format!("exporting the memory: {e:?}")))?;
    Ok(std::borrow::Cow::Owned(module.finish()))
}

/// Re-encodes a module as it is, with memory 0 exported as [`MEMORY_EXPORT`].
struct MemoryExporter;

impl Reencode for MemoryExporter {
    type Error = std::convert::Infallible;

    fn parse_export_section(
        &mut self,
        exports: &mut wasm_encoder::ExportSection,
        section: wasmparser::ExportSectionReader<'_>,
    ) -> Result<(), Error> {
        reencode::utils::parse_export_section(self, exports, section)?;
        exports.export(MEMORY_EXPORT, wasm_encoder::ExportKind::Memory, 0);
        Ok(())
    }
}

struct Rewriter<'m> {
    map: &'m SourceMap,
    /// Types and imported functions in the original module.
    types: u32,
    imported: u32,
    /// Defined functions seen so far in the code section.
    next_body: u32,
    types_done: bool,
    imports_done: bool,
}

impl Rewriter<'_> {
    /// The hook that reports a value of type `num` (or, for None, a path
    /// step).
    fn hook(&self, num: Option<Num>) -> u32 {
        let at = HOOKS.iter().position(|&(_, n)| n == num);
        self.imported + at.expect("a hook for every type") as u32
    }

    /// (v, func, instr) -> v for a value hook, (func, instr) for the path.
    fn add_types(&mut self, types: &mut TypeSection) {
        for (_, num) in HOOKS {
            match num {
                Some(num) => {
                    let v = val_type(num);
                    types.ty().function([v, ValType::I32, ValType::I32], [v]);
                }
                None => types.ty().function([ValType::I32, ValType::I32], []),
            }
        }
        self.types_done = true;
    }

    fn add_imports(&mut self, imports: &mut ImportSection) {
        for (k, (name, _)) in HOOKS.iter().enumerate() {
            imports.import(
                HOOK_MODULE,
                name,
                EntityType::Function(self.types + k as u32),
            );
        }
        self.imports_done = true;
    }
}

type Error = reencode::Error<std::convert::Infallible>;

fn val_type(num: Num) -> ValType {
    match num {
        Num::I32 => ValType::I32,
        Num::I64 => ValType::I64,
        Num::F32 => ValType::F32,
        Num::F64 => ValType::F64,
    }
}

impl Reencode for Rewriter<'_> {
    type Error = std::convert::Infallible;

    fn function_index(&mut self, func: u32) -> Result<u32, Error> {
        Ok(if func < self.imported {
            func
        } else {
            func + HOOKS.len() as u32
        })
    }

    fn parse_type_section(
        &mut self,
        types: &mut TypeSection,
        section: wasmparser::TypeSectionReader<'_>,
    ) -> Result<(), Error> {
        reencode::utils::parse_type_section(self, types, section)?;
        self.add_types(types);
        Ok(())
    }

    fn parse_import_section(
        &mut self,
        imports: &mut ImportSection,
        section: wasmparser::ImportSectionReader<'_>,
    ) -> Result<(), Error> {
        reencode::utils::parse_import_section(self, imports, section)?;
        self.add_imports(imports);
        Ok(())
    }

    /// A module without a type or import section gets one, in its place.
    fn intersperse_section_hook(
        &mut self,
        module: &mut wasm_encoder::Module,
        _after: Option<SectionId>,
        before: Option<SectionId>,
    ) -> Result<(), Error> {
        if !self.types_done && before != Some(SectionId::Type) {
            let mut types = TypeSection::new();
            self.add_types(&mut types);
            module.section(&types);
        }
        if self.types_done
            && !self.imports_done
            && before != Some(SectionId::Type)
            && before != Some(SectionId::Import)
        {
            let mut imports = ImportSection::new();
            self.add_imports(&mut imports);
            module.section(&imports);
        }
        Ok(())
    }

    fn parse_custom_section(
        &mut self,
        _module: &mut wasm_encoder::Module,
        _section: wasmparser::CustomSectionReader<'_>,
    ) -> Result<(), Error> {
        Ok(())
    }

    fn parse_function_body(
        &mut self,
        code: &mut wasm_encoder::CodeSection,
        body: wasmparser::FunctionBody<'_>,
    ) -> Result<(), Error> {
        let func = self.imported + self.next_body;
        self.next_body += 1;
        let ops = self.map.functions.get(&func);
        let mut f = self.new_function_with_parsed_locals(&body)?;
        let mut reader = body.get_operators_reader()?;
        let mut instr = 0u32;
        while !reader.eof() {
            let report = ops
                .and_then(|o| o.get(instr as usize))
                .map_or(Report::None, |o| o.report);
            let ins = self.parse_instruction(&mut reader)?;
            let hook = |f: &mut wasm_encoder::Function, target: u32| {
                f.instruction(&Instruction::I32Const(func as i32));
                f.instruction(&Instruction::I32Const(instr as i32));
                f.instruction(&Instruction::Call(target));
            };
            match report {
                Report::None => {
                    f.instruction(&ins);
                }
                Report::Before(num) => {
                    hook(&mut f, self.hook(Some(num)));
                    f.instruction(&ins);
                }
                Report::After(num) => {
                    f.instruction(&ins);
                    hook(&mut f, self.hook(Some(num)));
                }
                Report::Path => {
                    f.instruction(&ins);
                    hook(&mut f, self.hook(None));
                }
                Report::Jump => {
                    hook(&mut f, self.hook(None));
                    f.instruction(&ins);
                }
            }
            instr += 1;
        }
        code.function(&f);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::{compile, Entry, Invocation, SourceStep};
    use crate::ending::Ending;
    use crate::oracle::wasmi::{self, Budget};

    /// Imports, a start function, a table with an element segment, and
    /// exports: every function reference moves with the two hook imports.
    const MODULE: &str = r#"(module
      (import "env" "output_byte" (func $out (param i32)))
      (memory (export "memory") 1)
      (table 2 funcref)
      (elem (i32.const 0) $init $get)
      (global $g (mut i32) (i32.const 0))
      (func $init (i32.store (i32.const 16) (i32.const 41)) (global.set $g (i32.const 1)))
      (func $get (result i32) (i32.add (i32.load (i32.const 16)) (global.get $g)))
      (func (export "main") (result i32) (call $out (i32.const 33)) (call $get))
      (start $init))"#;

    #[test]
    fn instrumenting_keeps_results_and_reports_every_marked_step() {
        let entry = Entry::Invoke(vec![Invocation {
            export: "main".into(),
            args: vec![],
        }]);
        let compiled = compile(MODULE.as_bytes(), &entry).unwrap();
        let budget = Budget::fuel(1 << 20);
        let plain = wasmi::run(MODULE.as_bytes(), &entry, budget).unwrap();
        let (run, steps) =
            wasmi::run_instrumented(MODULE.as_bytes(), &entry, budget, &compiled.source_map, 100)
                .unwrap();
        assert_eq!(plain.ending, Ending::Finished { results: vec![42] });
        assert_eq!(run, plain);
        assert!(!steps.truncated);
        // start: const, const, store, const, global.set; main: const,
        // output call, then get's steps and main's call of it.
        let first: Vec<(u32, u32)> = steps.steps.iter().map(|s| (s.func, s.instr)).collect();
        assert_eq!(&first[..5], &[(1, 0), (1, 1), (1, 2), (1, 3), (1, 4)]);
        let last = steps.steps.last().unwrap();
        assert_eq!((last.func, last.value), (3, Some(42)));
        let lifted = crate::verify::lift::lift(
            &compiled,
            &crate::oracle::reference::run(&compiled.program, 100_000).trace,
        );
        let lifted: Vec<SourceStep> = lifted.iter().map(|l| l.step).collect();
        assert_eq!(lifted, steps.steps);
        // A cap keeps the first steps and says so.
        let (_, capped) =
            wasmi::run_instrumented(MODULE.as_bytes(), &entry, budget, &compiled.source_map, 3)
                .unwrap();
        assert!(capped.truncated);
        assert_eq!(capped.steps[..], steps.steps[..3]);
    }
}

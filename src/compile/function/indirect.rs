//! `call_indirect`: a search over the index ([`FunctionCompiler::search`])
//! whose leaves are direct calls or the three table traps, decided from
//! the table's contents at compile time ([`crate::compile::tables`]).

use super::{FunctionCompiler, TEMP_BR_TABLE};
use crate::compile::asm::{Origin, Target};
use crate::compile::tables::{self, Outcome};
use crate::compile::{slot_count, CompileError};
use crate::isa::Op;

impl FunctionCompiler<'_, '_, '_> {
    pub(super) fn call_indirect(
        &mut self,
        type_index: u32,
        table_index: u32,
    ) -> Result<(), CompileError> {
        let module = self.cx.module(self.module_id);
        let expected = module
            .types
            .get(type_index as usize)
            .ok_or_else(|| CompileError::Invalid(format!("no type {type_index}")))?;
        let params = slot_count(expected.params())?;
        let results = slot_count(expected.results())?;
        let table = module
            .tables
            .get(table_index as usize)
            .ok_or_else(|| CompileError::Invalid(format!("no table {table_index}")))?;
        if let Some(why) = &table.unknown {
            return Err(CompileError::unsupported(why.clone()));
        }
        let runs = tables::outcomes(table, expected, |f| module.func_type(f));

        self.mark_lowered();
        self.height -= 1;
        let index = self.temp(TEMP_BR_TABLE);
        self.emit(Op::LocalSet, index);
        // Every leaf starts from the same stack: the arguments.
        let height = self.height;
        let end = self.cx.asm.new_label();
        let mut failed = None;
        self.search(
            index,
            &runs,
            true,
            &mut |fc, outcome, last| match *outcome {
                Outcome::Trap(trap) => fc.trap(trap),
                Outcome::Call(f) => {
                    fc.height = height;
                    if let Err(e) = fc.call(f) {
                        failed.get_or_insert(e);
                    }
                    if !last {
                        fc.jump_as_glue(end);
                    }
                }
            },
        );
        if let Some(e) = failed {
            return Err(e);
        }
        self.cx.asm.place(end);
        self.height = height - params + results;
        Ok(())
    }

    /// `br label` that belongs to no wasm instruction. After a leaf's call
    /// returns, the `call_indirect` is done (its source step is taken at the
    /// callee's return, as for `call`); the jump to the common end must not
    /// start it again.
    fn jump_as_glue(&mut self, label: crate::compile::asm::Label) {
        let saved = self.cx.asm.origin;
        self.cx.asm.origin = Origin {
            instr: None,
            ..saved
        };
        self.cx.asm.emit_jump(Op::Br, Target::Label(label));
        self.cx.asm.origin = saved;
    }
}

//! The call-depth counter of recursive functions
//! ([`crate::compile::Options::call_depth`]): a word in the reserved area
//! holds how many frames of recursive functions are active. The prologue
//! of such a function ends the run at the exhaustion exit when the count
//! is already at the limit, else counts itself; every `return` it executes
//! uncounts itself. A trap ends the run, so nothing else needs restoring.

use super::FunctionCompiler;
use crate::isa::Op;

impl FunctionCompiler<'_, '_, '_> {
    /// The prologue's check and count (recursive functions only).
    pub(super) fn count_frame(&mut self) {
        let Some(word) = self.depth_word() else {
            return;
        };
        let limit = self.cx.options.call_depth;
        self.emit(Op::I32Const, 0);
        self.emit(Op::I32Load, word);
        self.emit(Op::I32Const, limit);
        self.emit(Op::I32GeU, 0);
        let exhausted = self.cx.exhaustion();
        self.cx.asm.emit_jump(Op::BrIf, exhausted);
        self.add_to_count(Op::I32Add);
    }

    /// `return`, after uncounting the frame in a recursive function. The
    /// stack (the results on top) is left as it is.
    pub(super) fn emit_return(&mut self) {
        if self.depth_word().is_some() {
            self.add_to_count(Op::I32Sub);
        }
        self.cx.asm.emit_return(self.start_pc);
    }

    fn depth_word(&self) -> Option<u32> {
        if !self.counts_depth {
            return None;
        }
        self.cx.layout.depth
    }

    /// count = count + 1 (`I32Add`) or count - 1 (`I32Sub`).
    fn add_to_count(&mut self, op: Op) {
        let Some(word) = self.depth_word() else {
            return;
        };
        self.emit(Op::I32Const, 0);
        self.emit(Op::I32Const, 0);
        self.emit(Op::I32Load, word);
        self.emit(Op::I32Const, 1);
        self.emit(op, 0);
        self.emit(Op::I32Store, word);
    }
}

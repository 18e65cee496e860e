//! The call-depth counter of recursive functions
//! ([`crate::compile::Options::call_depth`]): a word in the reserved area
//! holds how many more frames of recursive functions may become active
//! (the entry glue sets it to the limit). The prologue of such a function
//! ends the run at the exhaustion exit when the word is 0, else keeps its
//! value in a local of the frame and decrements it; every `return` the
//! function executes stores the kept value back. A trap ends the run, so
//! nothing else needs restoring.

use super::FunctionCompiler;
use crate::isa::Op;

impl FunctionCompiler<'_, '_, '_> {
    /// The prologue's check and count, after the locals are set up: the
    /// kept value takes the machine slot after the function's own (the
    /// temporaries move up by one).
    pub(super) fn count_frame(&mut self) {
        let Some(word) = self.cx.layout.depth else {
            return;
        };
        let kept = self.temp_base;
        self.temp_base += 1;
        self.depth_local = Some(kept);
        self.emit(Op::I32Const, 0);
        self.emit(Op::I32Load, word);
        self.emit(Op::LocalTee, kept);
        self.emit(Op::I32Eqz, 0);
        let exhausted = self.cx.exhaustion();
        self.cx.asm.emit_jump(Op::BrIf, exhausted);
        self.emit(Op::I32Const, 0);
        self.emit(Op::LocalGet, kept);
        self.emit(Op::I32Const, 1);
        self.emit(Op::I32Sub, 0);
        self.emit(Op::I32Store, word);
    }

    /// `return`, after a recursive function gives its count back and a
    /// function with a spill frame pops it. The stack (the results on top)
    /// is left as it is.
    pub(super) fn emit_return(&mut self) {
        self.move_spill_pointer(true);
        if let (Some(kept), Some(word)) = (self.depth_local, self.cx.layout.depth) {
            self.emit(Op::I32Const, 0);
            self.emit(Op::LocalGet, kept);
            self.emit(Op::I32Store, word);
        }
        self.cx.asm.emit_return(self.start_pc);
    }
}

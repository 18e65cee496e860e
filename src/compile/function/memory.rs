//! `memory.size`, `memory.grow` and the bounds checks of a memory that can
//! grow. The current size of each memory that grows lives in two reserved
//! words ([`crate::compile::SizeWords`]: pages, and bytes = pages << 16);
//! each memory's region spans the largest size it can reach and the
//! reserved area lies above them all, so growing never reaches another
//! memory or the reserved area. A memory no function grows keeps constant
//! sizes and constant checks.

use super::{FunctionCompiler, TEMP_FIRST};
use crate::compile::asm::Target;
use crate::compile::{CompileError, Trap};
use crate::isa::Op;
use wasmparser::MemArg;

impl FunctionCompiler<'_, '_, '_> {
    /// Push memory `mem`'s current size in pages.
    pub(super) fn memory_size(&mut self, mem: u32) {
        let memory = self.cx.layout.memory(mem);
        match memory.size {
            Some(words) => {
                self.mark_lowered();
                self.emit(Op::I32Const, 0);
                self.emit(Op::I32Load, words.pages);
            }
            None => {
                let pages = (memory.initial >> 16) as u32;
                self.emit(Op::I32Const, pages);
            }
        }
    }

    /// delta -> old size in pages, or -1 (memory unchanged) when the new
    /// size would pass the declared maximum or [`crate::compile::MAX_MEMORY_BYTES`].
    pub(super) fn memory_grow(&mut self, mem: u32) -> Result<(), CompileError> {
        let memory = self.cx.layout.memory(mem);
        let Some(words) = memory.size else {
            return Err(CompileError::Invalid("memory.grow without a memory".into()));
        };
        self.mark_lowered();
        let max_pages = (memory.max >> 16) as u32;
        let delta = self.temp(TEMP_FIRST);
        let old = self.temp(TEMP_FIRST + 1);
        let (fail, end) = (self.cx.asm.new_label(), self.cx.asm.new_label());
        self.emit(Op::LocalSet, delta);
        self.emit(Op::I32Const, 0);
        self.emit(Op::I32Load, words.pages);
        self.emit(Op::LocalSet, old);
        // max - old < delta (unsigned: a negative delta is huge) fails.
        self.emit(Op::I32Const, max_pages);
        self.emit(Op::LocalGet, old);
        self.emit(Op::I32Sub, 0);
        self.emit(Op::LocalGet, delta);
        self.emit(Op::I32LtU, 0);
        self.cx.asm.emit_jump(Op::BrIf, Target::Label(fail));
        self.emit(Op::I32Const, 0);
        self.emit(Op::LocalGet, old);
        self.emit(Op::LocalGet, delta);
        self.emit(Op::I32Add, 0);
        self.emit(Op::I32Store, words.pages);
        // bytes = pages << 16: the pages (at most 1024) as the upper half of
        // the bytes word, whose lower half stays zero.
        self.emit(Op::I32Const, 0);
        self.emit(Op::I32Const, 0);
        self.emit(Op::I32Load, words.pages);
        self.emit(Op::I32Store16, words.bytes + 2);
        self.emit(Op::LocalGet, old);
        self.cx.asm.emit_jump(Op::Br, Target::Label(end));
        self.cx.asm.place(fail);
        self.emit(Op::I32Const, u32::MAX);
        self.cx.asm.place(end);
        Ok(())
    }

    /// The range check of an access of `size` bytes at `memarg`'s static
    /// offset against memory `index`'s current size; the address is on top and
    /// stays there. An access that fits in the initial memory always fits,
    /// one past the largest size never does; the rest compare with the
    /// bytes word.
    pub(super) fn growing_bounds_check(&mut self, index: u32, memarg: MemArg, size: u64) {
        let memory = self.cx.layout.memory(index);
        let Some(words) = memory.size else {
            return;
        };
        let (initial, max) = (memory.initial, memory.max);
        let end = memarg.offset + size;
        if end > max {
            self.trap(Trap::MemoryOutOfBounds);
            return;
        }
        if let Some(addr) = self.cx.asm.last_const() {
            if u64::from(addr) + end <= initial {
                return;
            }
        }
        let addr = self.temp(TEMP_FIRST);
        let oob = self.cx.trap(Trap::MemoryOutOfBounds);
        self.emit(Op::LocalTee, addr);
        // limit = bytes - end: the largest address that fits.
        self.emit(Op::I32Const, 0);
        self.emit(Op::I32Load, words.bytes);
        self.emit(Op::I32Const, end as u32);
        self.emit(Op::I32Sub, 0);
        if end <= initial {
            // The memory never shrinks: the limit is never negative.
            self.emit(Op::I32GtU, 0);
            self.cx.asm.emit_jump(Op::BrIf, oob);
        } else {
            let limit = self.temp(TEMP_FIRST + 2);
            self.emit(Op::LocalTee, limit);
            self.emit(Op::I32GtU, 0);
            self.cx.asm.emit_jump(Op::BrIf, oob);
            // A negative limit (the memory is smaller than `end`) would
            // pass the unsigned compare for small addresses.
            self.emit(Op::LocalGet, limit);
            self.emit(Op::I32Const, 0);
            self.emit(Op::I32LtS, 0);
            self.cx.asm.emit_jump(Op::BrIf, oob);
        }
        self.emit(Op::LocalGet, addr);
    }
}

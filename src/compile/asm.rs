//! A tiny assembler: instructions whose jump targets are symbolic until the
//! whole program is laid out.

use super::{FuncKey, Trap};
use crate::isa::{Instr, Op};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Label(u32);

/// Where a `br`, `br_if` or `call` goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    Label(Label),
    Func(FuncKey),
    Trap(Trap),
}

/// Where an instruction came from, for diagnostics and the source map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Origin {
    /// Index of the compiled function in the program's function table.
    pub function: Option<u32>,
    /// Byte offset of the wasm instruction in the module (0 for glue).
    pub(crate) offset: usize,
    /// Index of the wasm instruction in its function body (operators in
    /// order, the final `end` included), for instructions compiled from a
    /// user function's operator; `None` for entry glue, trap exits, a
    /// function's parameter prologue and runtime helper code. A runtime
    /// helper's instructions belong, at run time, to the lowered operator
    /// whose `call` reached them (see [`crate::verify::lift`]).
    pub instr: Option<u32>,
    /// True when this instruction is part of a lowered operator (a call to
    /// a runtime helper, or an inline core-op sequence standing in for an
    /// operator the ISA lacks).
    pub lowered: bool,
}

#[derive(Default)]
pub(crate) struct Asm {
    code: Vec<Instr>,
    targets: Vec<Option<Target>>,
    origins: Vec<Origin>,
    labels: Vec<Option<u32>>,
    /// `return` instructions with the pc of their function's first instruction.
    returns: Vec<(usize, u32)>,
    /// Labels are placed at increasing pcs; the latest one tells whether
    /// anything jumps to the current pc.
    last_placed: Option<u32>,
    pub(crate) origin: Origin,
}

impl Asm {
    pub fn pc(&self) -> u32 {
        self.code.len() as u32
    }

    pub fn emit(&mut self, op: Op, imm: u32) {
        debug_assert!(!op.is_relative_jump(), "jumps go through emit_jump");
        self.push(Instr::new(op, imm), None);
    }

    pub(crate) fn emit_jump(&mut self, op: Op, target: Target) {
        self.push(Instr::new(op, 0), Some(target));
    }

    /// `return`; its immediate is fixed once the layout is known.
    pub(crate) fn emit_return(&mut self, func_start: u32) {
        self.returns.push((self.code.len(), func_start));
        self.push(Instr::new(Op::Return, 0), None);
    }

    fn push(&mut self, ins: Instr, target: Option<Target>) {
        self.code.push(ins);
        self.targets.push(target);
        self.origins.push(self.origin);
    }

    pub(crate) fn new_label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() as u32 - 1)
    }

    pub(crate) fn place(&mut self, label: Label) {
        debug_assert!(self.labels[label.0 as usize].is_none());
        self.labels[label.0 as usize] = Some(self.pc());
        self.last_placed = Some(self.pc());
    }

    /// The last instruction emitted, if it is `i32.const` and nothing jumps
    /// to the current pc (so a peephole may fold it).
    pub(crate) fn last_const(&self) -> Option<u32> {
        let ins = self.code.last()?;
        let pc = self.pc();
        (ins.op == Op::I32Const && self.last_placed != Some(pc)).then_some(ins.imm)
    }

    /// The last two instructions' values when both are `i32.const` (the
    /// deeper first) and no label lies between them and here.
    pub(crate) fn last_two_consts(&self) -> Option<(u32, u32)> {
        let top = self.last_const()?;
        let [.., below, _] = self.code.as_slice() else {
            return None;
        };
        let pc = self.pc() - 1;
        (below.op == Op::I32Const && self.last_placed != Some(pc)).then_some((below.imm, top))
    }

    /// The last `n` instructions when each only pushes a value
    /// (`i32.const`, `local.get`) and nothing jumps to the second of them
    /// or later: a peephole may remove them and push their values
    /// otherwise.
    pub(crate) fn last_pushes(&self, n: usize) -> Option<Vec<Instr>> {
        let code = self.code.get(self.code.len().checked_sub(n)?..)?;
        let pure = code
            .iter()
            .all(|i| matches!(i.op, Op::I32Const | Op::LocalGet));
        let start = self.pc() - n as u32;
        let entered = self.last_placed.is_some_and(|p| p > start);
        (pure && !entered).then(|| code.to_vec())
    }

    /// Remove the last instruction; returns where it came from.
    pub(crate) fn pop_last(&mut self) -> Origin {
        self.code.pop();
        self.targets.pop();
        self.origins.pop().unwrap_or_default()
    }

    /// Resolve every target to a relative offset (`target - pc - 1`).
    pub fn finish(
        mut self,
        funcs: &HashMap<FuncKey, u32>,
        traps: &HashMap<Trap, u32>,
    ) -> (Vec<Instr>, Vec<Origin>) {
        for (pc, target) in self.targets.iter().enumerate() {
            let Some(target) = target else { continue };
            let abs = match *target {
                Target::Label(l) => self.labels[l.0 as usize].expect("every label is placed"),
                Target::Func(f) => funcs[&f],
                Target::Trap(t) => traps[&t],
            };
            self.code[pc].imm = abs.wrapping_sub(pc as u32).wrapping_sub(1);
        }
        for &(pc, start) in &self.returns {
            self.code[pc].imm = !(pc as u32 - start);
        }
        (self.code, self.origins)
    }
}

//! One wasm function body -> flat instructions.
//!
//! The compiler tracks the operand-stack height statically (wasm validation
//! guarantees it is known in reachable code). A branch that leaves values
//! under the carried ones first parks the carried values in temporaries,
//! drops the rest and pushes them back, so the flat machine's stack height
//! at the target is what the wasm label expects.

mod assigned;
mod constant;
mod depth;
mod dispatch;
mod indirect;
mod memory;

use super::asm::{Label, Origin, Target};
use super::source_map::{Report, SourceOp};
use super::{
    slot_count, slots, CompileError, Context, FuncKey, Import, ModuleId, Num, Trap, MAX_LOCALS,
};
use crate::isa::{Instr, Op};
use wasmparser::{
    BlockType, FuncValidator, MemArg, MemArgTarget, Operator, ValType, ValidatorResources,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FrameKind {
    Function,
    Block,
    Loop,
    If,
    Else,
}

struct Frame {
    kind: FrameKind,
    /// Stack height below the block's parameters.
    base: u32,
    params: u32,
    results: u32,
    /// Where a branch to this frame goes (loop start, or the end).
    target: Label,
    end: Label,
    /// For `if`: the start of the else branch (the end when there is none).
    else_label: Option<Label>,
    /// Whether control can reach the end (fallthrough or a branch).
    end_reachable: bool,
}

impl Frame {
    fn branch_arity(&self) -> u32 {
        if self.kind == FrameKind::Loop {
            self.params
        } else {
            self.results
        }
    }
}

/// Temporaries live after the function's own locals. Slot 0 holds a
/// `br_table` index; the others carry values across cleanups and hold
/// operands of lowered ops.
const TEMP_BR_TABLE: u32 = 0;

/// Largest `br_table` compiled as a compare chain (linear in the targets);
/// a larger one searches its index ([`dispatch`]).
const MAX_BR_TABLE: u32 = 256;
pub(super) const TEMP_FIRST: u32 = 1;

/// A function with more local slots than this keeps the rest in memory (a
/// spill frame), so its temporaries still fit the machine's frame of
/// `MAX_LOCALS` slots. Functions within it compile as they always did.
const MACHINE_LOCALS: u32 = 48;

/// Where a function keeps the locals the machine's frame cannot hold: a
/// frame on a stack in the reserved area, found through a pointer word
/// that starts at 0 (memory starts zeroed) and counts the bytes in use.
/// The prologue pushes the frame, every return pops it.
#[derive(Clone, Copy)]
pub(super) struct Spill {
    /// Bytes of this function's frame.
    pub(super) frame: u32,
    /// Address of the pointer word.
    pub(super) pointer: u32,
    /// The stack's base minus `frame`: the frame's own first byte is
    /// `base + pointer`, once the prologue has pushed it.
    pub(super) base: u32,
}

pub(super) struct FunctionCompiler<'c, 'm, 'a> {
    pub(super) cx: &'c mut Context<'m, 'a>,
    pub(super) module_id: ModuleId,
    pub(super) start_pc: u32,
    /// Each wasm local's first slot and type (an i64 takes two slots).
    local_map: Vec<(u32, ValType)>,
    /// The first machine slot of the compiler's temporaries.
    pub(super) temp_base: u32,
    max_temp: u32,
    /// The spill frame, for a function with more slots than the machine
    /// frame holds.
    spill: Option<Spill>,
    /// Operand-stack height in machine slots.
    pub(super) height: u32,
    frames: Vec<Frame>,
    /// Nesting depth of blocks opened inside dead code.
    dead_depth: u32,
    reachable: bool,
    function_index: u32,
    offset: usize,
    /// Index of the operator being compiled (None in the prologue).
    instr: Option<u32>,
    /// Whether the operator being compiled is lowered to other ops.
    lowered: bool,
    /// The source map entries of this function (user functions only).
    ops: Vec<SourceOp>,
    /// wasm's own validator, run alongside: it knows the operand types
    /// that `drop` and `select` leave implicit.
    validator: FuncValidator<ValidatorResources>,
    /// In a function that counts its frames against the call-depth limit
    /// (it can recurse): the local that keeps the count as it was on entry.
    depth_local: Option<u32>,
}

pub(super) fn compile_function(
    cx: &mut Context,
    key: FuncKey,
    function_index: u32,
) -> Result<(), CompileError> {
    let module = cx.module(key.module);
    let ty = module.func_type(key.index).clone();
    let defined = key
        .index
        .checked_sub(module.num_imported_funcs())
        .expect("calls to imports never reach the compile queue");
    let body = module.bodies[defined as usize].clone();
    let with_context = |e: CompileError, offset: usize| match e {
        CompileError::Unsupported { feature, .. } => CompileError::Unsupported {
            feature,
            function: Some(key.index),
            offset,
        },
        other => other,
    };
    let body_offset = body.range().start as usize;
    let params = slot_count(ty.params()).map_err(|e| with_context(e, body_offset))?;
    let results = slot_count(ty.results()).map_err(|e| with_context(e, body_offset))?;
    let mut validator = module.func_validator(defined);

    let mut local_types: Vec<ValType> = ty.params().to_vec();
    let locals_reader = body
        .get_locals_reader()
        .map_err(|e| CompileError::Invalid(e.to_string()))?;
    for l in locals_reader {
        let (count, t) = l.map_err(|e| CompileError::Invalid(e.to_string()))?;
        validator
            .define_locals(body_offset as u64, count, t)
            .map_err(|e| CompileError::Invalid(e.to_string()))?;
        local_types.extend(std::iter::repeat_n(t, count as usize));
    }
    let mut local_map = Vec::with_capacity(local_types.len());
    let mut local_slots = 0;
    for &t in &local_types {
        local_map.push((local_slots, t));
        local_slots += slots(t).map_err(|e| with_context(e, body_offset))?;
    }

    let spill = match local_slots.checked_sub(MACHINE_LOCALS) {
        Some(words) if words > 0 => Some(cx.layout.spill_frame(words).ok_or_else(|| {
            with_context(
                CompileError::unsupported(format!(
                    "{local_slots} local slots (the spill stack holds {} bytes)",
                    cx.layout.spill_bytes
                )),
                body_offset,
            )
        })?),
        _ => None,
    };
    let start_pc = cx.asm.pc();
    let counts_depth = key.module == ModuleId::User && cx.recursive.contains(&key.index);
    let mut fc = FunctionCompiler {
        cx,
        module_id: key.module,
        start_pc,
        local_map,
        temp_base: local_slots.min(MACHINE_LOCALS),
        max_temp: 0,
        spill,
        height: 0,
        frames: Vec::new(),
        dead_depth: 0,
        reachable: true,
        function_index,
        offset: body_offset,
        instr: None,
        lowered: false,
        ops: Vec::new(),
        validator,
        depth_local: None,
    };
    fc.set_origin();
    fc.push_spill_frame();
    // Parameters arrive on the stack, last one on top; declared locals start
    // at zero (a fresh frame may reuse the slots of an earlier call). The
    // soft-float runtime's functions zero only the locals they may read
    // before writing (`assigned`): they run for every float operation.
    for k in (0..params).rev() {
        fc.set_slot(k);
    }
    let read_first = match key.module {
        ModuleId::Float => {
            assigned::read_before_written(&body, ty.params().len(), fc.local_map.len())
        }
        _ => None,
    };
    let zeroed: Vec<u32> = (fc.local_map.iter().enumerate())
        .skip(ty.params().len())
        .filter(|&(i, _)| read_first.as_ref().is_none_or(|need| need[i]))
        .flat_map(|(_, &(first, t))| first..first + slots(t).expect("counted above"))
        .collect();
    for k in zeroed {
        fc.emit(Op::I32Const, 0);
        fc.set_slot(k);
    }
    if counts_depth {
        fc.count_frame();
    }
    let end = fc.cx.asm.new_label();
    fc.frames.push(Frame {
        kind: FrameKind::Function,
        base: 0,
        params: 0,
        results,
        target: end,
        end,
        else_label: None,
        end_reachable: false,
    });

    let mut reader = body
        .get_operators_reader()
        .map_err(|e| CompileError::Invalid(e.to_string()))?;
    while !reader.eof() {
        let (op, offset) = reader
            .read_with_offset()
            .map_err(|e| CompileError::Invalid(e.to_string()))?;
        let offset = offset as usize;
        fc.offset = offset;
        fc.instr = Some(fc.ops.len() as u32);
        fc.lowered = false;
        let report = if fc.reachable {
            fc.report(&op)
        } else {
            Report::None
        };
        fc.ops.push(SourceOp {
            offset: offset as u32,
            report,
        });
        fc.set_origin();
        fc.operator(op.clone())
            .map_err(|e| with_context(e, offset))?;
        fc.validator
            .op(offset as u64, &op)
            .map_err(|e| CompileError::Invalid(e.to_string()))?;
    }
    if key.module == ModuleId::User {
        let ops = std::mem::take(&mut fc.ops);
        fc.cx.source_map.functions.insert(key.index, ops);
    }
    let total = fc.temp_base + fc.max_temp;
    if total > MAX_LOCALS {
        return Err(with_context(
            CompileError::unsupported(format!(
                "more than {MAX_LOCALS} locals (including compiler temporaries)"
            )),
            body_offset,
        ));
    }
    Ok(())
}

impl FunctionCompiler<'_, '_, '_> {
    fn set_origin(&mut self) {
        let user = self.module_id == ModuleId::User;
        self.cx.asm.origin = Origin {
            function: Some(self.function_index),
            offset: if user { self.offset } else { 0 },
            instr: if user { self.instr } else { None },
            lowered: self.lowered,
        };
    }

    /// Mark the rest of the current operator's code as a lowering.
    pub(super) fn mark_lowered(&mut self) {
        self.lowered = true;
        self.set_origin();
    }

    /// What a reachable operator reports to the source-level diff (the rule
    /// is documented on [`Report`]).
    fn report(&self, op: &Operator) -> Report {
        if let Some(report) = super::int64::report(op).or_else(|| self.float_report(op)) {
            return report;
        }
        let report = self.report_i32(op);
        // Operators that move values of any type report at their width.
        let ty = match *op {
            Operator::LocalGet { local_index }
            | Operator::LocalSet { local_index }
            | Operator::LocalTee { local_index } => self.local(local_index).1,
            Operator::GlobalGet { global_index } | Operator::GlobalSet { global_index } => {
                self.cx.module(self.module_id).globals[global_index as usize].ty
            }
            Operator::Select => self.operand_type(1),
            Operator::TypedSelect { ty } => ty,
            Operator::Call { function_index } => {
                let module = self.cx.module(self.module_id);
                match module.func_type(function_index).results().last() {
                    Some(&t) => t,
                    None => return report,
                }
            }
            Operator::CallIndirect { type_index, .. } => {
                let module = self.cx.module(self.module_id);
                match module
                    .types
                    .get(type_index as usize)
                    .and_then(|t| t.results().last())
                {
                    Some(&t) => t,
                    None => return report,
                }
            }
            _ => return report,
        };
        match (report, Num::of(ty)) {
            (Report::After(_), Ok(num)) => Report::After(num),
            (Report::Before(_), Ok(num)) => Report::Before(num),
            (report, _) => report,
        }
    }

    /// [`Self::report`] for operators on i32 values.
    fn report_i32(&self, op: &Operator) -> Report {
        use Operator as O;
        match op {
            O::LocalSet { .. }
            | O::GlobalSet { .. }
            | O::I32Store { .. }
            | O::I32Store8 { .. }
            | O::I32Store16 { .. }
            | O::BrIf { .. }
            | O::If { .. }
            | O::BrTable { .. } => Report::Before(Num::I32),
            O::Br { .. } | O::Return => Report::Jump,
            O::CallIndirect { type_index, .. } => {
                let module = self.cx.module(self.module_id);
                match module.types.get(*type_index as usize) {
                    Some(ty) if ty.results().is_empty() => Report::Path,
                    _ => Report::After(Num::I32),
                }
            }
            O::Call { function_index } => {
                let module = self.cx.module(self.module_id);
                let f = *function_index;
                if f < module.num_imported_funcs() {
                    match module.imports.get(f as usize) {
                        Some(Import::Output) => Report::Before(Num::I32),
                        _ => Report::None,
                    }
                } else if module.func_type(f).results().is_empty() {
                    Report::Path
                } else {
                    Report::After(Num::I32)
                }
            }
            O::I32Const { .. }
            | O::LocalGet { .. }
            | O::LocalTee { .. }
            | O::GlobalGet { .. }
            | O::Select
            | O::TypedSelect { .. }
            | O::MemorySize { .. }
            | O::MemoryGrow { .. }
            | O::I32Load { .. }
            | O::I32Load8S { .. }
            | O::I32Load8U { .. }
            | O::I32Load16S { .. }
            | O::I32Load16U { .. }
            | O::I32Eqz
            | O::I32Eq
            | O::I32Ne
            | O::I32LtS
            | O::I32LtU
            | O::I32GtS
            | O::I32GtU
            | O::I32LeS
            | O::I32LeU
            | O::I32GeS
            | O::I32GeU
            | O::I32Add
            | O::I32Sub
            | O::I32Mul
            | O::I32DivS
            | O::I32DivU
            | O::I32RemS
            | O::I32RemU
            | O::I32And
            | O::I32Or
            | O::I32Xor
            | O::I32Shl
            | O::I32ShrS
            | O::I32ShrU
            | O::I32Rotl
            | O::I32Rotr
            | O::I32Clz
            | O::I32Ctz
            | O::I32Popcnt
            | O::I32Extend8S
            | O::I32Extend16S => Report::After(Num::I32),
            _ => Report::None,
        }
    }

    pub(super) fn emit(&mut self, op: Op, imm: u32) {
        self.cx.asm.emit(op, imm);
    }

    pub(super) fn temp(&mut self, slot: u32) -> u32 {
        self.max_temp = self.max_temp.max(slot + 1);
        self.temp_base + slot
    }

    /// The immediate that addresses a spilled slot, or None for a slot the
    /// machine frame holds.
    fn spilled(&self, slot: u32) -> Option<u32> {
        let spill = self.spill?;
        let word = slot.checked_sub(MACHINE_LOCALS)?;
        Some(spill.base + 4 * word)
    }

    /// Push the slot's value (`local.get`).
    fn get_slot(&mut self, slot: u32) {
        match (self.spilled(slot), self.spill) {
            (Some(imm), Some(spill)) => {
                self.emit(Op::I32Const, 0);
                self.emit(Op::I32Load, spill.pointer);
                self.emit(Op::I32Load, imm);
            }
            _ => self.emit(Op::LocalGet, slot),
        }
    }

    /// Pop into the slot (`local.set`); `keep` leaves the value on the
    /// stack (`local.tee`).
    fn put_slot(&mut self, slot: u32, keep: bool) {
        match (self.spilled(slot), self.spill) {
            (Some(imm), Some(spill)) => {
                let t = self.temp(TEMP_FIRST);
                self.emit(if keep { Op::LocalTee } else { Op::LocalSet }, t);
                self.emit(Op::I32Const, 0);
                self.emit(Op::I32Load, spill.pointer);
                self.emit(Op::LocalGet, t);
                self.emit(Op::I32Store, imm);
            }
            _ => self.emit(if keep { Op::LocalTee } else { Op::LocalSet }, slot),
        }
    }

    fn set_slot(&mut self, slot: u32) {
        self.put_slot(slot, false);
    }

    /// pointer += frame (or -= frame when `pop`), leaving the stack as it
    /// was: a pop runs between a function's results and its `return`.
    pub(super) fn move_spill_pointer(&mut self, pop: bool) {
        let Some(spill) = self.spill else { return };
        self.emit(Op::I32Const, 0);
        self.emit(Op::I32Const, 0);
        self.emit(Op::I32Load, spill.pointer);
        self.emit(Op::I32Const, spill.frame);
        self.emit(if pop { Op::I32Sub } else { Op::I32Add }, 0);
        self.emit(Op::I32Store, spill.pointer);
    }

    /// The prologue's push of the spill frame; past the stack's end the run
    /// ends as call stack exhaustion, like a recursion past the depth limit.
    fn push_spill_frame(&mut self) {
        let Some(spill) = self.spill else { return };
        self.move_spill_pointer(false);
        self.emit(Op::I32Const, 0);
        self.emit(Op::I32Load, spill.pointer);
        self.emit(Op::I32Const, self.cx.layout.spill_bytes);
        self.emit(Op::I32GtU, 0);
        let exhausted = self.cx.exhaustion();
        self.cx.asm.emit_jump(Op::BrIf, exhausted);
    }

    /// A wasm local's first slot and type.
    fn local(&self, index: u32) -> (u32, ValType) {
        self.local_map[index as usize]
    }

    /// The type of the operand `depth` values below the top (known in
    /// reachable code, which is all that is compiled).
    fn operand_type(&self, depth: usize) -> ValType {
        self.validator
            .get_operand_type(depth)
            .flatten()
            .unwrap_or(ValType::I32)
    }

    fn block_type(&self, bt: BlockType) -> Result<(u32, u32), CompileError> {
        match bt {
            BlockType::Empty => Ok((0, 0)),
            BlockType::Type(t) => Ok((0, slots(t)?)),
            BlockType::FuncType(idx) => {
                let ty = &self.cx.module(self.module_id).types[idx as usize];
                Ok((slot_count(ty.params())?, slot_count(ty.results())?))
            }
        }
    }

    fn push_frame(&mut self, kind: FrameKind, bt: BlockType) -> Result<(), CompileError> {
        let (params, results) = self.block_type(bt)?;
        let end = self.cx.asm.new_label();
        let target = if kind == FrameKind::Loop {
            let start = self.cx.asm.new_label();
            self.cx.asm.place(start);
            start
        } else {
            end
        };
        let else_label = (kind == FrameKind::If).then(|| self.cx.asm.new_label());
        self.frames.push(Frame {
            kind,
            base: self.height - params,
            params,
            results,
            target,
            end,
            else_label,
            end_reachable: false,
        });
        Ok(())
    }

    /// Drop `drop` values that sit under the top `keep` values.
    fn emit_cleanup(&mut self, keep: u32, drop: u32) {
        if drop == 0 {
            return;
        }
        for i in (0..keep).rev() {
            let t = self.temp(TEMP_FIRST + i);
            self.emit(Op::LocalSet, t);
        }
        for _ in 0..drop {
            self.emit(Op::Drop, 0);
        }
        for i in 0..keep {
            let t = self.temp(TEMP_FIRST + i);
            self.emit(Op::LocalGet, t);
        }
    }

    /// Branch to the frame `depth` levels out. For a conditional branch the
    /// condition has already been popped from `height` (it is on the machine
    /// stack, on top).
    fn branch(&mut self, depth: u32, conditional: bool) {
        let idx = self.frames.len() - 1 - depth as usize;
        let frame = &mut self.frames[idx];
        frame.end_reachable |= frame.kind != FrameKind::Loop;
        let (kind, keep, base, target) =
            (frame.kind, frame.branch_arity(), frame.base, frame.target);
        let extra = self.height - keep - base;
        let is_return = kind == FrameKind::Function;
        // A plain jump does; an unconditional return needs the `return` op.
        if extra == 0 && (conditional || !is_return) {
            let op = if conditional { Op::BrIf } else { Op::Br };
            self.cx.asm.emit_jump(op, Target::Label(target));
            return;
        }
        let skip = self.cx.asm.new_label();
        if conditional {
            self.emit(Op::I32Eqz, 0);
            self.cx.asm.emit_jump(Op::BrIf, Target::Label(skip));
        }
        self.emit_cleanup(keep, extra);
        if is_return {
            self.emit_return();
        } else {
            self.cx.asm.emit_jump(Op::Br, Target::Label(target));
        }
        self.cx.asm.place(skip);
    }

    pub(super) fn trap(&mut self, trap: Trap) {
        let target = self.cx.trap(trap);
        self.cx.asm.emit_jump(Op::Br, target);
    }

    pub(super) fn call_helper(&mut self, name: &str) {
        self.mark_lowered();
        let key = self.cx.helper(name);
        self.cx.call(key);
    }

    /// Where a global lives (its address, when it has one) and its
    /// constant value (when it has one), with its type.
    fn global_slot(&self, g: u32) -> Result<(Option<u32>, Option<u64>, ValType), CompileError> {
        let module = self.cx.module(self.module_id);
        let global = &module.globals[g as usize];
        slots(global.ty)?;
        if global.imported {
            return Err(CompileError::unsupported("imported globals"));
        }
        Ok((self.cx.layout.globals[g as usize], global.init, global.ty))
    }

    /// The address range check before a load or store of `size` bytes at
    /// `memarg`'s static offset in memory `index`; the address is on top of the
    /// stack and stays there.
    pub(super) fn bounds_check(&mut self, index: u32, memarg: MemArg, size: u64) {
        let memory = self.cx.layout.memory(index);
        if memory.size.is_some() {
            return self.growing_bounds_check(index, memarg, size);
        }
        let limit = memory.initial as i64 - memarg.offset as i64 - size as i64;
        if let Some(addr) = self.cx.asm.last_const() {
            // A constant address is checked now.
            if addr as i64 > limit {
                self.trap(Trap::MemoryOutOfBounds);
            }
            return;
        }
        if limit < 0 {
            self.trap(Trap::MemoryOutOfBounds);
            return;
        }
        let t = self.temp(TEMP_FIRST);
        self.emit(Op::LocalTee, t);
        self.emit(Op::I32Const, limit as u32);
        self.emit(Op::I32GtU, 0);
        let oob = self.cx.trap(Trap::MemoryOutOfBounds);
        self.cx.asm.emit_jump(Op::BrIf, oob);
        self.emit(Op::LocalGet, t);
    }

    /// The static offset a runtime helper's access compiles to (its private
    /// scratch, no check needed), or None for a user (or `wasi.wat`) access,
    /// which [`Self::checked_address`] checks.
    pub(super) fn memory_offset(&self, memarg: MemArg) -> Result<Option<u32>, CompileError> {
        match self.module_id {
            ModuleId::Runtime | ModuleId::Float => {
                Ok(Some(self.cx.layout.runtime_scratch + memarg.offset as u32))
            }
            // wasi.wat works on the user's memory 0, checked as the user's.
            ModuleId::User | ModuleId::Wasi => {
                if memarg.offset > u32::MAX as u64 {
                    return Err(CompileError::unsupported("memory offset beyond 32 bits"));
                }
                Ok(None)
            }
        }
    }

    /// The immediate of an access of `size` bytes at `memarg` from the
    /// address on top of the stack, after its bounds check (which leaves the
    /// address there): the memory's base plus the static offset, so an
    /// access to any memory costs only its check.
    pub(super) fn checked_address(
        &mut self,
        memarg: MemArg,
        size: u64,
    ) -> Result<u32, CompileError> {
        Ok(match self.memory_offset(memarg)? {
            Some(imm) => imm,
            None => {
                let MemArgTarget::Memory(index) = memarg.target else {
                    return Err(CompileError::unsupported("array access through a memarg"));
                };
                self.bounds_check(index, memarg, size);
                // Past the check the sum fits (an access that cannot fit
                // became a trap, and this is then never executed).
                let base = self.cx.layout.memory(index).base;
                base.wrapping_add(memarg.offset as u32)
            }
        })
    }

    pub(super) fn load(&mut self, op: Op, memarg: MemArg, size: u64) -> Result<(), CompileError> {
        let imm = self.checked_address(memarg, size)?;
        self.emit(op, imm);
        Ok(())
    }

    pub(super) fn store(&mut self, op: Op, memarg: MemArg, size: u64) -> Result<(), CompileError> {
        self.height -= 2;
        let imm = match self.memory_offset(memarg)? {
            Some(imm) => imm,
            None => {
                let v = self.temp(TEMP_FIRST + 1);
                self.emit(Op::LocalSet, v);
                let imm = self.checked_address(memarg, size)?;
                self.emit(Op::LocalGet, v);
                imm
            }
        };
        self.emit(op, imm);
        Ok(())
    }

    /// i32.extend8_s / extend16_s: a store and a signed load through scratch.
    pub(super) fn sign_extend(&mut self, store: Op, load: Op) {
        self.mark_lowered();
        let scratch = self.cx.layout.scratch;
        let t = self.temp(TEMP_FIRST);
        self.emit(Op::LocalSet, t);
        self.emit(Op::I32Const, 0);
        self.emit(Op::LocalGet, t);
        self.emit(store, scratch);
        self.emit(Op::I32Const, 0);
        self.emit(load, scratch);
    }

    fn binary_helper(&mut self, name: &str) {
        self.height -= 1;
        self.mark_lowered();
        if self.constant_operand(name) {
            return;
        }
        self.call_helper(name);
    }

    /// `a / b` (or `a % b`, as `a - b * (a / b)`) on the machine's own
    /// `i32.div_u`, after the trap for b = 0, which the machine's digits
    /// do not handle.
    fn divide(&mut self, remainder: bool) {
        self.height -= 1;
        self.mark_lowered();
        let [b, a] = [0, 1].map(|k| self.temp(TEMP_FIRST + k));
        let zero = self.cx.trap(Trap::IntegerDivideByZero);
        self.emit(Op::LocalTee, b);
        self.emit(Op::I32Eqz, 0);
        self.cx.asm.emit_jump(Op::BrIf, zero);
        if remainder {
            self.emit(Op::LocalTee, a);
            self.emit(Op::LocalGet, a);
        }
        self.emit(Op::LocalGet, b);
        self.emit(Op::I32DivU, 0);
        if remainder {
            self.emit(Op::LocalGet, b);
            self.emit(Op::I32Mul, 0);
            self.emit(Op::I32Sub, 0);
        }
    }

    /// x rot n = (x `toward` n) | (x `back` -n): the shifts take their
    /// count mod 32, so n = 0 gives x | x.
    fn rotate(&mut self, name: &str, toward: Op, back: Op) {
        self.height -= 1;
        self.mark_lowered();
        if self.constant_operand(name) {
            return;
        }
        let [n, x] = [0, 1].map(|k| self.temp(TEMP_FIRST + k));
        self.emit(Op::LocalSet, n);
        self.emit(Op::LocalTee, x);
        self.emit(Op::LocalGet, n);
        self.emit(toward, 0);
        self.emit(Op::LocalGet, x);
        self.emit(Op::I32Const, 0);
        self.emit(Op::LocalGet, n);
        self.emit(Op::I32Sub, 0);
        self.emit(back, 0);
        self.emit(Op::I32Or, 0);
    }

    fn operator(&mut self, op: Operator) -> Result<(), CompileError> {
        if !self.reachable {
            return self.dead_operator(op);
        }
        use Operator as O;
        match op {
            O::Nop => {}
            O::Unreachable => {
                self.trap(Trap::Unreachable);
                self.reachable = false;
            }
            O::Block { blockty } => self.push_frame(FrameKind::Block, blockty)?,
            O::Loop { blockty } => self.push_frame(FrameKind::Loop, blockty)?,
            O::If { blockty } => {
                self.height -= 1;
                self.push_frame(FrameKind::If, blockty)?;
                let else_label = self.frames.last().unwrap().else_label.unwrap();
                self.emit(Op::I32Eqz, 0);
                self.cx.asm.emit_jump(Op::BrIf, Target::Label(else_label));
            }
            O::Else => {
                let end = self.frames.last().unwrap().end;
                self.cx.asm.emit_jump(Op::Br, Target::Label(end));
                self.enter_else();
            }
            O::End => {
                self.frames.last_mut().unwrap().end_reachable = true;
                self.end_frame();
            }
            O::Br { relative_depth } => {
                self.branch(relative_depth, false);
                self.reachable = false;
            }
            O::BrIf { relative_depth } => {
                self.height -= 1;
                self.branch(relative_depth, true);
            }
            O::BrTable { targets } => {
                // Dispatch is a compare chain, a few instructions per target;
                // a larger table searches the index instead.
                if targets.len() > MAX_BR_TABLE {
                    return self.br_table_search(&targets);
                }
                self.height -= 1;
                let t = self.temp(TEMP_BR_TABLE);
                self.emit(Op::LocalSet, t);
                for (i, depth) in targets.targets().enumerate() {
                    let depth = depth.map_err(|e| CompileError::Invalid(e.to_string()))?;
                    self.emit(Op::LocalGet, t);
                    self.emit(Op::I32Const, i as u32);
                    self.emit(Op::I32Eq, 0);
                    self.branch(depth, true);
                }
                self.branch(targets.default(), false);
                self.reachable = false;
            }
            O::Return => {
                let depth = self.frames.len() as u32 - 1;
                self.branch(depth, false);
                self.reachable = false;
            }
            O::Call { function_index } => self.call(function_index)?,
            O::CallIndirect {
                type_index,
                table_index,
            } => self.call_indirect(type_index, table_index)?,
            O::Drop => {
                for _ in 0..slots(self.operand_type(0))? {
                    self.height -= 1;
                    self.emit(Op::Drop, 0);
                }
            }
            O::Select => self.select(self.operand_type(1))?,
            O::TypedSelect { ty } => self.select(ty)?,
            O::LocalGet { local_index } => {
                let (slot, ty) = self.local(local_index);
                for k in 0..slots(ty)? {
                    self.height += 1;
                    self.get_slot(slot + k);
                }
            }
            O::LocalSet { local_index } => {
                let (slot, ty) = self.local(local_index);
                for k in (0..slots(ty)?).rev() {
                    self.height -= 1;
                    self.set_slot(slot + k);
                }
            }
            O::LocalTee { local_index } => {
                let (slot, ty) = self.local(local_index);
                if slots(ty)? == 2 {
                    self.set_slot(slot + 1);
                    self.put_slot(slot, true);
                    self.get_slot(slot + 1);
                } else {
                    self.put_slot(slot, true);
                }
            }
            O::GlobalGet { global_index } => {
                let (addr, init, ty) = self.global_slot(global_index)?;
                for k in 0..slots(ty)? {
                    self.height += 1;
                    match (addr, init) {
                        (None, Some(value)) => self.emit(Op::I32Const, (value >> (32 * k)) as u32),
                        (Some(addr), _) => {
                            self.emit(Op::I32Const, 0);
                            self.emit(Op::I32Load, addr + 4 * k);
                        }
                        (None, None) => unreachable!("globals without a value get a slot"),
                    }
                }
            }
            O::GlobalSet { global_index } => {
                let (Some(addr), _, ty) = self.global_slot(global_index)? else {
                    unreachable!("validation rejects setting an immutable global")
                };
                let n = slots(ty)?;
                self.height -= n;
                for k in (0..n).rev() {
                    let t = self.temp(TEMP_FIRST + k);
                    self.emit(Op::LocalSet, t);
                }
                for k in 0..n {
                    let t = self.temp(TEMP_FIRST + k);
                    self.emit(Op::I32Const, 0);
                    self.emit(Op::LocalGet, t);
                    self.emit(Op::I32Store, addr + 4 * k);
                }
            }
            O::I32Load { memarg } => self.load(Op::I32Load, memarg, 4)?,
            O::I32Load8S { memarg } => self.load(Op::I32Load8S, memarg, 1)?,
            O::I32Load8U { memarg } => self.load(Op::I32Load8U, memarg, 1)?,
            O::I32Load16S { memarg } => self.load(Op::I32Load16S, memarg, 2)?,
            O::I32Load16U { memarg } => self.load(Op::I32Load16U, memarg, 2)?,
            O::I32Store { memarg } => self.store(Op::I32Store, memarg, 4)?,
            O::I32Store8 { memarg } => self.store(Op::I32Store8, memarg, 1)?,
            O::I32Store16 { memarg } => self.store(Op::I32Store16, memarg, 2)?,
            O::MemorySize { mem, .. } => {
                self.height += 1;
                self.memory_size(mem);
            }
            O::MemoryGrow { mem, .. } => self.memory_grow(mem)?,
            O::I32Const { value } => {
                self.height += 1;
                self.emit(Op::I32Const, value as u32);
            }
            O::I32Eqz => self.emit(Op::I32Eqz, 0),
            O::I32Eq => self.binary(Op::I32Eq),
            O::I32Ne => self.binary(Op::I32Ne),
            O::I32LtS => self.binary(Op::I32LtS),
            O::I32LtU => self.binary(Op::I32LtU),
            O::I32GtS => self.binary(Op::I32GtS),
            O::I32GtU => self.binary(Op::I32GtU),
            O::I32LeS => self.binary(Op::I32LeS),
            O::I32LeU => self.binary(Op::I32LeU),
            O::I32GeS => self.binary(Op::I32GeS),
            O::I32GeU => self.binary(Op::I32GeU),
            O::I32Add => self.binary(Op::I32Add),
            O::I32Sub => self.binary(Op::I32Sub),
            O::I32Mul => self.binary(Op::I32Mul),
            O::I32DivS => self.binary_helper("div_s"),
            O::I32DivU => self.divide(false),
            O::I32RemS => self.binary_helper("rem_s"),
            O::I32RemU => {
                self.divide(true);
                if self.module_id == ModuleId::User && self.cx.options.plant_rem_u_bug {
                    // Deliberately wrong, for the source-diff test: r + (r > 4).
                    let t = self.temp(TEMP_FIRST);
                    self.emit(Op::LocalTee, t);
                    self.emit(Op::I32Const, 4);
                    self.emit(Op::I32GtU, 0);
                    self.emit(Op::LocalGet, t);
                    self.emit(Op::I32Add, 0);
                }
            }
            O::I32And => self.binary(Op::I32And),
            O::I32Or => self.binary(Op::I32Or),
            O::I32Xor => self.binary(Op::I32Xor),
            O::I32Shl => self.binary(Op::I32Shl),
            O::I32ShrS => self.binary(Op::I32ShrS),
            O::I32ShrU => self.binary(Op::I32ShrU),
            O::I32Rotl => self.rotate("rotl", Op::I32Shl, Op::I32ShrU),
            O::I32Rotr => self.rotate("rotr", Op::I32ShrU, Op::I32Shl),
            O::I32Clz => self.emit(Op::I32Clz, 0),
            O::I32Ctz => self.call_helper("ctz"),
            O::I32Popcnt => self.call_helper("popcnt"),
            O::I32Extend8S => self.sign_extend(Op::I32Store8, Op::I32Load8S),
            O::I32Extend16S => self.sign_extend(Op::I32Store16, Op::I32Load16S),
            other if super::float::is_float(&other) => self.float_operator(other)?,
            other => return self.i64_operator(other),
        }
        Ok(())
    }

    /// In the soft-float runtime, the last `n` instructions when each only
    /// pushes a value and nothing jumps into them, removed: i64 code there
    /// works on words that come from such pushes (an f64's halves split
    /// and joined), and a peephole that knows them saves the word moves.
    /// Only there: nothing reports the runtime's values, so its code may
    /// be rewritten, while a user operator's report reads the stack it
    /// leaves.
    pub(super) fn take_runtime_pushes(&mut self, n: usize) -> Option<Vec<Instr>> {
        if self.module_id != ModuleId::Float {
            return None;
        }
        let pushes = self.cx.asm.last_pushes(n)?;
        for _ in 0..n {
            self.cx.asm.pop_last();
        }
        Some(pushes)
    }

    /// Drop the top word: in the soft-float runtime, remove the push that
    /// made it, if it was one; else `drop`.
    pub(super) fn drop_word(&mut self) {
        if self.take_runtime_pushes(1).is_none() {
            self.emit(Op::Drop, 0);
        }
    }

    /// An i64 operator that works on each word alone (`and`, `or`, `xor`):
    /// `op` on the low words, then on the high words.
    pub(super) fn word_by_word(&mut self, op: Op) {
        if op == Op::I32Or || op == Op::I32Xor {
            // In the runtime, b's high word a pushed zero (an i64 extended
            // from an i32): a_lo a_hi b_lo -> (a_lo op b_lo) a_hi
            let zero = Instr::new(Op::I32Const, 0);
            if self.module_id == ModuleId::Float && self.cx.asm.last_pushes(1) == Some(vec![zero]) {
                self.take_runtime_pushes(1);
                self.height -= 2;
                self.mark_lowered();
                let [b_lo, a_hi] = [0, 1].map(|k| self.temp(TEMP_FIRST + k));
                self.emit(Op::LocalSet, b_lo);
                self.emit(Op::LocalSet, a_hi);
                self.emit(Op::LocalGet, b_lo);
                self.emit(op, 0);
                self.emit(Op::LocalGet, a_hi);
                return;
            }
        }
        self.height -= 2;
        self.mark_lowered();
        // a_lo a_hi b_lo b_hi -> (a_lo op b_lo) (a_hi op b_hi)
        let [b_hi, b_lo, a_hi] = [0, 1, 2].map(|k| self.temp(TEMP_FIRST + k));
        for t in [b_hi, b_lo, a_hi] {
            self.emit(Op::LocalSet, t);
        }
        self.emit(Op::LocalGet, b_lo);
        self.emit(op, 0);
        self.emit(Op::LocalGet, a_hi);
        self.emit(Op::LocalGet, b_hi);
        self.emit(op, 0);
    }

    /// `select` of a value of type `ty`: an i64 selects each word with the
    /// same condition.
    fn select(&mut self, ty: ValType) -> Result<(), CompileError> {
        let n = slots(ty)?;
        self.height -= n + 1;
        if n == 1 {
            self.emit(Op::Select, 0);
            return Ok(());
        }
        self.mark_lowered();
        // a_lo a_hi b_lo b_hi c -> (c ? a : b) word by word
        let [c, b_hi, b_lo, a_hi] = [0, 1, 2, 3].map(|k| self.temp(TEMP_FIRST + k));
        for t in [c, b_hi, b_lo, a_hi] {
            self.emit(Op::LocalSet, t);
        }
        for (b, a) in [(b_lo, None), (b_hi, Some(a_hi))] {
            if let Some(a) = a {
                self.emit(Op::LocalGet, a);
            }
            self.emit(Op::LocalGet, b);
            self.emit(Op::LocalGet, c);
            self.emit(Op::Select, 0);
        }
        Ok(())
    }

    pub(super) fn binary(&mut self, op: Op) {
        self.height -= 1;
        self.emit(op, 0);
    }

    fn call(&mut self, function_index: u32) -> Result<(), CompileError> {
        let module = self.cx.module(self.module_id);
        let ty = module.func_type(function_index);
        let params = slot_count(ty.params())?;
        let results = slot_count(ty.results())?;
        self.height = self.height - params + results;
        if function_index < module.num_imported_funcs() {
            match module.imports[function_index as usize].clone() {
                Import::Output => self.emit(Op::Output, 0),
                Import::Ignore => {
                    for _ in 0..params {
                        self.emit(Op::Drop, 0);
                    }
                }
                Import::Trap(t) => self.trap(t),
                Import::Wasi(name) => {
                    let key = self.cx.wasi_function(&name);
                    self.cx.call(key);
                }
                Import::Exit => {
                    let exit = self.cx.exit.ok_or_else(|| {
                        CompileError::unsupported("proc_exit outside a WASI command's _start")
                    })?;
                    self.cx.asm.emit_jump(Op::Br, Target::Label(exit));
                }
                Import::Errno(errno) => {
                    for _ in 0..params {
                        self.emit(Op::Drop, 0);
                    }
                    self.emit(Op::I32Const, errno);
                }
                Import::Unsupported(what) => return Err(CompileError::unsupported(what)),
            }
            return Ok(());
        }
        self.cx.call(FuncKey {
            module: self.module_id,
            index: function_index,
        });
        Ok(())
    }

    fn enter_else(&mut self) {
        let frame = self.frames.last_mut().unwrap();
        if self.reachable {
            frame.end_reachable = true;
        }
        frame.kind = FrameKind::Else;
        let else_label = frame.else_label.take().unwrap();
        self.height = frame.base + frame.params;
        self.reachable = true;
        self.cx.asm.place(else_label);
    }

    fn end_frame(&mut self) {
        let frame = self.frames.pop().unwrap();
        if let Some(else_label) = frame.else_label {
            // `if` without `else`: the false path falls through to the end.
            self.cx.asm.place(else_label);
        }
        self.height = frame.base + frame.results;
        if frame.kind == FrameKind::Function {
            self.cx.asm.place(frame.end);
            self.set_origin();
            self.emit_return();
            self.reachable = false;
            return;
        }
        self.cx.asm.place(frame.end);
        let if_without_else = frame.kind == FrameKind::If;
        self.reachable = frame.end_reachable || if_without_else;
    }

    /// Operators after an unconditional branch: only structure matters.
    fn dead_operator(&mut self, op: Operator) -> Result<(), CompileError> {
        match op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                self.dead_depth += 1;
            }
            Operator::Else if self.dead_depth == 0 => self.enter_else(),
            Operator::End if self.dead_depth == 0 => self.end_frame(),
            Operator::End => self.dead_depth -= 1,
            _ => {}
        }
        Ok(())
    }
}

/// A wasm-style name for an operator, e.g. `I64Add` -> `i64.add`.
pub fn operator_name(op: &Operator) -> String {
    let debug = format!("{op:?}");
    let head = debug.split([' ', '{', '(']).next().unwrap_or(&debug);
    let mut snake = String::new();
    for (i, c) in head.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            snake.push('_');
        }
        snake.push(c.to_ascii_lowercase());
    }
    for prefix in [
        "i32", "i64", "f32", "f64", "v128", "i8x16", "i16x8", "i32x4", "i64x2", "f32x4", "f64x2",
        "memory", "table", "ref", "data", "elem", "global", "local", "call", "return",
    ] {
        if let Some(rest) = snake.strip_prefix(prefix) {
            if let Some(rest) = rest.strip_prefix('_') {
                return format!("{prefix}.{rest}")
                    .replace("call.indirect", "call_indirect")
                    .replace("return.call", "return_call");
            }
        }
    }
    snake
}

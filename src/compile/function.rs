//! One wasm function body -> flat instructions.
//!
//! The compiler tracks the operand-stack height statically (wasm validation
//! guarantees it is known in reachable code). A branch that leaves values
//! under the carried ones first parks the carried values in temporaries,
//! drops the rest and pushes them back, so the flat machine's stack height
//! at the target is what the wasm label expects.

mod depth;
mod dispatch;
mod indirect;
mod memory;

use super::asm::{Label, Origin, Target};
use super::source_map::{Report, SourceOp};
use super::{i32_only, CompileError, Context, FuncKey, Import, ModuleId, Trap, MAX_LOCALS};
use crate::isa::Op;
use wasmparser::{BlockType, Operator, ValType};

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
const TEMP_FIRST: u32 = 1;

struct FunctionCompiler<'c, 'm, 'a> {
    cx: &'c mut Context<'m, 'a>,
    module_id: ModuleId,
    start_pc: u32,
    locals: u32,
    max_temp: u32,
    height: u32,
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
    let params = i32_only(ty.params()).map_err(|e| with_context(e, body_offset))?;
    let results = i32_only(ty.results()).map_err(|e| with_context(e, body_offset))?;

    let mut local_types: Vec<ValType> = ty.params().to_vec();
    let locals_reader = body
        .get_locals_reader()
        .map_err(|e| CompileError::Invalid(e.to_string()))?;
    for l in locals_reader {
        let (count, t) = l.map_err(|e| CompileError::Invalid(e.to_string()))?;
        if count > MAX_LOCALS {
            return Err(with_context(
                CompileError::unsupported(format!("more than {MAX_LOCALS} locals")),
                body_offset,
            ));
        }
        local_types.extend(std::iter::repeat_n(t, count as usize));
    }
    i32_only(&local_types).map_err(|e| with_context(e, body_offset))?;

    let start_pc = cx.asm.pc();
    let counts_depth = key.module == ModuleId::User && cx.recursive.contains(&key.index);
    let mut fc = FunctionCompiler {
        cx,
        module_id: key.module,
        start_pc,
        locals: local_types.len() as u32,
        max_temp: 0,
        height: 0,
        frames: Vec::new(),
        dead_depth: 0,
        reachable: true,
        function_index,
        offset: body_offset,
        instr: None,
        lowered: false,
        ops: Vec::new(),
        depth_local: None,
    };
    fc.set_origin();
    // Parameters arrive on the stack, last one on top; declared locals start
    // at zero (a fresh frame may reuse the slots of an earlier call).
    for k in (0..params).rev() {
        fc.cx.asm.emit(Op::LocalSet, k);
    }
    for k in params..fc.locals {
        fc.cx.asm.emit(Op::I32Const, 0);
        fc.cx.asm.emit(Op::LocalSet, k);
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
        fc.operator(op).map_err(|e| with_context(e, offset))?;
    }
    if key.module == ModuleId::User {
        let ops = std::mem::take(&mut fc.ops);
        fc.cx.source_map.functions.insert(key.index, ops);
    }
    let total = fc.locals + fc.max_temp;
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
    fn mark_lowered(&mut self) {
        self.lowered = true;
        self.set_origin();
    }

    /// What a reachable operator reports to the source-level diff (the rule
    /// is documented on [`Report`]).
    fn report(&self, op: &Operator) -> Report {
        use Operator as O;
        match op {
            O::LocalSet { .. }
            | O::GlobalSet { .. }
            | O::I32Store { .. }
            | O::I32Store8 { .. }
            | O::I32Store16 { .. }
            | O::BrIf { .. }
            | O::If { .. }
            | O::BrTable { .. } => Report::Before,
            O::Br { .. } | O::Return => Report::Jump,
            O::CallIndirect { type_index, .. } => {
                let module = self.cx.module(self.module_id);
                match module.types.get(*type_index as usize) {
                    Some(ty) if ty.results().is_empty() => Report::Path,
                    _ => Report::After,
                }
            }
            O::Call { function_index } => {
                let module = self.cx.module(self.module_id);
                let f = *function_index;
                if f < module.num_imported_funcs() {
                    match module.imports.get(f as usize) {
                        Some(Import::Output) => Report::Before,
                        _ => Report::None,
                    }
                } else if module.func_type(f).results().is_empty() {
                    Report::Path
                } else {
                    Report::After
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
            | O::I32Extend16S => Report::After,
            _ => Report::None,
        }
    }

    fn emit(&mut self, op: Op, imm: u32) {
        self.cx.asm.emit(op, imm);
    }

    fn temp(&mut self, slot: u32) -> u32 {
        self.max_temp = self.max_temp.max(slot + 1);
        self.locals + slot
    }

    fn block_type(&self, bt: BlockType) -> Result<(u32, u32), CompileError> {
        match bt {
            BlockType::Empty => Ok((0, 0)),
            BlockType::Type(t) => Ok((0, i32_only(&[t])?)),
            BlockType::FuncType(idx) => {
                let ty = &self.cx.module(self.module_id).types[idx as usize];
                Ok((i32_only(ty.params())?, i32_only(ty.results())?))
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

    fn trap(&mut self, trap: Trap) {
        let target = self.cx.trap(trap);
        self.cx.asm.emit_jump(Op::Br, target);
    }

    fn call_helper(&mut self, name: &str) {
        self.mark_lowered();
        let key = self.cx.helper(name);
        self.cx.call(key);
    }

    fn global_slot(&self, g: u32) -> Result<(Option<u32>, Option<u32>), CompileError> {
        let module = self.cx.module(self.module_id);
        let global = &module.globals[g as usize];
        i32_only(&[global.ty])?;
        if global.imported {
            return Err(CompileError::unsupported("imported globals"));
        }
        Ok((self.cx.layout.globals[g as usize], global.init))
    }

    /// The address range check before a load or store of `size` bytes at
    /// static `offset`; the address is on top of the stack and stays there.
    fn bounds_check(&mut self, offset: u64, size: u64) {
        if self.cx.layout.size.is_some() {
            return self.growing_bounds_check(offset, size);
        }
        let limit = self.cx.layout.memory_bytes as i64 - offset as i64 - size as i64;
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

    /// The static offset a memory access compiles to, or None for a runtime
    /// helper's private scratch (no check needed).
    fn memory_offset(&self, offset: u64) -> Result<Option<u32>, CompileError> {
        match self.module_id {
            ModuleId::Runtime => Ok(Some(self.cx.layout.runtime_scratch + offset as u32)),
            ModuleId::User => {
                if offset > u32::MAX as u64 {
                    return Err(CompileError::unsupported("memory offset beyond 32 bits"));
                }
                Ok(None)
            }
        }
    }

    fn load(&mut self, op: Op, offset: u64, size: u64) -> Result<(), CompileError> {
        match self.memory_offset(offset)? {
            Some(imm) => self.emit(op, imm),
            None => {
                self.bounds_check(offset, size);
                self.emit(op, offset as u32);
            }
        }
        Ok(())
    }

    fn store(&mut self, op: Op, offset: u64, size: u64) -> Result<(), CompileError> {
        self.height -= 2;
        match self.memory_offset(offset)? {
            Some(imm) => self.emit(op, imm),
            None => {
                let v = self.temp(TEMP_FIRST + 1);
                self.emit(Op::LocalSet, v);
                self.bounds_check(offset, size);
                self.emit(Op::LocalGet, v);
                self.emit(op, offset as u32);
            }
        }
        Ok(())
    }

    /// i32.extend8_s / extend16_s: a store and a signed load through scratch.
    fn sign_extend(&mut self, store: Op, load: Op) {
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

    /// `x & 0xff` / `x & 0xffff` with a constant mask: a store and an
    /// unsigned load through scratch instead of the bit loop.
    fn try_mask(&mut self) -> bool {
        let (store, load) = match self.cx.asm.last_const() {
            Some(0xff) => (Op::I32Store8, Op::I32Load8U),
            Some(0xffff) => (Op::I32Store16, Op::I32Load16U),
            _ => return false,
        };
        // The constant's own instruction is gone: it no longer reports.
        let folded = self.cx.asm.pop_last();
        if let (Some(i), ModuleId::User) = (folded.instr, self.module_id) {
            if let Some(op) = self.ops.get_mut(i as usize) {
                op.report = Report::None;
            }
        }
        self.sign_extend(store, load);
        true
    }

    fn binary_helper(&mut self, name: &str) {
        self.height -= 1;
        self.mark_lowered();
        if name == "and" && self.try_mask() {
            return;
        }
        self.call_helper(name);
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
                self.height -= 1;
                self.emit(Op::Drop, 0);
            }
            O::Select | O::TypedSelect { ty: ValType::I32 } => {
                self.height -= 2;
                self.emit(Op::Select, 0);
            }
            O::LocalGet { local_index } => {
                self.height += 1;
                self.emit(Op::LocalGet, local_index);
            }
            O::LocalSet { local_index } => {
                self.height -= 1;
                self.emit(Op::LocalSet, local_index);
            }
            O::LocalTee { local_index } => self.emit(Op::LocalTee, local_index),
            O::GlobalGet { global_index } => {
                self.height += 1;
                match self.global_slot(global_index)? {
                    (None, Some(value)) => self.emit(Op::I32Const, value),
                    (Some(addr), _) => {
                        self.emit(Op::I32Const, 0);
                        self.emit(Op::I32Load, addr);
                    }
                    (None, None) => unreachable!("globals without a value get a slot"),
                }
            }
            O::GlobalSet { global_index } => {
                self.height -= 1;
                let (Some(addr), _) = self.global_slot(global_index)? else {
                    unreachable!("validation rejects setting an immutable global")
                };
                let t = self.temp(TEMP_FIRST);
                self.emit(Op::LocalSet, t);
                self.emit(Op::I32Const, 0);
                self.emit(Op::LocalGet, t);
                self.emit(Op::I32Store, addr);
            }
            O::I32Load { memarg } => self.load(Op::I32Load, memarg.offset, 4)?,
            O::I32Load8S { memarg } => self.load(Op::I32Load8S, memarg.offset, 1)?,
            O::I32Load8U { memarg } => self.load(Op::I32Load8U, memarg.offset, 1)?,
            O::I32Load16S { memarg } => self.load(Op::I32Load16S, memarg.offset, 2)?,
            O::I32Load16U { memarg } => self.load(Op::I32Load16U, memarg.offset, 2)?,
            O::I32Store { memarg } => self.store(Op::I32Store, memarg.offset, 4)?,
            O::I32Store8 { memarg } => self.store(Op::I32Store8, memarg.offset, 1)?,
            O::I32Store16 { memarg } => self.store(Op::I32Store16, memarg.offset, 2)?,
            O::MemorySize { mem: 0, .. } => {
                self.height += 1;
                self.memory_size();
            }
            O::MemoryGrow { mem: 0, .. } => self.memory_grow()?,
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
            O::I32Mul => self.binary_helper("mul"),
            O::I32DivS => self.binary_helper("div_s"),
            O::I32DivU => self.binary_helper("div_u"),
            O::I32RemS => self.binary_helper("rem_s"),
            O::I32RemU => {
                self.binary_helper("rem_u");
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
            O::I32And => self.binary_helper("and"),
            O::I32Or => self.binary_helper("or"),
            O::I32Xor => self.binary_helper("xor"),
            O::I32Shl => self.binary_helper("shl"),
            O::I32ShrS => self.binary_helper("shr_s"),
            O::I32ShrU => self.binary_helper("shr_u"),
            O::I32Rotl => self.binary_helper("rotl"),
            O::I32Rotr => self.binary_helper("rotr"),
            O::I32Clz => self.call_helper("clz"),
            O::I32Ctz => self.call_helper("ctz"),
            O::I32Popcnt => self.call_helper("popcnt"),
            O::I32Extend8S => self.sign_extend(Op::I32Store8, Op::I32Load8S),
            O::I32Extend16S => self.sign_extend(Op::I32Store16, Op::I32Load16S),
            other => return Err(CompileError::unsupported(operator_name(&other))),
        }
        Ok(())
    }

    fn binary(&mut self, op: Op) {
        self.height -= 1;
        self.emit(op, 0);
    }

    fn call(&mut self, function_index: u32) -> Result<(), CompileError> {
        let module = self.cx.module(self.module_id);
        let ty = module.func_type(function_index);
        let params = i32_only(ty.params())?;
        let results = i32_only(ty.results())?;
        self.height = self.height - params + results;
        if function_index < module.num_imported_funcs() {
            match module.imports[function_index as usize].clone() {
                Import::Output => self.emit(Op::Output, 0),
                Import::Trap(t) => self.trap(t),
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

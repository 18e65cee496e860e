//! A structured program generator: bytes in (read through
//! [`arbitrary::Unstructured`]), a valid, terminating wasm module out, inside
//! what hullvm compiles.
//!
//! wasm-smith cannot restrict itself to i32 values, so this generator is
//! ours. It emits, with wasm-encoder:
//! - every i32 operator the compiler handles: the core ops, the lowered ops
//!   (mul, div, rem, bit ops, shifts, rotates, clz, ctz, popcnt) and the
//!   sign extensions; and i64 clz, ctz and popcnt of two i32s made one
//!   i64 (extend, shift by 32, or) and wrapped back, so every value stays
//!   an i32 outside that expression;
//! - locals, mutable and immutable globals, loads and stores of every width
//!   at addresses in and out of bounds (constant and computed), data
//!   segments, `memory.size`;
//! - nested blocks, `if`/`else`, blocks and ifs with a result, `br`,
//!   `br_if` and `br_table` (also carrying values out of value blocks, with
//!   other values under them), `return`, `select`, `unreachable`;
//! - loops with bounded trip counts and direct calls (recursion included)
//!   under a global call budget, so every program terminates;
//! - output bytes through `env.output_byte`.
//!
//! Each program leaves out a random subset of the costly operator families
//! (swarm testing, see [`Families`]).
//!
//! Termination: a loop is `block { loop { if counter == 0 break; counter -= 1;
//! body; continue } }` whose counter local nothing else writes, so a branch
//! back to the loop head still counts down; every call is guarded by a
//! global budget that only decreases, so recursion depth and the total
//! number of calls are bounded.
//!
//! Running out of bytes is not an error: every choice falls back to its
//! smallest option, so any input gives a (small) module.

use crate::compile::{Entry, Invocation};
use arbitrary::{Result, Unstructured};
use std::borrow::Cow;
use std::collections::BTreeMap;
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, DataSection, EntityType, ExportKind, ExportSection,
    Function, FunctionSection, GlobalSection, GlobalType, ImportSection, Instruction, MemArg,
    MemorySection, MemoryType, Module, TypeSection, ValType,
};

/// A generated module and how to run it.
#[derive(Debug, Clone)]
pub struct Generated {
    pub wasm: Vec<u8>,
    pub entry: Entry,
    /// How many times each operator (by its wasm name) was emitted.
    pub ops: BTreeMap<&'static str, u32>,
}

/// Size limits for generated programs.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// User functions besides the import.
    pub(crate) max_funcs: u32,
    /// Syntax nodes (statements and expressions) per module.
    pub(crate) max_nodes: u32,
    /// Nesting of blocks, loops and ifs.
    pub(crate) max_depth: u32,
    /// Nesting of expressions.
    pub(crate) max_expr_depth: u32,
    /// Iterations of one loop.
    pub(crate) max_trip: u32,
    /// Calls the whole run may make.
    pub(crate) max_calls: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_funcs: 4,
            max_nodes: 120,
            max_depth: 4,
            max_expr_depth: 4,
            max_trip: 3,
            max_calls: 6,
        }
    }
}

/// Import index of `env.output_byte`.
const OUTPUT: u32 = 0;
/// Global 0: the call budget.
const BUDGET: u32 = 0;
/// Globals 1..=3 are mutable, global 4 is immutable.
const MUTABLE_GLOBALS: [u32; 3] = [1, 2, 3];
const GLOBALS: u32 = 5;
/// General-purpose locals after the parameters.
const GENERAL_LOCALS: u32 = 4;
/// Loop counters after those (one per loop in a function).
const MAX_LOOPS: u32 = 6;
const PAGE: u64 = 65536;

#[derive(Debug, Clone, Copy)]
struct Sig {
    params: u32,
    results: u32,
}

#[derive(Debug, Clone, Copy)]
struct Label {
    /// Values a branch to it carries.
    arity: u32,
}

struct FuncGen<'g> {
    g: &'g mut ModuleGen,
    sig: Sig,
    labels: Vec<Label>,
    next_counter: u32,
    /// Loops around the current point (at most two nest).
    loop_depth: u32,
    body: Vec<Instruction<'static>>,
}

/// The costly operator families a program may use. Swarm testing (Groce
/// et al., ISSTA 2012): each program leaves out a random subset, so some
/// programs pile up one family and others do without it, which reaches more
/// interactions than every program mixing everything. The lowered families
/// are runtime loops of hundreds of steps, so programs without them also
/// decode several times faster.
#[derive(Debug, Clone, Copy)]
struct Families {
    /// mul, and, or, xor, shifts and rotates (and the masks of computed
    /// addresses, which are `i32.and`).
    lowered_binary: bool,
    /// div and rem, signed and unsigned.
    division: bool,
    /// clz, ctz and popcnt, of an i32 and of a word pair.
    bit_count: bool,
}

struct ModuleGen {
    limits: Limits,
    families: Families,
    sigs: Vec<Sig>,
    nodes: u32,
    ops: BTreeMap<&'static str, u32>,
}

/// Constants that reach the corner cases of i32 arithmetic.
const INTERESTING: [i32; 16] = [
    0,
    1,
    2,
    -1,
    -2,
    7,
    31,
    32,
    33,
    0x7f,
    0x80,
    0xff,
    0xffff,
    i32::MAX,
    i32::MIN,
    0x1234_5678,
];

fn constant(u: &mut Unstructured) -> Result<i32> {
    Ok(match u.int_in_range(0..=3)? {
        0 => u.int_in_range(0..=16)?,
        1 | 2 => *u.choose(&INTERESTING)?,
        _ => u.arbitrary()?,
    })
}

/// Generate one module from `u` within `limits`.
pub(crate) fn generate(u: &mut Unstructured, limits: &Limits) -> Result<Generated> {
    let n_funcs = u.int_in_range(1..=limits.max_funcs.max(1))?;
    let mut sigs = Vec::new();
    for i in 0..n_funcs {
        let params = u.int_in_range(0..=2)?;
        // The entry mostly returns a value, so results are compared too.
        let results = if i == 0 {
            u32::from(!u.ratio(1, 6)?)
        } else {
            u.int_in_range(0..=1)?
        };
        sigs.push(Sig { params, results });
    }
    let memory_pages = if u.ratio(1, 16)? { 0 } else { 1 };
    // Most programs are small (fast to decode, easy to read when they
    // fail); one in eight may use the whole node budget.
    let mut limits = *limits;
    if !u.ratio(1, 8)? {
        limits.max_nodes = u.int_in_range(4..=limits.max_nodes.min(24))?;
    }
    let families = Families {
        lowered_binary: u.ratio(1, 2)?,
        division: u.ratio(1, 2)?,
        bit_count: u.ratio(1, 2)?,
    };
    let mut g = ModuleGen {
        limits,
        families,
        sigs: sigs.clone(),
        nodes: 0,
        ops: BTreeMap::new(),
    };
    if memory_pages == 0 {
        g.ops.insert("memory 0 pages", 1);
    }

    // Types: output_byte's, then one per signature (duplicates are fine).
    let mut types = TypeSection::new();
    types.ty().function([ValType::I32], []);
    for s in &sigs {
        types.ty().function(
            std::iter::repeat_n(ValType::I32, s.params as usize),
            std::iter::repeat_n(ValType::I32, s.results as usize),
        );
    }
    let mut imports = ImportSection::new();
    imports.import("env", "output_byte", EntityType::Function(0));
    let mut functions = FunctionSection::new();
    for i in 0..n_funcs {
        functions.function(1 + i);
    }
    let mut memories = MemorySection::new();
    memories.memory(MemoryType {
        minimum: memory_pages,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    let mut globals = GlobalSection::new();
    let budget = u.int_in_range(0..=limits.max_calls)? as i32;
    for g_index in 0..GLOBALS {
        let init = if g_index == BUDGET {
            budget
        } else {
            constant(u)?
        };
        globals.global(
            GlobalType {
                val_type: ValType::I32,
                mutable: g_index != GLOBALS - 1,
                shared: false,
            },
            &ConstExpr::i32_const(init),
        );
    }
    let mut exports = ExportSection::new();
    exports.export("run", ExportKind::Func, 1);
    exports.export("memory", ExportKind::Memory, 0);

    let mut code = CodeSection::new();
    for i in 0..n_funcs {
        let f = g.function(u, sigs[i as usize])?;
        code.function(&f);
    }

    let mut data = DataSection::new();
    if memory_pages > 0 {
        for _ in 0..u.int_in_range(0..=2)? {
            let len = u.int_in_range(1..=16)?;
            let offset = if u.ratio(1, 4)? {
                (PAGE - len as u64) as i32
            } else {
                u.int_in_range(0..=96)?
            };
            let bytes: Vec<u8> = (0..len)
                .map(|_| u.arbitrary::<u8>())
                .collect::<Result<_>>()?;
            data.active(0, &ConstExpr::i32_const(offset), bytes);
            *g.ops.entry("data segment").or_default() += 1;
        }
    }

    let mut module = Module::new();
    module
        .section(&types)
        .section(&imports)
        .section(&functions)
        .section(&memories)
        .section(&globals)
        .section(&exports)
        .section(&code)
        .section(&data);

    // One or two calls of the entry; state carries from one to the next.
    let mut calls = Vec::new();
    for _ in 0..u.int_in_range(1..=2)? {
        let args = (0..sigs[0].params)
            .map(|_| constant(u).map(|c| c as u32))
            .collect::<Result<_>>()?;
        calls.push(Invocation {
            export: "run".into(),
            args,
        });
    }
    Ok(Generated {
        wasm: module.finish(),
        entry: Entry::Invoke(calls),
        ops: g.ops,
    })
}

impl ModuleGen {
    fn function(&mut self, u: &mut Unstructured, sig: Sig) -> Result<Function> {
        let mut f = FuncGen {
            g: self,
            sig,
            labels: vec![Label { arity: sig.results }],
            next_counter: 0,
            loop_depth: 0,
            body: Vec::new(),
        };
        f.stmts(u, 0)?;
        if sig.results == 1 {
            f.expr(u, 0)?;
        }
        f.emit(Instruction::End);
        let mut function = Function::new([(GENERAL_LOCALS + MAX_LOOPS, ValType::I32)]);
        for ins in &f.body {
            function.instruction(ins);
        }
        Ok(function)
    }

    fn spend(&mut self) -> bool {
        self.nodes += 1;
        self.nodes <= self.limits.max_nodes
    }
}

impl FuncGen<'_> {
    fn emit(&mut self, ins: Instruction<'static>) {
        *self.g.ops.entry(op_name(&ins)).or_default() += 1;
        if let (Some(Instruction::I32Const(_)), Some(form)) =
            (self.body.last(), constant_form(&ins))
        {
            *self.g.ops.entry(form).or_default() += 1;
        }
        self.body.push(ins);
    }

    fn general_local(&self, u: &mut Unstructured) -> Result<u32> {
        u.int_in_range(0..=self.sig.params + GENERAL_LOCALS - 1)
    }

    /// A sequence of statements (stack-neutral); stops after a branch.
    fn stmts(&mut self, u: &mut Unstructured, depth: u32) -> Result<()> {
        let n = u.int_in_range(0..=4)?;
        for _ in 0..n {
            if !self.g.spend() {
                break;
            }
            if self.stmt(u, depth)? {
                break; // what follows would be dead code
            }
        }
        Ok(())
    }

    /// One statement; true when it ends control flow (br, return, ...).
    fn stmt(&mut self, u: &mut Unstructured, depth: u32) -> Result<bool> {
        let nested = depth < self.g.limits.max_depth;
        match u.int_in_range(0..=19)? {
            0..=2 => {
                self.expr(u, 0)?;
                let l = self.general_local(u)?;
                self.emit(Instruction::LocalSet(l));
            }
            3 => {
                self.expr(u, 0)?;
                let g = *u.choose(&MUTABLE_GLOBALS)?;
                self.emit(Instruction::GlobalSet(g));
            }
            4 | 5 => self.store(u)?,
            6 => {
                self.expr(u, 0)?;
                self.emit(Instruction::Call(OUTPUT));
            }
            7 => {
                self.expr(u, 0)?;
                self.emit(Instruction::Drop);
            }
            8 if nested => {
                self.expr(u, 0)?;
                self.labels.push(Label { arity: 0 });
                self.emit(Instruction::If(BlockType::Empty));
                self.stmts(u, depth + 1)?;
                if u.ratio(1, 2)? {
                    self.emit(Instruction::Else);
                    self.stmts(u, depth + 1)?;
                }
                self.emit(Instruction::End);
                self.labels.pop();
            }
            9 if nested => {
                self.labels.push(Label { arity: 0 });
                self.emit(Instruction::Block(BlockType::Empty));
                self.stmts(u, depth + 1)?;
                self.emit(Instruction::End);
                self.labels.pop();
            }
            10 | 11 if nested && self.next_counter < MAX_LOOPS && self.loop_depth < 2 => {
                self.bounded_loop(u, depth)?
            }
            12 => self.call(u, false)?,
            13 => {
                // br_if to any enclosing label, carrying a value if it takes one.
                let depth_to = u.int_in_range(0..=self.labels.len() as u32 - 1)?;
                let arity = self.label(depth_to).arity;
                if arity == 1 {
                    self.expr(u, 1)?;
                }
                self.expr(u, 1)?;
                self.emit(Instruction::BrIf(depth_to));
                if arity == 1 {
                    self.emit(Instruction::Drop);
                }
            }
            14 if u.ratio(1, 3)? => {
                let depth_to = u.int_in_range(0..=self.labels.len() as u32 - 1)?;
                if self.label(depth_to).arity == 1 {
                    self.expr(u, 1)?;
                }
                self.emit(Instruction::Br(depth_to));
                return Ok(true);
            }
            15 if u.ratio(1, 3)? => {
                // br_table over the labels that carry nothing.
                let plain: Vec<u32> = (0..self.labels.len() as u32)
                    .filter(|&d| self.label(d).arity == 0)
                    .collect();
                if plain.is_empty() {
                    return Ok(false);
                }
                let n = u.int_in_range(0..=4)?;
                let targets: Vec<u32> = (0..n)
                    .map(|_| u.choose(&plain).copied())
                    .collect::<Result<_>>()?;
                let default = *u.choose(&plain)?;
                self.expr(u, 1)?;
                self.emit(Instruction::BrTable(Cow::Owned(targets), default));
                return Ok(true);
            }
            16 if u.ratio(1, 4)? => {
                if self.sig.results == 1 {
                    self.expr(u, 1)?;
                }
                self.emit(Instruction::Return);
                return Ok(true);
            }
            17 if u.ratio(1, 8)? => {
                self.emit(Instruction::Unreachable);
                return Ok(true);
            }
            18 => {
                // A value parked in a local across a nested computation.
                self.expr(u, 0)?;
                let l = self.general_local(u)?;
                self.emit(Instruction::LocalTee(l));
                self.emit(Instruction::Call(OUTPUT));
            }
            _ => {
                self.expr(u, 0)?;
                let l = self.general_local(u)?;
                self.emit(Instruction::LocalSet(l));
            }
        }
        Ok(false)
    }

    fn label(&self, depth: u32) -> Label {
        self.labels[self.labels.len() - 1 - depth as usize]
    }

    /// `block { loop { br_if 1 (counter == 0); counter -= 1; body; br 0 } }`
    fn bounded_loop(&mut self, u: &mut Unstructured, depth: u32) -> Result<()> {
        let counter = self.sig.params + GENERAL_LOCALS + self.next_counter;
        self.next_counter += 1;
        let trips = u.int_in_range(0..=self.g.limits.max_trip)?;
        self.emit(Instruction::I32Const(trips as i32));
        self.emit(Instruction::LocalSet(counter));
        self.labels.push(Label { arity: 0 });
        self.emit(Instruction::Block(BlockType::Empty));
        self.labels.push(Label { arity: 0 });
        self.emit(Instruction::Loop(BlockType::Empty));
        self.emit(Instruction::LocalGet(counter));
        self.emit(Instruction::I32Eqz);
        self.emit(Instruction::BrIf(1));
        self.emit(Instruction::LocalGet(counter));
        self.emit(Instruction::I32Const(1));
        self.emit(Instruction::I32Sub);
        self.emit(Instruction::LocalSet(counter));
        self.loop_depth += 1;
        self.stmts(u, depth + 1)?;
        self.loop_depth -= 1;
        self.emit(Instruction::Br(0));
        self.emit(Instruction::End);
        self.labels.pop();
        self.emit(Instruction::End);
        self.labels.pop();
        Ok(())
    }

    /// A call under the budget: `if (budget) { budget -= 1; call f } else
    /// { default }`. As an expression the callee must return a value.
    fn call(&mut self, u: &mut Unstructured, as_expr: bool) -> Result<()> {
        let candidates: Vec<u32> = (0..self.g.sigs.len() as u32)
            .filter(|&i| !as_expr || self.g.sigs[i as usize].results == 1)
            .collect();
        let Some(&callee) = (if candidates.is_empty() {
            None
        } else {
            Some(u.choose(&candidates)?)
        }) else {
            // No function returns a value: a constant instead.
            let c = constant(u)?;
            self.emit(Instruction::I32Const(c));
            return Ok(());
        };
        let sig = self.g.sigs[callee as usize];
        let bt = if sig.results == 1 {
            BlockType::Result(ValType::I32)
        } else {
            BlockType::Empty
        };
        self.emit(Instruction::GlobalGet(BUDGET));
        self.labels.push(Label { arity: sig.results });
        self.emit(Instruction::If(bt));
        self.emit(Instruction::GlobalGet(BUDGET));
        self.emit(Instruction::I32Const(1));
        self.emit(Instruction::I32Sub);
        self.emit(Instruction::GlobalSet(BUDGET));
        for _ in 0..sig.params {
            self.expr(u, 2)?;
        }
        self.emit(Instruction::Call(callee + 1));
        if sig.results == 1 {
            self.emit(Instruction::Else);
            let c = constant(u)?;
            self.emit(Instruction::I32Const(c));
        }
        self.emit(Instruction::End);
        self.labels.pop();
        if sig.results == 1 && !as_expr {
            self.emit(Instruction::Drop);
        }
        Ok(())
    }

    fn memarg(&self, u: &mut Unstructured, natural_log2: u32) -> Result<MemArg> {
        let offset = match u.int_in_range(0..=9)? {
            0..=6 => 0,
            7 | 8 => u.int_in_range(1..=16)?,
            _ => u.int_in_range(PAGE - 8..=PAGE + 4)?,
        };
        Ok(MemArg {
            offset,
            align: u.int_in_range(0..=natural_log2)?,
            target: wasm_encoder::MemArgTarget::Memory(0),
            ordering: None,
        })
    }

    /// An address: mostly in bounds, sometimes near or past the end.
    fn address(&mut self, u: &mut Unstructured, depth: u32) -> Result<()> {
        let choice = match u.int_in_range(0..=9)? {
            5..=8 if !self.g.families.lowered_binary => 0,
            c => c,
        };
        match choice {
            0..=3 => {
                let a = u.int_in_range(0..=64)?;
                self.emit(Instruction::I32Const(a));
            }
            4 => {
                let a = u.int_in_range(PAGE as i32 - 6..=PAGE as i32 + 2)?;
                self.emit(Instruction::I32Const(a));
            }
            5..=7 => {
                // A computed address within the first 256 bytes.
                self.expr(u, depth + 1)?;
                self.emit(Instruction::I32Const(0xff));
                self.emit(Instruction::I32And);
            }
            8 => {
                self.expr(u, depth + 1)?;
                self.emit(Instruction::I32Const(0xffff));
                self.emit(Instruction::I32And);
            }
            _ => self.expr(u, depth + 1)?,
        }
        Ok(())
    }

    fn store(&mut self, u: &mut Unstructured) -> Result<()> {
        self.address(u, 0)?;
        self.expr(u, 1)?;
        let ins = match u.int_in_range(0..=2)? {
            0 => Instruction::I32Store(self.memarg(u, 2)?),
            1 => Instruction::I32Store8(self.memarg(u, 0)?),
            _ => Instruction::I32Store16(self.memarg(u, 1)?),
        };
        self.emit(ins);
        Ok(())
    }

    /// An expression pushing one i32.
    fn expr(&mut self, u: &mut Unstructured, depth: u32) -> Result<()> {
        let leaf = depth >= self.g.limits.max_expr_depth || !self.g.spend();
        let choice = if leaf {
            u.int_in_range(0..=2)?
        } else {
            u.int_in_range(0..=21)?
        };
        // Lowered ops cost hundreds of steps each (runtime loops); inside
        // loops, where they repeat, most become core ops instead.
        let families = self.g.families;
        let choice = match choice {
            5 | 6 if !families.lowered_binary => 3,
            7 if !families.division => 3,
            5..=8 if self.loop_depth > 0 && u.ratio(2, 3)? => 3,
            _ => choice,
        };
        match choice {
            0 => {
                let c = constant(u)?;
                self.emit(Instruction::I32Const(c));
            }
            1 => {
                let l = self.general_local(u)?;
                self.emit(Instruction::LocalGet(l));
            }
            2 => {
                let g = u.int_in_range(0..=GLOBALS - 1)?;
                self.emit(Instruction::GlobalGet(g));
            }
            3 | 4 => {
                self.expr(u, depth + 1)?;
                self.expr(u, depth + 1)?;
                let op = u.choose(&CORE_BINARY)?.clone();
                self.emit(op);
            }
            5 | 6 => {
                self.expr(u, depth + 1)?;
                self.expr(u, depth + 1)?;
                let op = u.choose(&LOWERED_BINARY)?.clone();
                self.emit(op);
            }
            7 => {
                // Division: a non-zero constant divisor most of the time,
                // now and then the one quotient that overflows.
                if u.ratio(1, 12)? {
                    self.emit(Instruction::I32Const(i32::MIN));
                    self.emit(Instruction::I32Const(-1));
                    let op = u.choose(&DIVISION)?.clone();
                    self.emit(op);
                    return Ok(());
                }
                self.expr(u, depth + 1)?;
                if u.ratio(3, 4)? {
                    let mut d = constant(u)?;
                    if d == 0 {
                        d = 3;
                    }
                    self.emit(Instruction::I32Const(d));
                } else {
                    self.expr(u, depth + 1)?;
                }
                let op = u.choose(&DIVISION)?.clone();
                self.emit(op);
            }
            8 if families.bit_count && u.ratio(1, 4)? => self.word_pair_count(u, depth)?,
            8 => {
                self.expr(u, depth + 1)?;
                let unary: &[Instruction] = if families.bit_count {
                    &UNARY
                } else {
                    &CORE_UNARY
                };
                let op = u.choose(unary)?.clone();
                self.emit(op);
            }
            9 | 10 => {
                self.address(u, depth)?;
                let ins = match u.int_in_range(0..=4)? {
                    0 => Instruction::I32Load(self.memarg(u, 2)?),
                    1 => Instruction::I32Load8S(self.memarg(u, 0)?),
                    2 => Instruction::I32Load8U(self.memarg(u, 0)?),
                    3 => Instruction::I32Load16S(self.memarg(u, 1)?),
                    _ => Instruction::I32Load16U(self.memarg(u, 1)?),
                };
                self.emit(ins);
            }
            11 => {
                self.expr(u, depth + 1)?;
                self.expr(u, depth + 1)?;
                self.expr(u, depth + 1)?;
                self.emit(Instruction::Select);
            }
            12 => {
                self.expr(u, depth + 1)?;
                let l = self.general_local(u)?;
                self.emit(Instruction::LocalTee(l));
            }
            13 => self.call(u, true)?,
            14 | 15 if self.labels.len() < 12 => {
                // A value block: statements (which may branch out of it with
                // a value) and then its value.
                self.labels.push(Label { arity: 1 });
                self.emit(Instruction::Block(BlockType::Result(ValType::I32)));
                self.stmts(u, depth + 1)?;
                self.expr(u, depth + 1)?;
                if u.ratio(1, 2)? {
                    // br_if carrying the value out, or leaving it.
                    self.expr(u, depth + 1)?;
                    self.emit(Instruction::BrIf(0));
                }
                self.emit(Instruction::End);
                self.labels.pop();
            }
            16 if self.labels.len() < 12 => {
                self.expr(u, depth + 1)?;
                self.labels.push(Label { arity: 1 });
                self.emit(Instruction::If(BlockType::Result(ValType::I32)));
                self.stmts(u, depth + 1)?;
                self.expr(u, depth + 1)?;
                self.emit(Instruction::Else);
                self.stmts(u, depth + 1)?;
                self.expr(u, depth + 1)?;
                self.emit(Instruction::End);
                self.labels.pop();
            }
            17 => self.emit(Instruction::MemorySize(0)),
            18 if self.labels.len() < 12 => {
                // A value carried by br out of an inner block, with another
                // value left under it: `v0 (block (result) v1 (block ... br
                // 1 ...)) add`.
                self.expr(u, depth + 1)?;
                self.labels.push(Label { arity: 1 });
                self.emit(Instruction::Block(BlockType::Result(ValType::I32)));
                self.expr(u, depth + 1)?;
                self.labels.push(Label { arity: 0 });
                self.emit(Instruction::Block(BlockType::Empty));
                self.expr(u, depth + 1)?;
                self.expr(u, depth + 1)?;
                self.emit(Instruction::BrIf(1));
                self.emit(Instruction::Drop);
                self.emit(Instruction::End);
                self.labels.pop();
                self.emit(Instruction::End);
                self.labels.pop();
                self.emit(Instruction::I32Add);
            }
            _ => {
                self.expr(u, depth + 1)?;
                self.expr(u, depth + 1)?;
                let op = u.choose(&CORE_BINARY)?.clone();
                self.emit(op);
            }
        }
        Ok(())
    }

    /// `i32.wrap_i64(count(lo | hi << 32))` of two i32 expressions, where
    /// count is i64.clz, ctz or popcnt: the i64 forms on word pairs (clz is
    /// the machine's `clz64`), with the high word often 0.
    fn word_pair_count(&mut self, u: &mut Unstructured, depth: u32) -> Result<()> {
        self.expr(u, depth + 1)?;
        self.emit(Instruction::I64ExtendI32U);
        if u.ratio(1, 3)? {
            self.emit(Instruction::I32Const(0));
        } else {
            self.expr(u, depth + 1)?;
        }
        self.emit(Instruction::I64ExtendI32U);
        self.emit(Instruction::I64Const(32));
        self.emit(Instruction::I64Shl);
        self.emit(Instruction::I64Or);
        let count = u.choose(&WORD_PAIR_COUNTS)?.clone();
        self.emit(count);
        self.emit(Instruction::I32WrapI64);
        Ok(())
    }
}

const WORD_PAIR_COUNTS: [Instruction<'static>; 3] = [
    Instruction::I64Clz,
    Instruction::I64Ctz,
    Instruction::I64Popcnt,
];

/// i32 binary operators the core ISA has.
const CORE_BINARY: [Instruction<'static>; 12] = [
    Instruction::I32Add,
    Instruction::I32Sub,
    Instruction::I32Eq,
    Instruction::I32Ne,
    Instruction::I32LtS,
    Instruction::I32LtU,
    Instruction::I32GtS,
    Instruction::I32GtU,
    Instruction::I32LeS,
    Instruction::I32LeU,
    Instruction::I32GeS,
    Instruction::I32GeU,
];

/// i32 binary operators the published machine lacks (division apart):
/// hullvm's extension ops (`mul`, `and` ... `shr_u`), or composed of them
/// (the rotations).
const LOWERED_BINARY: [Instruction<'static>; 9] = [
    Instruction::I32Mul,
    Instruction::I32And,
    Instruction::I32Or,
    Instruction::I32Xor,
    Instruction::I32Shl,
    Instruction::I32ShrS,
    Instruction::I32ShrU,
    Instruction::I32Rotl,
    Instruction::I32Rotr,
];

const DIVISION: [Instruction<'static>; 4] = [
    Instruction::I32DivS,
    Instruction::I32DivU,
    Instruction::I32RemS,
    Instruction::I32RemU,
];

/// The unary operators without a runtime loop.
const CORE_UNARY: [Instruction<'static>; 3] = [
    Instruction::I32Eqz,
    Instruction::I32Extend8S,
    Instruction::I32Extend16S,
];

const UNARY: [Instruction<'static>; 6] = [
    Instruction::I32Eqz,
    Instruction::I32Clz,
    Instruction::I32Ctz,
    Instruction::I32Popcnt,
    Instruction::I32Extend8S,
    Instruction::I32Extend16S,
];

/// The wasm text name of every instruction the generator emits.
/// The histogram's name for `ins` right after an `i32.const`: the forms the
/// compiler writes out inline (`compile/function/constant.rs`: the
/// rotations), and the extension ops fed a constant.
fn constant_form(ins: &Instruction) -> Option<&'static str> {
    use Instruction as I;
    Some(match ins {
        I::I32Mul => "i32.mul by a constant",
        I::I32And => "i32.and by a constant",
        I::I32Or => "i32.or by a constant",
        I::I32Xor => "i32.xor by a constant",
        I::I32Shl => "i32.shl by a constant",
        I::I32ShrS => "i32.shr_s by a constant",
        I::I32ShrU => "i32.shr_u by a constant",
        I::I32Rotl => "i32.rotl by a constant",
        I::I32Rotr => "i32.rotr by a constant",
        _ => return None,
    })
}

pub(crate) fn op_name(ins: &Instruction) -> &'static str {
    use Instruction as I;
    match ins {
        I::Unreachable => "unreachable",
        I::Nop => "nop",
        I::Block(_) => "block",
        I::Loop(_) => "loop",
        I::If(_) => "if",
        I::Else => "else",
        I::End => "end",
        I::Br(_) => "br",
        I::BrIf(_) => "br_if",
        I::BrTable(..) => "br_table",
        I::Return => "return",
        I::Call(OUTPUT) => "call output_byte",
        I::Call(_) => "call",
        I::Drop => "drop",
        I::Select => "select",
        I::LocalGet(_) => "local.get",
        I::LocalSet(_) => "local.set",
        I::LocalTee(_) => "local.tee",
        I::GlobalGet(_) => "global.get",
        I::GlobalSet(_) => "global.set",
        I::I32Load(_) => "i32.load",
        I::I32Load8S(_) => "i32.load8_s",
        I::I32Load8U(_) => "i32.load8_u",
        I::I32Load16S(_) => "i32.load16_s",
        I::I32Load16U(_) => "i32.load16_u",
        I::I32Store(_) => "i32.store",
        I::I32Store8(_) => "i32.store8",
        I::I32Store16(_) => "i32.store16",
        I::MemorySize(_) => "memory.size",
        I::I32Const(_) => "i32.const",
        I::I32Eqz => "i32.eqz",
        I::I32Eq => "i32.eq",
        I::I32Ne => "i32.ne",
        I::I32LtS => "i32.lt_s",
        I::I32LtU => "i32.lt_u",
        I::I32GtS => "i32.gt_s",
        I::I32GtU => "i32.gt_u",
        I::I32LeS => "i32.le_s",
        I::I32LeU => "i32.le_u",
        I::I32GeS => "i32.ge_s",
        I::I32GeU => "i32.ge_u",
        I::I32Add => "i32.add",
        I::I32Sub => "i32.sub",
        I::I32Mul => "i32.mul",
        I::I32DivS => "i32.div_s",
        I::I32DivU => "i32.div_u",
        I::I32RemS => "i32.rem_s",
        I::I32RemU => "i32.rem_u",
        I::I32And => "i32.and",
        I::I32Or => "i32.or",
        I::I32Xor => "i32.xor",
        I::I32Shl => "i32.shl",
        I::I32ShrS => "i32.shr_s",
        I::I32ShrU => "i32.shr_u",
        I::I32Rotl => "i32.rotl",
        I::I32Rotr => "i32.rotr",
        I::I32Clz => "i32.clz",
        I::I32Ctz => "i32.ctz",
        I::I32Popcnt => "i32.popcnt",
        I::I32Extend8S => "i32.extend8_s",
        I::I32Extend16S => "i32.extend16_s",
        I::I64ExtendI32U => "i64.extend_i32_u",
        I::I64Const(_) => "i64.const",
        I::I64Shl => "i64.shl",
        I::I64Or => "i64.or",
        I::I64Clz => "i64.clz",
        I::I64Ctz => "i64.ctz",
        I::I64Popcnt => "i64.popcnt",
        I::I32WrapI64 => "i32.wrap_i64",
        _ => "other",
    }
}

/// Every operator and construct the generator must reach (the histogram
/// test checks each occurs).
pub(crate) const EXPECTED_OPS: [&str; 74] = [
    "unreachable",
    "block",
    "loop",
    "if",
    "else",
    "end",
    "br",
    "br_if",
    "br_table",
    "return",
    "call output_byte",
    "call",
    "drop",
    "select",
    "local.get",
    "local.set",
    "local.tee",
    "global.get",
    "global.set",
    "i32.load",
    "i32.load8_s",
    "i32.load8_u",
    "i32.load16_s",
    "i32.load16_u",
    "i32.store",
    "i32.store8",
    "i32.store16",
    "memory.size",
    "i32.const",
    "i32.eqz",
    "i32.eq",
    "i32.ne",
    "i32.lt_s",
    "i32.lt_u",
    "i32.gt_s",
    "i32.gt_u",
    "i32.le_s",
    "i32.le_u",
    "i32.ge_s",
    "i32.ge_u",
    "i32.add",
    "i32.sub",
    "i32.mul",
    "i32.div_s",
    "i32.div_u",
    "i32.rem_s",
    "i32.rem_u",
    "i32.and",
    "i32.or",
    "i32.xor",
    "i32.shl",
    "i32.shr_s",
    "i32.shr_u",
    "i32.rotl",
    "i32.rotr",
    "i32.clz",
    "i32.ctz",
    "i32.popcnt",
    "i32.extend8_s",
    "i32.extend16_s",
    "i64.clz",
    "i64.ctz",
    "i64.popcnt",
    "i32.mul by a constant",
    "i32.and by a constant",
    "i32.or by a constant",
    "i32.xor by a constant",
    "i32.shl by a constant",
    "i32.shr_s by a constant",
    "i32.shr_u by a constant",
    "i32.rotl by a constant",
    "i32.rotr by a constant",
    "data segment",
    "memory 0 pages",
];

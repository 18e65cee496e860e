//! The reference tracer: a direct interpreter of the flat ISA that emits the
//! exact token stream the transformer must generate.
//!
//! It is the token-level oracle for the model, so it is written for speed:
//! one match per instruction, tokens pushed as precomputed ids, memory as a
//! flat byte vector grown on demand.

use crate::isa::{Instr, Op, Program, Token};

/// Memory the interpreter is willing to touch. Compiled programs stay inside
/// their declared wasm memory; a token program that wanders past this is
/// reported as a fault rather than allocating gigabytes.
pub(crate) const MEMORY_CAP: usize = 256 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Executed `halt` at this pc.
    Halted { pc: u32 },
    /// The token budget ran out before `halt`.
    TokenLimit,
    /// The program did something the ISA does not define.
    Fault { pc: u32, message: String },
}

/// A finished run.
#[derive(Debug, Clone)]
pub struct Run {
    /// Every token after `}`: the input section (when the program takes
    /// input), then one group of tokens per executed instruction.
    pub trace: Vec<Token>,
    /// Bytes written by `output`.
    pub output: Vec<u8>,
    /// Instructions executed.
    pub steps: u64,
    pub outcome: Outcome,
}

impl Run {
    /// Prompt plus generated tokens, as the published tool counts them.
    pub fn total_tokens(&self, program: &Program) -> usize {
        program.prompt().len() - program.input_section().len() + self.trace.len()
    }
}

struct CallFrame {
    return_pc: u32,
    call_imm: u32,
    locals_base: usize,
}

/// Per-instruction token ids, looked up once instead of per step.
struct Tokens {
    byte: [[Token; 2]; 256],
    commit: Vec<[Token; 2]>,
    out: [Token; 256],
    halt: Token,
    branch_taken: Token,
    call_commit: Token,
    return_commit: Token,
}

impl Tokens {
    fn new() -> Self {
        Tokens {
            byte: std::array::from_fn(|b| {
                [Token::byte(b as u8, false), Token::byte(b as u8, true)]
            }),
            commit: Op::ALL
                .iter()
                .map(|op| {
                    [
                        Token::commit(op.commit(false)),
                        Token::commit(op.commit(true)),
                    ]
                })
                .collect(),
            out: std::array::from_fn(|b| Token::out(b as u8)),
            halt: Token::halt(),
            branch_taken: Token::branch_taken(),
            call_commit: Token::call_commit(),
            return_commit: Token::return_commit(),
        }
    }
}

/// Carry (add) or borrow (sub) out of each byte of a byte-serial operation.
pub(crate) fn add_carries(a: u32, b: u32) -> [bool; 4] {
    let mut out = [false; 4];
    let mut carry = 0u32;
    for (i, o) in out.iter_mut().enumerate() {
        let s = ((a >> (8 * i)) & 0xff) + ((b >> (8 * i)) & 0xff) + carry;
        carry = (s >= 256) as u32;
        *o = carry == 1;
    }
    out
}

pub(crate) fn sub_borrows(a: u32, b: u32) -> [bool; 4] {
    let mut out = [false; 4];
    let mut borrow = 0i32;
    for (i, o) in out.iter_mut().enumerate() {
        let s = ((a >> (8 * i)) & 0xff) as i32 - ((b >> (8 * i)) & 0xff) as i32 - borrow;
        borrow = (s < 0) as i32;
        *o = borrow == 1;
    }
    out
}

struct Interpreter<'a> {
    instrs: &'a [Instr],
    tok: Tokens,
    trace: Vec<Token>,
    output: Vec<u8>,
    stack: Vec<u32>,
    locals: Vec<u32>,
    frame_size: usize,
    frames: Vec<CallFrame>,
    memory: Vec<u8>,
    /// Every byte from here up is zero: nothing was written there.
    written_end: usize,
}

enum Step {
    Next,
    Jump(u32),
    Halt,
}

/// The four scratch bytes `i32.mul` writes before its result: for each
/// byte k of the product, `floor(Y_k / 1024)`, where `Y_k` is the byte
/// schoolbook's column k (the products `a_i b_j` with `i + j = k`) plus the
/// carry into it. The machine needs them to take each result byte modulo
/// 256 (see `transformer/machine/multiply.rs`).
pub(crate) fn multiply_scratch(a: u32, b: u32) -> [u8; 4] {
    let (a, b) = (a.to_le_bytes(), b.to_le_bytes());
    let mut carry = 0u64;
    std::array::from_fn(|k| {
        let column: u64 = (0..=k).map(|i| a[i] as u64 * b[k - i] as u64).sum();
        let y = column + carry;
        carry = y >> 8;
        (y >> 10) as u8
    })
}

impl Interpreter<'_> {
    fn bytes(&mut self, value: u32, n: usize, flags: [bool; 4]) {
        for (i, &flag) in flags.iter().enumerate().take(n) {
            let b = (value >> (8 * i)) as u8;
            self.trace.push(self.tok.byte[b as usize][flag as usize]);
        }
    }

    fn commit(&mut self, op: Op, taken: bool) {
        self.trace.push(self.tok.commit[op.index()][taken as usize]);
    }

    fn pop(&mut self) -> Result<u32, String> {
        self.stack
            .pop()
            .ok_or_else(|| "value stack underflow".to_string())
    }

    fn local(&mut self, index: u32) -> Result<&mut u32, String> {
        let i = index as usize;
        if i >= self.frame_size {
            return Err(format!("local index {index} out of range"));
        }
        let base = self.locals.len() - self.frame_size;
        Ok(&mut self.locals[base + i])
    }

    fn address(&mut self, base: u32, offset: u32, size: usize) -> Result<usize, String> {
        let addr = base as usize + offset as usize;
        let end = addr + size;
        if end > MEMORY_CAP {
            return Err(format!(
                "memory access at {addr:#x} is beyond the interpreter's {} MiB",
                MEMORY_CAP >> 20
            ));
        }
        if end > self.memory.len() {
            // A fresh zeroed allocation is mapped lazily: only the pages a
            // run touches cost anything, where resize() would write zeros
            // over all of them (a load far up grows memory too).
            let mut grown = vec![0; end.next_power_of_two().max(1 << 16)];
            grown[..self.memory.len()].copy_from_slice(&self.memory);
            self.memory = grown;
        }
        Ok(addr)
    }

    fn load(&mut self, base: u32, offset: u32, size: usize) -> Result<u32, String> {
        let a = self.address(base, offset, size)?;
        let mut v = 0u32;
        for i in 0..size {
            v |= (self.memory[a + i] as u32) << (8 * i);
        }
        Ok(v)
    }

    fn store(&mut self, base: u32, offset: u32, value: u32, size: usize) -> Result<(), String> {
        let a = self.address(base, offset, size)?;
        self.memory[a..a + size].copy_from_slice(&value.to_le_bytes()[..size]);
        self.written_end = self.written_end.max(a + size);
        Ok(())
    }

    fn step(&mut self, pc: u32, ins: Instr, input: &[u8]) -> Result<Step, String> {
        use Op::*;
        const NO: [bool; 4] = [false; 4];
        let op = ins.op;
        match op {
            InputBase => {
                let a = self.address(ins.imm, 0, input.len() + 1)?;
                self.memory[a..a + input.len()].copy_from_slice(input);
                self.memory[a + input.len()] = 0;
                self.written_end = self.written_end.max(a + input.len() + 1);
                for &b in input.iter().chain(std::iter::once(&0)) {
                    self.trace.push(Token::input_byte(b));
                }
                self.commit(op, false);
            }
            Halt => {
                self.trace.push(self.tok.halt);
                return Ok(Step::Halt);
            }
            I32Const => {
                self.stack.push(ins.imm);
                self.bytes(ins.imm, 4, NO);
                self.commit(op, false);
            }
            LocalGet => {
                let v = *self.local(ins.imm)?;
                self.stack.push(v);
                self.bytes(v, 4, NO);
                self.commit(op, false);
            }
            LocalSet | LocalTee => {
                let v = if op == LocalSet {
                    self.pop()?
                } else {
                    *self.stack.last().ok_or("value stack underflow")?
                };
                *self.local(ins.imm)? = v;
                self.bytes(v, 4, NO);
                self.commit(op, false);
            }
            GlobalGet | GlobalSet => {
                return Err(format!(
                    "{op} is not executable: hullvm lowers wasm globals to memory"
                ))
            }
            Drop => {
                self.pop()?;
                self.commit(op, false);
            }
            Select => {
                let c = self.pop()?;
                let b = self.pop()?;
                let a = self.pop()?;
                let v = if c != 0 { a } else { b };
                self.stack.push(v);
                self.bytes(v, 4, NO);
                self.commit(op, false);
            }
            I32Add | I32Sub => {
                let b = self.pop()?;
                let a = self.pop()?;
                let (v, flags) = if op == I32Add {
                    (a.wrapping_add(b), add_carries(a, b))
                } else {
                    (a.wrapping_sub(b), sub_borrows(a, b))
                };
                self.stack.push(v);
                self.bytes(v, 4, flags);
                self.commit(op, false);
            }
            I32And | I32Or | I32Xor | I32Shl | I32ShrU | I32ShrS => {
                let b = self.pop()?;
                let a = self.pop()?;
                let v = match op {
                    I32And => a & b,
                    I32Or => a | b,
                    I32Xor => a ^ b,
                    I32Shl => a.wrapping_shl(b),
                    I32ShrU => a.wrapping_shr(b),
                    _ => (a as i32).wrapping_shr(b) as u32,
                };
                self.stack.push(v);
                self.bytes(v, 4, NO);
                self.commit(op, false);
            }
            I32Mul => {
                let b = self.pop()?;
                let a = self.pop()?;
                let v = a.wrapping_mul(b);
                self.stack.push(v);
                for s in multiply_scratch(a, b) {
                    self.trace.push(self.tok.byte[s as usize][0]);
                }
                self.bytes(v, 4, NO);
                self.commit(op, false);
            }
            I32DivU => {
                let b = self.pop()?;
                let a = self.pop()?;
                // The compiler tests for zero first; the machine's digits
                // would be meaningless.
                let q = a.checked_div(b).ok_or("i32.div_u by zero")?;
                self.stack.push(q);
                for d in q.to_be_bytes() {
                    self.trace.push(self.tok.byte[d as usize][0]);
                }
                self.bytes(q, 4, NO);
                self.commit(op, false);
            }
            I32Clz => {
                let v = self.pop()?.leading_zeros();
                self.stack.push(v);
                self.bytes(v, 4, NO);
                self.commit(op, false);
            }
            Clz64 => {
                let (hi, lo) = (self.pop()?, self.pop()?);
                let v = (u64::from(hi) << 32 | u64::from(lo)).leading_zeros();
                self.stack.push(v);
                self.bytes(v, 4, NO);
                self.commit(op, false);
            }
            I32Eqz => {
                let a = self.pop()?;
                let v = (a == 0) as u32;
                self.stack.push(v);
                self.bytes(v, 4, NO);
                self.commit(op, false);
            }
            I32Eq | I32Ne | I32LtS | I32LtU | I32GtS | I32GtU | I32LeS | I32LeU | I32GeS
            | I32GeU => {
                let b = self.pop()?;
                let a = self.pop()?;
                let (sa, sb) = (a as i32, b as i32);
                let v = match op {
                    I32Eq => a == b,
                    I32Ne => a != b,
                    I32LtS => sa < sb,
                    I32LtU => a < b,
                    I32GtS => sa > sb,
                    I32GtU => a > b,
                    I32LeS => sa <= sb,
                    I32LeU => a <= b,
                    I32GeS => sa >= sb,
                    _ => a >= b,
                } as u32;
                self.stack.push(v);
                self.bytes(v, 4, NO);
                self.commit(op, false);
            }
            I32Load | I32Load8U | I32Load8S | I32Load16U | I32Load16S => {
                let base = self.pop()?;
                let (size, signed) = match op {
                    I32Load => (4, false),
                    I32Load8U => (1, false),
                    I32Load8S => (1, true),
                    I32Load16U => (2, false),
                    _ => (2, true),
                };
                let raw = self.load(base, ins.imm, size)?;
                let (v, flags) = if signed {
                    let neg = raw >> (8 * size - 1) & 1 == 1;
                    let shift = 32 - 8 * size as u32;
                    let v = (((raw << shift) as i32) >> shift) as u32;
                    // load8_s flags all four bytes with the sign; load16_s bytes 1..3.
                    let flags = if size == 1 {
                        [neg; 4]
                    } else {
                        [false, neg, neg, neg]
                    };
                    (v, flags)
                } else {
                    (raw, NO)
                };
                self.stack.push(v);
                self.bytes(v, 4, flags);
                self.commit(op, false);
            }
            I32Store | I32Store8 | I32Store16 => {
                let v = self.pop()?;
                let base = self.pop()?;
                let size = match op {
                    I32Store => 4,
                    I32Store16 => 2,
                    _ => 1,
                };
                self.store(base, ins.imm, v, size)?;
                self.bytes(v, size, NO);
                self.commit(op, false);
            }
            Br => {
                self.trace.push(self.tok.branch_taken);
                self.bytes(ins.imm, 4, NO);
                self.commit(op, true);
                return Ok(Step::Jump(pc.wrapping_add(1).wrapping_add(ins.imm)));
            }
            BrIf => {
                let c = self.pop()?;
                if c != 0 {
                    self.trace.push(self.tok.branch_taken);
                    self.bytes(ins.imm, 4, NO);
                    self.commit(op, true);
                    return Ok(Step::Jump(pc.wrapping_add(1).wrapping_add(ins.imm)));
                }
                self.commit(op, false);
            }
            Call => {
                self.frames.push(CallFrame {
                    return_pc: pc + 1,
                    call_imm: ins.imm,
                    locals_base: self.locals.len(),
                });
                self.locals.resize(self.locals.len() + self.frame_size, 0);
                self.trace.push(self.tok.branch_taken);
                self.bytes(ins.imm, 4, NO);
                self.trace.push(self.tok.call_commit);
                return Ok(Step::Jump(pc.wrapping_add(1).wrapping_add(ins.imm)));
            }
            Return => {
                let frame = self.frames.pop().ok_or("return with an empty call stack")?;
                self.locals.truncate(frame.locals_base);
                let offset = frame.return_pc.wrapping_sub(pc).wrapping_sub(1);
                self.trace.push(self.tok.branch_taken);
                self.bytes(offset, 4, sub_borrows(ins.imm, frame.call_imm));
                self.trace.push(self.tok.return_commit);
                return Ok(Step::Jump(frame.return_pc));
            }
            Output => {
                let v = self.pop()? as u8;
                self.output.push(v);
                self.trace.push(self.tok.out[v as usize]);
            }
        }
        Ok(Step::Next)
    }
}

/// Run `program` until `halt`, a fault, or until the trace holds `max_tokens`
/// tokens (the input section included).
pub fn run(program: &Program, max_tokens: usize) -> Run {
    run_with_memory(program, max_tokens).0
}

/// [`run`], also returning memory as it was when the run stopped (without
/// trailing zeros). Compiled programs keep every piece of wasm state
/// (linear memory and globals) in it.
pub fn run_with_memory(program: &Program, max_tokens: usize) -> (Run, Vec<u8>) {
    let instrs = &program.instrs[..];
    let frame_size = instrs
        .iter()
        .filter(|i| matches!(i.op, Op::LocalGet | Op::LocalSet | Op::LocalTee))
        .map(|i| i.imm as usize + 1)
        .max()
        .unwrap_or(0)
        .min(1 << 16);
    let mut m = Interpreter {
        instrs,
        tok: Tokens::new(),
        trace: Vec::with_capacity(max_tokens.min(1 << 22)),
        output: Vec::new(),
        stack: Vec::with_capacity(1024),
        locals: vec![0; frame_size],
        frame_size,
        frames: Vec::new(),
        memory: Vec::new(),
        written_end: 0,
    };
    let mut pc: u32 = 0;
    let mut steps = 0u64;
    let outcome = loop {
        if m.trace.len() >= max_tokens {
            break Outcome::TokenLimit;
        }
        let Some(&ins) = m.instrs.get(pc as usize) else {
            break Outcome::Fault {
                pc,
                message: format!("pc {pc} is outside the program"),
            };
        };
        steps += 1;
        match m.step(pc, ins, &program.input) {
            Ok(Step::Next) => pc += 1,
            Ok(Step::Jump(target)) => pc = target,
            Ok(Step::Halt) => break Outcome::Halted { pc },
            Err(message) => break Outcome::Fault { pc, message },
        }
    };
    if m.trace.len() > max_tokens {
        m.trace.truncate(max_tokens);
    }
    let mut memory = m.memory;
    let used = memory[..m.written_end]
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |i| i + 1);
    memory.truncate(used);
    let run = Run {
        trace: m.trace,
        output: m.output,
        steps,
        outcome,
    };
    (run, memory)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prog(instrs: &[(Op, u32)]) -> Program {
        Program::new(
            instrs
                .iter()
                .map(|&(op, imm)| Instr::new(op, imm))
                .collect(),
        )
    }

    fn names(run: &Run) -> Vec<&'static str> {
        run.trace.iter().map(|t| t.name()).collect()
    }

    /// Memory comes back as the run left it without trailing zeros: a
    /// load far up grows memory but writes nothing, and a zero stored last
    /// is a trailing zero too.
    #[test]
    fn memory_is_returned_up_to_its_last_non_zero_byte() {
        let p = prog(&[
            (Op::I32Const, 100),
            (Op::I32Const, 0x0201),
            (Op::I32Store, 0),
            (Op::I32Const, 200),
            (Op::I32Const, 0),
            (Op::I32Store, 0),
            (Op::I32Const, 1 << 20),
            (Op::I32Load, 0),
            (Op::Drop, 0),
            (Op::Halt, 0),
        ]);
        let (r, memory) = run_with_memory(&p, 10_000);
        assert_eq!(r.outcome, Outcome::Halted { pc: 9 });
        assert_eq!(memory.len(), 102);
        assert_eq!(memory[100..], [1, 2]);
        assert!(memory[..100].iter().all(|&b| b == 0));
    }

    #[test]
    fn add_flags_carries_per_byte() {
        let p = prog(&[
            (Op::I32Const, 0xff),
            (Op::I32Const, 0x01),
            (Op::I32Add, 0),
            (Op::Halt, 0),
        ]);
        let r = run(&p, 1000);
        assert_eq!(r.outcome, Outcome::Halted { pc: 3 });
        assert_eq!(
            names(&r)[10..],
            ["00'", "01", "00", "00", "commit(-1,sts=1,bt=0)", "halt"]
        );
    }

    #[test]
    fn call_and_return_encode_offsets_with_borrows() {
        // 0: call +1 -> 2; 1: halt; 2: return (index 0 => imm !0)
        let p = prog(&[(Op::Call, 1), (Op::Halt, 0), (Op::Return, !0)]);
        let r = run(&p, 1000);
        assert_eq!(r.outcome, Outcome::Halted { pc: 1 });
        let n = names(&r);
        assert_eq!(
            &n[..6],
            ["branch_taken", "01", "00", "00", "00", "call_commit"]
        );
        // return offset = 1 - 2 - 1 = -2; the flags are the borrows of (!0 - 1): none.
        assert_eq!(
            &n[6..12],
            ["branch_taken", "fe", "ff", "ff", "ff", "return_commit"]
        );
    }

    #[test]
    fn limits_and_faults_are_outcomes() {
        let spin = prog(&[(Op::Br, u32::MAX)]);
        let r = run(&spin, 60);
        assert_eq!(r.outcome, Outcome::TokenLimit);
        assert_eq!(r.trace.len(), 60);
        let underflow = prog(&[(Op::Drop, 0)]);
        assert!(matches!(
            run(&underflow, 60).outcome,
            Outcome::Fault { pc: 0, .. }
        ));
        let off_end = prog(&[(Op::I32Const, 1)]);
        assert!(matches!(
            run(&off_end, 60).outcome,
            Outcome::Fault { pc: 1, .. }
        ));
    }

    #[test]
    fn signed_loads_flag_the_sign() {
        let p = prog(&[
            (Op::I32Const, 0),
            (Op::I32Const, 0x80f0),
            (Op::I32Store16, 0),
            (Op::I32Const, 0),
            (Op::I32Load16S, 0),
            (Op::I32Const, 0),
            (Op::I32Load8S, 0),
            (Op::Halt, 0),
        ]);
        let r = run(&p, 1000);
        let n = names(&r);
        // store16 emits 2 bytes + commit; after const (5) const (5) store (3) const (5):
        assert_eq!(
            &n[18..23],
            ["f0", "80'", "ff'", "ff'", "commit(+0,sts=1,bt=0)"]
        );
        assert_eq!(
            &n[28..33],
            ["f0'", "ff'", "ff'", "ff'", "commit(+0,sts=1,bt=0)"]
        );
    }
}

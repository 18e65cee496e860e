//! The WASM machine of the 36 core ops and the extension's bit operations,
//! shifts, multiply, divide and count of leading zeros, written as a
//! computation graph.
//!
//! Each position holds one token. From the token so far the graph computes
//! which instruction is executing (the program counter is a running sum of
//! the commits' deltas), how far into its tokens we are (`byte_index`), the
//! operand-stack depth and call depth (running sums too), and reads what it
//! needs by exact-match lookups: the opcode and immediate from the prompt,
//! stack values from the commits that wrote them, locals and memory bytes
//! from the byte tokens that wrote them. The output scores then pick the
//! next token.
//!
//! Invariants that keep everything exact:
//! - every dim is an integer (running sums are rounded right after their
//!   averaging head), so scores are exact and ties are real ties; the one
//!   exception, the result byte where `i32.mul` or `i32.div_u` hands the
//!   scores a number to divide, is a multiple of 1/2048 or 1/2 below
//!   2^33, so its scores are exact too and their argmax wins by at least
//!   1/1024 (`multiply.rs`, `divide.rs`);
//! - lookup keys are exact integers: positions, depths, addresses;
//! - a byte token `vv` carries `byte1 = vv + 1`, so 0 means "not a byte".
//!
//! Stack: every commit with `sts=1` writes the value of the 4 bytes before
//! it at the depth reached after it. `{` writes 0 at depth 0 and `}` starts
//! the program at depth 1, so the slot under an empty stack reads 0 (the
//! base address `input_base` writes its input at).

mod divide;
mod embedding;
mod emit;
mod execute;
mod fetch;
mod multiply;
mod read;
mod shift;

use crate::isa::{Op, Token};
use crate::transformer::graph::{unit, Dim, Expr, Graph};
use divide::divide;
use embedding::Inputs;
use emit::{next_token_kind, output_scores, LONG_OPS};
use execute::{arithmetic, bitwise, comparisons, leading_zeros, result_byte, Extension};
use fetch::{fetch, long_place, place_in_instruction, previous_tokens, running_sums, Fetched};
use multiply::multiply;
use read::{locals, memory, operand_stack, return_addresses, Operands};
use shift::shift_units;

/// Squared radius of the circle the opcodes sit on: a lattice circle with
/// enough integer points for every opcode.
const OP_RADIUS_SQ: i64 = 32045;

/// Locals of one call frame occupy this many consecutive memory-like keys.
pub(crate) const LOCAL_STRIDE: f64 = 256.0;

/// Integer points on the opcode circle, one per opcode, in a fixed order.
pub(crate) fn opcode_points() -> Vec<(i64, i64)> {
    let r = (OP_RADIUS_SQ as f64).sqrt() as i64 + 1;
    let mut pts = Vec::new();
    for x in -r..=r {
        for y in -r..=r {
            if x * x + y * y == OP_RADIUS_SQ {
                pts.push((x, y));
            }
        }
    }
    assert!(pts.len() >= Op::ALL.len(), "not enough lattice points");
    pts
}

/// The machine: its graph, the embedding of every token, and the score of
/// every token as an expression over the final residual stream.
pub struct Machine {
    pub(crate) graph: Graph,
    /// Per token id: the input dims it sets and their values.
    pub(crate) embedding: Vec<Vec<(Dim, f64)>>,
    /// Per token id: its output score.
    pub(crate) scores: Vec<Expr>,
}

/// The graph once the instruction is fetched: the stages after fetch build
/// on it and test its opcode.
struct Builder {
    g: Graph,
    i: Inputs,
    points: Vec<(i64, i64)>,
    op_x: Dim,
    op_y: Dim,
}

impl Builder {
    fn new(g: Graph, i: Inputs, fetched: &Fetched) -> Builder {
        Builder {
            g,
            i,
            points: opcode_points(),
            op_x: fetched.op_x,
            op_y: fetched.op_y,
        }
    }

    /// 1 when the fetched opcode is `op`, <= 0 otherwise (a gate, not a dim).
    fn is(&self, op: Op) -> Expr {
        let (x, y) = self.points[op.index()];
        self.op_x * x as f64 + self.op_y * y as f64 - (OP_RADIUS_SQ - 1) as f64
    }

    /// A dim that is 1 when the fetched opcode is one of `ops`, else 0.
    fn is_any(&mut self, name: &str, ops: &[Op]) -> Dim {
        let units = ops
            .iter()
            .map(|&op| unit(self.is(op), Graph::ONE, 1.0))
            .collect();
        self.g.ffn(name, units)
    }
}

fn one() -> Expr {
    Expr::from(Graph::ONE)
}

fn p() -> Expr {
    Expr::from(Graph::POSITION)
}

fn p_sq() -> Expr {
    Expr::from(Graph::POSITION_SQ)
}

/// The value of the byte a `byte1` dim holds.
fn byte(b1: Dim) -> Expr {
    Expr::from(b1) - 1.0
}

/// `[x == 0]` for integer x.
fn is_zero(g: &mut Graph, name: &str, x: Expr) -> Dim {
    g.ffn(
        name,
        vec![
            unit(x.clone() + 1.0, Graph::ONE, 1.0),
            unit(x.clone(), Graph::ONE, -2.0),
            unit(x - 1.0, Graph::ONE, 1.0),
        ],
    )
}

/// Those of `ops` that a machine built with the extension ops `extension`
/// runs: every core op, and the extension ops it was built with.
fn run_by(extension: &[Op], ops: &[Op]) -> Vec<Op> {
    ops.iter()
        .copied()
        .filter(|op| op.is_published() || extension.contains(op))
        .collect()
}

/// The machine of the core ops and every extension op.
pub fn build() -> Machine {
    build_with(Op::extension())
}

/// The machine, stage by stage: where we are and which instruction runs
/// (`fetch.rs`), what it reads (`read.rs`), what it computes (`execute.rs`),
/// what comes next (`emit.rs`). Each stage adds its nodes in turn, and that
/// order decides residual slots and unit placement: reordering the stages
/// changes the written weights.
///
/// It runs the core ops and the extension ops in `extension`; with none it
/// is the published machine. An op left out has no units, heads or slots,
/// so the machine cannot run a program that uses it.
pub fn build_with(extension: &[Op]) -> Machine {
    let has = |ops: &[Op]| !run_by(extension, ops).is_empty();
    let bit_ops = has(&[Op::I32And, Op::I32Or, Op::I32Xor]);
    let shifts = has(&[Op::I32Shl, Op::I32ShrU, Op::I32ShrS]);
    let mut g = Graph::new();
    let i = Inputs::new(&mut g);
    let prev = previous_tokens(&mut g, &i);
    let place = place_in_instruction(&mut g, &i);
    let sums = running_sums(&mut g, &i, &prev);
    let fetched = fetch(&mut g, &i, sums.pc, &place.byte_index);
    let mut b = Builder::new(g, i, &fetched);

    let stack = operand_stack(&mut b, sums.sp, &prev.word, &place.byte_index, bit_ops);
    let local_b1 = locals(&mut b, sums.call, &fetched.imm, &place.byte_index);
    let call_b1 = return_addresses(&mut b, sums.call, &place.byte_index);
    let memory = memory(&mut b, &stack, &fetched.imm, &place.byte_index);
    let read = Operands {
        stack,
        local_b1,
        call_b1,
        memory,
    };

    let arith = arithmetic(&mut b, &fetched, &read);
    let cmp = comparisons(&mut b.g, &read.stack);
    let mut ext = Extension::default();
    if let Some(crumbs) = &read.stack.crumbs {
        ext.value.extend(bitwise(&mut b, &read.stack, crumbs));
    }
    if shifts {
        let units = shift_units(&mut b, &read.stack, &place.byte_index, cmp.sec_neg);
        ext.value.extend(units);
    }
    let counts = run_by(extension, &[Op::I32Clz, Op::Clz64]);
    if !counts.is_empty() {
        let (k0, nonzero) = (place.k0, cmp.nonzero);
        ext.value
            .extend(leading_zeros(&mut b, &read.stack, k0, nonzero, &counts));
    }
    let long = has(&LONG_OPS).then(|| long_place(&mut b.g, &place));
    let recent = prev.recent(&b.i);
    if let (Some(long), true) = (&long, has(&[Op::I32Mul])) {
        let (sec, top) = (read.stack.sec_pos, read.stack.top_pos);
        ext.value.extend(multiply(&mut b, sec, top, long, &recent));
    }
    if let (Some(long), true) = (&long, has(&[Op::I32DivU])) {
        let div = divide(&mut b, &read.stack, &place, long, &recent);
        ext.value.extend(div.value);
        ext.scale.extend(div.scale);
    }
    let result = result_byte(&mut b, &place, &fetched, &read, &arith, &cmp, ext);
    let next = next_token_kind(&mut b, &place, cmp.nonzero, extension, long.as_ref());

    let scores = output_scores(&mut b.g, &result, &next, read.stack.top_b1, place.in_bt);
    let embedding = b.i.embedding(&b.points);
    Machine {
        graph: b.g,
        embedding,
        scores,
    }
}

/// Run a program on the graph evaluator (exact arithmetic, no weights):
/// returns the trace after `}` (input section, then generated tokens).
pub fn evaluate(machine: &Machine, program: &crate::isa::Program, max_tokens: usize) -> Vec<Token> {
    use crate::transformer::graph::Evaluator;
    use std::collections::HashMap;
    let mut ev = Evaluator::new(&machine.graph);
    let prompt = program.prompt();
    let section = program.input_section().len();
    let mut trace: Vec<Token> = prompt[prompt.len() - section..].to_vec();
    let feed = |ev: &mut Evaluator, t: Token| -> Token {
        let inputs: HashMap<Dim, f64> = machine.embedding[t.id()].iter().copied().collect();
        let values = ev.step(&inputs);
        let score = |e: &Expr| -> f64 {
            e.terms
                .iter()
                .map(|&(d, c)| values[d.0 as usize].to_f64() * c)
                .sum()
        };
        let mut best = (f64::NEG_INFINITY, Token(0));
        for (id, e) in machine.scores.iter().enumerate() {
            let s = score(e);
            if s > best.0 {
                best = (s, Token(id as u16));
            }
        }
        best.1
    };
    let mut next = Token(0);
    for &t in &prompt {
        next = feed(&mut ev, t);
    }
    while trace.len() < max_tokens {
        trace.push(next);
        if next == Token::halt() {
            break;
        }
        next = feed(&mut ev, next);
    }
    trace
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::Program;

    #[test]
    fn opcode_points_are_distinct_lattice_points() {
        let pts = opcode_points();
        assert!(pts.len() >= 36);
        for &(x, y) in &pts {
            assert_eq!(x * x + y * y, OP_RADIUS_SQ);
        }
    }

    #[test]
    fn graph_evaluator_matches_the_reference_on_a_small_program() {
        let wat = r#"(module
          (import "env" "output_byte" (func $out (param i32)))
          (memory 1)
          (func $add3 (param i32 i32 i32) (result i32)
            local.get 0 local.get 1 i32.add local.get 2 i32.sub)
          (func (export "compute")
            (local i32)
            i32.const 300 i32.const 5 i32.const 7 call $add3 local.set 0
            i32.const 16 local.get 0 i32.store16 offset=2
            i32.const 16 i32.load8_s offset=2 call $out
            i32.const 16 i32.load16_u offset=2 call $out
            local.get 0 i32.const 298 i32.lt_s (if (then i32.const 65 call $out))
            i32.const -5 i32.const 3 i32.gt_u call $out))"#;
        let compiled = crate::compile::compile_compute(wat.as_bytes(), b"").unwrap();
        let program: Program = compiled.program;
        let reference = crate::oracle::reference::run(&program, 100_000);
        let m = build();
        let got = evaluate(&m, &program, reference.trace.len() + 5);
        for (i, (a, b)) in reference.trace.iter().zip(&got).enumerate() {
            assert_eq!(a, b, "token {i}: expected {a} got {b}");
        }
        assert_eq!(got.len(), reference.trace.len());
    }

    #[test]
    fn the_published_machine_has_no_extension_nodes_and_runs_core_ops() {
        let published = build_with(&[]);
        let extension_only = [
            "top_byte_crumbs",
            "shift_low",
            "bit_length",
            "mul_top[0]",
            "div_digit",
            "long_op",
        ];
        let names = |g: &Graph| -> Vec<String> {
            let heads = g.lookups.iter().map(|l| l.name.clone());
            heads.chain(g.dims.iter().map(|d| d.name.clone())).collect()
        };
        let (small, full) = (names(&published.graph), names(&build().graph));
        for name in extension_only {
            assert!(
                full.iter().any(|n| n == name),
                "the built machine lacks {name}"
            );
            assert!(
                !small.iter().any(|n| n == name),
                "the published machine has {name}"
            );
        }
        let wat = r#"(module
          (import "env" "output_byte" (func $out (param i32)))
          (memory 1)
          (func (export "compute") (local i32)
            i32.const 300 local.set 0
            i32.const 16 local.get 0 i32.store16 offset=2
            i32.const 16 i32.load8_u offset=3 call $out
            local.get 0 i32.const 298 i32.gt_s call $out))"#;
        let program = crate::compile::compile_compute(wat.as_bytes(), b"")
            .unwrap()
            .program;
        assert!(program.instrs.iter().all(|i| i.op.is_published()));
        let reference = crate::oracle::reference::run(&program, 100_000);
        let got = evaluate(&published, &program, reference.trace.len() + 5);
        assert_eq!(got, reference.trace);
    }

    #[test]
    fn graph_evaluator_computes_the_extension_ops_byte_by_byte() {
        use crate::isa::Instr;
        let pairs: [(u32, u32); 10] = [
            (0, 0),
            (u32::MAX, 0x1234_5678),
            (0xdead_beef, 0x0f0f_f0f0),
            (0x8000_0001, 0x7fff_ffff),
            (0xc3c3_5a5a, 0x3c3c_a5a5),
            (0x0102_0408, 0x1020_4080),
            (u32::MAX, u32::MAX),
            (0xffff_fffe, 1),
            (0x1234_5678, 0x100),
            (0x8000_0000, 0x0001_0001),
        ];
        // Every shift count, of a negative value (and counts past 31).
        let counts = (0..34).map(|n| (0x8765_4321, n * 33));
        let machine = build();
        // One short program per pair: the exact evaluator is quadratic in
        // the trace's length.
        for (a, b) in pairs.into_iter().chain(counts) {
            let mut instrs = Vec::new();
            // The compiler never divides by zero on the machine.
            let ops = Op::extension()
                .iter()
                .filter(|&&op| b != 0 || op != Op::I32DivU);
            for &op in ops {
                instrs.push(Instr::new(Op::I32Const, a));
                instrs.push(Instr::new(Op::I32Const, b));
                instrs.push(Instr::new(op, 0));
                instrs.push(Instr::new(Op::LocalSet, 0));
            }
            instrs.push(Instr::new(Op::Halt, 0));
            let program = Program::new(instrs);
            let reference = crate::oracle::reference::run(&program, 10_000);
            let got = evaluate(&machine, &program, reference.trace.len() + 5);
            assert_eq!(got, reference.trace, "{a:#x} and {b:#x}");
            if (a, b) == (0xdead_beef, 0x0f0f_f0f0) {
                // The and, low byte first.
                let names: Vec<&str> = got.iter().map(|t| t.name()).collect();
                let text = names.join(" ");
                assert!(text.starts_with("ef be ad de commit(+1,sts=1,bt=0) f0 f0 0f 0f commit(+1,sts=1,bt=0) e0 b0 0d 0e commit(-1,sts=1,bt=0)"), "{text}");
            }
        }
    }
}

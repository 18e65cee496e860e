//! What one wasm instruction costs on the transformer: tokens (and flat
//! instructions) per execution, for the operations the compiler lowers.
//!
//! Each operation runs in a loop over fixed pseudo-random operands; the
//! compiled program runs on the reference tracer (its tokens are the
//! transformer's, which every check compares token for token), and the
//! trace is lifted to source steps. An execution of the operation spans
//! from its first flat instruction to the first of the `local.set` that
//! takes its result, so the cost includes the runtime helper it calls and
//! nothing of the loop around it.

use crate::compile::{self, Entry, Invocation};
use crate::oracle::reference;
use crate::verify::lift;
use serde::{Deserialize, Serialize};

/// The cost of one operation, averaged over its executions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OpCost {
    /// The wasm instruction, e.g. `i64.mul`.
    pub op: String,
    pub tokens_per_instruction: f64,
    pub flat_instructions_per_instruction: f64,
    /// Executions measured.
    pub executions: usize,
}

/// The operations measured: the instruction, its operand type, how many
/// operands it takes and the type it leaves.
const OPS: &[(&str, &str, usize, &str)] = &[
    ("i32.add", "i32", 2, "i32"),
    ("i32.mul", "i32", 2, "i32"),
    ("i32.div_u", "i32", 2, "i32"),
    ("i32.rem_s", "i32", 2, "i32"),
    ("i32.and", "i32", 2, "i32"),
    ("i32.xor", "i32", 2, "i32"),
    ("i32.shl", "i32", 2, "i32"),
    ("i32.shr_u", "i32", 2, "i32"),
    ("i32.rotl", "i32", 2, "i32"),
    ("i32.clz", "i32", 1, "i32"),
    ("i32.popcnt", "i32", 1, "i32"),
    ("i32.lt_s", "i32", 2, "i32"),
    ("i64.add", "i64", 2, "i64"),
    ("i64.sub", "i64", 2, "i64"),
    ("i64.mul", "i64", 2, "i64"),
    ("i64.div_u", "i64", 2, "i64"),
    ("i64.div_s", "i64", 2, "i64"),
    ("i64.rem_u", "i64", 2, "i64"),
    ("i64.and", "i64", 2, "i64"),
    ("i64.or", "i64", 2, "i64"),
    ("i64.xor", "i64", 2, "i64"),
    ("i64.shl", "i64", 2, "i64"),
    ("i64.shr_u", "i64", 2, "i64"),
    ("i64.shr_s", "i64", 2, "i64"),
    ("i64.rotl", "i64", 2, "i64"),
    ("i64.clz", "i64", 1, "i64"),
    ("i64.ctz", "i64", 1, "i64"),
    ("i64.popcnt", "i64", 1, "i64"),
    ("i64.eqz", "i64", 1, "i32"),
    ("i64.eq", "i64", 2, "i32"),
    ("i64.lt_s", "i64", 2, "i32"),
    ("i64.lt_u", "i64", 2, "i32"),
    ("i64.extend_i32_s", "i32", 1, "i64"),
    ("i64.extend_i32_u", "i32", 1, "i64"),
    ("i32.wrap_i64", "i64", 1, "i32"),
    ("i64.extend8_s", "i64", 1, "i64"),
    // Floats: calls of the soft-float runtime, on random bit patterns (so
    // NaNs, infinities, subnormals and negative square roots are among
    // them, in proportion to their share of the patterns).
    ("f32.add", "f32", 2, "f32"),
    ("f32.sub", "f32", 2, "f32"),
    ("f32.mul", "f32", 2, "f32"),
    ("f32.div", "f32", 2, "f32"),
    ("f32.sqrt", "f32", 1, "f32"),
    ("f32.eq", "f32", 2, "i32"),
    ("f32.lt", "f32", 2, "i32"),
    ("f32.le", "f32", 2, "i32"),
    ("f64.add", "f64", 2, "f64"),
    ("f64.sub", "f64", 2, "f64"),
    ("f64.mul", "f64", 2, "f64"),
    ("f64.div", "f64", 2, "f64"),
    ("f64.sqrt", "f64", 1, "f64"),
    ("f64.min", "f64", 2, "f64"),
    ("f64.nearest", "f64", 1, "f64"),
    ("f64.eq", "f64", 2, "i32"),
    ("f64.lt", "f64", 2, "i32"),
    ("f64.le", "f64", 2, "i32"),
    ("f64.convert_i64_s", "i64", 1, "f64"),
    ("f64.promote_f32", "f32", 1, "f64"),
    ("f32.demote_f64", "f64", 1, "f32"),
];

/// Operations with a constant right operand (`local.get $a i32.const c
/// op`), which the compiler writes out inline: measured as `op c`.
const CONSTANT_OPS: &[(&str, i32)] = &[
    ("i32.mul", 10),
    ("i32.and", 0xff),
    ("i32.and", 1),
    ("i32.or", 48),
    ("i32.xor", -1),
    ("i32.shl", 3),
    ("i32.shl", 24),
    ("i32.shr_u", 1),
    ("i32.shr_u", 13),
    ("i32.shr_s", 24),
    ("i32.shr_s", 7),
    ("i32.rotl", 5),
];

/// Operand pairs each operation runs on.
const EXECUTIONS: usize = 64;

/// A module whose export "run" applies `op` to each operand pair of its
/// data, in a loop, keeping the result in a local.
fn module(op: &str, ty: &str, args: &str, result: &str, operands: &[u64]) -> String {
    let data: String = operands
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .map(|b| format!("\\{b:02x}"))
        .collect();
    let end = operands.len() * 8;
    format!(
        r#"(module
  (memory 1)
  (data (i32.const 0) "{data}")
  (func (export "run")
    (local $p i32) (local $a {ty}) (local $b {ty}) (local $r {result})
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (i32.const {end})))
        (local.set $a ({ty}.load (local.get $p)))
        (local.set $b ({ty}.load offset=8 (local.get $p)))
        {args} {op} local.set $r
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $next)))))"#
    )
}

/// splitmix64 from a fixed seed: the same operands every run.
fn operands(n: usize) -> Vec<u64> {
    let mut state = 0x5eed_u64;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        })
        .collect()
}

/// What the measured instruction takes: one or two locals, or a local and
/// a constant.
fn arguments(arity: usize, constant: Option<i32>) -> String {
    match (arity, constant) {
        (_, Some(c)) => format!("local.get $a i32.const {c}"),
        (2, None) => "local.get $a local.get $b".into(),
        _ => "local.get $a".into(),
    }
}

/// The cost of `op`, or why it could not be measured.
fn measure(
    op: &str,
    ty: &str,
    arity: usize,
    constant: Option<i32>,
    result: &str,
) -> Result<OpCost, String> {
    let args = arguments(arity, constant);
    let wat = module(op, ty, &args, result, &operands(2 * EXECUTIONS));
    let entry = Entry::Invoke(vec![Invocation {
        export: "run".into(),
        args: vec![],
    }]);
    let compiled = compile::compile(wat.as_bytes(), &entry).map_err(|e| e.to_string())?;
    let run = reference::run(&compiled.program, 200_000_000);
    let steps = lift::lift(&compiled, &run.trace);
    // The operation is the instruction right before `local.set $r`; find
    // its index by name.
    let index = op_index(&wat, op).ok_or("the operation is not in the module")?;
    let spans: Vec<(usize, u64)> = steps
        .windows(2)
        .filter(|w| w[0].step.instr == index)
        .map(|w| {
            (
                w[1].at.token_index - w[0].at.token_index,
                w[1].at.step - w[0].at.step,
            )
        })
        .collect();
    if spans.len() != EXECUTIONS {
        return Err(format!(
            "{} executions lifted, {EXECUTIONS} expected",
            spans.len()
        ));
    }
    let n = spans.len() as f64;
    Ok(OpCost {
        op: match constant {
            Some(c) => format!("{op} {c}"),
            None => op.to_string(),
        },
        tokens_per_instruction: spans.iter().map(|s| s.0 as f64).sum::<f64>() / n,
        flat_instructions_per_instruction: spans.iter().map(|s| s.1 as f64).sum::<f64>() / n,
        executions: spans.len(),
    })
}

/// Index of `op` among the operators of the module's only function body.
fn op_index(wat: &str, op: &str) -> Option<u32> {
    let wasm = wat::parse_str(wat).ok()?;
    for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
        if let Ok(wasmparser::Payload::CodeSectionEntry(body)) = payload {
            let mut reader = body.get_operators_reader().ok()?;
            let mut i = 0;
            while !reader.eof() {
                if compile::operator_name(&reader.read().ok()?) == op {
                    return Some(i);
                }
                i += 1;
            }
        }
    }
    None
}

/// Tokens per executed wasm instruction over one program's run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunCost {
    pub program: String,
    /// Trace tokens of the run (up to the cap it ran with).
    pub tokens: usize,
    /// wasm instructions those tokens executed (source steps).
    pub wasm_instructions: usize,
}

impl RunCost {
    pub fn tokens_per_instruction(&self) -> f64 {
        self.tokens as f64 / self.wasm_instructions.max(1) as f64
    }
}

/// Each program's run on the reference tracer, at most `max_tokens`,
/// lifted to the wasm instructions it executed.
pub fn run_costs(programs: &[(String, compile::Compiled)], max_tokens: usize) -> Vec<RunCost> {
    use rayon::prelude::*;
    programs
        .par_iter()
        .map(|(name, compiled)| {
            let run = reference::run(&compiled.program, max_tokens);
            RunCost {
                program: name.clone(),
                tokens: run.trace.len(),
                wasm_instructions: lift::lift(compiled, &run.trace).len(),
            }
        })
        .collect()
}

/// Tokens per wasm instruction over all the runs together, so each run
/// weighs by the instructions it executed.
pub fn weighted_tokens_per_instruction(costs: &[RunCost]) -> Option<f64> {
    let tokens: usize = costs.iter().map(|c| c.tokens).sum();
    let instructions: usize = costs.iter().map(|c| c.wasm_instructions).sum();
    (instructions > 0).then(|| tokens as f64 / instructions as f64)
}

/// Tokens per execution of every measured operation.
pub fn op_costs() -> Result<Vec<OpCost>, String> {
    use rayon::prelude::*;
    let variable = OPS
        .iter()
        .map(|&(op, ty, arity, result)| (op, ty, arity, None, result));
    let constant = CONSTANT_OPS
        .iter()
        .map(|&(op, c)| (op, "i32", 1, Some(c), "i32"));
    let all: Vec<_> = variable.chain(constant).collect();
    all.par_iter()
        .map(|&(op, ty, arity, constant, result)| {
            measure(op, ty, arity, constant, result).map_err(|e| format!("{op}: {e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_add_costs_one_instruction_and_a_division_a_call() {
        let add = measure("i64.add", "i64", 2, None, "i64").unwrap();
        let eqz = measure("i64.eqz", "i64", 1, None, "i32").unwrap();
        let div = measure("i64.div_u", "i64", 2, None, "i64").unwrap();
        // i64.eqz is seven inline flat instructions, whatever the operands.
        assert_eq!(eqz.flat_instructions_per_instruction, 7.0);
        assert!(add.flat_instructions_per_instruction > 7.0, "{add:?}");
        assert!(
            div.tokens_per_instruction > 10.0 * add.tokens_per_instruction,
            "{div:?} {add:?}"
        );
        assert_eq!(div.executions, EXECUTIONS);
    }

    #[test]
    fn a_run_costs_its_tokens_over_its_wasm_instructions() {
        let wat = r#"(module (func (export "f") (result i32)
            (local $i i32)
            (loop $l (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 10))))
            (i32.mul (local.get $i) (local.get $i))))"#;
        let entry = Entry::Invoke(vec![Invocation {
            export: "f".into(),
            args: vec![],
        }]);
        let compiled = compile::compile(wat.as_bytes(), &entry).unwrap();
        let costs = run_costs(&[("loop".into(), compiled)], usize::MAX);
        // 10 rounds of 7 instructions, then the mul and its operands, and
        // the end, at 5 tokens or more each.
        assert!(costs[0].wasm_instructions >= 70, "{costs:?}");
        assert!(
            costs[0].tokens > 5 * costs[0].wasm_instructions,
            "{costs:?}"
        );
        let w = weighted_tokens_per_instruction(&costs).unwrap();
        assert_eq!(w, costs[0].tokens_per_instruction());
        assert_eq!(weighted_tokens_per_instruction(&[]), None);
    }

    /// `i32.mul` is the machine's own: 4 scratch bytes, 4 result bytes
    /// and the commit, whatever the operands.
    #[test]
    fn a_multiply_is_one_machine_instruction_of_nine_tokens() {
        let variable = measure("i32.mul", "i32", 2, None, "i32").unwrap();
        let by_ten = measure("i32.mul", "i32", 1, Some(10), "i32").unwrap();
        for m in [variable, by_ten] {
            assert_eq!(m.flat_instructions_per_instruction, 1.0, "{m:?}");
            assert_eq!(m.tokens_per_instruction, 9.0, "{m:?}");
        }
    }

    /// The division loop's `(q << 1) | bit` is two machine ops, not the
    /// runtime's 32-round bit loops, which made f64.div cost 593,065
    /// tokens on 1.1 / 2.7.
    #[test]
    fn a_float_division_costs_no_bit_loop_per_quotient_bit() {
        let div = measure("f64.div", "f64", 2, None, "f64").unwrap();
        assert!(div.tokens_per_instruction < 60_000.0, "{div:?}");
        let add = measure("f32.add", "f32", 2, None, "f32").unwrap();
        assert!(
            add.tokens_per_instruction < div.tokens_per_instruction,
            "{add:?}"
        );
    }
}

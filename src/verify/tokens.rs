//! Verdicts: compare a transformer trace with the reference trace and name
//! the first diverging token with its context.

use crate::isa::{Instr, Program, Token, TokenKind};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a token sits in a run: which executed instruction produced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Position {
    /// Index in the trace (the tokens after `}`).
    pub(crate) token_index: usize,
    /// Executed instructions before this one (the input section is step 0).
    pub step: u64,
    pub pc: u32,
}

/// Walk a trace instruction by instruction, tracking
/// the pc from its own tokens: a `branch_taken` line jumps by the 4 bytes
/// that follow it.
pub fn locate(trace: &[Token], index: usize) -> Position {
    let mut pc: u32 = 0;
    let mut step = 0u64;
    let mut line_start = 0;
    for (i, t) in trace.iter().enumerate() {
        if i == index {
            break;
        }
        if ends_instruction(*t) {
            let line = &trace[line_start..=i];
            pc = next_pc(pc, line);
            step += 1;
            line_start = i + 1;
        }
    }
    Position {
        token_index: index,
        step,
        pc,
    }
}

/// The last token of an executed instruction (a trace file also breaks the
/// line after `branch_taken`, inside the instruction).
pub(crate) fn ends_instruction(t: Token) -> bool {
    t.kind().ends_line() && t.kind() != TokenKind::BranchTaken
}

pub(crate) fn next_pc(pc: u32, line: &[Token]) -> u32 {
    let Some(bt) = line.iter().position(|t| t.kind() == TokenKind::BranchTaken) else {
        return pc.wrapping_add(1);
    };
    let bytes: Vec<u8> = line[bt + 1..]
        .iter()
        .filter_map(|t| t.kind().byte_value())
        .take(4)
        .collect();
    if bytes.len() < 4 {
        return pc.wrapping_add(1);
    }
    let offset = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    pc.wrapping_add(1).wrapping_add(offset)
}

/// The first token where two traces differ.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Divergence {
    pub at: Position,
    /// The instruction executing there, as text.
    pub instruction: String,
    pub expected: Option<String>,
    pub got: Option<String>,
    /// A few trace lines before the divergence, as the reference has them.
    pub context: Vec<String>,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |t: &Option<String>| t.clone().unwrap_or_else(|| "end of trace".into());
        writeln!(
            f,
            "first divergence at token {} (step {}, pc {}: {}): expected {}, got {}",
            self.at.token_index,
            self.at.step,
            self.at.pc,
            self.instruction,
            show(&self.expected),
            show(&self.got)
        )?;
        for line in &self.context {
            writeln!(f, "    {line}")?;
        }
        Ok(())
    }
}

/// Compare `got` against `expected` (both: the tokens after `}`).
pub fn first_divergence(
    program: &Program,
    expected: &[Token],
    got: &[Token],
) -> Option<Divergence> {
    let n = expected.len().min(got.len());
    let index = (0..n)
        .find(|&i| expected[i] != got[i])
        .or((expected.len() != got.len()).then_some(n))?;
    let at = locate(expected, index);
    let instruction = program
        .instrs
        .get(at.pc as usize)
        .map_or_else(|| "outside the program".into(), |i: &Instr| i.to_string());
    Some(Divergence {
        at,
        instruction,
        expected: expected.get(index).map(|t| t.name().to_string()),
        got: got.get(index).map(|t| t.name().to_string()),
        context: context_lines(expected, index, 4),
    })
}

/// The last `n` complete trace lines before `index`, and the partial one.
fn context_lines(trace: &[Token], index: usize, n: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for t in &trace[..index.min(trace.len())] {
        current.push(t.name());
        if t.kind().ends_line() {
            lines.push(current.join(" "));
            current.clear();
        }
    }
    let mut out: Vec<String> = lines.split_off(lines.len().saturating_sub(n));
    current.push("<here>");
    out.push(current.join(" "));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::Op;

    #[test]
    fn divergence_names_step_pc_and_instruction() {
        let p = Program::new(vec![
            Instr::new(Op::I32Const, 5),
            Instr::new(Op::Br, 0),
            Instr::new(Op::Halt, 0),
        ]);
        let r = crate::oracle::reference::run(&p, 100);
        let mut bad = r.trace.clone();
        bad[7] = Token::byte(9, false); // inside the br line's immediate
        let d = first_divergence(&p, &r.trace, &bad).unwrap();
        assert_eq!(d.at.token_index, 7);
        assert_eq!(d.at.step, 1);
        assert_eq!(d.at.pc, 1);
        assert!(d.instruction.starts_with("br"));
        assert_eq!(d.expected.as_deref(), Some("00"));
        assert_eq!(d.got.as_deref(), Some("09"));
        // After the branch, the walk lands on halt.
        assert_eq!(locate(&r.trace, r.trace.len() - 1).pc, 2);
        assert!(first_divergence(&p, &r.trace, &r.trace).is_none());
    }
}

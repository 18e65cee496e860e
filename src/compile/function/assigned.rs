//! Which declared locals a function may read before it writes them.
//!
//! wasm starts every declared local at zero, so the prologue writes a zero
//! into each slot (the machine's frame may still hold an earlier call's
//! values). A local that every path writes before it reads needs no zero.
//! For the soft-float runtime's functions, which are called for every float
//! operation and whose locals clang writes before reading, those zeros are
//! a fixed cost of a dozen or more flat instructions per call.
//!
//! The analysis is a forward pass over the structured body with the set of
//! locals written on every path so far: a block's end gets the intersection
//! of the sets its branches and its fallthrough bring; a loop's head needs
//! nothing beyond the set on entry, since every path around the loop only
//! adds to it; after an unconditional branch, `return` or `unreachable`
//! nothing is reachable until the enclosing block ends. An operator it does
//! not know as control flow (exception handling, for one) makes it give up:
//! then every local is read before written, as without the analysis.

use wasmparser::{FunctionBody, Operator};

/// Locals as bits, by wasm local index.
#[derive(Clone, PartialEq, Eq)]
struct Set(Vec<u64>);

impl Set {
    fn empty(n: usize) -> Set {
        Set(vec![0; n.div_ceil(64)])
    }
    fn has(&self, i: u32) -> bool {
        self.0[i as usize / 64] >> (i % 64) & 1 == 1
    }
    fn add(&mut self, i: u32) {
        self.0[i as usize / 64] |= 1 << (i % 64);
    }
    fn intersect(&mut self, other: &Set) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a &= b;
        }
    }
}

#[derive(PartialEq)]
enum Kind {
    Block,
    Loop,
    If,
    Else,
}

struct Frame {
    kind: Kind,
    /// The set when the block was entered (an `if`'s false path starts
    /// with it).
    entry: Option<Set>,
    /// The intersection of the sets that reach the end so far (None: no
    /// path reaches it yet).
    end: Option<Set>,
}

/// Meet `set` into the end of `frame` (nothing when unreachable).
fn meet(end: &mut Option<Set>, set: &Option<Set>) {
    let Some(set) = set else { return };
    match end {
        Some(e) => e.intersect(set),
        None => *end = Some(set.clone()),
    }
}

/// For each local (parameters first), whether some path may read it before
/// writing it. Parameters are written by the call, so they are never
/// reported. `None` when the body is not understood (read errors included):
/// the caller then zeroes every declared local.
pub(super) fn read_before_written(
    body: &FunctionBody,
    params: usize,
    locals: usize,
) -> Option<Vec<bool>> {
    let mut need = vec![false; locals];
    let mut written = Set::empty(locals);
    for i in 0..params {
        written.add(i as u32);
    }
    // The set at the current point; None where the code is unreachable.
    let mut state = Some(written);
    // The function's own block is frames[0]: branches to it are returns.
    let mut frames = vec![Frame {
        kind: Kind::Block,
        entry: None,
        end: None,
    }];
    let mut reader = body.get_operators_reader().ok()?;
    while !reader.eof() {
        let op = reader.read().ok()?;
        let target = |frames: &[Frame], depth: u32| frames.len().checked_sub(1 + depth as usize);
        match op {
            Operator::LocalGet { local_index } => {
                if let Some(s) = &state {
                    if !s.has(local_index) {
                        *need.get_mut(local_index as usize)? = true;
                    }
                }
            }
            Operator::LocalSet { local_index } | Operator::LocalTee { local_index } => {
                if local_index as usize >= locals {
                    return None;
                }
                if let Some(s) = &mut state {
                    s.add(local_index);
                }
            }
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                let kind = match op {
                    Operator::Block { .. } => Kind::Block,
                    Operator::Loop { .. } => Kind::Loop,
                    _ => Kind::If,
                };
                frames.push(Frame {
                    kind,
                    entry: state.clone(),
                    end: None,
                });
            }
            Operator::Else => {
                let frame = frames.last_mut()?;
                if frame.kind != Kind::If {
                    return None;
                }
                meet(&mut frame.end, &state);
                frame.kind = Kind::Else;
                state = frame.entry.clone();
            }
            Operator::End => {
                let frame = frames.pop()?;
                let mut end = frame.end;
                if frame.kind == Kind::If {
                    // no else: the false path reaches the end as it entered
                    meet(&mut end, &frame.entry);
                }
                meet(&mut end, &state);
                state = end;
                if frames.is_empty() {
                    break;
                }
            }
            Operator::Br { relative_depth } | Operator::BrIf { relative_depth } => {
                let index = target(&frames, relative_depth)?;
                if frames[index].kind != Kind::Loop {
                    meet(&mut frames[index].end, &state);
                }
                if matches!(op, Operator::Br { .. }) {
                    state = None;
                }
            }
            Operator::BrTable { targets } => {
                let mut depths: Vec<u32> = targets.targets().collect::<Result<_, _>>().ok()?;
                depths.push(targets.default());
                for depth in depths {
                    let index = target(&frames, depth)?;
                    if frames[index].kind != Kind::Loop {
                        meet(&mut frames[index].end, &state);
                    }
                }
                state = None;
            }
            Operator::Return | Operator::Unreachable => state = None,
            // Any other control flow (exceptions, branches on references,
            // tail calls) is beyond this pass.
            Operator::Try { .. }
            | Operator::TryTable { .. }
            | Operator::Catch { .. }
            | Operator::CatchAll
            | Operator::Delegate { .. }
            | Operator::Throw { .. }
            | Operator::ThrowRef
            | Operator::Rethrow { .. }
            | Operator::BrOnNull { .. }
            | Operator::BrOnNonNull { .. }
            | Operator::BrOnCast { .. }
            | Operator::BrOnCastFail { .. }
            | Operator::ReturnCall { .. }
            | Operator::ReturnCallIndirect { .. }
            | Operator::ReturnCallRef { .. } => return None,
            _ => {}
        }
    }
    Some(need)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The answer for the only function of a module given as text.
    fn analyse(wat: &str) -> Option<Vec<bool>> {
        let wasm = wat::parse_str(wat).unwrap();
        for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
            if let Ok(wasmparser::Payload::CodeSectionEntry(body)) = payload {
                let mut locals = 0;
                for l in body.get_locals_reader().unwrap() {
                    locals += l.unwrap().0 as usize;
                }
                let params = 1;
                return read_before_written(&body, params, params + locals);
            }
        }
        panic!("no function")
    }

    #[test]
    fn straight_line_writes_before_reads() {
        let need = analyse(
            "(module (func (param i32) (result i32) (local i32 i32)
               local.get 0 local.set 1 local.get 1 local.get 2 i32.add))",
        );
        assert_eq!(need, Some(vec![false, false, true]));
    }

    #[test]
    fn a_write_on_one_arm_only_is_not_enough() {
        let need = analyse(
            "(module (func (param i32) (result i32) (local i32 i32)
               (if (local.get 0) (then (local.set 1 (i32.const 1)) (local.set 2 (i32.const 1)))
                 (else (local.set 2 (i32.const 2))))
               local.get 1 local.get 2 i32.add))",
        );
        assert_eq!(need, Some(vec![false, true, false]));
    }

    #[test]
    fn an_if_without_else_keeps_its_entry_set() {
        let need = analyse(
            "(module (func (param i32) (result i32) (local i32)
               (if (local.get 0) (then (local.set 1 (i32.const 1))))
               local.get 1))",
        );
        assert_eq!(need, Some(vec![false, true]));
    }

    #[test]
    fn a_branch_out_before_the_write_reaches_the_end() {
        let need = analyse(
            "(module (func (param i32) (result i32) (local i32 i32)
               (block (br_if 0 (local.get 0)) (local.set 1 (i32.const 1)))
               (block (br 0) (local.set 2 (i32.const 1)))
               local.get 1 local.get 2 i32.add))",
        );
        // the write of local 2 is unreachable: the branch is the only path
        assert_eq!(need, Some(vec![false, true, true]));
    }

    #[test]
    fn a_return_leaves_the_rest_to_the_paths_that_go_on() {
        let need = analyse(
            "(module (func (param i32) (result i32) (local i32)
               (block (br_if 0 (local.get 0)) (return (i32.const 0)))
               (local.set 1 (i32.const 1))
               (block (br_if 0 (local.get 0)) (local.set 1 (i32.const 2)))
               local.get 1))",
        );
        assert_eq!(need, Some(vec![false, false]));
    }

    #[test]
    fn a_loop_reads_what_only_its_later_iterations_write() {
        let need = analyse(
            "(module (func (param i32) (result i32) (local i32 i32)
               (loop (local.set 2 (local.get 1)) (local.set 1 (i32.const 1))
                 (br_if 0 (local.get 0)))
               local.get 2))",
        );
        assert_eq!(need, Some(vec![false, true, false]));
    }

    #[test]
    fn a_br_table_meets_every_target() {
        let need = analyse(
            "(module (func (param i32) (result i32) (local i32)
               (block (block (local.set 1 (i32.const 1)) (br_table 0 1 (local.get 0)))
                 (local.set 1 (i32.const 2)))
               local.get 1))",
        );
        assert_eq!(need, Some(vec![false, false]));
        let need = analyse(
            "(module (func (param i32) (result i32) (local i32)
               (block (block (br_table 0 1 (local.get 0))) (local.set 1 (i32.const 2)))
               local.get 1))",
        );
        assert_eq!(need, Some(vec![false, true]));
    }
}

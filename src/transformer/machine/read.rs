//! What the instruction reads, each by an exact-match lookup on the tokens
//! that wrote it: stack values, a local, a return address, a memory byte.
//! Byte reads fetch byte number `byte_index` of their value.

use super::{is_zero, one, p, p_sq, Builder, LOCAL_STRIDE};
use crate::isa::Op;
use crate::transformer::graph::{Dim, Expr, Graph};

pub(super) struct Operands {
    pub(super) stack: Stack,
    /// `byte1` of the local the immediate names.
    pub(super) local_b1: Dim,
    /// `byte1` of the immediate of the call that opened the current frame.
    pub(super) call_b1: Dim,
    pub(super) memory: Memory,
}

pub(super) struct Stack {
    /// The top two values, as u32s.
    pub(super) top_val: Dim,
    pub(super) sec_val: Dim,
    /// `byte1` of the top three values.
    pub(super) top_b1: Dim,
    pub(super) sec_b1: Dim,
    pub(super) third_b1: Dim,
    /// The low three crumbs (bit pairs) of the top two values' bytes,
    /// where the bit operations need them.
    pub(super) crumbs: Option<Crumbs>,
    /// Positions of the commits that wrote the top two values: their
    /// bytes are the 4 tokens before.
    pub(super) top_pos: Dim,
    pub(super) sec_pos: Dim,
}

pub(super) struct Crumbs {
    pub(super) top: [Dim; 3],
    pub(super) sec: [Dim; 3],
}

/// The top three stack values; with `crumbs`, also the crumbs of the top
/// two values' bytes.
pub(super) fn operand_stack(
    b: &mut Builder,
    sp: Dim,
    word: &Expr,
    byte_index: &Expr,
    crumbs: bool,
) -> Stack {
    let sp_sq = b.g.square("sp^2", sp);
    let not_sts = Expr::from(b.i.not_sts);
    let stack = |b: &mut Builder, name: &str, depth: Expr, values: Vec<Expr>| {
        b.g.lookup(name, depth, sp, sp_sq, Some(not_sts.clone()), values)
    };
    let top = stack(b, "top", sp.into(), vec![word.clone(), p()]);
    let second = stack(b, "second", sp - 1.0, vec![word.clone(), p()]);
    let third_pos = stack(b, "third", sp - 2.0, vec![p()])[0];
    let byte_at = |pos: Dim| stack_byte(pos, byte_index.clone());
    let ((top_b1, sec_b1), crumbs) = if crumbs {
        let (top_b1, top) = byte_with_crumbs(b, "top_byte", byte_at(top[1]));
        let (sec_b1, sec) = byte_with_crumbs(b, "second_byte", byte_at(second[1]));
        ((top_b1, sec_b1), Some(Crumbs { top, sec }))
    } else {
        let top_b1 = byte_of(b, "top_byte", byte_at(top[1]));
        let sec_b1 = byte_of(b, "second_byte", byte_at(second[1]));
        ((top_b1, sec_b1), None)
    };
    let third_b1 = byte_of(b, "third_byte", byte_at(third_pos));
    Stack {
        top_val: top[0],
        sec_val: second[0],
        top_b1,
        sec_b1,
        third_b1,
        crumbs,
        top_pos: top[1],
        sec_pos: second[1],
    }
}

/// The position of byte `k` of the stack value whose commit is at `pos`:
/// its bytes are the 4 tokens before the commit.
pub(super) fn stack_byte(pos: Dim, k: Expr) -> Expr {
    Expr::from(pos) - 4.0 + k
}

/// `byte1` of the byte token at position `at`, by a head named `name`.
fn byte_of(b: &mut Builder, name: &str, at: Expr) -> Dim {
    b.g.lookup(name, at, p(), p_sq(), None, vec![b.i.byte1.into()])[0]
}

/// Two values of the byte token at position `at`, by a head named `name`.
pub(super) fn byte_pair(b: &mut Builder, name: &str, at: &Expr, values: [Dim; 2]) -> [Dim; 2] {
    let v = values.map(Expr::from).to_vec();
    let d = b.g.lookup(name, at.clone(), p(), p_sq(), None, v);
    [d[0], d[1]]
}

/// The byte token at position `at`: its `byte1` and its low three crumbs,
/// by two heads with the same query (the decoder finds the position once).
pub(super) fn byte_with_crumbs(b: &mut Builder, name: &str, at: Expr) -> (Dim, [Dim; 3]) {
    let [c0, c1, c2] = b.i.crumbs;
    let [byte1, c0] = byte_pair(b, name, &at, [b.i.byte1, c0]);
    let [c1, c2] = byte_pair(b, &format!("{name}_crumbs"), &at, [c1, c2]);
    (byte1, [c0, c1, c2])
}

/// The bytes local.set/tee emitted, keyed by frame and index.
pub(super) fn locals(b: &mut Builder, call: Dim, imm: &Expr, byte_index: &Expr) -> Dim {
    let local_write = b.is_any("is_local_write", &[Op::LocalSet, Op::LocalTee]);
    let frame_base = Expr::from(call) * LOCAL_STRIDE + imm.clone() * 4.0;
    let local_key = frame_base.clone() + byte_index.clone() - 1.0;
    let local_key_sq = b.g.square("local_key^2", local_key.clone());
    b.g.lookup(
        "local_byte",
        frame_base + byte_index.clone(),
        local_key,
        local_key_sq,
        Some(one() - local_write + b.i.boundary),
        vec![b.i.byte1.into()],
    )[0]
}

/// The bytes of each call's immediate, by call depth.
pub(super) fn return_addresses(b: &mut Builder, call: Dim, byte_index: &Expr) -> Dim {
    let is_call = b.is_any("is_call", &[Op::Call]);
    let cs_key = Expr::from(call) * 4.0 + byte_index.clone() - 1.0;
    let cs_key_sq = b.g.square("call_key^2", cs_key.clone());
    // A call's bytes come before its call_commit raises the depth.
    b.g.lookup(
        "call_byte",
        (Expr::from(call) - 1.0) * 4.0 + byte_index.clone(),
        cs_key,
        cs_key_sq,
        Some(one() - is_call + b.i.boundary),
        vec![b.i.byte1.into()],
    )[0]
}

pub(super) struct Memory {
    pub(super) byte1: Dim,
    /// 1 when some store or input_base wrote the address; else `byte1` is
    /// meaningless.
    pub(super) found: Dim,
    /// The byte's top bit.
    pub(super) sign: Dim,
}

/// The bytes stores and input_base emitted, by address.
pub(super) fn memory(b: &mut Builder, stack: &Stack, imm: &Expr, byte_index: &Expr) -> Memory {
    let mem_write = b.is_any(
        "is_memory_write",
        &[Op::I32Store, Op::I32Store8, Op::I32Store16, Op::InputBase],
    );
    let mem_clear = one() - mem_write + b.i.boundary;
    let write_addr = Expr::from(stack.sec_val) + imm.clone() + byte_index.clone() - 1.0;
    let write_addr_sq = b.g.square("write_addr^2", write_addr.clone());
    let read_addr = Expr::from(stack.top_val) + imm.clone() + byte_index.clone();
    // A tag far from any address marks rows that are not writes, so a read
    // of never-written memory can tell it found nothing.
    let tag = write_addr.clone() - mem_clear.clone() * 1099511627776.0;
    let mem = b.g.lookup(
        "memory_byte",
        read_addr.clone(),
        write_addr,
        write_addr_sq,
        Some(mem_clear),
        vec![b.i.byte1.into(), tag],
    );
    let found = is_zero(&mut b.g, "memory_found", Expr::from(mem[1]) - read_addr);
    let sign =
        b.g.step("memory_sign", Graph::ONE, Expr::from(mem[0]) - 129.0);
    Memory {
        byte1: mem[0],
        found,
        sign,
    }
}

//! Which bits of the values on top of the wasm operand stack can be set,
//! followed through straight-line code, so that an `or` or `xor` of two
//! values with no bit in common compiles to an addition (the two agree
//! there, and an addition never carries out of such a pair).
//!
//! Why: clang turns `(q << 1) + bit` into `(q << 1) | bit` because it knows
//! the bits are disjoint, and the core ISA has no `or`: the runtime's is a
//! loop over 32 bits. The soft-float runtime's division and square root
//! spend nine tenths of their tokens there. hullvm recovers the same
//! knowledge from the wasm: comparisons give 0 or 1, shifts by a constant
//! clear the bits they shift in, masks with a constant keep only its bits.
//!
//! The analysis is deliberately small: it follows the operators listed in
//! [`KnownBits::after`] (a local or global read back is unknown) and
//! forgets everything at any other (control flow, calls), after which every
//! value counts as having all its bits possibly set. Forgetting is always
//! sound.

use wasmparser::Operator;

/// What is known of one value: the bits that can be set, and its value when
/// it is a constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Value {
    may_be_set: u64,
    constant: Option<u64>,
}

const UNKNOWN: Value = Value {
    may_be_set: u64::MAX,
    constant: None,
};

const I32: u64 = u32::MAX as u64;

impl Value {
    fn mask(may_be_set: u64) -> Value {
        Value {
            may_be_set,
            constant: None,
        }
    }

    fn constant(v: u64) -> Value {
        Value {
            may_be_set: v,
            constant: Some(v),
        }
    }
}

/// The top of the operand stack as far as it is known; values below the
/// bottom of `stack` are unknown.
#[derive(Debug, Default)]
pub(super) struct KnownBits {
    stack: Vec<Value>,
}

/// The width of an `or`/`xor` whose operands are disjoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Disjoint {
    I32,
    I64,
}

impl KnownBits {
    fn pop(&mut self) -> Value {
        self.stack.pop().unwrap_or(UNKNOWN)
    }

    fn top(&self, depth: usize) -> Value {
        let len = self.stack.len();
        if depth < len {
            self.stack[len - 1 - depth]
        } else {
            UNKNOWN
        }
    }

    pub(super) fn forget(&mut self) {
        self.stack.clear();
    }

    /// Whether `op` is an `or` or `xor` of two values with no bit in
    /// common, so that it equals their sum.
    pub(super) fn disjoint(&self, op: &Operator) -> Option<Disjoint> {
        let (width, mask) = match op {
            Operator::I32Or | Operator::I32Xor => (Disjoint::I32, I32),
            Operator::I64Or | Operator::I64Xor => (Disjoint::I64, u64::MAX),
            _ => return None,
        };
        let (a, b) = (self.top(1), self.top(0));
        (a.may_be_set & b.may_be_set & mask == 0).then_some(width)
    }

    /// Follow `op` (a reachable operator, after it is compiled).
    pub(super) fn after(&mut self, op: &Operator) {
        use Operator as O;
        let width = |wide: bool| if wide { u64::MAX } else { I32 };
        let pushed = match *op {
            O::I32Const { value } => Value::constant(value as u32 as u64),
            O::I64Const { value } => Value::constant(value as u64),
            O::I32Load8U { .. } | O::I64Load8U { .. } => self.load(0xff),
            O::I32Load16U { .. } | O::I64Load16U { .. } => self.load(0xffff),
            O::I64Load32U { .. } => self.load(I32),
            O::I32Eqz | O::I64Eqz => self.unary(|_| 1),
            O::I32Eq
            | O::I32Ne
            | O::I32LtS
            | O::I32LtU
            | O::I32GtS
            | O::I32GtU
            | O::I32LeS
            | O::I32LeU
            | O::I32GeS
            | O::I32GeU
            | O::I64Eq
            | O::I64Ne
            | O::I64LtS
            | O::I64LtU
            | O::I64GtS
            | O::I64GtU
            | O::I64LeS
            | O::I64LeU
            | O::I64GeS
            | O::I64GeU => self.binary(|_, _| Value::mask(1)),
            O::I64ExtendI32U | O::I32WrapI64 => self.unary(|m| m & I32),
            O::LocalGet { .. } | O::GlobalGet { .. } => UNKNOWN,
            O::I32Load { .. } | O::I64Load { .. } => self.load(u64::MAX),
            O::LocalTee { .. } => self.pop(),
            O::LocalSet { .. } | O::GlobalSet { .. } => {
                self.pop();
                return;
            }
            O::Drop => {
                self.pop();
                return;
            }
            O::Select | O::TypedSelect { .. } => {
                self.pop();
                let (a, b) = (self.pop(), self.pop());
                Value::mask(a.may_be_set | b.may_be_set)
            }
            O::I32And | O::I64And => self.binary(|a, b| Value::mask(a.may_be_set & b.may_be_set)),
            O::I32Or | O::I64Or | O::I32Xor | O::I64Xor => {
                self.binary(|a, b| Value::mask(a.may_be_set | b.may_be_set))
            }
            O::I32Add => self.binary(|a, b| sum(a, b, I32)),
            O::I64Add => self.binary(|a, b| sum(a, b, u64::MAX)),
            O::I32Shl | O::I64Shl => {
                let wide = matches!(op, O::I64Shl);
                self.binary(|a, n| match n.constant {
                    Some(n) => Value::mask(a.may_be_set << (n % bits(wide)) & width(wide)),
                    None => Value::mask(width(wide)),
                })
            }
            O::I32ShrU | O::I64ShrU => {
                let wide = matches!(op, O::I64ShrU);
                self.binary(|a, n| match n.constant {
                    Some(n) => Value::mask((a.may_be_set & width(wide)) >> (n % bits(wide))),
                    None => Value::mask(width(wide)),
                })
            }
            _ => {
                self.forget();
                return;
            }
        };
        self.stack.push(pushed);
    }

    fn load(&mut self, mask: u64) -> Value {
        self.pop();
        Value::mask(mask)
    }

    fn unary(&mut self, f: impl Fn(u64) -> u64) -> Value {
        let a = self.pop();
        Value::mask(f(a.may_be_set))
    }

    fn binary(&mut self, f: impl Fn(Value, Value) -> Value) -> Value {
        let b = self.pop();
        let a = self.pop();
        f(a, b)
    }
}

fn bits(wide: bool) -> u64 {
    if wide {
        64
    } else {
        32
    }
}

/// The bits a sum can set: those of either operand and every bit above
/// them that a carry can reach, up to one past the highest.
fn sum(a: Value, b: Value, width: u64) -> Value {
    let either = a.may_be_set | b.may_be_set;
    if a.may_be_set & b.may_be_set == 0 {
        return Value::mask(either & width);
    }
    let high = 64 - either.leading_zeros();
    let reach = if high >= 63 {
        u64::MAX
    } else {
        (1u64 << (high + 1)) - 1
    };
    Value::mask(reach & width)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn follow(ops: &[Operator]) -> KnownBits {
        let mut known = KnownBits::default();
        for op in ops {
            known.after(op);
        }
        known
    }

    #[test]
    fn a_shifted_value_and_a_comparison_are_disjoint() {
        use Operator as O;
        let known = follow(&[
            O::LocalGet { local_index: 2 },
            O::I64Const { value: 1 },
            O::I64Shl,
            O::LocalGet { local_index: 1 },
            O::LocalGet { local_index: 0 },
            O::I64GeU,
            O::I64ExtendI32U,
        ]);
        assert_eq!(known.disjoint(&O::I64Or), Some(Disjoint::I64));
        assert_eq!(known.disjoint(&O::I32Or), Some(Disjoint::I32));
    }

    #[test]
    fn unknown_or_overlapping_values_are_not() {
        use Operator as O;
        let overlapping = follow(&[
            O::LocalGet { local_index: 0 },
            O::I32Const { value: 1 },
            O::I32Shl,
            O::LocalGet { local_index: 1 },
            O::I32Const { value: 3 },
            O::I32And,
        ]);
        assert_eq!(overlapping.disjoint(&O::I32Or), None, "bit 1 is in both");
        let forgotten = follow(&[
            O::I32Const { value: 4 },
            O::I32Const { value: 1 },
            O::Call { function_index: 0 },
        ]);
        assert_eq!(forgotten.disjoint(&O::I32Or), None);
        // A shift by a variable amount can set any bit.
        let variable = follow(&[
            O::LocalGet { local_index: 0 },
            O::LocalGet { local_index: 1 },
            O::I32Shl,
            O::I32Const { value: 1 },
        ]);
        assert_eq!(variable.disjoint(&O::I32Or), None);
        // A sum carries: (1 + 1) has bit 1, not bit 0.
        let carried = follow(&[
            O::I32Const { value: 2 },
            O::LocalGet { local_index: 0 },
            O::I32Eqz,
            O::LocalGet { local_index: 1 },
            O::I32Eqz,
            O::I32Add,
        ]);
        assert_eq!(carried.disjoint(&O::I32Or), None);
    }
}

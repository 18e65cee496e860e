;; hullvm's runtime: the i32 operations the core ISA lacks, written with core
;; ops only (add, sub, comparisons, branches, locals, byte loads and stores).
;;
;; The compiler lowers `i32.mul`, `i32.div_u`, ... into calls to these exports.
;; Helpers may use each other's operations (`i32.div_u` inside `div_s` is
;; itself lowered to a call of `div_u`). Imports from "hullvm" named `trap_*`
;; become jumps to the program's trap exits. The memory here is a private
;; scratch area that the compiler relocates above the program's own memory.
;;
;; Bits are read from the top: `x < 0` (signed) is bit 31, `x + x` shifts
;; left by one.
(module
  (import "hullvm" "trap_integer_divide_by_zero" (func $trap_div_zero))
  (import "hullvm" "trap_integer_overflow" (func $trap_overflow))
  (memory 1)

  ;; n & 31, via the low byte in scratch memory.
  (func $mod32 (param $n i32) (result i32)
    (i32.store8 (i32.const 0) (local.get $n))
    (local.set $n (i32.load8_u (i32.const 0)))
    (if (i32.ge_u (local.get $n) (i32.const 128))
      (then (local.set $n (i32.sub (local.get $n) (i32.const 128)))))
    (if (i32.ge_u (local.get $n) (i32.const 64))
      (then (local.set $n (i32.sub (local.get $n) (i32.const 64)))))
    (if (i32.ge_u (local.get $n) (i32.const 32))
      (then (local.set $n (i32.sub (local.get $n) (i32.const 32)))))
    (local.get $n))

  (func (export "mul") (param $a i32) (param $b i32) (result i32)
    (local $r i32) (local $n i32)
    ;; iterate over the operand with more leading zeros
    (if (i32.lt_u (local.get $a) (local.get $b))
      (then
        (local.set $r (local.get $a))
        (local.set $a (local.get $b))
        (local.set $b (local.get $r))
        (local.set $r (i32.const 0))))
    (if (i32.eqz (local.get $b)) (then (return (i32.const 0))))
    (local.set $n (i32.const 32))
    (block $top
      (loop $skip
        (br_if $top (i32.lt_s (local.get $b) (i32.const 0)))
        (local.set $b (i32.add (local.get $b) (local.get $b)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $skip)))
    (loop $bits
      (local.set $r (i32.add (local.get $r) (local.get $r)))
      (if (i32.lt_s (local.get $b) (i32.const 0))
        (then (local.set $r (i32.add (local.get $r) (local.get $a)))))
      (local.set $b (i32.add (local.get $b) (local.get $b)))
      (br_if $bits (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $r))

  ;; Unsigned long division; returns quotient and remainder.
  (func $divmod_u (param $a i32) (param $b i32) (result i32 i32)
    (local $q i32) (local $r i32) (local $n i32) (local $high i32)
    (if (i32.eqz (local.get $b)) (then (call $trap_div_zero)))
    (if (i32.gt_u (local.get $b) (local.get $a))
      (then (return (i32.const 0) (local.get $a))))
    (local.set $n (i32.const 32))
    ;; a >= b > 0, so a has a set bit: skip its leading zeros
    (block $top
      (loop $skip
        (br_if $top (i32.lt_s (local.get $a) (i32.const 0)))
        (local.set $a (i32.add (local.get $a) (local.get $a)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $skip)))
    (loop $bits
      ;; r = 2r + top bit of a; when r had bit 31 set, 2r overflowed and
      ;; certainly exceeds b, so the subtraction below is due.
      (local.set $high (i32.lt_s (local.get $r) (i32.const 0)))
      (local.set $r
        (i32.add (i32.add (local.get $r) (local.get $r))
                 (i32.lt_s (local.get $a) (i32.const 0))))
      (local.set $a (i32.add (local.get $a) (local.get $a)))
      (local.set $q (i32.add (local.get $q) (local.get $q)))
      (if (i32.ne (i32.const 0)
            (i32.add (local.get $high) (i32.ge_u (local.get $r) (local.get $b))))
        (then
          (local.set $r (i32.sub (local.get $r) (local.get $b)))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))))
      (br_if $bits (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $q)
    (local.get $r))

  (func (export "div_u") (param $a i32) (param $b i32) (result i32)
    (drop (call $divmod_u (local.get $a) (local.get $b))))

  (func (export "rem_u") (param $a i32) (param $b i32) (result i32)
    (local $r i32)
    (local.set $r (call $divmod_u (local.get $a) (local.get $b)))
    (drop)
    (local.get $r))

  (func $abs (param $x i32) (result i32)
    (select (i32.sub (i32.const 0) (local.get $x)) (local.get $x)
            (i32.lt_s (local.get $x) (i32.const 0))))

  (func (export "div_s") (param $a i32) (param $b i32) (result i32)
    (local $q i32)
    (if (i32.eqz (local.get $b)) (then (call $trap_div_zero)))
    (if (i32.eq (local.get $a) (i32.const 0x80000000))
      (then (if (i32.eq (local.get $b) (i32.const -1)) (then (call $trap_overflow)))))
    (local.set $q (i32.div_u (call $abs (local.get $a)) (call $abs (local.get $b))))
    (select (i32.sub (i32.const 0) (local.get $q)) (local.get $q)
            (i32.ne (i32.lt_s (local.get $a) (i32.const 0))
                    (i32.lt_s (local.get $b) (i32.const 0)))))

  (func (export "rem_s") (param $a i32) (param $b i32) (result i32)
    (local $r i32)
    (local.set $r (i32.rem_u (call $abs (local.get $a)) (call $abs (local.get $b))))
    (select (i32.sub (i32.const 0) (local.get $r)) (local.get $r)
            (i32.lt_s (local.get $a) (i32.const 0))))

  ;; Bitwise operations, one bit a round from the top.
  (func (export "and") (param $a i32) (param $b i32) (result i32)
    (local $r i32) (local $n i32)
    (local.set $n (i32.const 32))
    (loop $bits
      (local.set $r
        (i32.add (i32.add (local.get $r) (local.get $r))
                 (i32.eq (i32.const 2)
                   (i32.add (i32.lt_s (local.get $a) (i32.const 0))
                            (i32.lt_s (local.get $b) (i32.const 0))))))
      (local.set $a (i32.add (local.get $a) (local.get $a)))
      (local.set $b (i32.add (local.get $b) (local.get $b)))
      (br_if $bits (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $r))

  (func (export "or") (param $a i32) (param $b i32) (result i32)
    (local $r i32) (local $n i32)
    (local.set $n (i32.const 32))
    (loop $bits
      (local.set $r
        (i32.add (i32.add (local.get $r) (local.get $r))
                 (i32.ne (i32.const 0)
                   (i32.add (i32.lt_s (local.get $a) (i32.const 0))
                            (i32.lt_s (local.get $b) (i32.const 0))))))
      (local.set $a (i32.add (local.get $a) (local.get $a)))
      (local.set $b (i32.add (local.get $b) (local.get $b)))
      (br_if $bits (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $r))

  (func (export "xor") (param $a i32) (param $b i32) (result i32)
    (local $r i32) (local $n i32)
    (local.set $n (i32.const 32))
    (loop $bits
      (local.set $r
        (i32.add (i32.add (local.get $r) (local.get $r))
                 (i32.ne (i32.lt_s (local.get $a) (i32.const 0))
                         (i32.lt_s (local.get $b) (i32.const 0)))))
      (local.set $a (i32.add (local.get $a) (local.get $a)))
      (local.set $b (i32.add (local.get $b) (local.get $b)))
      (br_if $bits (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $r))

  (func (export "shl") (param $a i32) (param $n i32) (result i32)
    (local.set $n (call $mod32 (local.get $n)))
    (block $done
      (loop $bits
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $a (i32.add (local.get $a) (local.get $a)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $bits)))
    (local.get $a))

  ;; The top 32-n bits of a, shifted in below r's initial fill.
  (func $shift_right (param $a i32) (param $n i32) (param $r i32) (result i32)
    (local.set $n (call $mod32 (local.get $n)))
    (if (i32.eqz (local.get $n)) (then (return (local.get $a))))
    (local.set $n (i32.sub (i32.const 32) (local.get $n)))
    (loop $bits
      (local.set $r
        (i32.add (i32.add (local.get $r) (local.get $r))
                 (i32.lt_s (local.get $a) (i32.const 0))))
      (local.set $a (i32.add (local.get $a) (local.get $a)))
      (br_if $bits (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $r))

  (func (export "shr_u") (param $a i32) (param $n i32) (result i32)
    (call $shift_right (local.get $a) (local.get $n) (i32.const 0)))

  (func (export "shr_s") (param $a i32) (param $n i32) (result i32)
    (call $shift_right (local.get $a) (local.get $n)
      (i32.sub (i32.const 0) (i32.lt_s (local.get $a) (i32.const 0)))))

  (func $rotl (export "rotl") (param $a i32) (param $n i32) (result i32)
    (local.set $n (call $mod32 (local.get $n)))
    (block $done
      (loop $bits
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $a
          (i32.add (i32.add (local.get $a) (local.get $a))
                   (i32.lt_s (local.get $a) (i32.const 0))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $bits)))
    (local.get $a))

  (func (export "rotr") (param $a i32) (param $n i32) (result i32)
    (call $rotl (local.get $a)
      (i32.sub (i32.const 32) (call $mod32 (local.get $n)))))

  (func (export "clz") (param $a i32) (result i32)
    (local $c i32)
    (if (i32.eqz (local.get $a)) (then (return (i32.const 32))))
    (block $done
      (loop $bits
        (br_if $done (i32.lt_s (local.get $a) (i32.const 0)))
        (local.set $a (i32.add (local.get $a) (local.get $a)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $bits)))
    (local.get $c))

  ;; Doubling a until it is zero takes 32 - ctz(a) rounds.
  (func (export "ctz") (param $a i32) (result i32)
    (local $c i32)
    (local.set $c (i32.const 32))
    (block $done
      (loop $bits
        (br_if $done (i32.eqz (local.get $a)))
        (local.set $a (i32.add (local.get $a) (local.get $a)))
        (local.set $c (i32.sub (local.get $c) (i32.const 1)))
        (br $bits)))
    (local.get $c))

  (func (export "popcnt") (param $a i32) (result i32)
    (local $c i32)
    (block $done
      (loop $bits
        (br_if $done (i32.eqz (local.get $a)))
        (local.set $c (i32.add (local.get $c) (i32.lt_s (local.get $a) (i32.const 0))))
        (local.set $a (i32.add (local.get $a) (local.get $a)))
        (br $bits)))
    (local.get $c))
)

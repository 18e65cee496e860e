;; hullvm's runtime: the operations the machine lacks, written with its ops
;; only (add, sub, and, or, xor, shifts, comparisons, branches, locals, byte
;; loads and stores).
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

  ;; Binary search for the top set bit.
  (func (export "clz") (param $a i32) (result i32)
    (local $n i32)
    (if (i32.eqz (local.get $a)) (then (return (i32.const 32))))
    (if (i32.lt_u (local.get $a) (i32.const 0x10000))
      (then (local.set $n (i32.const 16))
            (local.set $a (i32.shl (local.get $a) (i32.const 16)))))
    (if (i32.lt_u (local.get $a) (i32.const 0x1000000))
      (then (local.set $n (i32.add (local.get $n) (i32.const 8)))
            (local.set $a (i32.shl (local.get $a) (i32.const 8)))))
    (if (i32.lt_u (local.get $a) (i32.const 0x10000000))
      (then (local.set $n (i32.add (local.get $n) (i32.const 4)))
            (local.set $a (i32.shl (local.get $a) (i32.const 4)))))
    (if (i32.lt_u (local.get $a) (i32.const 0x40000000))
      (then (local.set $n (i32.add (local.get $n) (i32.const 2)))
            (local.set $a (i32.shl (local.get $a) (i32.const 2)))))
    (i32.add (local.get $n) (i32.ge_s (local.get $a) (i32.const 0))))

  ;; The bits below the lowest set one, counted (all 32 for a = 0).
  (func (export "ctz") (param $a i32) (result i32)
    (call $popcnt
      (i32.sub (i32.and (local.get $a) (i32.sub (i32.const 0) (local.get $a)))
               (i32.const 1))))

  ;; Sums of bits in ever wider fields.
  (func $popcnt (export "popcnt") (param $a i32) (result i32)
    (local.set $a
      (i32.sub (local.get $a)
               (i32.and (i32.shr_u (local.get $a) (i32.const 1)) (i32.const 0x55555555))))
    (local.set $a
      (i32.add (i32.and (local.get $a) (i32.const 0x33333333))
               (i32.and (i32.shr_u (local.get $a) (i32.const 2)) (i32.const 0x33333333))))
    (local.set $a
      (i32.and (i32.add (local.get $a) (i32.shr_u (local.get $a) (i32.const 4)))
               (i32.const 0x0f0f0f0f)))
    (local.set $a (i32.add (local.get $a) (i32.shr_u (local.get $a) (i32.const 8))))
    (i32.and (i32.add (local.get $a) (i32.shr_u (local.get $a) (i32.const 16)))
             (i32.const 63)))

  ;; ---------------------------------------------------------------------------
  ;; i64: a value is two i32s, the low word first (deeper on the stack) and the
  ;; high word on top; helpers take (a_lo a_hi b_lo b_hi) and return (lo hi).

  (func $neg64 (param $lo i32) (param $hi i32) (result i32 i32)
    (i32.sub (i32.const 0) (local.get $lo))
    (i32.sub (i32.sub (i32.const 0) (local.get $hi))
             (i32.ne (local.get $lo) (i32.const 0))))

  (func $abs64 (param $lo i32) (param $hi i32) (result i32 i32)
    (if (i32.lt_s (local.get $hi) (i32.const 0))
      (then (return (call $neg64 (local.get $lo) (local.get $hi)))))
    (local.get $lo) (local.get $hi))

  (func (export "add64") (param $al i32) (param $ah i32) (param $bl i32) (param $bh i32)
    (result i32 i32)
    (local $l i32)
    (local.tee $l (i32.add (local.get $al) (local.get $bl)))
    (i32.add (i32.add (local.get $ah) (local.get $bh))
             (i32.lt_u (local.get $l) (local.get $al))))

  (func (export "sub64") (param $al i32) (param $ah i32) (param $bl i32) (param $bh i32)
    (result i32 i32)
    (i32.sub (local.get $al) (local.get $bl))
    (i32.sub (i32.sub (local.get $ah) (local.get $bh))
             (i32.lt_u (local.get $al) (local.get $bl))))

  ;; The full 64-bit product of two u32s, shift and add over y's bits.
  (func $mul_wide_u (param $x i32) (param $y i32) (result i32 i32)
    (local $lo i32) (local $hi i32) (local $n i32)
    ;; iterate over the operand with more leading zeros
    (if (i32.lt_u (local.get $x) (local.get $y))
      (then
        (local.set $n (local.get $x))
        (local.set $x (local.get $y))
        (local.set $y (local.get $n))))
    (if (i32.eqz (local.get $y)) (then (return (i32.const 0) (i32.const 0))))
    (local.set $n (i32.const 32))
    (block $top
      (loop $skip
        (br_if $top (i32.lt_s (local.get $y) (i32.const 0)))
        (local.set $y (i32.add (local.get $y) (local.get $y)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $skip)))
    (loop $bits
      (local.set $hi (i32.add (i32.add (local.get $hi) (local.get $hi))
                              (i32.lt_s (local.get $lo) (i32.const 0))))
      (local.set $lo (i32.add (local.get $lo) (local.get $lo)))
      (if (i32.lt_s (local.get $y) (i32.const 0))
        (then
          (local.set $lo (i32.add (local.get $lo) (local.get $x)))
          (local.set $hi (i32.add (local.get $hi)
                                  (i32.lt_u (local.get $lo) (local.get $x))))))
      (local.set $y (i32.add (local.get $y) (local.get $y)))
      (br_if $bits (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $lo) (local.get $hi))

  ;; a * b mod 2^64 = a_lo * b_lo + 2^32 (a_lo * b_hi + a_hi * b_lo)
  (func (export "mul64") (param $al i32) (param $ah i32) (param $bl i32) (param $bh i32)
    (result i32 i32)
    (local $lo i32) (local $hi i32)
    (call $mul_wide_u (local.get $al) (local.get $bl))
    (local.set $hi)
    (local.set $lo)
    (local.get $lo)
    (i32.add (local.get $hi)
             (i32.add (i32.mul (local.get $al) (local.get $bh))
                      (i32.mul (local.get $ah) (local.get $bl)))))

  ;; Unsigned long division; returns quotient and remainder (four words).
  (func $divmod64_u (param $al i32) (param $ah i32) (param $bl i32) (param $bh i32)
    (result i32 i32 i32 i32)
    (local $ql i32) (local $qh i32) (local $rl i32) (local $rh i32)
    (local $n i32) (local $high i32)
    (if (i32.eq (i32.add (i32.eqz (local.get $bl)) (i32.eqz (local.get $bh))) (i32.const 2))
      (then (call $trap_div_zero)))
    (if (i32.eq (i32.add (i32.eqz (local.get $ah)) (i32.eqz (local.get $bh))) (i32.const 2))
      (then
        (call $divmod_u (local.get $al) (local.get $bl))
        (local.set $rl)
        (local.set $ql)
        (return (local.get $ql) (i32.const 0) (local.get $rl) (i32.const 0))))
    ;; b > a: the quotient is 0
    (if (select (i32.gt_u (local.get $bl) (local.get $al))
                (i32.gt_u (local.get $bh) (local.get $ah))
                (i32.eq (local.get $bh) (local.get $ah)))
      (then (return (i32.const 0) (i32.const 0) (local.get $al) (local.get $ah))))
    (local.set $n (i32.const 64))
    ;; a >= b > 0, so a has a set bit: skip its leading zeros
    (block $top
      (loop $skip
        (br_if $top (i32.lt_s (local.get $ah) (i32.const 0)))
        (local.set $ah (i32.add (i32.add (local.get $ah) (local.get $ah))
                                (i32.lt_s (local.get $al) (i32.const 0))))
        (local.set $al (i32.add (local.get $al) (local.get $al)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $skip)))
    (loop $bits
      ;; r = 2r + top bit of a; when r had bit 63 set, 2r overflowed and
      ;; certainly exceeds b, so the subtraction below is due.
      (local.set $high (i32.lt_s (local.get $rh) (i32.const 0)))
      (local.set $rh (i32.add (i32.add (local.get $rh) (local.get $rh))
                              (i32.lt_s (local.get $rl) (i32.const 0))))
      (local.set $rl (i32.add (i32.add (local.get $rl) (local.get $rl))
                              (i32.lt_s (local.get $ah) (i32.const 0))))
      (local.set $ah (i32.add (i32.add (local.get $ah) (local.get $ah))
                              (i32.lt_s (local.get $al) (i32.const 0))))
      (local.set $al (i32.add (local.get $al) (local.get $al)))
      (local.set $qh (i32.add (i32.add (local.get $qh) (local.get $qh))
                              (i32.lt_s (local.get $ql) (i32.const 0))))
      (local.set $ql (i32.add (local.get $ql) (local.get $ql)))
      ;; r >= b, high words first
      (if (i32.ne (i32.const 0)
            (i32.add (local.get $high)
                     (select (i32.ge_u (local.get $rl) (local.get $bl))
                             (i32.gt_u (local.get $rh) (local.get $bh))
                             (i32.eq (local.get $rh) (local.get $bh)))))
        (then
          (local.set $rh (i32.sub (i32.sub (local.get $rh) (local.get $bh))
                                  (i32.lt_u (local.get $rl) (local.get $bl))))
          (local.set $rl (i32.sub (local.get $rl) (local.get $bl)))
          ;; q was just doubled: its low bit is free
          (local.set $ql (i32.add (local.get $ql) (i32.const 1)))))
      (br_if $bits (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $ql) (local.get $qh) (local.get $rl) (local.get $rh))

  (func (export "div_u64") (param $al i32) (param $ah i32) (param $bl i32) (param $bh i32)
    (result i32 i32)
    (call $divmod64_u (local.get $al) (local.get $ah) (local.get $bl) (local.get $bh))
    (drop)
    (drop))

  (func (export "rem_u64") (param $al i32) (param $ah i32) (param $bl i32) (param $bh i32)
    (result i32 i32)
    (call $divmod64_u (local.get $al) (local.get $ah) (local.get $bl) (local.get $bh))
    (local.set $bh)
    (local.set $bl)
    (drop)
    (drop)
    (local.get $bl) (local.get $bh))

  (func (export "div_s64") (param $al i32) (param $ah i32) (param $bl i32) (param $bh i32)
    (result i32 i32)
    (local $ql i32) (local $qh i32) (local $al2 i32) (local $ah2 i32)
    (if (i32.eq (i32.add (i32.eqz (local.get $bl)) (i32.eqz (local.get $bh))) (i32.const 2))
      (then (call $trap_div_zero)))
    ;; i64::MIN / -1
    (if (i32.eq (i32.add (i32.eqz (local.get $al)) (i32.eq (local.get $ah) (i32.const 0x80000000)))
                (i32.const 2))
      (then
        (if (i32.eq (i32.add (i32.eq (local.get $bl) (i32.const -1))
                             (i32.eq (local.get $bh) (i32.const -1)))
                    (i32.const 2))
          (then (call $trap_overflow)))))
    (call $abs64 (local.get $al) (local.get $ah))
    (local.set $ah2)
    (local.set $al2)
    (call $abs64 (local.get $bl) (local.get $bh))
    (local.set $qh)
    (local.set $ql)
    (call $divmod64_u (local.get $al2) (local.get $ah2) (local.get $ql) (local.get $qh))
    (drop)
    (drop)
    (local.set $qh)
    (local.set $ql)
    (if (i32.ne (i32.lt_s (local.get $ah) (i32.const 0)) (i32.lt_s (local.get $bh) (i32.const 0)))
      (then (return (call $neg64 (local.get $ql) (local.get $qh)))))
    (local.get $ql) (local.get $qh))

  (func (export "rem_s64") (param $al i32) (param $ah i32) (param $bl i32) (param $bh i32)
    (result i32 i32)
    (local $rl i32) (local $rh i32) (local $al2 i32) (local $ah2 i32)
    (call $abs64 (local.get $al) (local.get $ah))
    (local.set $ah2)
    (local.set $al2)
    (call $abs64 (local.get $bl) (local.get $bh))
    (local.set $rh)
    (local.set $rl)
    (call $divmod64_u (local.get $al2) (local.get $ah2) (local.get $rl) (local.get $rh))
    (local.set $rh)
    (local.set $rl)
    (drop)
    (drop)
    (if (i32.lt_s (local.get $ah) (i32.const 0))
      (then (return (call $neg64 (local.get $rl) (local.get $rh)))))
    (local.get $rl) (local.get $rh))

  (func $mod64 (param $n i32) (result i32)
    (i32.and (local.get $n) (i32.const 63)))

  ;; Shifts by n in 1..=63 (callers handle 0): the word that moves across
  ;; the boundary contributes bits the other word's shift left empty.
  (func $shl64_by (param $al i32) (param $ah i32) (param $n i32) (result i32 i32)
    (if (i32.ge_u (local.get $n) (i32.const 32))
      (then (return (i32.const 0)
                    (i32.shl (local.get $al) (i32.sub (local.get $n) (i32.const 32))))))
    (i32.shl (local.get $al) (local.get $n))
    (i32.add (i32.shl (local.get $ah) (local.get $n))
             (i32.shr_u (local.get $al) (i32.sub (i32.const 32) (local.get $n)))))

  (func $shr_u64_by (param $al i32) (param $ah i32) (param $n i32) (result i32 i32)
    (if (i32.ge_u (local.get $n) (i32.const 32))
      (then (return (i32.shr_u (local.get $ah) (i32.sub (local.get $n) (i32.const 32)))
                    (i32.const 0))))
    (i32.add (i32.shr_u (local.get $al) (local.get $n))
             (i32.shl (local.get $ah) (i32.sub (i32.const 32) (local.get $n))))
    (i32.shr_u (local.get $ah) (local.get $n)))

  (func (export "shl64") (param $al i32) (param $ah i32) (param $n i32) (param $nh i32)
    (result i32 i32)
    (local.set $n (call $mod64 (local.get $n)))
    (if (i32.eqz (local.get $n)) (then (return (local.get $al) (local.get $ah))))
    (call $shl64_by (local.get $al) (local.get $ah) (local.get $n)))

  (func (export "shr_u64") (param $al i32) (param $ah i32) (param $n i32) (param $nh i32)
    (result i32 i32)
    (local.set $n (call $mod64 (local.get $n)))
    (if (i32.eqz (local.get $n)) (then (return (local.get $al) (local.get $ah))))
    (call $shr_u64_by (local.get $al) (local.get $ah) (local.get $n)))

  (func (export "shr_s64") (param $al i32) (param $ah i32) (param $n i32) (param $nh i32)
    (result i32 i32)
    (local.set $n (call $mod64 (local.get $n)))
    (if (i32.eqz (local.get $n)) (then (return (local.get $al) (local.get $ah))))
    (if (i32.ge_u (local.get $n) (i32.const 32))
      (then (return (i32.shr_s (local.get $ah) (i32.sub (local.get $n) (i32.const 32)))
                    (i32.shr_s (local.get $ah) (i32.const 31)))))
    (i32.add (i32.shr_u (local.get $al) (local.get $n))
             (i32.shl (local.get $ah) (i32.sub (i32.const 32) (local.get $n))))
    (i32.shr_s (local.get $ah) (local.get $n)))

  ;; rotl(x, n) = (x << n) | (x >> (64 - n)); the two parts share no bits.
  (func $rotl64 (export "rotl64") (param $al i32) (param $ah i32) (param $n i32) (param $nh i32)
    (result i32 i32)
    (local $ll i32) (local $lh i32) (local $rl i32) (local $rh i32)
    (local.set $n (call $mod64 (local.get $n)))
    (if (i32.eqz (local.get $n)) (then (return (local.get $al) (local.get $ah))))
    (call $shl64_by (local.get $al) (local.get $ah) (local.get $n))
    (local.set $lh)
    (local.set $ll)
    (call $shr_u64_by (local.get $al) (local.get $ah) (i32.sub (i32.const 64) (local.get $n)))
    (local.set $rh)
    (local.set $rl)
    (i32.add (local.get $ll) (local.get $rl))
    (i32.add (local.get $lh) (local.get $rh)))

  (func (export "rotr64") (param $al i32) (param $ah i32) (param $n i32) (param $nh i32)
    (result i32 i32)
    (call $rotl64 (local.get $al) (local.get $ah)
      (i32.sub (i32.const 64) (call $mod64 (local.get $n))) (i32.const 0)))

  (func (export "clz64") (param $lo i32) (param $hi i32) (result i32 i32)
    (if (i32.eqz (local.get $hi))
      (then (return (i32.add (i32.const 32) (i32.clz (local.get $lo))) (i32.const 0))))
    (i32.clz (local.get $hi)) (i32.const 0))

  (func (export "ctz64") (param $lo i32) (param $hi i32) (result i32 i32)
    (if (i32.eqz (local.get $lo))
      (then (return (i32.add (i32.const 32) (i32.ctz (local.get $hi))) (i32.const 0))))
    (i32.ctz (local.get $lo)) (i32.const 0))

  (func (export "popcnt64") (param $lo i32) (param $hi i32) (result i32 i32)
    (i32.add (i32.popcnt (local.get $lo)) (i32.popcnt (local.get $hi))) (i32.const 0))

  (func (export "eq64") (param $al i32) (param $ah i32) (param $bl i32) (param $bh i32)
    (result i32)
    (i32.eq (i32.add (i32.eq (local.get $al) (local.get $bl)) (i32.eq (local.get $ah) (local.get $bh)))
            (i32.const 2)))

  (func (export "ne64") (param $al i32) (param $ah i32) (param $bl i32) (param $bh i32)
    (result i32)
    (i32.ne (i32.add (i32.eq (local.get $al) (local.get $bl)) (i32.eq (local.get $ah) (local.get $bh)))
            (i32.const 2)))

  ;; Orderings: the high words decide unless they are equal.
  (func $lt_u64 (export "lt_u64") (param $al i32) (param $ah i32) (param $bl i32) (param $bh i32)
    (result i32)
    (select (i32.lt_u (local.get $al) (local.get $bl))
            (i32.lt_u (local.get $ah) (local.get $bh))
            (i32.eq (local.get $ah) (local.get $bh))))

  (func $lt_s64 (export "lt_s64") (param $al i32) (param $ah i32) (param $bl i32) (param $bh i32)
    (result i32)
    (select (i32.lt_u (local.get $al) (local.get $bl))
            (i32.lt_s (local.get $ah) (local.get $bh))
            (i32.eq (local.get $ah) (local.get $bh))))

  (func (export "gt_u64") (param $al i32) (param $ah i32) (param $bl i32) (param $bh i32)
    (result i32)
    (call $lt_u64 (local.get $bl) (local.get $bh) (local.get $al) (local.get $ah)))

  (func (export "gt_s64") (param $al i32) (param $ah i32) (param $bl i32) (param $bh i32)
    (result i32)
    (call $lt_s64 (local.get $bl) (local.get $bh) (local.get $al) (local.get $ah)))

  (func (export "le_u64") (param $al i32) (param $ah i32) (param $bl i32) (param $bh i32)
    (result i32)
    (i32.eqz (call $lt_u64 (local.get $bl) (local.get $bh) (local.get $al) (local.get $ah))))

  (func (export "le_s64") (param $al i32) (param $ah i32) (param $bl i32) (param $bh i32)
    (result i32)
    (i32.eqz (call $lt_s64 (local.get $bl) (local.get $bh) (local.get $al) (local.get $ah))))

  (func (export "ge_u64") (param $al i32) (param $ah i32) (param $bl i32) (param $bh i32)
    (result i32)
    (i32.eqz (call $lt_u64 (local.get $al) (local.get $ah) (local.get $bl) (local.get $bh))))

  (func (export "ge_s64") (param $al i32) (param $ah i32) (param $bl i32) (param $bh i32)
    (result i32)
    (i32.eqz (call $lt_s64 (local.get $al) (local.get $ah) (local.get $bl) (local.get $bh))))
)

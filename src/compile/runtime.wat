;; hullvm's runtime: the operations the machine lacks, written with its ops
;; only (add, sub, mul, div_u, and, or, xor, shifts, clz, comparisons,
;; branches, locals, byte loads and stores).
;;
;; The compiler lowers `i32.div_s`, `i64.mul`, ... into calls to these exports.
;; Helpers may use each other's operations (`i32.rem_s` inside a helper is
;; itself lowered to a call of `rem_s`). Imports from "hullvm" named `trap_*`
;; become jumps to the program's trap exits. The memory here is a private
;; scratch area that the compiler relocates above the program's own memory.
;;
;; Bits are read from the top: `x < 0` (signed) is bit 31, `x + x` shifts
;; left by one.
(module
  (import "hullvm" "trap_integer_divide_by_zero" (func $trap_div_zero))
  (import "hullvm" "trap_integer_overflow" (func $trap_overflow))
  (memory 1)

  ;; Signed division on magnitudes, the sign applied after; abs and neg are
  ;; written out in place (a call costs more than their few instructions).
  ;; The overflow, i32::MIN / -1, is screened by b first.
  (func (export "div_s") (param $a i32) (param $b i32) (result i32)
    (local $sign i32)
    (if (i32.eqz (local.get $b)) (then (call $trap_div_zero)))
    (if (i32.eq (local.get $b) (i32.const -1))
      (then (if (i32.eq (local.get $a) (i32.const 0x80000000)) (then (call $trap_overflow)))))
    ;; its top bit: the quotient's sign
    (local.set $sign (i32.xor (local.get $a) (local.get $b)))
    (if (i32.lt_s (local.get $a) (i32.const 0))
      (then (local.set $a (i32.sub (i32.const 0) (local.get $a)))))
    (if (i32.lt_s (local.get $b) (i32.const 0))
      (then (local.set $b (i32.sub (i32.const 0) (local.get $b)))))
    (local.set $a (i32.div_u (local.get $a) (local.get $b)))
    (if (i32.lt_s (local.get $sign) (i32.const 0))
      (then (return (i32.sub (i32.const 0) (local.get $a)))))
    (local.get $a))

  ;; The remainder takes a's sign.
  (func (export "rem_s") (param $a i32) (param $b i32) (result i32)
    (local $sign i32)
    (local.set $sign (local.get $a))
    (if (i32.lt_s (local.get $a) (i32.const 0))
      (then (local.set $a (i32.sub (i32.const 0) (local.get $a)))))
    (if (i32.lt_s (local.get $b) (i32.const 0))
      (then (local.set $b (i32.sub (i32.const 0) (local.get $b)))))
    (local.set $a (i32.rem_u (local.get $a) (local.get $b)))
    (if (i32.lt_s (local.get $sign) (i32.const 0))
      (then (return (i32.sub (i32.const 0) (local.get $a)))))
    (local.get $a))

  ;; The bits below the lowest set one are the mask ~a & (a - 1), whose bit
  ;; length is the count (all 32 for a = 0).
  (func (export "ctz") (param $a i32) (result i32)
    (i32.sub (i32.const 32)
             (i32.clz (i32.and (i32.xor (local.get $a) (i32.const -1))
                               (i32.sub (local.get $a) (i32.const 1))))))

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

  ;; The full 64-bit product of two u32s from the products of their 16-bit
  ;; halves: the low word is x * y itself; the high word adds the high
  ;; halves' product, the middle products' high halves, and the carry out
  ;; of the low word (at most 3 * 2^16 before its shift, so nothing
  ;; overflows).
  (func $mul_wide_u (param $x i32) (param $y i32) (result i32 i32)
    (local $x0 i32) (local $x1 i32) (local $y0 i32) (local $y1 i32)
    (local $p01 i32) (local $p10 i32)
    (local.set $x0 (i32.and (local.get $x) (i32.const 0xffff)))
    (local.set $x1 (i32.shr_u (local.get $x) (i32.const 16)))
    (local.set $y0 (i32.and (local.get $y) (i32.const 0xffff)))
    (local.set $y1 (i32.shr_u (local.get $y) (i32.const 16)))
    (local.set $p01 (i32.mul (local.get $x0) (local.get $y1)))
    (local.set $p10 (i32.mul (local.get $x1) (local.get $y0)))
    (i32.mul (local.get $x) (local.get $y))
    (i32.add
      (i32.add (i32.mul (local.get $x1) (local.get $y1))
               (i32.add (i32.shr_u (local.get $p01) (i32.const 16))
                        (i32.shr_u (local.get $p10) (i32.const 16))))
      (i32.shr_u
        (i32.add (i32.shr_u (i32.mul (local.get $x0) (local.get $y0)) (i32.const 16))
                 (i32.add (i32.and (local.get $p01) (i32.const 0xffff))
                          (i32.and (local.get $p10) (i32.const 0xffff))))
        (i32.const 16))))

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

  ;; (u1:u0) / v for u1 < v and v's top bit set: the quotient (Hacker's
  ;; Delight's divlu after its normalisation). Each of the two 16-bit
  ;; quotient digits is the machine's division of the top words by v's top
  ;; half, too large by at most 2, and corrected.
  (func $divlu_normal (param $u1 i32) (param $u0 i32) (param $v i32) (result i32)
    (local $vn1 i32) (local $vn0 i32) (local $un1 i32) (local $un0 i32) (local $un21 i32)
    (local $q1 i32) (local $q0 i32) (local $rhat i32)
    (local.set $vn1 (i32.shr_u (local.get $v) (i32.const 16)))
    (local.set $vn0 (i32.and (local.get $v) (i32.const 0xffff)))
    (local.set $un1 (i32.shr_u (local.get $u0) (i32.const 16)))
    (local.set $un0 (i32.and (local.get $u0) (i32.const 0xffff)))
    (local.set $q1 (i32.div_u (local.get $u1) (local.get $vn1)))
    (local.set $rhat (i32.sub (local.get $u1) (i32.mul (local.get $q1) (local.get $vn1))))
    (block $high_digit
      (loop $high_again
        (br_if $high_digit
          (i32.eqz (i32.or (i32.ge_u (local.get $q1) (i32.const 0x10000))
                           (i32.gt_u (i32.mul (local.get $q1) (local.get $vn0))
                                     (i32.or (i32.shl (local.get $rhat) (i32.const 16))
                                             (local.get $un1))))))
        (local.set $q1 (i32.sub (local.get $q1) (i32.const 1)))
        (local.set $rhat (i32.add (local.get $rhat) (local.get $vn1)))
        (br_if $high_again (i32.lt_u (local.get $rhat) (i32.const 0x10000)))))
    (local.set $un21
      (i32.sub (i32.or (i32.shl (local.get $u1) (i32.const 16)) (local.get $un1))
               (i32.mul (local.get $q1) (local.get $v))))
    (local.set $q0 (i32.div_u (local.get $un21) (local.get $vn1)))
    (local.set $rhat (i32.sub (local.get $un21) (i32.mul (local.get $q0) (local.get $vn1))))
    (block $low_digit
      (loop $low_again
        (br_if $low_digit
          (i32.eqz (i32.or (i32.ge_u (local.get $q0) (i32.const 0x10000))
                           (i32.gt_u (i32.mul (local.get $q0) (local.get $vn0))
                                     (i32.or (i32.shl (local.get $rhat) (i32.const 16))
                                             (local.get $un0))))))
        (local.set $q0 (i32.sub (local.get $q0) (i32.const 1)))
        (local.set $rhat (i32.add (local.get $rhat) (local.get $vn1)))
        (br_if $low_again (i32.lt_u (local.get $rhat) (i32.const 0x10000)))))
    (i32.or (i32.shl (local.get $q1) (i32.const 16)) (local.get $q0)))

  ;; (u1:u0) / v for u1 < v: quotient and remainder. v is shifted until its
  ;; top bit is set and u with it; the remainder is the low word of u - q v
  ;; (it fits one word), shifted back.
  (func $divlu (param $u1 i32) (param $u0 i32) (param $v i32) (result i32 i32)
    (local $s i32) (local $q i32)
    (local.set $s (i32.clz (local.get $v)))
    (local.set $v (i32.shl (local.get $v) (local.get $s)))
    ;; the bits u0 gives u1 (none when s = 0, where the shift would be 32)
    (local.set $u1
      (i32.or (i32.shl (local.get $u1) (local.get $s))
              (i32.and (i32.shr_u (local.get $u0) (i32.sub (i32.const 32) (local.get $s)))
                       (i32.shr_s (i32.sub (i32.const 0) (local.get $s)) (i32.const 31)))))
    (local.set $u0 (i32.shl (local.get $u0) (local.get $s)))
    (local.tee $q (call $divlu_normal (local.get $u1) (local.get $u0) (local.get $v)))
    (i32.shr_u (i32.sub (local.get $u0) (i32.mul (local.get $q) (local.get $v)))
               (local.get $s)))

  ;; Unsigned division; returns quotient and remainder (four words). A
  ;; divisor of one word takes two divlu steps; a wider one leaves a
  ;; one-word quotient, estimated from the top words of a / 2 and b
  ;; shifted left until its top bit is set, and corrected once
  ;; (Hacker's Delight's divlu64).
  (func $divmod64_u (param $al i32) (param $ah i32) (param $bl i32) (param $bh i32)
    (result i32 i32 i32 i32)
    (local $q i32) (local $qh i32) (local $r i32) (local $n i32)
    (local $pl i32) (local $ph i32) (local $rl i32) (local $rh i32)
    (if (i32.eq (i32.add (i32.eqz (local.get $bl)) (i32.eqz (local.get $bh))) (i32.const 2))
      (then (call $trap_div_zero)))
    (if (i32.eqz (local.get $bh))
      (then
        (local.set $qh (i32.div_u (local.get $ah) (local.get $bl)))
        (call $divlu (i32.sub (local.get $ah) (i32.mul (local.get $qh) (local.get $bl)))
                     (local.get $al) (local.get $bl))
        (local.set $r)
        (local.set $q)
        (return (local.get $q) (local.get $qh) (local.get $r) (i32.const 0))))
    (local.set $n (i32.clz (local.get $bh)))
    (call $divlu_normal
      (i32.shr_u (local.get $ah) (i32.const 1))
      (i32.or (i32.shr_u (local.get $al) (i32.const 1)) (i32.shl (local.get $ah) (i32.const 31)))
      ;; b's top word once shifted left by n: its top bit is set
      (i32.or (i32.shl (local.get $bh) (local.get $n))
              (i32.and (i32.shr_u (local.get $bl) (i32.sub (i32.const 32) (local.get $n)))
                       (i32.shr_s (i32.sub (i32.const 0) (local.get $n)) (i32.const 31)))))
    (local.set $q)
    (local.set $q (i32.shr_u (local.get $q) (i32.sub (i32.const 31) (local.get $n))))
    (if (local.get $q) (then (local.set $q (i32.sub (local.get $q) (i32.const 1)))))
    ;; r = a - q b, then one more b if it fits
    (call $mul_wide_u (local.get $q) (local.get $bl))
    (local.set $ph)
    (local.set $pl)
    (local.set $ph (i32.add (local.get $ph) (i32.mul (local.get $q) (local.get $bh))))
    (local.set $rl (i32.sub (local.get $al) (local.get $pl)))
    (local.set $rh (i32.sub (i32.sub (local.get $ah) (local.get $ph))
                            (i32.lt_u (local.get $al) (local.get $pl))))
    (if (select (i32.ge_u (local.get $rl) (local.get $bl))
                (i32.gt_u (local.get $rh) (local.get $bh))
                (i32.eq (local.get $rh) (local.get $bh)))
      (then
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (local.set $rh (i32.sub (i32.sub (local.get $rh) (local.get $bh))
                                (i32.lt_u (local.get $rl) (local.get $bl))))
        (local.set $rl (i32.sub (local.get $rl) (local.get $bl)))))
    (local.get $q) (i32.const 0) (local.get $rl) (local.get $rh))

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

  ;; The divisions of magnitudes, their signs applied after (abs and neg
  ;; written out in place: a call costs more than their few instructions).
  ;; i64::MIN / -1, the one quotient that does not fit, is screened by b's
  ;; high word first, cheap for most b; a zero b traps in divmod64_u.
  (func (export "div_s64") (param $al i32) (param $ah i32) (param $bl i32) (param $bh i32)
    (result i32 i32)
    (local $sign i32)
    (if (i32.eq (local.get $bh) (i32.const -1))
      (then
        (if (i32.eq (i32.add (i32.add (i32.eq (local.get $bl) (i32.const -1))
                                      (i32.eqz (local.get $al)))
                             (i32.eq (local.get $ah) (i32.const 0x80000000)))
                    (i32.const 3))
          (then (call $trap_overflow)))))
    ;; its top bit: the quotient's sign
    (local.set $sign (i32.xor (local.get $ah) (local.get $bh)))
    (if (i32.lt_s (local.get $ah) (i32.const 0))
      (then
        (local.set $ah (i32.sub (i32.sub (i32.const 0) (local.get $ah))
                                (i32.ne (local.get $al) (i32.const 0))))
        (local.set $al (i32.sub (i32.const 0) (local.get $al)))))
    (if (i32.lt_s (local.get $bh) (i32.const 0))
      (then
        (local.set $bh (i32.sub (i32.sub (i32.const 0) (local.get $bh))
                                (i32.ne (local.get $bl) (i32.const 0))))
        (local.set $bl (i32.sub (i32.const 0) (local.get $bl)))))
    (call $divmod64_u (local.get $al) (local.get $ah) (local.get $bl) (local.get $bh))
    (drop)
    (drop)
    (local.set $ah)
    (local.set $al)
    (if (i32.lt_s (local.get $sign) (i32.const 0))
      (then (return (call $neg64 (local.get $al) (local.get $ah)))))
    (local.get $al) (local.get $ah))

  (func (export "rem_s64") (param $al i32) (param $ah i32) (param $bl i32) (param $bh i32)
    (result i32 i32)
    (local $sign i32)
    ;; the remainder takes a's sign
    (local.set $sign (local.get $ah))
    (if (i32.lt_s (local.get $ah) (i32.const 0))
      (then
        (local.set $ah (i32.sub (i32.sub (i32.const 0) (local.get $ah))
                                (i32.ne (local.get $al) (i32.const 0))))
        (local.set $al (i32.sub (i32.const 0) (local.get $al)))))
    (if (i32.lt_s (local.get $bh) (i32.const 0))
      (then
        (local.set $bh (i32.sub (i32.sub (i32.const 0) (local.get $bh))
                                (i32.ne (local.get $bl) (i32.const 0))))
        (local.set $bl (i32.sub (i32.const 0) (local.get $bl)))))
    (call $divmod64_u (local.get $al) (local.get $ah) (local.get $bl) (local.get $bh))
    (local.set $ah)
    (local.set $al)
    (drop)
    (drop)
    (if (i32.lt_s (local.get $sign) (i32.const 0))
      (then (return (call $neg64 (local.get $al) (local.get $ah)))))
    (local.get $al) (local.get $ah))

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

  (func (export "ctz64") (param $lo i32) (param $hi i32) (result i32 i32)
    (if (i32.eqz (local.get $lo))
      (then (return (i32.add (i32.const 32) (i32.ctz (local.get $hi))) (i32.const 0))))
    (i32.ctz (local.get $lo)) (i32.const 0))

  (func (export "popcnt64") (param $lo i32) (param $hi i32) (result i32 i32)
    (i32.add (i32.popcnt (local.get $lo)) (i32.popcnt (local.get $hi))) (i32.const 0))
)

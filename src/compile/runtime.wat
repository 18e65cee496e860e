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

  ;; ---------------------------------------------------------------------------
  ;; Bit operations through memory and lookup tables. The tables live in the
  ;; runtime's memory (offsets below, see src/compile/bits.rs, which writes the
  ;; `init_*` functions); each group is written on its first use, when its
  ;; flag byte is still 0, so a program pays for the tables it uses only.
  ;;
  ;;   0 .. 8     scratch (a shift count's low byte)
  ;;   8 .. 12    flags: bitwise, count, shift, mul
  ;;   16 .. 28   operand words a (16), b (20), a result (24)
  ;;   32 .. 40   shl: zero word, the value (loads below it shift left by bytes)
  ;;   40 .. 48   shr_u: the value, zero word (loads above it shift right)
  ;;   48 .. 56   shr_s: the value, its sign word
  ;;   56 .. 64   rotl/rotr: the value twice
  ;;   64 .. 80   shl64: zero words, the value
  ;;   80 .. 96   shr_u64: the value, zero words
  ;;   96 .. 112  shr_s64: the value, its sign words
  ;;   128 .. 144 rotl64/rotr64: the value twice
  ;;   160 .. 192 mul: d * a for d = 0..3 at 164 + 8d, zero words between
  ;;   204 .. 224 mul_wide_u (below): zero word, the middle sum, x, y
  ;;   256 ..     tables of 256 bytes, indexed by a byte (bits.rs)

  ;; a & b byte by byte, each byte as two nibble pairs: the table at
  ;; 1024/1280 holds (x & y) << 4 / x & y at 16x + y; the tables at
  ;; 256/512/768/6912 split a byte into x & 0xf0, x >> 4, (x & 15) << 4,
  ;; x & 15. (Declared locals cost a zeroing each call: params are reused.)
  (func $and (export "and") (param $a i32) (param $b i32) (result i32)
    (block $ready
      (br_if $ready (i32.load8_u offset=8 (i32.const 0)))
      (call $init_bitwise))
    (i32.store offset=16 (i32.const 0) (local.get $a))
    (i32.store offset=20 (i32.const 0) (local.get $b))
    (i32.store8 offset=24 (i32.const 0)
      (i32.add
        (i32.load8_u offset=1024
          (i32.add
            (i32.load8_u offset=256 (local.tee $a (i32.load8_u offset=16 (i32.const 0))))
            (i32.load8_u offset=512 (local.tee $b (i32.load8_u offset=20 (i32.const 0))))))
        (i32.load8_u offset=1280
          (i32.add (i32.load8_u offset=6912 (local.get $a))
                   (i32.load8_u offset=768 (local.get $b))))))
    (i32.store8 offset=25 (i32.const 0)
      (i32.add
        (i32.load8_u offset=1024
          (i32.add
            (i32.load8_u offset=256 (local.tee $a (i32.load8_u offset=17 (i32.const 0))))
            (i32.load8_u offset=512 (local.tee $b (i32.load8_u offset=21 (i32.const 0))))))
        (i32.load8_u offset=1280
          (i32.add (i32.load8_u offset=6912 (local.get $a))
                   (i32.load8_u offset=768 (local.get $b))))))
    (i32.store8 offset=26 (i32.const 0)
      (i32.add
        (i32.load8_u offset=1024
          (i32.add
            (i32.load8_u offset=256 (local.tee $a (i32.load8_u offset=18 (i32.const 0))))
            (i32.load8_u offset=512 (local.tee $b (i32.load8_u offset=22 (i32.const 0))))))
        (i32.load8_u offset=1280
          (i32.add (i32.load8_u offset=6912 (local.get $a))
                   (i32.load8_u offset=768 (local.get $b))))))
    (i32.store8 offset=27 (i32.const 0)
      (i32.add
        (i32.load8_u offset=1024
          (i32.add
            (i32.load8_u offset=256 (local.tee $a (i32.load8_u offset=19 (i32.const 0))))
            (i32.load8_u offset=512 (local.tee $b (i32.load8_u offset=23 (i32.const 0))))))
        (i32.load8_u offset=1280
          (i32.add (i32.load8_u offset=6912 (local.get $a))
                   (i32.load8_u offset=768 (local.get $b))))))
    (i32.load offset=24 (i32.const 0)))

  ;; a + b = (a ^ b) + 2 (a & b) = (a | b) + (a & b)
  (func (export "or") (param $a i32) (param $b i32) (result i32)
    (i32.sub (i32.add (local.get $a) (local.get $b))
             (call $and (local.get $a) (local.get $b))))

  (func (export "xor") (param $a i32) (param $b i32) (result i32)
    (local $r i32)
    (i32.sub (i32.add (local.get $a) (local.get $b))
             (i32.add (local.tee $r (call $and (local.get $a) (local.get $b)))
                      (local.get $r))))

  (func (export "popcnt") (param $a i32) (result i32)
    (block $ready
      (br_if $ready (i32.load8_u offset=9 (i32.const 0)))
      (call $init_count))
    (i32.store offset=16 (i32.const 0) (local.get $a))
    (i32.add
      (i32.add (i32.load8_u offset=1536 (i32.load8_u offset=16 (i32.const 0)))
               (i32.load8_u offset=1536 (i32.load8_u offset=17 (i32.const 0))))
      (i32.add (i32.load8_u offset=1536 (i32.load8_u offset=18 (i32.const 0)))
               (i32.load8_u offset=1536 (i32.load8_u offset=19 (i32.const 0))))))

  ;; The first non-zero byte from the top decides; the table says 8 for 0.
  (func (export "clz") (param $a i32) (result i32)
    (block $ready
      (br_if $ready (i32.load8_u offset=9 (i32.const 0)))
      (call $init_count))
    (i32.store offset=16 (i32.const 0) (local.get $a))
    (if (local.tee $a (i32.load8_u offset=19 (i32.const 0)))
      (then (return (i32.load8_u offset=1792 (local.get $a)))))
    (if (local.tee $a (i32.load8_u offset=18 (i32.const 0)))
      (then (return (i32.add (i32.const 8) (i32.load8_u offset=1792 (local.get $a))))))
    (if (local.tee $a (i32.load8_u offset=17 (i32.const 0)))
      (then (return (i32.add (i32.const 16) (i32.load8_u offset=1792 (local.get $a))))))
    (i32.add (i32.const 24) (i32.load8_u offset=1792 (i32.load8_u offset=16 (i32.const 0)))))

  ;; The first non-zero byte from the bottom decides; the table says 8 for 0.
  (func (export "ctz") (param $a i32) (result i32)
    (block $ready
      (br_if $ready (i32.load8_u offset=9 (i32.const 0)))
      (call $init_count))
    (i32.store offset=16 (i32.const 0) (local.get $a))
    (if (local.tee $a (i32.load8_u offset=16 (i32.const 0)))
      (then (return (i32.load8_u offset=2048 (local.get $a)))))
    (if (local.tee $a (i32.load8_u offset=17 (i32.const 0)))
      (then (return (i32.add (i32.const 8) (i32.load8_u offset=2048 (local.get $a))))))
    (if (local.tee $a (i32.load8_u offset=18 (i32.const 0)))
      (then (return (i32.add (i32.const 16) (i32.load8_u offset=2048 (local.get $a))))))
    (i32.add (i32.const 24) (i32.load8_u offset=2048 (i32.load8_u offset=19 (i32.const 0)))))

  ;; Shifts by n & 31 = 8k + r: whole bytes by loading the stored value at a
  ;; byte offset (zeros, sign or a second copy beside it), then the r residual
  ;; bits in one of eight straight-line leaves chosen by the bits of r:
  ;; doublings, and for right shifts and rotations the bits that cross a byte
  ;; boundary from the table x >> j (rows j = 1..7).
  (func (export "shl") (param $a i32) (param $n i32) (result i32)
    (block $ready
      (br_if $ready (i32.load8_u offset=10 (i32.const 0)))
      (call $init_shift))
    (i32.store offset=36 (i32.const 0) (local.get $a))
    (i32.store8 (i32.const 0) (local.get $n))
    (local.set $n (i32.load8_u (i32.const 0)))
    ;; a << 8k: the word k bytes below, where zeros come in
    (local.set $a (i32.load offset=32 (i32.load8_u offset=2304 (local.get $n))))
    (block $r0_8
      (br_if $r0_8 (i32.load8_u offset=2816 (local.get $n)))
      (block $r0_4
        (br_if $r0_4 (i32.load8_u offset=3072 (local.get $n)))
        (block $r0_2
          (br_if $r0_2 (i32.load8_u offset=3328 (local.get $n)))
          (return (local.get $a)))
        (return (i32.add (local.get $a) (local.get $a))))
      (block $r2_2
        (br_if $r2_2 (i32.load8_u offset=3328 (local.get $n)))
        (return (i32.add (local.tee $a (i32.add (local.get $a) (local.get $a))) (local.get $a))))
      (return (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.get $a) (local.get $a))) (local.get $a))) (local.get $a))))
    (block $r4_4
      (br_if $r4_4 (i32.load8_u offset=3072 (local.get $n)))
      (block $r4_2
        (br_if $r4_2 (i32.load8_u offset=3328 (local.get $n)))
        (return (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.get $a) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))))
      (return (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.get $a) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))))
    (block $r6_2
      (br_if $r6_2 (i32.load8_u offset=3328 (local.get $n)))
      (return (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.get $a) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))))
    (return (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.get $a) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))))

  ;; (a >> 8k) >> r = ((a >> 8k + 8) << (8 - r)) + (byte k of a) >> r
  (func (export "shr_u") (param $a i32) (param $n i32) (result i32)
    (block $ready
      (br_if $ready (i32.load8_u offset=10 (i32.const 0)))
      (call $init_shift))
    (i32.store offset=40 (i32.const 0) (local.get $a))
    (i32.store8 (i32.const 0) (local.get $n))
    (local.set $n (i32.load8_u (i32.const 0)))
    (block $r0_8
      (br_if $r0_8 (i32.load8_u offset=2816 (local.get $n)))
      (block $r0_4
        (br_if $r0_4 (i32.load8_u offset=3072 (local.get $n)))
        (block $r0_2
          (br_if $r0_2 (i32.load8_u offset=3328 (local.get $n)))
          (return (i32.load offset=40 (i32.load8_u offset=2560 (local.get $n)))))
        (return (i32.add (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.load offset=41 (i32.load8_u offset=2560 (local.get $n)))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a)) (i32.load8_u offset=3584 (i32.load8_u offset=40 (i32.load8_u offset=2560 (local.get $n)))))))
      (block $r2_2
        (br_if $r2_2 (i32.load8_u offset=3328 (local.get $n)))
        (return (i32.add (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.load offset=41 (i32.load8_u offset=2560 (local.get $n)))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a)) (i32.load8_u offset=3840 (i32.load8_u offset=40 (i32.load8_u offset=2560 (local.get $n)))))))
      (return (i32.add (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.load offset=41 (i32.load8_u offset=2560 (local.get $n)))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a)) (i32.load8_u offset=4096 (i32.load8_u offset=40 (i32.load8_u offset=2560 (local.get $n)))))))
    (block $r4_4
      (br_if $r4_4 (i32.load8_u offset=3072 (local.get $n)))
      (block $r4_2
        (br_if $r4_2 (i32.load8_u offset=3328 (local.get $n)))
        (return (i32.add (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.load offset=41 (i32.load8_u offset=2560 (local.get $n)))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a)) (i32.load8_u offset=4352 (i32.load8_u offset=40 (i32.load8_u offset=2560 (local.get $n)))))))
      (return (i32.add (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.load offset=41 (i32.load8_u offset=2560 (local.get $n)))) (local.get $a))) (local.get $a))) (local.get $a)) (i32.load8_u offset=4608 (i32.load8_u offset=40 (i32.load8_u offset=2560 (local.get $n)))))))
    (block $r6_2
      (br_if $r6_2 (i32.load8_u offset=3328 (local.get $n)))
      (return (i32.add (i32.add (local.tee $a (i32.add (local.tee $a (i32.load offset=41 (i32.load8_u offset=2560 (local.get $n)))) (local.get $a))) (local.get $a)) (i32.load8_u offset=4864 (i32.load8_u offset=40 (i32.load8_u offset=2560 (local.get $n)))))))
    (return (i32.add (i32.add (local.tee $a (i32.load offset=41 (i32.load8_u offset=2560 (local.get $n)))) (local.get $a)) (i32.load8_u offset=5120 (i32.load8_u offset=40 (i32.load8_u offset=2560 (local.get $n)))))))

  ;; (a >> 8k) >> r = ((a >> 8k + 8) << (8 - r)) + (byte k of a) >> r
  (func (export "shr_s") (param $a i32) (param $n i32) (result i32)
    (block $ready
      (br_if $ready (i32.load8_u offset=10 (i32.const 0)))
      (call $init_shift))
    (i32.store offset=48 (i32.const 0) (local.get $a))
    (i32.store offset=52 (i32.const 0) (i32.sub (i32.const 0) (i32.lt_s (local.get $a) (i32.const 0))))
    (i32.store8 (i32.const 0) (local.get $n))
    (local.set $n (i32.load8_u (i32.const 0)))
    (block $r0_8
      (br_if $r0_8 (i32.load8_u offset=2816 (local.get $n)))
      (block $r0_4
        (br_if $r0_4 (i32.load8_u offset=3072 (local.get $n)))
        (block $r0_2
          (br_if $r0_2 (i32.load8_u offset=3328 (local.get $n)))
          (return (i32.load offset=48 (i32.load8_u offset=2560 (local.get $n)))))
        (return (i32.add (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.load offset=49 (i32.load8_u offset=2560 (local.get $n)))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a)) (i32.load8_u offset=3584 (i32.load8_u offset=48 (i32.load8_u offset=2560 (local.get $n)))))))
      (block $r2_2
        (br_if $r2_2 (i32.load8_u offset=3328 (local.get $n)))
        (return (i32.add (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.load offset=49 (i32.load8_u offset=2560 (local.get $n)))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a)) (i32.load8_u offset=3840 (i32.load8_u offset=48 (i32.load8_u offset=2560 (local.get $n)))))))
      (return (i32.add (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.load offset=49 (i32.load8_u offset=2560 (local.get $n)))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a)) (i32.load8_u offset=4096 (i32.load8_u offset=48 (i32.load8_u offset=2560 (local.get $n)))))))
    (block $r4_4
      (br_if $r4_4 (i32.load8_u offset=3072 (local.get $n)))
      (block $r4_2
        (br_if $r4_2 (i32.load8_u offset=3328 (local.get $n)))
        (return (i32.add (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.load offset=49 (i32.load8_u offset=2560 (local.get $n)))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a)) (i32.load8_u offset=4352 (i32.load8_u offset=48 (i32.load8_u offset=2560 (local.get $n)))))))
      (return (i32.add (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.load offset=49 (i32.load8_u offset=2560 (local.get $n)))) (local.get $a))) (local.get $a))) (local.get $a)) (i32.load8_u offset=4608 (i32.load8_u offset=48 (i32.load8_u offset=2560 (local.get $n)))))))
    (block $r6_2
      (br_if $r6_2 (i32.load8_u offset=3328 (local.get $n)))
      (return (i32.add (i32.add (local.tee $a (i32.add (local.tee $a (i32.load offset=49 (i32.load8_u offset=2560 (local.get $n)))) (local.get $a))) (local.get $a)) (i32.load8_u offset=4864 (i32.load8_u offset=48 (i32.load8_u offset=2560 (local.get $n)))))))
    (return (i32.add (i32.add (local.tee $a (i32.load offset=49 (i32.load8_u offset=2560 (local.get $n)))) (local.get $a)) (i32.load8_u offset=5120 (i32.load8_u offset=48 (i32.load8_u offset=2560 (local.get $n)))))))

  ;; rotl by 8k: the word k bytes below the second copy; by r: (x << r) +
  ;; (top byte of x) >> (8 - r). rotr(a, n) = rotl(a, -n).
  (func (export "rotl") (param $a i32) (param $n i32) (result i32)
    (block $ready
      (br_if $ready (i32.load8_u offset=10 (i32.const 0)))
      (call $init_shift))
    (i32.store offset=56 (i32.const 0) (local.get $a))
    (i32.store offset=60 (i32.const 0) (local.get $a))
    (i32.store8 (i32.const 0) (local.get $n))
    (local.set $n (i32.load8_u (i32.const 0)))
    (block $r0_8
      (br_if $r0_8 (i32.load8_u offset=2816 (local.get $n)))
      (block $r0_4
        (br_if $r0_4 (i32.load8_u offset=3072 (local.get $n)))
        (block $r0_2
          (br_if $r0_2 (i32.load8_u offset=3328 (local.get $n)))
          (return (i32.load offset=56 (i32.load8_u offset=2304 (local.get $n)))))
        (return (i32.add (i32.add (local.tee $a (i32.load offset=56 (i32.load8_u offset=2304 (local.get $n)))) (local.get $a)) (i32.load8_u offset=5120 (i32.load8_u offset=59 (i32.load8_u offset=2304 (local.get $n)))))))
      (block $r2_2
        (br_if $r2_2 (i32.load8_u offset=3328 (local.get $n)))
        (return (i32.add (i32.add (local.tee $a (i32.add (local.tee $a (i32.load offset=56 (i32.load8_u offset=2304 (local.get $n)))) (local.get $a))) (local.get $a)) (i32.load8_u offset=4864 (i32.load8_u offset=59 (i32.load8_u offset=2304 (local.get $n)))))))
      (return (i32.add (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.load offset=56 (i32.load8_u offset=2304 (local.get $n)))) (local.get $a))) (local.get $a))) (local.get $a)) (i32.load8_u offset=4608 (i32.load8_u offset=59 (i32.load8_u offset=2304 (local.get $n)))))))
    (block $r4_4
      (br_if $r4_4 (i32.load8_u offset=3072 (local.get $n)))
      (block $r4_2
        (br_if $r4_2 (i32.load8_u offset=3328 (local.get $n)))
        (return (i32.add (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.load offset=56 (i32.load8_u offset=2304 (local.get $n)))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a)) (i32.load8_u offset=4352 (i32.load8_u offset=59 (i32.load8_u offset=2304 (local.get $n)))))))
      (return (i32.add (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.load offset=56 (i32.load8_u offset=2304 (local.get $n)))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a)) (i32.load8_u offset=4096 (i32.load8_u offset=59 (i32.load8_u offset=2304 (local.get $n)))))))
    (block $r6_2
      (br_if $r6_2 (i32.load8_u offset=3328 (local.get $n)))
      (return (i32.add (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.load offset=56 (i32.load8_u offset=2304 (local.get $n)))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a)) (i32.load8_u offset=3840 (i32.load8_u offset=59 (i32.load8_u offset=2304 (local.get $n)))))))
    (return (i32.add (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.load offset=56 (i32.load8_u offset=2304 (local.get $n)))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a)) (i32.load8_u offset=3584 (i32.load8_u offset=59 (i32.load8_u offset=2304 (local.get $n)))))))

  ;; rotl by 8k: the word k bytes below the second copy; by r: (x << r) +
  ;; (top byte of x) >> (8 - r). rotr(a, n) = rotl(a, -n).
  (func (export "rotr") (param $a i32) (param $n i32) (result i32)
    (block $ready
      (br_if $ready (i32.load8_u offset=10 (i32.const 0)))
      (call $init_shift))
    (i32.store offset=56 (i32.const 0) (local.get $a))
    (i32.store offset=60 (i32.const 0) (local.get $a))
    (i32.store8 (i32.const 0) (i32.sub (i32.const 0) (local.get $n)))
    (local.set $n (i32.load8_u (i32.const 0)))
    (block $r0_8
      (br_if $r0_8 (i32.load8_u offset=2816 (local.get $n)))
      (block $r0_4
        (br_if $r0_4 (i32.load8_u offset=3072 (local.get $n)))
        (block $r0_2
          (br_if $r0_2 (i32.load8_u offset=3328 (local.get $n)))
          (return (i32.load offset=56 (i32.load8_u offset=2304 (local.get $n)))))
        (return (i32.add (i32.add (local.tee $a (i32.load offset=56 (i32.load8_u offset=2304 (local.get $n)))) (local.get $a)) (i32.load8_u offset=5120 (i32.load8_u offset=59 (i32.load8_u offset=2304 (local.get $n)))))))
      (block $r2_2
        (br_if $r2_2 (i32.load8_u offset=3328 (local.get $n)))
        (return (i32.add (i32.add (local.tee $a (i32.add (local.tee $a (i32.load offset=56 (i32.load8_u offset=2304 (local.get $n)))) (local.get $a))) (local.get $a)) (i32.load8_u offset=4864 (i32.load8_u offset=59 (i32.load8_u offset=2304 (local.get $n)))))))
      (return (i32.add (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.load offset=56 (i32.load8_u offset=2304 (local.get $n)))) (local.get $a))) (local.get $a))) (local.get $a)) (i32.load8_u offset=4608 (i32.load8_u offset=59 (i32.load8_u offset=2304 (local.get $n)))))))
    (block $r4_4
      (br_if $r4_4 (i32.load8_u offset=3072 (local.get $n)))
      (block $r4_2
        (br_if $r4_2 (i32.load8_u offset=3328 (local.get $n)))
        (return (i32.add (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.load offset=56 (i32.load8_u offset=2304 (local.get $n)))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a)) (i32.load8_u offset=4352 (i32.load8_u offset=59 (i32.load8_u offset=2304 (local.get $n)))))))
      (return (i32.add (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.load offset=56 (i32.load8_u offset=2304 (local.get $n)))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a)) (i32.load8_u offset=4096 (i32.load8_u offset=59 (i32.load8_u offset=2304 (local.get $n)))))))
    (block $r6_2
      (br_if $r6_2 (i32.load8_u offset=3328 (local.get $n)))
      (return (i32.add (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.load offset=56 (i32.load8_u offset=2304 (local.get $n)))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a)) (i32.load8_u offset=3840 (i32.load8_u offset=59 (i32.load8_u offset=2304 (local.get $n)))))))
    (return (i32.add (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.add (local.tee $a (i32.load offset=56 (i32.load8_u offset=2304 (local.get $n)))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a))) (local.get $a)) (i32.load8_u offset=3584 (i32.load8_u offset=59 (i32.load8_u offset=2304 (local.get $n)))))))

  ;; a * b = sum over the base-4 digits d of b's bytes j (digit k of a byte
  ;; weighs 4^k) of (d * a) << 8j, read from a table of d * a (d = 0..3)
  ;; with a zero word below each entry; the table at 5376 + 256k holds
  ;; 8 * digit k. Horner over k. When b fits 16 bits (a small factor, or
  ;; the halves mul_wide_u multiplies) only its two low bytes count.
  (func $mul (export "mul") (param $a i32) (param $b i32) (result i32)
    (local $w i32)
    (block $ready
      (br_if $ready (i32.load8_u offset=11 (i32.const 0)))
      (call $init_mul))
    (i32.store offset=16 (i32.const 0) (local.get $b))
    (i32.store offset=172 (i32.const 0) (local.get $a))
    (i32.store offset=180 (i32.const 0) (local.tee $b (i32.add (local.get $a) (local.get $a))))
    (i32.store offset=188 (i32.const 0) (i32.add (local.get $b) (local.get $a)))
    (local.set $a (i32.load8_u offset=16 (i32.const 0)))
    (local.set $b (i32.load8_u offset=17 (i32.const 0)))
    (block $short
      (br_if $short (i32.eqz (i32.load16_u offset=18 (i32.const 0))))
      (return (i32.add (i32.add (local.tee $w (i32.add (local.tee $w (i32.add (i32.add (local.tee $w (i32.add (local.tee $w (i32.add (i32.add (local.tee $w (i32.add (local.tee $w (i32.add (i32.add (i32.load offset=164 (i32.load8_u offset=6144 (local.get $a))) (i32.load offset=163 (i32.load8_u offset=6144 (local.get $b)))) (i32.add (i32.load offset=162 (i32.load8_u offset=6144 (i32.load8_u offset=18 (i32.const 0)))) (i32.load offset=161 (i32.load8_u offset=6144 (i32.load8_u offset=19 (i32.const 0))))))) (local.get $w))) (local.get $w))
      (i32.add (i32.add (i32.load offset=164 (i32.load8_u offset=5888 (local.get $a))) (i32.load offset=163 (i32.load8_u offset=5888 (local.get $b)))) (i32.add (i32.load offset=162 (i32.load8_u offset=5888 (i32.load8_u offset=18 (i32.const 0)))) (i32.load offset=161 (i32.load8_u offset=5888 (i32.load8_u offset=19 (i32.const 0)))))))) (local.get $w))) (local.get $w))
      (i32.add (i32.add (i32.load offset=164 (i32.load8_u offset=5632 (local.get $a))) (i32.load offset=163 (i32.load8_u offset=5632 (local.get $b)))) (i32.add (i32.load offset=162 (i32.load8_u offset=5632 (i32.load8_u offset=18 (i32.const 0)))) (i32.load offset=161 (i32.load8_u offset=5632 (i32.load8_u offset=19 (i32.const 0)))))))) (local.get $w))) (local.get $w))
      (i32.add (i32.add (i32.load offset=164 (i32.load8_u offset=5376 (local.get $a))) (i32.load offset=163 (i32.load8_u offset=5376 (local.get $b)))) (i32.add (i32.load offset=162 (i32.load8_u offset=5376 (i32.load8_u offset=18 (i32.const 0)))) (i32.load offset=161 (i32.load8_u offset=5376 (i32.load8_u offset=19 (i32.const 0)))))))))
    (i32.add (i32.add (local.tee $w (i32.add (local.tee $w (i32.add (i32.add (local.tee $w (i32.add (local.tee $w (i32.add (i32.add (local.tee $w (i32.add (local.tee $w (i32.add (i32.load offset=164 (i32.load8_u offset=6144 (local.get $a))) (i32.load offset=163 (i32.load8_u offset=6144 (local.get $b))))) (local.get $w))) (local.get $w))
      (i32.add (i32.load offset=164 (i32.load8_u offset=5888 (local.get $a))) (i32.load offset=163 (i32.load8_u offset=5888 (local.get $b)))))) (local.get $w))) (local.get $w))
      (i32.add (i32.load offset=164 (i32.load8_u offset=5632 (local.get $a))) (i32.load offset=163 (i32.load8_u offset=5632 (local.get $b)))))) (local.get $w))) (local.get $w))
      (i32.add (i32.load offset=164 (i32.load8_u offset=5376 (local.get $a))) (i32.load offset=163 (i32.load8_u offset=5376 (local.get $b))))))

  ;; i64 shifts by n & 63 = 8k + r, the same way on a pair of words: k whole
  ;; bytes by loading both words at a byte offset, r bits per leaf.
  (func (export "shl64") (param $al i32) (param $ah i32) (param $n i32) (param $nh i32)
    (result i32 i32)
    (block $ready
      (br_if $ready (i32.load8_u offset=10 (i32.const 0)))
      (call $init_shift))
    ;; 64 .. 72 stay zero
    (i32.store offset=72 (i32.const 0) (local.get $al))
    (i32.store offset=76 (i32.const 0) (local.get $ah))
    (i32.store8 (i32.const 0) (local.get $n))
    (local.set $n (i32.load8_u (i32.const 0)))
    (local.set $ah (i32.load8_u offset=6400 (local.get $n)))
    (block $r0_8
      (br_if $r0_8 (i32.load8_u offset=2816 (local.get $n)))
      (block $r0_4
        (br_if $r0_4 (i32.load8_u offset=3072 (local.get $n)))
        (block $r0_2
          (br_if $r0_2 (i32.load8_u offset=3328 (local.get $n)))
          (return (i32.load offset=64 (local.get $ah)) (i32.load offset=68 (local.get $ah))))
        (return (i32.add (local.tee $al (i32.load offset=64 (local.get $ah))) (local.get $al))
        (i32.add (i32.add (local.tee $al (i32.load offset=68 (local.get $ah))) (local.get $al)) (i32.load8_u offset=5120 (i32.load8_u offset=67 (local.get $ah))))))
      (block $r2_2
        (br_if $r2_2 (i32.load8_u offset=3328 (local.get $n)))
        (return (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=64 (local.get $ah))) (local.get $al))) (local.get $al))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=68 (local.get $ah))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4864 (i32.load8_u offset=67 (local.get $ah))))))
      (return (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=64 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=68 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4608 (i32.load8_u offset=67 (local.get $ah))))))
    (block $r4_4
      (br_if $r4_4 (i32.load8_u offset=3072 (local.get $n)))
      (block $r4_2
        (br_if $r4_2 (i32.load8_u offset=3328 (local.get $n)))
        (return (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=64 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=68 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4352 (i32.load8_u offset=67 (local.get $ah))))))
      (return (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=64 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=68 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4096 (i32.load8_u offset=67 (local.get $ah))))))
    (block $r6_2
      (br_if $r6_2 (i32.load8_u offset=3328 (local.get $n)))
      (return (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=64 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=68 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=3840 (i32.load8_u offset=67 (local.get $ah))))))
    (return (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=64 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=68 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=3584 (i32.load8_u offset=67 (local.get $ah))))))

  (func (export "shr_u64") (param $al i32) (param $ah i32) (param $n i32) (param $nh i32)
    (result i32 i32)
    (block $ready
      (br_if $ready (i32.load8_u offset=10 (i32.const 0)))
      (call $init_shift))
    (i32.store offset=80 (i32.const 0) (local.get $al))
    (i32.store offset=84 (i32.const 0) (local.get $ah))
    (i32.store8 (i32.const 0) (local.get $n))
    (local.set $n (i32.load8_u (i32.const 0)))
    (local.set $ah (i32.load8_u offset=6656 (local.get $n)))
    (block $r0_8
      (br_if $r0_8 (i32.load8_u offset=2816 (local.get $n)))
      (block $r0_4
        (br_if $r0_4 (i32.load8_u offset=3072 (local.get $n)))
        (block $r0_2
          (br_if $r0_2 (i32.load8_u offset=3328 (local.get $n)))
          (return (i32.load offset=80 (local.get $ah)) (i32.load offset=84 (local.get $ah))))
        (return (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=81 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=3584 (i32.load8_u offset=80 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=85 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=3584 (i32.load8_u offset=84 (local.get $ah))))))
      (block $r2_2
        (br_if $r2_2 (i32.load8_u offset=3328 (local.get $n)))
        (return (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=81 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=3840 (i32.load8_u offset=80 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=85 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=3840 (i32.load8_u offset=84 (local.get $ah))))))
      (return (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=81 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4096 (i32.load8_u offset=80 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=85 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4096 (i32.load8_u offset=84 (local.get $ah))))))
    (block $r4_4
      (br_if $r4_4 (i32.load8_u offset=3072 (local.get $n)))
      (block $r4_2
        (br_if $r4_2 (i32.load8_u offset=3328 (local.get $n)))
        (return (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=81 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4352 (i32.load8_u offset=80 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=85 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4352 (i32.load8_u offset=84 (local.get $ah))))))
      (return (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=81 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4608 (i32.load8_u offset=80 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=85 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4608 (i32.load8_u offset=84 (local.get $ah))))))
    (block $r6_2
      (br_if $r6_2 (i32.load8_u offset=3328 (local.get $n)))
      (return (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=81 (local.get $ah))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4864 (i32.load8_u offset=80 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=85 (local.get $ah))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4864 (i32.load8_u offset=84 (local.get $ah))))))
    (return (i32.add (i32.add (local.tee $al (i32.load offset=81 (local.get $ah))) (local.get $al)) (i32.load8_u offset=5120 (i32.load8_u offset=80 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.load offset=85 (local.get $ah))) (local.get $al)) (i32.load8_u offset=5120 (i32.load8_u offset=84 (local.get $ah))))))

  (func (export "shr_s64") (param $al i32) (param $ah i32) (param $n i32) (param $nh i32)
    (result i32 i32)
    (block $ready
      (br_if $ready (i32.load8_u offset=10 (i32.const 0)))
      (call $init_shift))
    (i32.store offset=96 (i32.const 0) (local.get $al))
    (i32.store offset=100 (i32.const 0) (local.get $ah))
    (i32.store offset=104 (i32.const 0) (local.tee $nh (i32.sub (i32.const 0) (i32.lt_s (local.get $ah) (i32.const 0)))))
    (i32.store offset=108 (i32.const 0) (local.get $nh))
    (i32.store8 (i32.const 0) (local.get $n))
    (local.set $n (i32.load8_u (i32.const 0)))
    (local.set $ah (i32.load8_u offset=6656 (local.get $n)))
    (block $r0_8
      (br_if $r0_8 (i32.load8_u offset=2816 (local.get $n)))
      (block $r0_4
        (br_if $r0_4 (i32.load8_u offset=3072 (local.get $n)))
        (block $r0_2
          (br_if $r0_2 (i32.load8_u offset=3328 (local.get $n)))
          (return (i32.load offset=96 (local.get $ah)) (i32.load offset=100 (local.get $ah))))
        (return (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=97 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=3584 (i32.load8_u offset=96 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=101 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=3584 (i32.load8_u offset=100 (local.get $ah))))))
      (block $r2_2
        (br_if $r2_2 (i32.load8_u offset=3328 (local.get $n)))
        (return (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=97 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=3840 (i32.load8_u offset=96 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=101 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=3840 (i32.load8_u offset=100 (local.get $ah))))))
      (return (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=97 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4096 (i32.load8_u offset=96 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=101 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4096 (i32.load8_u offset=100 (local.get $ah))))))
    (block $r4_4
      (br_if $r4_4 (i32.load8_u offset=3072 (local.get $n)))
      (block $r4_2
        (br_if $r4_2 (i32.load8_u offset=3328 (local.get $n)))
        (return (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=97 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4352 (i32.load8_u offset=96 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=101 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4352 (i32.load8_u offset=100 (local.get $ah))))))
      (return (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=97 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4608 (i32.load8_u offset=96 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=101 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4608 (i32.load8_u offset=100 (local.get $ah))))))
    (block $r6_2
      (br_if $r6_2 (i32.load8_u offset=3328 (local.get $n)))
      (return (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=97 (local.get $ah))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4864 (i32.load8_u offset=96 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=101 (local.get $ah))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4864 (i32.load8_u offset=100 (local.get $ah))))))
    (return (i32.add (i32.add (local.tee $al (i32.load offset=97 (local.get $ah))) (local.get $al)) (i32.load8_u offset=5120 (i32.load8_u offset=96 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.load offset=101 (local.get $ah))) (local.get $al)) (i32.load8_u offset=5120 (i32.load8_u offset=100 (local.get $ah))))))

  (func (export "rotl64") (param $al i32) (param $ah i32) (param $n i32) (param $nh i32)
    (result i32 i32)
    (block $ready
      (br_if $ready (i32.load8_u offset=10 (i32.const 0)))
      (call $init_shift))
    (i32.store offset=128 (i32.const 0) (local.get $al))
    (i32.store offset=132 (i32.const 0) (local.get $ah))
    (i32.store offset=136 (i32.const 0) (local.get $al))
    (i32.store offset=140 (i32.const 0) (local.get $ah))
    (i32.store8 (i32.const 0) (local.get $n))
    (local.set $n (i32.load8_u (i32.const 0)))
    (local.set $ah (i32.load8_u offset=6400 (local.get $n)))
    (block $r0_8
      (br_if $r0_8 (i32.load8_u offset=2816 (local.get $n)))
      (block $r0_4
        (br_if $r0_4 (i32.load8_u offset=3072 (local.get $n)))
        (block $r0_2
          (br_if $r0_2 (i32.load8_u offset=3328 (local.get $n)))
          (return (i32.load offset=128 (local.get $ah)) (i32.load offset=132 (local.get $ah))))
        (return (i32.add (i32.add (local.tee $al (i32.load offset=128 (local.get $ah))) (local.get $al)) (i32.load8_u offset=5120 (i32.load8_u offset=135 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.load offset=132 (local.get $ah))) (local.get $al)) (i32.load8_u offset=5120 (i32.load8_u offset=131 (local.get $ah))))))
      (block $r2_2
        (br_if $r2_2 (i32.load8_u offset=3328 (local.get $n)))
        (return (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=128 (local.get $ah))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4864 (i32.load8_u offset=135 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=132 (local.get $ah))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4864 (i32.load8_u offset=131 (local.get $ah))))))
      (return (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=128 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4608 (i32.load8_u offset=135 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=132 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4608 (i32.load8_u offset=131 (local.get $ah))))))
    (block $r4_4
      (br_if $r4_4 (i32.load8_u offset=3072 (local.get $n)))
      (block $r4_2
        (br_if $r4_2 (i32.load8_u offset=3328 (local.get $n)))
        (return (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=128 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4352 (i32.load8_u offset=135 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=132 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4352 (i32.load8_u offset=131 (local.get $ah))))))
      (return (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=128 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4096 (i32.load8_u offset=135 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=132 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4096 (i32.load8_u offset=131 (local.get $ah))))))
    (block $r6_2
      (br_if $r6_2 (i32.load8_u offset=3328 (local.get $n)))
      (return (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=128 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=3840 (i32.load8_u offset=135 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=132 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=3840 (i32.load8_u offset=131 (local.get $ah))))))
    (return (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=128 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=3584 (i32.load8_u offset=135 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=132 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=3584 (i32.load8_u offset=131 (local.get $ah))))))

  (func (export "rotr64") (param $al i32) (param $ah i32) (param $n i32) (param $nh i32)
    (result i32 i32)
    (block $ready
      (br_if $ready (i32.load8_u offset=10 (i32.const 0)))
      (call $init_shift))
    (i32.store offset=128 (i32.const 0) (local.get $al))
    (i32.store offset=132 (i32.const 0) (local.get $ah))
    (i32.store offset=136 (i32.const 0) (local.get $al))
    (i32.store offset=140 (i32.const 0) (local.get $ah))
    (i32.store8 (i32.const 0) (i32.sub (i32.const 0) (local.get $n)))
    (local.set $n (i32.load8_u (i32.const 0)))
    (local.set $ah (i32.load8_u offset=6400 (local.get $n)))
    (block $r0_8
      (br_if $r0_8 (i32.load8_u offset=2816 (local.get $n)))
      (block $r0_4
        (br_if $r0_4 (i32.load8_u offset=3072 (local.get $n)))
        (block $r0_2
          (br_if $r0_2 (i32.load8_u offset=3328 (local.get $n)))
          (return (i32.load offset=128 (local.get $ah)) (i32.load offset=132 (local.get $ah))))
        (return (i32.add (i32.add (local.tee $al (i32.load offset=128 (local.get $ah))) (local.get $al)) (i32.load8_u offset=5120 (i32.load8_u offset=135 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.load offset=132 (local.get $ah))) (local.get $al)) (i32.load8_u offset=5120 (i32.load8_u offset=131 (local.get $ah))))))
      (block $r2_2
        (br_if $r2_2 (i32.load8_u offset=3328 (local.get $n)))
        (return (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=128 (local.get $ah))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4864 (i32.load8_u offset=135 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=132 (local.get $ah))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4864 (i32.load8_u offset=131 (local.get $ah))))))
      (return (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=128 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4608 (i32.load8_u offset=135 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=132 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4608 (i32.load8_u offset=131 (local.get $ah))))))
    (block $r4_4
      (br_if $r4_4 (i32.load8_u offset=3072 (local.get $n)))
      (block $r4_2
        (br_if $r4_2 (i32.load8_u offset=3328 (local.get $n)))
        (return (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=128 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4352 (i32.load8_u offset=135 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=132 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4352 (i32.load8_u offset=131 (local.get $ah))))))
      (return (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=128 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4096 (i32.load8_u offset=135 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=132 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=4096 (i32.load8_u offset=131 (local.get $ah))))))
    (block $r6_2
      (br_if $r6_2 (i32.load8_u offset=3328 (local.get $n)))
      (return (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=128 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=3840 (i32.load8_u offset=135 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=132 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=3840 (i32.load8_u offset=131 (local.get $ah))))))
    (return (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=128 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=3584 (i32.load8_u offset=135 (local.get $ah))))
        (i32.add (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.add (local.tee $al (i32.load offset=132 (local.get $ah))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al))) (local.get $al)) (i32.load8_u offset=3584 (i32.load8_u offset=131 (local.get $ah))))))

  ;; ---------------------------------------------------------------------------
  ;; i64: a value is two i32s, the low word first (deeper on the stack) and the
  ;; high word on top; helpers take (a_lo a_hi b_lo b_hi) and return (lo hi).
  ;; Where the bits of two words cannot overlap, `add` stands in for `or`,
  ;; which the runtime would otherwise pay for bit by bit.

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

  ;; The full 64-bit product of two u32s from the four products of their
  ;; 16-bit halves (each exact in 32 bits): x*y = p11 2^32 + (p01 + p10) 2^16
  ;; + p00. The middle sum is shifted by 16 through memory (zero word at
  ;; 204, the sum at 208); its carry out weighs 2^48.
  (func $mul_wide_u (param $x i32) (param $y i32) (result i32 i32)
    (local $mid i32)
    (i32.store offset=216 (i32.const 0) (local.get $x))
    (i32.store offset=220 (i32.const 0) (local.get $y))
    (local.set $x (i32.mul (i32.load16_u offset=216 (i32.const 0))
                           (i32.load16_u offset=222 (i32.const 0))))
    (local.set $mid (i32.add (local.get $x)
                             (i32.mul (i32.load16_u offset=218 (i32.const 0))
                                      (i32.load16_u offset=220 (i32.const 0)))))
    (local.set $y (i32.lt_u (local.get $mid) (local.get $x)))
    (i32.store offset=208 (i32.const 0) (local.get $mid))
    ;; low word: p00 + (mid << 16), in $mid; $x keeps p00 for the carry
    (local.tee $mid
      (i32.add (local.tee $x (i32.mul (i32.load16_u offset=216 (i32.const 0))
                                      (i32.load16_u offset=220 (i32.const 0))))
               (i32.load offset=206 (i32.const 0))))
    (i32.add
      (i32.add (i32.mul (i32.load16_u offset=218 (i32.const 0))
                        (i32.load16_u offset=222 (i32.const 0)))
               (i32.load16_u offset=210 (i32.const 0)))
      (i32.add (i32.lt_u (local.get $mid) (local.get $x))
               (select (i32.const 0x10000) (i32.const 0) (local.get $y)))))

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

  (func (export "and64") (param $al i32) (param $ah i32) (param $bl i32) (param $bh i32)
    (result i32 i32)
    (i32.and (local.get $al) (local.get $bl))
    (i32.and (local.get $ah) (local.get $bh)))

  (func (export "or64") (param $al i32) (param $ah i32) (param $bl i32) (param $bh i32)
    (result i32 i32)
    (i32.or (local.get $al) (local.get $bl))
    (i32.or (local.get $ah) (local.get $bh)))

  (func (export "xor64") (param $al i32) (param $ah i32) (param $bl i32) (param $bh i32)
    (result i32 i32)
    (i32.xor (local.get $al) (local.get $bl))
    (i32.xor (local.get $ah) (local.get $bh)))

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

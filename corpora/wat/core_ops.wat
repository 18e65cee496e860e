;; core_ops.wat - exercises every core (non-lowered) i32 op of the hullvm ISA.
;;
;; Input: a NUL-terminated string (the manifest uses "zA9~Hello, hullvm!").
;;   a = i32.load of input bytes 0..3, b = input byte 4, n = input byte 2 - '0'.
;; Output: one value per line, as 8 lowercase hex digits.
;;
;; Ops used: i32.const, local.get/set/tee, global.get/set, drop, select,
;; i32.load, load8_s/u, load16_s/u, i32.store, store8, store16, eqz, eq, ne,
;; lt_s/u, gt_s/u, le_s/u, ge_s/u, add, sub, block, loop, if/else, br, br_if,
;; br_table, return, call (recursive and 3-param), unreachable (never run).
;; $print_hex uses only core ops: it stores the value to memory, reads its
;; bytes back with load8_u and looks each byte up in a 512-byte hex table.
;;
;; Memory map: 0..3 print scratch, 16..31 test data, 32..47 store tests,
;; 256..767 hex table, 4096.. input.
(module
  (import "env" "output_byte" (func $out (param i32)))
  (memory (export "memory") 1)
  (global (export "__heap_base") i32 (i32.const 4096))
  (global $g (mut i32) (i32.const 0))
  (global $calls (mut i32) (i32.const 0))

  (data (i32.const 16) "\80\ff\7f\01\fe\ff\00\80\12\34\56\78\9a\bc\de\f0")
  (data (i32.const 256) "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")

  ;; print the byte stored at address $a as two hex digits
  (func $hex_byte (param $a i32)
    (local $t i32)
    (local.set $t (i32.load8_u (local.get $a)))
    (local.set $t (i32.add (local.get $t) (local.get $t)))
    (call $out (i32.load8_u offset=256 (local.get $t)))
    (call $out (i32.load8_u offset=257 (local.get $t))))

  ;; print $v as 8 hex digits and a newline
  (func $print_hex (param $v i32)
    (i32.store (i32.const 0) (local.get $v))
    (call $hex_byte (i32.const 3))
    (call $hex_byte (i32.const 2))
    (call $hex_byte (i32.const 1))
    (call $hex_byte (i32.const 0))
    (call $out (i32.const 10)))

  ;; all 11 comparisons of (x, y) packed into bits 10..0:
  ;; eqz(x) eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u
  (func $cmp (param $x i32) (param $y i32) (result i32)
    (local $r i32)
    (local.set $r (i32.eqz (local.get $x)))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.eq (local.get $x) (local.get $y))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.ne (local.get $x) (local.get $y))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.lt_s (local.get $x) (local.get $y))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.lt_u (local.get $x) (local.get $y))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.gt_s (local.get $x) (local.get $y))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.gt_u (local.get $x) (local.get $y))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.le_s (local.get $x) (local.get $y))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.le_u (local.get $x) (local.get $y))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.ge_s (local.get $x) (local.get $y))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.ge_u (local.get $x) (local.get $y))))
    (local.get $r))

  ;; print x + y and x - y
  (func $addsub (param $x i32) (param $y i32)
    (call $print_hex (i32.add (local.get $x) (local.get $y)))
    (call $print_hex (i32.sub (local.get $x) (local.get $y))))

  ;; recursive Fibonacci; counts its calls in $calls
  (func $fib (param $n i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else
        (i32.add
          (call $fib (i32.sub (local.get $n) (i32.const 1)))
          (call $fib (i32.sub (local.get $n) (i32.const 2)))))))

  ;; three params and a result: (x - y) + (z + z)
  (func $mix3 (param $x i32) (param $y i32) (param $z i32) (result i32)
    (i32.add
      (i32.sub (local.get $x) (local.get $y))
      (i32.add (local.get $z) (local.get $z))))

  ;; br_table dispatch: 0 -> 0x10, 1 -> 0x11, 2 -> 0x12, 3 -> 0x13, else 0x1f
  (func $classify (param $x i32) (result i32)
    (block $default
      (block $c3
        (block $c2
          (block $c1
            (block $c0
              (br_table $c0 $c1 $c2 $c3 $default (local.get $x)))
            (return (i32.const 0x10)))
          (return (i32.const 0x11)))
        (return (i32.const 0x12)))
      (return (i32.const 0x13)))
    (i32.const 0x1f))

  ;; signed max via if/else with a result
  (func $max_s (param $x i32) (param $y i32) (result i32)
    (if (result i32) (i32.gt_s (local.get $x) (local.get $y))
      (then (local.get $x))
      (else (local.get $y))))

  ;; index of the first byte == $ch in the string at $p, or -1 (return from a loop)
  (func $find (param $p i32) (param $ch i32) (result i32)
    (local $i i32) (local $c i32)
    (loop $l
      (local.set $c (i32.load8_u (i32.add (local.get $p) (local.get $i))))
      (if (i32.eq (local.get $c) (local.get $ch))
        (then (return (local.get $i))))
      (if (i32.eqz (local.get $c))
        (then (return (i32.const -1))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l))
    (unreachable))

  (func (export "compute") (param $p i32)
    (local $a i32) (local $b i32) (local $n i32) (local $i i32) (local $s i32)
    (local $r i32) (local $z i32)

    ;; ---- 1. constants (7 lines)
    (call $print_hex (i32.const 0))
    (call $print_hex (i32.const 1))
    (call $print_hex (i32.const -1))
    (call $print_hex (i32.const 0x7fffffff))
    (call $print_hex (i32.const 0x80000000))
    (call $print_hex (i32.const 0xff))
    (call $print_hex (i32.const 0x100))

    ;; ---- 2. locals, globals, drop, input loads (10 lines)
    (local.set $a (i32.load (local.get $p)))
    (call $print_hex (local.get $a))
    (call $print_hex (local.tee $b (i32.load8_u offset=4 (local.get $p))))
    (local.set $n (i32.sub (i32.load8_u offset=2 (local.get $p)) (i32.const 0x30)))
    (call $print_hex (local.get $n))
    (global.set $g (i32.add (local.get $a) (local.get $b)))
    (call $print_hex (global.get $g))
    (global.set $g (i32.sub (global.get $g) (i32.const 0x1000)))
    (call $print_hex (global.get $g))
    (call $print_hex (i32.load16_u offset=1 (local.get $p)))
    (call $print_hex (i32.load16_s offset=2 (local.get $p)))
    (call $print_hex (i32.load8_s offset=3 (local.get $p)))
    ;; drop: the value under the dropped one must survive
    local.get $a
    local.get $b
    drop
    call $print_hex
    (drop (i32.load (local.get $p)))
    ;; z = 0, computed from the input
    (local.set $z (i32.sub (local.get $b) (i32.const 0x48)))
    (call $print_hex (local.get $z))

    ;; ---- 3. data segment reads (15 lines)
    (call $print_hex (i32.load8_s (i32.const 16)))
    (call $print_hex (i32.load8_u (i32.const 16)))
    (call $print_hex (i32.load8_s (i32.const 18)))
    (call $print_hex (i32.load8_s (i32.const 17)))
    (call $print_hex (i32.load16_s (i32.const 16)))
    (call $print_hex (i32.load16_u (i32.const 16)))
    (call $print_hex (i32.load16_s (i32.const 18)))
    (call $print_hex (i32.load16_s (i32.const 20)))
    (call $print_hex (i32.load16_u (i32.const 22)))
    (call $print_hex (i32.load16_s (i32.const 22)))
    (call $print_hex (i32.load (i32.const 16)))
    (call $print_hex (i32.load (i32.const 24)))
    (call $print_hex (i32.load (i32.const 28)))
    (call $print_hex (i32.load (i32.const 17)))           ;; unaligned
    (call $print_hex (i32.load8_s (i32.sub (local.get $b) (i32.const 0x38))))  ;; address 16 from input

    ;; ---- 4. stores (9 lines)
    (i32.store (i32.const 32) (local.get $a))
    (call $print_hex (i32.load (i32.const 32)))
    (i32.store8 (i32.const 33) (i32.add (local.get $b) (i32.const 0x1200)))
    (call $print_hex (i32.load (i32.const 32)))
    (i32.store16 (i32.const 34) (i32.add (local.get $a) (i32.const 0x10000)))
    (call $print_hex (i32.load (i32.const 32)))
    (call $print_hex (i32.load8_s (i32.const 35)))
    (i32.store8 (i32.const 36) (i32.const -1))
    (i32.store16 (i32.const 38) (i32.sub (i32.const 0) (local.get $b)))
    (call $print_hex (i32.load (i32.const 36)))
    (call $print_hex (i32.load8_s (i32.const 36)))
    (call $print_hex (i32.load16_s (i32.const 38)))
    (call $print_hex (i32.load16_u (i32.const 38)))
    (i32.store offset=40 (local.get $z) (local.get $a))
    (call $print_hex (i32.load offset=8 (i32.const 32)))

    ;; ---- 5. comparisons through $cmp (16 lines)
    (call $print_hex (call $cmp (i32.const 0) (i32.const 0)))
    (call $print_hex (call $cmp (i32.const -1) (i32.const 1)))
    (call $print_hex (call $cmp (i32.const 1) (i32.const -1)))
    (call $print_hex (call $cmp (i32.const 0x7fffffff) (i32.const 0x80000000)))
    (call $print_hex (call $cmp (i32.const 0x80000000) (i32.const 0x7fffffff)))
    (call $print_hex (call $cmp (i32.const 0xff) (i32.const 0x100)))
    (call $print_hex (call $cmp (i32.const 0x100) (i32.const 0xff)))
    (call $print_hex (call $cmp (i32.const 0) (i32.const -1)))
    (call $print_hex (call $cmp (i32.const -1) (i32.const -1)))
    (call $print_hex (call $cmp (i32.const 0x80000000) (i32.const 0x80000000)))
    (call $print_hex (call $cmp (local.get $a) (local.get $b)))
    (call $print_hex (call $cmp (local.get $b) (local.get $a)))
    (call $print_hex (call $cmp (local.get $a) (local.get $a)))
    (call $print_hex (call $cmp (i32.sub (i32.const 0) (local.get $b)) (local.get $b)))
    (call $print_hex (call $cmp (local.get $b) (i32.sub (i32.const 0) (local.get $b))))
    (call $print_hex (call $cmp (local.get $z) (i32.const 0x80000000)))

    ;; ---- 6. comparisons with immediate operands, packed (2 lines)
    ;; constant-constant
    (local.set $r (i32.lt_s (i32.const -1) (i32.const 1)))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.lt_u (i32.const -1) (i32.const 1))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.gt_s (i32.const 0x80000000) (i32.const 0x7fffffff))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.gt_u (i32.const 0x80000000) (i32.const 0x7fffffff))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.le_s (i32.const 0xff) (i32.const 0x100))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.le_u (i32.const 0x100) (i32.const 0xff))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.ge_s (i32.const 0) (i32.const -1))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.ge_u (i32.const 0) (i32.const -1))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.eq (i32.const 0x7fffffff) (i32.const 0x7fffffff))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.ne (i32.const 0) (i32.const 0))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.eqz (i32.const 0))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.eqz (i32.const 0x80000000))))
    (call $print_hex (local.get $r))
    ;; variable-constant
    (local.set $r (i32.lt_s (local.get $a) (i32.const 0)))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.gt_u (local.get $a) (i32.const 0x7fffffff))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.ge_s (local.get $b) (i32.const 0x48))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.le_u (local.get $b) (i32.const 0x47))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.eq (local.get $b) (i32.const 72))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.ne (local.get $a) (i32.const -1))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.lt_u (i32.sub (i32.const 0) (local.get $b)) (local.get $b))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.gt_s (i32.sub (i32.const 0) (local.get $b)) (i32.const -100))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.le_s (i32.const 0x80000000) (local.get $z))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.ge_u (i32.const 0x80000000) (local.get $a))))
    (local.set $r (i32.add (i32.add (local.get $r) (local.get $r)) (i32.eqz (local.get $z))))
    (call $print_hex (local.get $r))

    ;; ---- 7. add/sub: wrap-around, carries and borrows across bytes (28 lines)
    (call $addsub (i32.const 0x7fffffff) (i32.const 1))
    (call $addsub (i32.const 0xffffffff) (i32.const 1))
    (call $addsub (i32.const 0x80000000) (i32.const 0x80000000))
    (call $addsub (i32.const 0x00ff00ff) (i32.const 0x00010001))
    (call $addsub (i32.const 0x00ffffff) (i32.const 1))
    (call $addsub (i32.const 0x0000ffff) (i32.const 0xffffffff))
    (call $addsub (i32.const 0x100) (i32.const 1))
    (call $addsub (i32.const 0x01000000) (i32.const 0xff))
    (call $addsub (i32.const 1) (i32.const 0x80000000))
    (call $addsub (local.get $a) (local.get $a))
    (call $addsub (local.get $a) (local.get $b))
    (call $addsub (local.get $b) (local.get $a))
    (call $addsub (local.get $a) (i32.const 0x81c6be87))
    (call $addsub (local.get $b) (i32.const 0x49))
    ;; immediate operands (6 lines)
    (call $print_hex (i32.add (i32.const 0xffffffff) (i32.const 0xffffffff)))
    (call $print_hex (i32.sub (i32.const 0x10000) (i32.const 1)))
    (call $print_hex (i32.sub (i32.const 0x7fffffff) (i32.const 0xffffffff)))
    (call $print_hex (i32.add (local.get $a) (i32.const 0x00c6bf00)))
    (call $print_hex (i32.sub (local.get $b) (i32.const 0x80000000)))
    (call $print_hex (i32.sub (i32.const 0) (local.get $a)))

    ;; ---- 8. select (4 lines)
    (call $print_hex (select (local.get $a) (local.get $b) (local.get $b)))
    (call $print_hex (select (local.get $a) (local.get $b) (i32.eqz (local.get $b))))
    (call $print_hex (select (i32.const 0x80000000) (i32.const -1) (i32.add (local.get $z) (i32.const 0x80000000))))
    (call $print_hex (select (i32.const 0xff) (i32.const 0x100) (local.get $z)))

    ;; ---- 9. loop/block/br/br_if: length and byte sum of the input (2 lines)
    (local.set $i (i32.const 0))
    (local.set $s (i32.const 0))
    (block $done
      (loop $l
        (local.set $r (i32.load8_u (i32.add (local.get $p) (local.get $i))))
        (br_if $done (i32.eqz (local.get $r)))
        (local.set $s (i32.add (local.get $s) (local.get $r)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (call $print_hex (local.get $i))
    (call $print_hex (local.get $s))
    ;; count down with a backward br_if: s = n + (n-1) + ... + 1 (1 line)
    (local.set $i (local.get $n))
    (local.set $s (i32.const 0))
    (loop $down
      (local.set $s (i32.add (local.get $s) (local.get $i)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $down (i32.ne (local.get $i) (i32.const 0))))
    (call $print_hex (local.get $s))

    ;; ---- 10. br_table (9 lines)
    (call $print_hex (call $classify (i32.const 0)))
    (call $print_hex (call $classify (i32.const 1)))
    (call $print_hex (call $classify (i32.const 2)))
    (call $print_hex (call $classify (i32.const 3)))
    (call $print_hex (call $classify (i32.const 4)))
    (call $print_hex (call $classify (i32.const -1)))
    (call $print_hex (call $classify (i32.const 0x80000000)))
    (call $print_hex (call $classify (i32.sub (local.get $b) (i32.const 0x46))))
    (call $print_hex (call $classify (local.get $z)))

    ;; ---- 11. if/else (5 lines)
    (call $print_hex (call $max_s (local.get $a) (i32.sub (i32.const 0) (local.get $a))))
    (call $print_hex (call $max_s (i32.const -1) (i32.const 1)))
    (call $print_hex (call $max_s (i32.const 0x80000000) (i32.const 0x7fffffff)))
    (local.set $r (i32.const 0x55))
    (if (local.get $z)
      (then (local.set $r (i32.const 0x66))))
    (call $print_hex (local.get $r))
    (if (local.get $b)
      (then (local.set $r (i32.add (local.get $r) (i32.const 0x100))))
      (else (local.set $r (i32.const 0))))
    (call $print_hex (local.get $r))
    ;; never taken: the input's byte 4 is not NUL
    (if (i32.eqz (local.get $b))
      (then unreachable))

    ;; ---- 12. return from a loop (3 lines)
    (call $print_hex (call $find (local.get $p) (i32.const 0x6c)))   ;; 'l'
    (call $print_hex (call $find (local.get $p) (i32.const 0x21)))   ;; '!'
    (call $print_hex (call $find (local.get $p) (i32.const 0x51)))   ;; 'Q'

    ;; ---- 13. recursion and a 3-param call (5 lines)
    (global.set $calls (i32.const 0))
    (call $print_hex (call $fib (local.get $n)))
    (call $print_hex (global.get $calls))
    (call $print_hex (call $mix3 (local.get $a) (local.get $b) (i32.const 0x100)))
    (call $print_hex (call $mix3 (i32.const 1) (i32.const 2) (i32.const 0x7fffffff)))
    (call $print_hex (call $mix3 (local.get $b) (local.get $n) (local.get $a)))

    (return)
  )
)

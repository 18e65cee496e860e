;; traps_overflow.wat - prints "a", then computes i32.div_s INT_MIN / -1,
;; which traps with "integer overflow" before "b" is printed.
;; Input "0": d = first byte - '0' = 0; the dividend is d + (INT_MIN read
;; from a data segment) and the divisor is d - 1.
(module
  (import "env" "output_byte" (func $out (param i32)))
  (memory (export "memory") 1)
  (global (export "__heap_base") i32 (i32.const 4096))
  (data (i32.const 16) "\00\00\00\80")                ;; 0x80000000
  (func (export "compute") (param $p i32)
    (local $d i32) (local $x i32) (local $y i32) (local $q i32)
    (local.set $d (i32.sub (i32.load8_u (local.get $p)) (i32.const 0x30)))
    (local.set $x (i32.add (local.get $d) (i32.load (i32.const 16))))
    (local.set $y (i32.sub (local.get $d) (i32.const 1)))
    (call $out (i32.const 0x61))                       ;; "a"
    (local.set $q (i32.div_s (local.get $x) (local.get $y)))
    (call $out (i32.const 0x62))                       ;; "b" (not reached)
    (call $out (local.get $q))))

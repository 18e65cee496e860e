;; traps_div_zero.wat - prints "a", then divides (i32.div_u) by a zero that
;; comes from the input (input "0": divisor = first byte - '0'), which traps
;; with "integer divide by zero" before "b" (and the quotient) are printed.
(module
  (import "env" "output_byte" (func $out (param i32)))
  (memory (export "memory") 1)
  (global (export "__heap_base") i32 (i32.const 4096))
  (func (export "compute") (param $p i32)
    (local $d i32) (local $q i32)
    (local.set $d (i32.sub (i32.load8_u (local.get $p)) (i32.const 0x30)))
    (call $out (i32.const 0x61))                       ;; "a"
    (local.set $q (i32.div_u (i32.const 100) (local.get $d)))
    (call $out (i32.const 0x62))                       ;; "b" (not reached)
    (call $out (i32.add (local.get $q) (i32.const 0x30)))))

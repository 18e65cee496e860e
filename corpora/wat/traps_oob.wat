;; traps_oob.wat - memory is 1 page (65536 bytes).  Prints "a", then does an
;; i32.load at 65530 + (first input byte - '0'); with input "4" that is 65534,
;; whose 4 bytes run past the end of memory, so it traps with "out of bounds
;; memory access" before "b" is printed.
(module
  (import "env" "output_byte" (func $out (param i32)))
  (memory (export "memory") 1)
  (global (export "__heap_base") i32 (i32.const 4096))
  (func (export "compute") (param $p i32)
    (local $addr i32) (local $v i32)
    (local.set $addr (i32.add (i32.const 65530)
                              (i32.sub (i32.load8_u (local.get $p)) (i32.const 0x30))))
    (call $out (i32.const 0x61))                       ;; "a"
    (local.set $v (i32.load (local.get $addr)))
    (call $out (i32.const 0x62))                       ;; "b" (not reached)
    (call $out (i32.add (local.get $v) (i32.const 0x30)))))

;; traps_unreachable.wat - no input (compute takes no parameter): prints "a",
;; then executes `unreachable`, which traps with "unreachable" before "b".
(module
  (import "env" "output_byte" (func $out (param i32)))
  (memory (export "memory") 1)
  (func (export "compute")
    (call $out (i32.const 0x61))                       ;; "a"
    unreachable
    (call $out (i32.const 0x62))))                     ;; "b" (not reached)

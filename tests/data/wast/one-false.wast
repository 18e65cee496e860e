;; A script with one false assertion (line 9): `hullvm wast` must report
;; that one failure, with its directive, and exit non-zero. The rest hold.
(module
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func (export "boom") (result i32) unreachable))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
(assert_return (invoke "add" (i32.const -1) (i32.const 1)) (i32.const 0))
(assert_return (invoke "add" (i32.const 2) (i32.const 2)) (i32.const 5))
(assert_trap (invoke "boom") "unreachable")
(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
(assert_return (invoke "add" (i32.const 7) (v128.const i32x4 1 0 0 0)) (i32.const 8))

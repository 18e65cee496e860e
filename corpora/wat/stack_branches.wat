;; stack_branches.wat - branches that carry values while other values sit
;; below them on the operand stack, blocks/ifs/loops with results, returns
;; from nested blocks, multi-value blocks and blocks/loops/ifs with params.
;;
;; Input "37": x = first byte - '0' (3), y = second byte - '0' (7).
;; Output: one value per line as 8 lowercase hex digits (see the comments
;; on each test for what it computes).  Written mostly in flat (unfolded)
;; form so the stack contents are explicit.
;;
;; Note: $t_br_junk has dead code after a `br` (an `i32.const` that is typed
;; against the polymorphic stack); everything else is reachable code.
(module
  (import "env" "output_byte" (func $out (param i32)))
  (memory (export "memory") 1)
  (global (export "__heap_base") i32 (i32.const 4096))

  (data (i32.const 256) "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")

  (func $hex_byte (param $a i32)
    (local $t i32)
    (local.set $t (i32.load8_u (local.get $a)))
    (local.set $t (i32.add (local.get $t) (local.get $t)))
    (call $out (i32.load8_u offset=256 (local.get $t)))
    (call $out (i32.load8_u offset=257 (local.get $t))))

  (func $print_hex (param $v i32)
    (i32.store (i32.const 0) (local.get $v))
    (call $hex_byte (i32.const 3))
    (call $hex_byte (i32.const 2))
    (call $hex_byte (i32.const 1))
    (call $hex_byte (i32.const 0))
    (call $out (i32.const 10)))

  ;; br 0 carries x+y out of a block that also holds x and y below it;
  ;; the block result is then added to a value below the block.
  ;; = 0x1000 + x + y
  (func $t_br_junk (param $x i32) (param $y i32) (result i32)
    i32.const 0x1000
    block (result i32)
      local.get $x
      local.get $y
      local.get $x
      local.get $y
      i32.add
      br 0
      i32.const 99          ;; dead code
    end
    i32.add)

  ;; br from an inner block straight out of the outer block, with extra
  ;; values in both frames.  = 0x100 + x
  (func $t_br_outer (param $x i32) (param $y i32) (result i32)
    block $outer (result i32)
      local.get $y
      block $inner (result i32)
        local.get $x
        i32.const 0x100
        local.get $x
        i32.add
        br $outer
      end
      i32.add
    end)

  ;; br_if with a value: taken -> 0x1000 (x below it is discarded);
  ;; not taken -> the value stays and is used: x + 0x1000 + 0x20000
  (func $t_br_if (param $x i32) (param $c i32) (result i32)
    block (result i32)
      local.get $x
      i32.const 0x1000
      local.get $c
      br_if 0
      i32.add
      i32.const 0x20000
      i32.add
    end)

  ;; br_table with a value and an extra value below it:
  ;; i = 0 -> v + 0x210, i = 1 -> v + 0x200, otherwise -> v
  (func $t_br_table (param $i i32) (param $v i32) (result i32)
    block $b0 (result i32)
      block $b1 (result i32)
        block $b2 (result i32)
          i32.const 0x5555
          local.get $v
          local.get $i
          br_table $b2 $b1 $b0
        end
        i32.const 0x10
        i32.add
      end
      i32.const 0x200
      i32.add
    end)

  ;; nested loops inside a block with a result.  acc = sum over i = 0..x-1,
  ;; j = 1..y of (i + j).  br_if to the outer loop drops the acc copy pushed
  ;; for the loop's result.  Normal exit: 0x7777 + (0x6666 - acc).  If acc
  ;; exceeds 1000 after an outer iteration, br $done carries acc out past
  ;; the extra values: 0x7777 + acc.
  (func $t_nested (param $x i32) (param $y i32) (result i32)
    (local $i i32) (local $j i32) (local $acc i32)
    i32.const 0x7777
    block $done (result i32)
      i32.const 0x6666
      loop $outer (result i32)
        i32.const 1
        local.set $j
        loop $inner
          local.get $acc
          local.get $i
          local.get $j
          i32.add
          i32.add
          local.set $acc
          local.get $j
          i32.const 1
          i32.add
          local.tee $j
          local.get $y
          i32.le_s
          br_if $inner
        end
        local.get $acc
        i32.const 1000
        i32.gt_s
        if
          local.get $i
          local.get $acc
          br $done
        end
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        local.get $acc
        local.get $i
        local.get $x
        i32.lt_s
        br_if $outer
      end
      i32.sub
    end
    i32.add)

  ;; if with a result, with a value below it: c != 0 -> v + 0x11, else v + 0x22
  (func $t_if (param $c i32) (param $v i32) (result i32)
    local.get $v
    local.get $c
    if (result i32)
      i32.const 0x11
    else
      i32.const 0x22
    end
    i32.add)

  ;; br out of an if's then-arm to the enclosing block with a value:
  ;; c != 0 -> v, else 0x433
  (func $t_if_br (param $c i32) (param $v i32) (result i32)
    block $b (result i32)
      local.get $c
      if (result i32)
        i32.const 0x999
        local.get $v
        br $b
      else
        i32.const 0x33
      end
      i32.const 0x400
      i32.add
    end)

  ;; if with a param: c != 0 -> v + 1, else v - 2
  (func $t_if_param (param $c i32) (param $v i32) (result i32)
    local.get $v
    local.get $c
    if (param i32) (result i32)
      i32.const 1
      i32.add
    else
      i32.const 2
      i32.sub
    end)

  ;; return from inside block/loop/block with extra values on the stack:
  ;; x > y (unsigned) -> x + 0x10000, else y + x + 0x20000
  (func $t_return (param $x i32) (param $y i32) (result i32)
    i32.const 0xaaaa
    block (result i32)
      i32.const 0xbbbb
      loop $l
        block
          local.get $x
          local.get $y
          i32.add
          local.get $x
          local.get $y
          i32.gt_u
          if
            i32.const 0xcccc
            local.get $x
            i32.const 0x10000
            i32.add
            return
          end
          i32.const 0xdddd
          drop
          i32.const 0x20000
          i32.add
          return
        end
      end
    end
    drop
    drop
    i32.const 0xeeee)

  ;; multi-value block falling through: x - y
  (func $t_mv (param $x i32) (param $y i32) (result i32)
    block (result i32 i32)
      local.get $x
      local.get $y
    end
    i32.sub)

  ;; br carrying two values out of a nested block, past extra values: y - x
  (func $t_mv_br (param $x i32) (param $y i32) (result i32)
    block $mv (result i32 i32)
      i32.const 0xeeee
      block
        i32.const 1
        local.get $y
        local.get $x
        br $mv
      end
      i32.const 5
    end
    i32.sub)

  ;; br_if carrying two values: c != 0 -> (x, y) leaves -> x - y;
  ;; else the values stay, are swapped through locals -> y - x
  (func $t_mv_br_if (param $x i32) (param $y i32) (param $c i32) (result i32)
    (local $a i32) (local $b i32)
    block (result i32 i32)
      i32.const 0x4444
      local.get $x
      local.get $y
      local.get $c
      br_if 0
      local.set $b
      local.set $a
      drop
      local.get $b
      local.get $a
    end
    i32.sub)

  ;; block with a param: x + 5
  (func $t_param (param $x i32) (result i32)
    local.get $x
    block (param i32) (result i32)
      i32.const 5
      i32.add
    end)

  ;; block with two params and a br carrying a value: 0x30 + (y - x)
  (func $t_param2 (param $x i32) (param $y i32) (result i32)
    i32.const 0x30
    local.get $y
    local.get $x
    block (param i32 i32) (result i32)
      i32.sub
      i32.const 0x111
      local.get $x
      br_if 0            ;; x != 0: discards y - x and yields 0x111
      drop
    end
    i32.add)

  ;; loop with a param: the counter rides on the stack through br_if.
  ;; acc = n + (n-1) + ... + 1; result = acc + 0 (the final counter)
  (func $t_loop_param (param $n i32) (result i32)
    (local $k i32) (local $acc i32)
    local.get $n
    loop $l (param i32) (result i32)
      local.tee $k
      local.get $acc
      i32.add
      local.set $acc
      local.get $k
      i32.const 1
      i32.sub
      local.tee $k
      local.get $k
      br_if $l
      local.get $acc
      i32.add
    end)

  (func (export "compute") (param $p i32)
    (local $x i32) (local $y i32) (local $z i32)
    (local.set $x (i32.sub (i32.load8_u (local.get $p)) (i32.const 0x30)))
    (local.set $y (i32.sub (i32.load8_u offset=1 (local.get $p)) (i32.const 0x30)))
    (local.set $z (i32.sub (local.get $x) (local.get $x)))   ;; 0 from the input

    (call $print_hex (call $t_br_junk (local.get $x) (local.get $y)))
    (call $print_hex (call $t_br_outer (local.get $x) (local.get $y)))
    (call $print_hex (call $t_br_if (local.get $x) (local.get $y)))
    (call $print_hex (call $t_br_if (local.get $x) (local.get $z)))
    (call $print_hex (call $t_br_table (local.get $z) (local.get $y)))
    (call $print_hex (call $t_br_table (i32.sub (local.get $x) (i32.const 2)) (local.get $y)))
    (call $print_hex (call $t_br_table (local.get $x) (local.get $y)))
    (call $print_hex (call $t_br_table (i32.const -1) (local.get $y)))
    (call $print_hex (call $t_nested (local.get $x) (local.get $y)))
    (call $print_hex (call $t_nested (i32.add (local.get $x) (i32.const 48)) (local.get $y)))
    (call $print_hex (call $t_if (local.get $y) (local.get $x)))
    (call $print_hex (call $t_if (local.get $z) (local.get $x)))
    (call $print_hex (call $t_if_br (local.get $y) (local.get $x)))
    (call $print_hex (call $t_if_br (local.get $z) (local.get $x)))
    (call $print_hex (call $t_if_param (local.get $y) (local.get $x)))
    (call $print_hex (call $t_if_param (local.get $z) (local.get $x)))
    (call $print_hex (call $t_return (local.get $x) (local.get $y)))
    (call $print_hex (call $t_return (local.get $y) (local.get $x)))
    (call $print_hex (call $t_mv (local.get $x) (local.get $y)))
    (call $print_hex (call $t_mv_br (local.get $x) (local.get $y)))
    (call $print_hex (call $t_mv_br_if (local.get $x) (local.get $y) (local.get $y)))
    (call $print_hex (call $t_mv_br_if (local.get $x) (local.get $y) (local.get $z)))
    (call $print_hex (call $t_param (local.get $x)))
    (call $print_hex (call $t_param2 (local.get $x) (local.get $y)))
    (call $print_hex (call $t_param2 (local.get $z) (local.get $y)))
    (call $print_hex (call $t_loop_param (local.get $y)))
  )
)

;; hullvm's WASI preview1 host for the transformer: the functions of
;; `host::WASI_FUNCTIONS`, written with core ops only. A module's import
;; `wasi_snapshot_preview1.NAME` compiles to a call of the export NAME
;; (`proc_exit` is no function here: it jumps to the entry's exit).
;;
;; Unlike runtime.wat's private scratch, the memory here is the user
;; module's own: the compiler compiles these functions' loads and stores
;; exactly as the module's (same addresses, same bounds checks), so a
;; pointer outside memory traps as the module's own access would.
;; `oracle::wasi` does the same on wasmi, in the same order; keep the two
;; in step.
(module
  (import "env" "output_byte" (func $out (param i32)))
  (import "hullvm" "user_memory" (memory 0))

  ;; fds 1 and 2 print every byte of every iovec, in order.
  (func (export "fd_write")
    (param $fd i32) (param $iovs i32) (param $count i32) (param $written i32)
    (result i32)
    (local $buf i32) (local $len i32) (local $total i32)
    (if (i32.gt_u (i32.sub (local.get $fd) (i32.const 1)) (i32.const 1))
      (then (return (i32.const 8))))                       ;; EBADF
    (block $done
      (loop $iovec
        (br_if $done (i32.eqz (local.get $count)))
        (local.set $buf (i32.load (local.get $iovs)))
        (local.set $len (i32.load offset=4 (local.get $iovs)))
        (local.set $total (i32.add (local.get $total) (local.get $len)))
        (block $written_all
          (loop $byte
            (br_if $written_all (i32.eqz (local.get $len)))
            (call $out (i32.load8_u (local.get $buf)))
            (local.set $buf (i32.add (local.get $buf) (i32.const 1)))
            (local.set $len (i32.sub (local.get $len) (i32.const 1)))
            (br $byte)))
        (local.set $iovs (i32.add (local.get $iovs) (i32.const 8)))
        (local.set $count (i32.sub (local.get $count) (i32.const 1)))
        (br $iovec)))
    (i32.store (local.get $written) (local.get $total))
    (i32.const 0))

  ;; stdin is empty: reading it gives end of file.
  (func (export "fd_read")
    (param $fd i32) (param $iovs i32) (param $count i32) (param $read i32)
    (result i32)
    (if (local.get $fd) (then (return (i32.const 8))))     ;; EBADF
    (i32.store (local.get $read) (i32.const 0))
    (i32.const 0))

  ;; fds 0..2: a character device (filetype 2) without seek or tell rights.
  (func (export "fd_fdstat_get") (param $fd i32) (param $stat i32) (result i32)
    (if (i32.gt_u (local.get $fd) (i32.const 2))
      (then (return (i32.const 8))))                       ;; EBADF
    (i32.store (local.get $stat) (i32.const 2))             ;; filetype, flags 0
    (i32.store offset=4 (local.get $stat) (i32.const 0))
    ;; rights_base: fd_read (1 << 1) for stdin, fd_write (1 << 6) otherwise
    (i32.store offset=8 (local.get $stat)
      (select (i32.const 2) (i32.const 64) (i32.eqz (local.get $fd))))
    (i32.store offset=12 (local.get $stat) (i32.const 0))
    (i32.store offset=16 (local.get $stat) (i32.const 0)) ;; rights_inheriting
    (i32.store offset=20 (local.get $stat) (i32.const 0))
    (i32.const 0))

  (func (export "fd_seek")
    (param $fd i32) (param $offset i64) (param $whence i32) (param $to i32)
    (result i32)
    (select (i32.const 70) (i32.const 8)                   ;; ESPIPE, EBADF
      (i32.le_u (local.get $fd) (i32.const 2))))

  (func (export "fd_close") (param $fd i32) (result i32)
    (select (i32.const 58) (i32.const 8)                   ;; ENOTSUP, EBADF
      (i32.le_u (local.get $fd) (i32.const 2))))

  ;; No preopened directories.
  (func (export "fd_prestat_get") (param $fd i32) (param $prestat i32) (result i32)
    (i32.const 8))
  (func (export "fd_prestat_dir_name")
    (param $fd i32) (param $path i32) (param $len i32) (result i32)
    (i32.const 8))

  ;; One argument: "program", NUL-terminated (host::WASI_ARGV0).
  (func (export "args_sizes_get") (param $argc i32) (param $size i32) (result i32)
    (i32.store (local.get $argc) (i32.const 1))
    (i32.store (local.get $size) (i32.const 8))
    (i32.const 0))
  (func (export "args_get") (param $argv i32) (param $buf i32) (result i32)
    (i32.store (local.get $argv) (local.get $buf))
    (i32.store (local.get $buf) (i32.const 0x676f7270))     ;; "prog"
    (i32.store offset=4 (local.get $buf) (i32.const 0x006d6172)) ;; "ram\0"
    (i32.const 0))

  ;; No environment variables.
  (func (export "environ_sizes_get") (param $count i32) (param $size i32) (result i32)
    (i32.store (local.get $count) (i32.const 0))
    (i32.store (local.get $size) (i32.const 0))
    (i32.const 0))
  (func (export "environ_get") (param $environ i32) (param $buf i32) (result i32)
    (i32.const 0)))

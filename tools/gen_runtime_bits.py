# Writes the "Bit operations through memory" section of src/compile/runtime.wat
# (and/or/xor, popcnt/clz/ctz, i32/i64 shifts and rotations, mul), whose
# straight-line leaves are too repetitive to keep by hand. Table offsets must
# match src/compile/bits.rs. Usage: python3 tools/gen_runtime_bits.py, then
# paste section.wat over that section (indented by two spaces).
# generates the bit-operation section of runtime.wat
HI16,HI,LO16,ANDH,AND=256,512,768,1024,1280
POP,CLZ8,CTZ8=1536,1792,2048
SHK,K,NB4,NB2,NB1=2304,2560,2816,3072,3328
K8O,K8,LO=6400,6656,6912
SHRT=3584-256   # row j (1..7) at SHRT+256*j
DIG=5376        # DIG_k at DIG+256*k, k=0..3
out=[]
w=out.append
def check(flag, init):
    return f"""    (block $ready
      (br_if $ready (i32.load8_u offset={flag} (i32.const 0)))
      (call ${init}))"""
def and_byte(i):
    return f"""(i32.add
        (i32.load8_u offset={ANDH}
          (i32.add
            (i32.load8_u offset={HI16} (local.tee $a (i32.load8_u offset={16+i} (i32.const 0))))
            (i32.load8_u offset={HI} (local.tee $b (i32.load8_u offset={20+i} (i32.const 0))))))
        (i32.load8_u offset={AND}
          (i32.add (i32.load8_u offset={LO} (local.get $a))
                   (i32.load8_u offset={LO16} (local.get $b)))))"""
w(""";; ---------------------------------------------------------------------------
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
""" + check(8, "init_bitwise") + """
    (i32.store offset=16 (i32.const 0) (local.get $a))
    (i32.store offset=20 (i32.const 0) (local.get $b))""")
for i in range(4):
    w(f"""    (i32.store8 offset={24+i} (i32.const 0)
      {and_byte(i)})""")
w("""    (i32.load offset=24 (i32.const 0)))

  ;; a + b = (a ^ b) + 2 (a & b) = (a | b) + (a & b)
  (func (export "or") (param $a i32) (param $b i32) (result i32)
    (i32.sub (i32.add (local.get $a) (local.get $b))
             (call $and (local.get $a) (local.get $b))))

  (func (export "xor") (param $a i32) (param $b i32) (result i32)
    (local $r i32)
    (i32.sub (i32.add (local.get $a) (local.get $b))
             (i32.add (local.tee $r (call $and (local.get $a) (local.get $b)))
                      (local.get $r))))
""")
# popcnt, clz, ctz
w(f"""  (func (export "popcnt") (param $a i32) (result i32)
{check(9, "init_count")}
    (i32.store offset=16 (i32.const 0) (local.get $a))
    (i32.add
      (i32.add (i32.load8_u offset={POP} (i32.load8_u offset=16 (i32.const 0)))
               (i32.load8_u offset={POP} (i32.load8_u offset=17 (i32.const 0))))
      (i32.add (i32.load8_u offset={POP} (i32.load8_u offset=18 (i32.const 0)))
               (i32.load8_u offset={POP} (i32.load8_u offset=19 (i32.const 0))))))
""")
for name, table, order in (("clz", CLZ8, [19,18,17,16]), ("ctz", CTZ8, [16,17,18,19])):
    w(f"""  ;; The first non-zero byte from the {'top' if name=='clz' else 'bottom'} decides; the table says 8 for 0.
  (func (export "{name}") (param $a i32) (result i32)
{check(9, "init_count")}
    (i32.store offset=16 (i32.const 0) (local.get $a))""")
    for n, off in enumerate(order[:3]):
        val = f"(i32.load8_u offset={table} (local.get $a))"
        if n: val = f"(i32.add (i32.const {8*n}) {val})"
        w(f"""    (if (local.tee $a (i32.load8_u offset={off} (i32.const 0)))
      (then (return {val})))""")
    w(f"""    (i32.add (i32.const 24) (i32.load8_u offset={table} (i32.load8_u offset={order[3]} (i32.const 0)))))
""")

def doubled(expr, r, w="$a"):
    # expr * 2^r, expr evaluated once; w is the temporary
    if r == 0: return expr
    if expr == f"(local.get {w})":
        e = f"(i32.add {expr} {expr})"
    else:
        e = f"(i32.add (local.tee {w} {expr}) (local.get {w}))"
    for _ in range(r-1):
        e = f"(i32.add (local.tee {w} {e}) (local.get {w}))"
    return e
def dispatch(leaf):
    # binary tree over r = m & 7 (NB4, NB2, NB1 say whether a bit of m is set)
    def tree(lo, size, indent):
        if size == 1:
            return f"{indent}(return {leaf(lo)})"
        half = size // 2
        bit = {4: NB4, 2: NB2, 1: NB1}[half]
        return (f"{indent}(block $r{lo}_{size}\n{indent}  (br_if $r{lo}_{size} (i32.load8_u offset={bit} (local.get $n)))\n"
                + tree(lo, half, indent + "  ") + ")\n" + tree(lo + half, half, indent))
    return tree(0, 8, "    ")
low_byte = lambda n: f"""    (i32.store8 (i32.const 0) {n})
    (local.set $n (i32.load8_u (i32.const 0)))"""
w(""";; Shifts by n & 31 = 8k + r: whole bytes by loading the stored value at a
;; byte offset (zeros, sign or a second copy beside it), then the r residual
;; bits in one of eight straight-line leaves chosen by the bits of r:
;; doublings, and for right shifts and rotations the bits that cross a byte
;; boundary from the table x >> j (rows j = 1..7).""")
w(f"""  (func (export "shl") (param $a i32) (param $n i32) (result i32)
{check(10, "init_shift")}
    (i32.store offset=36 (i32.const 0) (local.get $a))
{low_byte('(local.get $n)')}
    ;; a << 8k: the word k bytes below, where zeros come in
    (local.set $a (i32.load offset=32 (i32.load8_u offset={SHK} (local.get $n))))
{dispatch(lambda r: doubled('(local.get $a)', r))})
""")
for name, base, fill in (("shr_u", 40, None), ("shr_s", 48, "(i32.sub (i32.const 0) (i32.lt_s (local.get $a) (i32.const 0)))")):
    def leaf(r, base=base):
        p = f"(i32.load8_u offset={K} (local.get $n))"
        if r == 0: return f"(i32.load offset={base} {p})"
        return f"(i32.add {doubled(f'(i32.load offset={base+1} {p})', 8-r)} (i32.load8_u offset={SHRT+256*r} (i32.load8_u offset={base} {p})))"
    fill_line = f"\n    (i32.store offset={base+4} (i32.const 0) {fill})" if fill else ""
    w(f"""  ;; (a >> 8k) >> r = ((a >> 8k + 8) << (8 - r)) + (byte k of a) >> r
  (func (export "{name}") (param $a i32) (param $n i32) (result i32)
{check(10, "init_shift")}
    (i32.store offset={base} (i32.const 0) (local.get $a)){fill_line}
{low_byte('(local.get $n)')}
{dispatch(leaf)})
""")
for name, n in (("rotl", "(local.get $n)"), ("rotr", "(i32.sub (i32.const 0) (local.get $n))")):
    def leaf(r):
        p = f"(i32.load8_u offset={SHK} (local.get $n))"
        if r == 0: return f"(i32.load offset=56 {p})"
        return f"(i32.add {doubled(f'(i32.load offset=56 {p})', r)} (i32.load8_u offset={SHRT+256*(8-r)} (i32.load8_u offset=59 {p})))"
    w(f"""  ;; rotl by 8k: the word k bytes below the second copy; by r: (x << r) +
  ;; (top byte of x) >> (8 - r). rotr(a, n) = rotl(a, -n).
  (func (export "{name}") (param $a i32) (param $n i32) (result i32)
{check(10, "init_shift")}
    (i32.store offset=56 (i32.const 0) (local.get $a))
    (i32.store offset=60 (i32.const 0) (local.get $a))
{low_byte(n)}
{dispatch(leaf)})
""")
# mul
MB=164  # d * a at MB + 8d
def horner(nbytes):
    def Gn(k):
        xs = ["(local.get $a)", "(local.get $b)", "(i32.load8_u offset=18 (i32.const 0))", "(i32.load8_u offset=19 (i32.const 0))"]
        terms = [f"(i32.load offset={MB-j} (i32.load8_u offset={DIG+256*k} {xs[j]}))" for j in range(nbytes)]
        while len(terms) > 1:
            terms = [f"(i32.add {terms[i]} {terms[i+1]})" for i in range(0, len(terms), 2)]
        return terms[0]
    h = Gn(3)
    for k in (2,1,0):
        h = f"(i32.add {doubled(h, 2, '$w')}\n      {Gn(k)})"
    return h
w(f"""  ;; a * b = sum over the base-4 digits d of b's bytes j (digit k of a byte
  ;; weighs 4^k) of (d * a) << 8j, read from a table of d * a (d = 0..3)
  ;; with a zero word below each entry; the table at {DIG} + 256k holds
  ;; 8 * digit k. Horner over k. When b fits 16 bits (a small factor, or
  ;; the halves mul_wide_u multiplies) only its two low bytes count.
  (func $mul (export "mul") (param $a i32) (param $b i32) (result i32)
    (local $w i32)
{check(11, "init_mul")}
    (i32.store offset=16 (i32.const 0) (local.get $b))
    (i32.store offset={MB+8} (i32.const 0) (local.get $a))
    (i32.store offset={MB+16} (i32.const 0) (local.tee $b (i32.add (local.get $a) (local.get $a))))
    (i32.store offset={MB+24} (i32.const 0) (i32.add (local.get $b) (local.get $a)))
    (local.set $a (i32.load8_u offset=16 (i32.const 0)))
    (local.set $b (i32.load8_u offset=17 (i32.const 0)))
    (block $short
      (br_if $short (i32.eqz (i32.load16_u offset=18 (i32.const 0))))
      (return {horner(4)}))
    {horner(2)})
""")

# i64 shifts: the pair (lo, hi) in a 16-byte window
def dispatch2(leaf):
    def tree(lo, size, indent):
        if size == 1:
            return f"{indent}(return {leaf(lo)})"
        half = size // 2
        bit = {4: NB4, 2: NB2, 1: NB1}[half]
        return (f"{indent}(block $r{lo}_{size}\n{indent}  (br_if $r{lo}_{size} (i32.load8_u offset={bit} (local.get $n)))\n"
                + tree(lo, half, indent + "  ") + ")\n" + tree(lo + half, half, indent))
    return tree(0, 8, "    ")
P8 = "(local.get $ah)"
w(""";; i64 shifts by n & 63 = 8k + r, the same way on a pair of words: k whole
;; bytes by loading both words at a byte offset, r bits per leaf.""")
def shl64_leaf(r):
    lo = f"(i32.load offset=64 {P8})"
    hi = f"(i32.load offset=68 {P8})"
    if r == 0: return f"{lo} {hi}"
    return (f"{doubled(lo, r, '$al')}\n        (i32.add {doubled(hi, r, '$al')} "
            f"(i32.load8_u offset={SHRT+256*(8-r)} (i32.load8_u offset=67 {P8})))")
w(f"""  (func (export "shl64") (param $al i32) (param $ah i32) (param $n i32) (param $nh i32)
    (result i32 i32)
{check(10, "init_shift")}
    ;; 64 .. 72 stay zero
    (i32.store offset=72 (i32.const 0) (local.get $al))
    (i32.store offset=76 (i32.const 0) (local.get $ah))
{low_byte('(local.get $n)')}
    (local.set $ah (i32.load8_u offset={K8O} (local.get $n)))
{dispatch2(shl64_leaf)})
""")
for name, base, fill in (("shr_u64", 80, None), ("shr_s64", 96, "(i32.sub (i32.const 0) (i32.lt_s (local.get $ah) (i32.const 0)))")):
    def leaf(r, base=base):
        P = "(local.get $ah)"
        if r == 0: return f"(i32.load offset={base} {P}) (i32.load offset={base+4} {P})"
        s_ = 8 - r
        lo = f"(i32.add {doubled(f'(i32.load offset={base+1} {P})', s_, '$al')} (i32.load8_u offset={SHRT+256*r} (i32.load8_u offset={base} {P})))"
        hi = f"(i32.add {doubled(f'(i32.load offset={base+5} {P})', s_, '$al')} (i32.load8_u offset={SHRT+256*r} (i32.load8_u offset={base+4} {P})))"
        return f"{lo}\n        {hi}"
    fill_lines = (f"\n    (i32.store offset={base+8} (i32.const 0) (local.tee $nh {fill}))"
                  f"\n    (i32.store offset={base+12} (i32.const 0) (local.get $nh))") if fill else ""
    w(f"""  (func (export "{name}") (param $al i32) (param $ah i32) (param $n i32) (param $nh i32)
    (result i32 i32)
{check(10, "init_shift")}
    (i32.store offset={base} (i32.const 0) (local.get $al))
    (i32.store offset={base+4} (i32.const 0) (local.get $ah)){fill_lines}
{low_byte('(local.get $n)')}
    (local.set $ah (i32.load8_u offset={K8} (local.get $n)))
{dispatch2(leaf)})
""")
for name, n in (("rotl64", "(local.get $n)"), ("rotr64", "(i32.sub (i32.const 0) (local.get $n))")):
    def leaf(r):
        P = "(local.get $ah)"
        lo = f"(i32.load offset=128 {P})"
        hi = f"(i32.load offset=132 {P})"
        if r == 0: return f"{lo} {hi}"
        lo2 = f"(i32.add {doubled(lo, r, '$al')} (i32.load8_u offset={SHRT+256*(8-r)} (i32.load8_u offset=135 {P})))"
        hi2 = f"(i32.add {doubled(hi, r, '$al')} (i32.load8_u offset={SHRT+256*(8-r)} (i32.load8_u offset=131 {P})))"
        return f"{lo2}\n        {hi2}"
    w(f"""  (func (export "{name}") (param $al i32) (param $ah i32) (param $n i32) (param $nh i32)
    (result i32 i32)
{check(10, "init_shift")}
    (i32.store offset=128 (i32.const 0) (local.get $al))
    (i32.store offset=132 (i32.const 0) (local.get $ah))
    (i32.store offset=136 (i32.const 0) (local.get $al))
    (i32.store offset=140 (i32.const 0) (local.get $ah))
{low_byte(n)}
    (local.set $ah (i32.load8_u offset={K8O} (local.get $n)))
{dispatch2(leaf)})
""")
open("section.wat","w").write("\n".join(out))

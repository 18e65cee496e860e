#!/usr/bin/env python3
"""Independent reference for the expected outputs of the wat corpus.

Each program's computation is re-stated here in plain Python on top of a
small model of wasm i32 semantics (written from the spec, not taken from
any engine), so manifest.txt does not come from running the programs.

    python3 expected.py            # print the manifest lines
    python3 expected.py --check    # compare with manifest.txt (exit 1 on diff)
    python3 expected.py --write    # rewrite manifest.txt
"""
import os
import sys

M = 0xFFFFFFFF


def u(x):
    return x & M


def s(x):
    x &= M
    return x - (1 << 32) if x & 0x80000000 else x


# ---- i32 semantics -------------------------------------------------------
def add(a, b): return u(a + b)
def sub(a, b): return u(a - b)
def mul(a, b): return u(a * b)


def div_s(a, b):
    a, b = s(a), s(b)
    assert b != 0 and not (a == -2**31 and b == -1), "would trap"
    q = abs(a) // abs(b)
    return u(q if (a < 0) == (b < 0) else -q)


def rem_s(a, b):
    a, b = s(a), s(b)
    assert b != 0
    r = abs(a) % abs(b)          # remainder takes the dividend's sign
    return u(-r if a < 0 else r)


def div_u(a, b):
    assert u(b) != 0
    return u(a) // u(b)


def rem_u(a, b):
    assert u(b) != 0
    return u(a) % u(b)


def and_(a, b): return u(a) & u(b)
def or_(a, b): return u(a) | u(b)
def xor(a, b): return u(a) ^ u(b)
def shl(x, n): return u(u(x) << (u(n) % 32))
def shr_s(x, n): return u(s(x) >> (u(n) % 32))
def shr_u(x, n): return u(x) >> (u(n) % 32)


def rotl(x, n):
    k = u(n) % 32
    x = u(x)
    return u((x << k) | (x >> (32 - k)))


def rotr(x, n):
    k = u(n) % 32
    x = u(x)
    return u((x >> k) | (x << (32 - k)))


def clz(x): return 32 - u(x).bit_length()


def ctz(x):
    x = u(x)
    if x == 0:
        return 32
    n = 0
    while not (x >> n) & 1:
        n += 1
    return n


def popcnt(x): return bin(u(x)).count("1")


def ext8(x):
    b = u(x) & 0xFF
    return u(b - 0x100 if b & 0x80 else b)


def ext16(x):
    h = u(x) & 0xFFFF
    return u(h - 0x10000 if h & 0x8000 else h)


def b2i(c): return 1 if c else 0
def eq(a, b): return b2i(u(a) == u(b))
def ne(a, b): return b2i(u(a) != u(b))
def lt_s(a, b): return b2i(s(a) < s(b))
def lt_u(a, b): return b2i(u(a) < u(b))
def gt_s(a, b): return b2i(s(a) > s(b))
def gt_u(a, b): return b2i(u(a) > u(b))
def le_s(a, b): return b2i(s(a) <= s(b))
def le_u(a, b): return b2i(u(a) <= u(b))
def ge_s(a, b): return b2i(s(a) >= s(b))
def ge_u(a, b): return b2i(u(a) >= u(b))
def eqz(a): return b2i(u(a) == 0)


class Mem:
    def __init__(self, pages=1):
        self.b = bytearray(65536 * pages)

    def load(self, a, n, signed):
        v = int.from_bytes(self.b[a:a + n], "little")
        if signed and v >> (8 * n - 1):
            v -= 1 << (8 * n)
        return u(v)

    def store(self, a, n, v):
        self.b[a:a + n] = (u(v) & ((1 << (8 * n)) - 1)).to_bytes(n, "little")


def hx(v): return "%08x\n" % u(v)


# ---- core_ops -------------------------------------------------------------
def core_ops(inp):
    m = Mem()
    m.b[16:32] = bytes([0x80, 0xff, 0x7f, 0x01, 0xfe, 0xff, 0x00, 0x80,
                        0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0])
    P = 4096
    data = inp.encode() + b"\0"
    m.b[P:P + len(data)] = data
    o = []
    pr = o.append
    # 1. constants
    for v in (0, 1, -1, 0x7fffffff, 0x80000000, 0xff, 0x100):
        pr(v)
    # 2. locals/globals/input loads
    a = m.load(P, 4, False)
    b = m.load(P + 4, 1, False)
    n = sub(m.load(P + 2, 1, False), 0x30)
    pr(a); pr(b); pr(n)
    g = add(a, b); pr(g)
    g = sub(g, 0x1000); pr(g)
    pr(m.load(P + 1, 2, False))
    pr(m.load(P + 2, 2, True))
    pr(m.load(P + 3, 1, True))
    pr(a)                                   # value under the dropped one
    z = sub(b, 0x48); pr(z)
    # 3. data segment reads
    pr(m.load(16, 1, True)); pr(m.load(16, 1, False))
    pr(m.load(18, 1, True)); pr(m.load(17, 1, True))
    pr(m.load(16, 2, True)); pr(m.load(16, 2, False))
    pr(m.load(18, 2, True)); pr(m.load(20, 2, True))
    pr(m.load(22, 2, False)); pr(m.load(22, 2, True))
    pr(m.load(16, 4, False)); pr(m.load(24, 4, False)); pr(m.load(28, 4, False))
    pr(m.load(17, 4, False))
    pr(m.load(sub(b, 0x38), 1, True))
    # 4. stores
    m.store(32, 4, a); pr(m.load(32, 4, False))
    m.store(33, 1, add(b, 0x1200)); pr(m.load(32, 4, False))
    m.store(34, 2, add(a, 0x10000)); pr(m.load(32, 4, False))
    pr(m.load(35, 1, True))
    m.store(36, 1, -1)
    m.store(38, 2, sub(0, b))
    pr(m.load(36, 4, False)); pr(m.load(36, 1, True))
    pr(m.load(38, 2, True)); pr(m.load(38, 2, False))
    m.store(z + 40, 4, a); pr(m.load(32 + 8, 4, False))

    # 5. comparisons via $cmp
    def cmp(x, y):
        r = 0
        for bit in (eqz(x), eq(x, y), ne(x, y), lt_s(x, y), lt_u(x, y),
                    gt_s(x, y), gt_u(x, y), le_s(x, y), le_u(x, y),
                    ge_s(x, y), ge_u(x, y)):
            r = r * 2 + bit
        return r
    for x, y in ((0, 0), (-1, 1), (1, -1), (0x7fffffff, 0x80000000),
                 (0x80000000, 0x7fffffff), (0xff, 0x100), (0x100, 0xff),
                 (0, -1), (-1, -1), (0x80000000, 0x80000000), (a, b), (b, a),
                 (a, a), (sub(0, b), b), (b, sub(0, b)), (z, 0x80000000)):
        pr(cmp(x, y))

    # 6. packed immediate comparisons
    def pack(bits):
        r = 0
        for bit in bits:
            r = r * 2 + bit
        return r
    pr(pack([lt_s(-1, 1), lt_u(-1, 1), gt_s(0x80000000, 0x7fffffff),
             gt_u(0x80000000, 0x7fffffff), le_s(0xff, 0x100), le_u(0x100, 0xff),
             ge_s(0, -1), ge_u(0, -1), eq(0x7fffffff, 0x7fffffff), ne(0, 0),
             eqz(0), eqz(0x80000000)]))
    pr(pack([lt_s(a, 0), gt_u(a, 0x7fffffff), ge_s(b, 0x48), le_u(b, 0x47),
             eq(b, 72), ne(a, -1), lt_u(sub(0, b), b), gt_s(sub(0, b), -100),
             le_s(0x80000000, z), ge_u(0x80000000, a), eqz(z)]))
    # 7. add/sub
    for x, y in ((0x7fffffff, 1), (0xffffffff, 1), (0x80000000, 0x80000000),
                 (0x00ff00ff, 0x00010001), (0x00ffffff, 1), (0x0000ffff, 0xffffffff),
                 (0x100, 1), (0x01000000, 0xff), (1, 0x80000000), (a, a), (a, b),
                 (b, a), (a, 0x81c6be87), (b, 0x49)):
        pr(add(x, y)); pr(sub(x, y))
    pr(add(0xffffffff, 0xffffffff)); pr(sub(0x10000, 1))
    pr(sub(0x7fffffff, 0xffffffff)); pr(add(a, 0x00c6bf00))
    pr(sub(b, 0x80000000)); pr(sub(0, a))
    # 8. select(v1, v2, c) = c ? v1 : v2
    sel = lambda v1, v2, c: v1 if u(c) else v2
    pr(sel(a, b, b)); pr(sel(a, b, eqz(b)))
    pr(sel(0x80000000, -1, add(z, 0x80000000))); pr(sel(0xff, 0x100, z))
    # 9. length and byte sum; countdown sum
    raw = inp.encode()
    pr(len(raw)); pr(sum(raw))
    pr(sum(range(1, s(n) + 1)))
    # 10. br_table classify
    cls = lambda x: {0: 0x10, 1: 0x11, 2: 0x12, 3: 0x13}.get(u(x), 0x1f)
    for x in (0, 1, 2, 3, 4, -1, 0x80000000, sub(b, 0x46), z):
        pr(cls(x))
    # 11. if/else
    mx = lambda x, y: x if s(x) > s(y) else y
    pr(mx(a, sub(0, a))); pr(mx(-1, 1)); pr(mx(0x80000000, 0x7fffffff))
    r = 0x55
    if u(z):
        r = 0x66
    pr(r)
    r = add(r, 0x100) if u(b) else 0
    pr(r)
    # 12. find
    for ch in b"l!Q":
        idx = raw.find(bytes([ch]))
        pr(idx if idx >= 0 else -1)

    # 13. fib and call count; mix3
    calls = [0]

    def fib(k):
        calls[0] += 1
        return k if k < 2 else fib(k - 1) + fib(k - 2)
    pr(fib(n)); pr(calls[0])
    mix3 = lambda x, y, w: add(sub(x, y), add(w, w))
    pr(mix3(a, b, 0x100)); pr(mix3(1, 2, 0x7fffffff)); pr(mix3(b, n, a))
    return "".join(hx(v) for v in o)


# ---- lowered_ops ----------------------------------------------------------
def lowered_ops(inp):
    vals = [u(int(t)) for t in inp.split()]     # wrapping parse
    o = []
    pr = o.append
    pr(len(vals))
    (m7, p2, p7, m2, mn, mx, m1, zero, one, dead, x1234, c31, c32, c33, c63,
     h100, h128, h32768) = vals
    for x, y in ((m7, p2), (p7, m2), (m7, m2), (p7, p2), (mn, one), (mn, p2),
                 (mn, m2), (mn, mx), (mx, m1), (m1, mn), (zero, m1),
                 (dead, x1234), (x1234, h100), (m1, m1), (dead, m7)):
        o.extend([mul(x, y), div_s(x, y), div_u(x, y), rem_s(x, y), rem_u(x, y)])
    for x, y in ((mn, m1), (mx, mn)):
        o.extend([mul(x, y), rem_s(x, y), rem_u(x, y)])
    for x, y in ((dead, x1234), (mn, mx), (m1, dead), (zero, m1), (m7, p7),
                 (h128, h32768)):
        o.extend([and_(x, y), or_(x, y), xor(x, y)])
    for x, k in ([(dead, c) for c in (zero, one, c31, c32, c33, c63, m1, h100)] +
                 [(x1234, c) for c in (zero, one, c31, c32, c33, c63)] +
                 [(mn, c31), (mn, one), (m1, one), (one, c31), (one, c63)]):
        o.extend([shl(x, k), shr_s(x, k), shr_u(x, k), rotl(x, k), rotr(x, k)])
    for x in (zero, one, m1, mn, mx, dead, x1234, h128, h32768, h100, m7):
        o.extend([clz(x), ctz(x), popcnt(x), ext8(x), ext16(x)])
    # const op const
    o += [mul(-7, 2), mul(0x10000, 0x10000), mul(0x80000000, -1),
          mul(0xdeadbeef, 0x12345678), mul(0x7fffffff, 0x7fffffff), mul(-1, -1)]
    o += [div_s(-7, 2), div_s(7, -2), div_s(-7, -2), div_s(0x80000000, 2),
          div_s(0x7fffffff, -1), div_s(0x80000000, 0x7fffffff), div_s(1, -1)]
    o += [div_u(-7, 2), div_u(0x80000000, 3), div_u(-1, -1), div_u(7, -2),
          div_u(0xdeadbeef, 0x10)]
    o += [rem_s(-7, 2), rem_s(7, -2), rem_s(-7, -2), rem_s(0x80000000, -1),
          rem_s(0x80000000, 3), rem_s(0x7fffffff, 0x80000000)]
    o += [rem_u(-7, 2), rem_u(7, -2), rem_u(-1, 100), rem_u(0x80000000, 3)]
    for x, y in ((0xff00ff00, 0x0ff00ff0), (0x80000000, -1)):
        o += [and_(x, y), or_(x, y), xor(x, y)]
    o += [shl(1, k) for k in (0, 1, 31, 32, 33, 63)] + [shl(0xdeadbeef, 4)]
    o += [shr_s(0x80000000, k) for k in (0, 1, 31, 32, 33, 63)] + [shr_s(0x7fffffff, 31)]
    o += [shr_u(0x80000000, k) for k in (0, 1, 31, 32, 33, 63)] + [shr_u(-1, 4)]
    o += [rotl(0x12345678, k) for k in (0, 1, 4, 31, 32, 33, 63)] + [rotl(0x80000001, 1)]
    o += [rotr(0x12345678, k) for k in (0, 1, 4, 31, 32, 33, 63)]
    o += [clz(x) for x in (0, 1, -1, 0x80000000, 0x10000, 0x7fffffff)]
    o += [ctz(x) for x in (0, 1, -1, 0x80000000, 0x10000, 0x7ffffffe)]
    o += [popcnt(x) for x in (0, 1, -1, 0x80000000, 0xdeadbeef, 0x55555555)]
    o += [ext8(x) for x in (0x80, 0x7f, 0xff, 0x12345680, 0xffffff7f)]
    o += [ext16(x) for x in (0x8000, 0x7fff, 0xffff, 0x12348000, 0xffff7fff)]
    # var op const
    o += [mul(dead, k) for k in (3, -1, 0, 1, 0x80000000, 0x10000)] + [mul(m7, -7)]
    o += [div_s(m7, 2), div_s(m7, -1), div_s(dead, 16), div_s(dead, -16),
          div_s(mn, 2), div_s(mx, -1), div_s(mn, 0x80000000)]
    o += [div_u(dead, 16), div_u(dead, 0x80000000), div_u(dead, 1), div_u(dead, -1),
          div_u(m7, 0x7fffffff)]
    o += [rem_s(m7, 2), rem_s(p7, -2), rem_s(dead, 16), rem_s(mn, -1),
          rem_s(mn, 2), rem_s(mx, 0x80000000), rem_s(m7, -1)]
    o += [rem_u(dead, 16), rem_u(dead, 0x80000000), rem_u(m1, 100), rem_u(dead, 1)]
    o += [and_(dead, 0xff), and_(dead, 0), and_(dead, -1), or_(x1234, 0x80000000),
          or_(zero, -1), xor(x1234, -1), xor(dead, 0x80000000)]
    o += [shl(x1234, k) for k in (0, 1, 4, 31, 32, 33, 63)]
    o += [shr_s(dead, k) for k in (0, 1, 31, 32, 33, 63)]
    o += [shr_u(dead, k) for k in (0, 1, 31, 32, 33, 63)]
    o += [rotl(dead, k) for k in (0, 1, 8, 31, 32, 33, 63)]
    o += [rotr(dead, k) for k in (0, 1, 8, 31, 32, 33, 63)]
    # const op var
    o += [shl(1, c31), shl(1, c32), shl(1, c33), shl(1, c63),
          shr_s(0x80000000, c31), shr_s(0x80000000, c33),
          shr_u(0x80000000, c31), shr_u(-1, c63),
          rotl(0x12345678, c33), rotl(0x12345678, m1),
          rotr(0x12345678, c33), rotr(0x12345678, h100),
          mul(3, dead), mul(-1, mn),
          div_s(-7, p2), div_s(100, m7), div_s(0x80000000, m2),
          div_u(-1, p7), div_u(0x80000000, h100),
          rem_s(-7, p2), rem_s(100, m7), rem_s(0x80000000, m1),
          rem_u(-1, h100), rem_u(7, m2),
          and_(0xff, dead), or_(0x8000, zero), xor(-1, dead)]
    return "".join(hx(v) for v in o)


# ---- stack_branches -------------------------------------------------------
def stack_branches(inp):
    x = ord(inp[0]) - 0x30
    y = ord(inp[1]) - 0x30
    z = 0
    o = []
    pr = o.append
    pr(0x1000 + x + y)                                  # t_br_junk
    pr(0x100 + x)                                       # t_br_outer
    br_if = lambda xx, c: 0x1000 if c else xx + 0x1000 + 0x20000
    pr(br_if(x, y)); pr(br_if(x, z))
    bt = lambda i, v: {0: v + 0x210, 1: v + 0x200}.get(u(i), v)
    pr(bt(z, y)); pr(bt(x - 2, y)); pr(bt(x, y)); pr(bt(-1, y))

    def nested(xx, yy):
        acc, i = 0, 0
        while True:                                     # loop $outer
            for j in range(1, yy + 1):                  # loop $inner (do-while)
                acc += i + j
            if acc > 1000:
                return 0x7777 + acc                     # br $done
            i += 1
            if not i < xx:
                return 0x7777 + (0x6666 - acc)
    pr(nested(x, y)); pr(nested(x + 48, y))
    t_if = lambda c, v: v + 0x11 if c else v + 0x22
    pr(t_if(y, x)); pr(t_if(z, x))
    t_if_br = lambda c, v: v if c else 0x433
    pr(t_if_br(y, x)); pr(t_if_br(z, x))
    t_if_param = lambda c, v: v + 1 if c else v - 2
    pr(t_if_param(y, x)); pr(t_if_param(z, x))
    ret = lambda xx, yy: xx + 0x10000 if u(xx) > u(yy) else xx + yy + 0x20000
    pr(ret(x, y)); pr(ret(y, x))
    pr(x - y)                                           # t_mv
    pr(y - x)                                           # t_mv_br
    pr(x - y); pr(y - x)                                # t_mv_br_if taken / not
    pr(x + 5)                                           # t_param
    p2 = lambda xx, yy: 0x30 + (0x111 if xx else yy - xx)
    pr(p2(x, y)); pr(p2(z, y))
    pr(sum(range(1, y + 1)))                            # t_loop_param
    return "".join(hx(v) for v in o)


# ---- manifest -------------------------------------------------------------
CORE_IN = "zA9~Hello, hullvm!"
LOWERED_IN = ("-7 2 7 -2 -2147483648 2147483647 -1 0 1 3735928559 305419896 "
              "31 32 33 63 100 128 32768")
ENTRIES = [
    ("core_ops", CORE_IN, core_ops(CORE_IN), "-"),
    ("lowered_ops", LOWERED_IN, lowered_ops(LOWERED_IN), "-"),
    ("stack_branches", "37", stack_branches("37"), "-"),
    ("traps_div_zero", "0", "a", "integer divide by zero"),
    ("traps_overflow", "0", "a", "integer overflow"),
    ("traps_unreachable", "", "a", "unreachable"),
    ("traps_oob", "4", "a", "out of bounds memory access"),
]


def esc(t):
    return t.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def manifest():
    return "".join("%s\t%s\t%s\t%s\n" % (n, esc(i), esc(e), t) for n, i, e, t in ENTRIES)


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "manifest.txt")
    text = manifest()
    if "--write" in sys.argv:
        with open(path, "w") as f:
            f.write(text)
    elif "--check" in sys.argv:
        with open(path) as f:
            ok = f.read() == text
        print("manifest.txt matches expected.py" if ok else "manifest.txt DIFFERS from expected.py")
        sys.exit(0 if ok else 1)
    else:
        sys.stdout.write(text)

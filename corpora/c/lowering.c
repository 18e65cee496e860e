/* lowering.c - exercises the i32 operators that a code generator has to
 * lower: mul, div_s, div_u, rem_s, rem_u, and, or, xor, shl, shr_s, shr_u,
 * rotl, rotr, clz, ctz, popcnt, lt_s/lt_u and sign extension of 8/16-bit
 * values.
 *
 * Input: three decimal integers "a b c" (c is used as the shift/rotate
 * amount and as a divisor).  All operands come from the input, and every
 * operator sits in its own noinline function, so clang can neither
 * constant-fold them nor rewrite x % y as x - (x / y) * y.
 *
 * Output: one line per result, "name value" with value in decimal (signed
 * results via print_int, unsigned ones via print_uint).  A division that
 * would trap (divisor 0, or INT_MIN / -1) prints "trap" as its value.
 *
 * Default input "12345 -77 5" gives (a=12345, b=-77, c=5):
 *   mul a*b            -950565
 *   div_s a/b          -160
 *   rem_s a%b          25
 *   div_s b/c          -15
 *   rem_s b%c          -2
 *   div_u (u)b/c       858993443     (4294967219 / 5)
 *   rem_u (u)b%c       4
 *   and a&b            12337
 *   or a|b             -69
 *   xor a^b            -12406
 *   shl a<<c           395040
 *   shr_s b>>c         -3
 *   shr_u (u)b>>c      134217725
 *   rotl a,c           395040        (no bits wrap around)
 *   rotr b,c           2684354557    (0x9FFFFFFD)
 *   rotl b,c+8         4294344703    (0xFFF67FFF)
 *   clz a              18
 *   ctz a-1            3             (12344 = 8 * 1543)
 *   popcnt b           29            (0xFFFFFFB3)
 *   lt_s b<a           1
 *   lt_u b<a           0
 *   ext8 a>>c          -127          (385 = 0x181 -> 0x81)
 *   ext16 a*c          -3811         (61725 = 0xF11D)
 *   ext8 b             -77
 *
 * Sign extension: Debian clang 14's default wasm32 CPU ("generic") does not
 * enable the sign-ext feature, so (signed char)x is normally lowered to
 * i32.shl 24 + i32.shr_s 24.  op_ext8/op_ext16 carry
 * __attribute__((target("sign-ext"))) to get the real i32.extend8_s /
 * i32.extend16_s.  NOTE: the wasm backend coalesces target features over
 * the whole module, so all of lowering.wasm is compiled with sign-ext (other
 * extend8_s instructions appear, e.g. in the input parser) and its
 * target_features section lists "sign-ext".  The other corpus programs do
 * not use sign-ext and contain shl/shr_s pairs instead.
 */

#define NOINLINE __attribute__((noinline))

NOINLINE static int op_mul(int x, int y) { return x * y; }
NOINLINE static int op_div_s(int x, int y) { return x / y; }
NOINLINE static int op_rem_s(int x, int y) { return x % y; }
NOINLINE static unsigned op_div_u(unsigned x, unsigned y) { return x / y; }
NOINLINE static unsigned op_rem_u(unsigned x, unsigned y) { return x % y; }
NOINLINE static int op_and(int x, int y) { return x & y; }
NOINLINE static int op_or(int x, int y) { return x | y; }
NOINLINE static int op_xor(int x, int y) { return x ^ y; }
NOINLINE static int op_shl(int x, int n) { return (int)((unsigned)x << (n & 31)); }
NOINLINE static int op_shr_s(int x, int n) { return x >> (n & 31); }
NOINLINE static unsigned op_shr_u(unsigned x, int n) { return x >> (n & 31); }
NOINLINE static unsigned op_rotl(unsigned x, unsigned n) {
    return (x << (n & 31)) | (x >> ((32u - n) & 31));
}
NOINLINE static unsigned op_rotr(unsigned x, unsigned n) {
    return (x >> (n & 31)) | (x << ((32u - n) & 31));
}
NOINLINE static int op_clz(unsigned x) { return x ? __builtin_clz(x) : 32; }
NOINLINE static int op_ctz(unsigned x) { return x ? __builtin_ctz(x) : 32; }
NOINLINE static int op_popcnt(unsigned x) { return __builtin_popcount(x); }
NOINLINE static int op_lt_s(int x, int y) { return x < y; }
NOINLINE static int op_lt_u(unsigned x, unsigned y) { return x < y; }
/* i32.extend8_s / i32.extend16_s (see the sign-ext note at the top). */
NOINLINE __attribute__((target("sign-ext"))) static int op_ext8(int x) {
    return (signed char)x;
}
NOINLINE __attribute__((target("sign-ext"))) static int op_ext16(int x) {
    return (short)x;
}

static void label(const char *s) {
    print_str(s);
    output_byte(' ');
}

static void line_int(const char *name, int v) {
    label(name);
    print_int(v);
    output_byte('\n');
}

static void line_uint(const char *name, unsigned v) {
    label(name);
    print_uint(v);
    output_byte('\n');
}

static int can_div(int x, int y) {
    return y != 0 && !(x == (int)0x80000000u && y == -1);
}


void compute(const char *input) {
    const char *s = input;
    int a = parse_int(&s);
    int b = parse_int(&s);
    int c = parse_int(&s);

    line_int("mul", op_mul(a, b));
    if (can_div(a, b)) {
        line_int("div_s", op_div_s(a, b));
        line_int("rem_s", op_rem_s(a, b));
    } else {
        print_str("div_s trap\nrem_s trap\n");
    }
    if (can_div(b, c)) {
        line_int("div_s", op_div_s(b, c));
        line_int("rem_s", op_rem_s(b, c));
    } else {
        print_str("div_s trap\nrem_s trap\n");
    }
    if (c != 0) {
        line_uint("div_u", op_div_u((unsigned)b, (unsigned)c));
        line_uint("rem_u", op_rem_u((unsigned)b, (unsigned)c));
    } else {
        print_str("div_u trap\nrem_u trap\n");
    }
    line_int("and", op_and(a, b));
    line_int("or", op_or(a, b));
    line_int("xor", op_xor(a, b));
    line_int("shl", op_shl(a, c));
    line_int("shr_s", op_shr_s(b, c));
    line_uint("shr_u", op_shr_u((unsigned)b, c));
    line_uint("rotl", op_rotl((unsigned)a, (unsigned)c));
    line_uint("rotr", op_rotr((unsigned)b, (unsigned)c));
    line_uint("rotl", op_rotl((unsigned)b, (unsigned)c + 8u));
    line_int("clz", op_clz((unsigned)a));
    line_int("ctz", op_ctz((unsigned)a - 1u));
    line_int("popcnt", op_popcnt((unsigned)b));
    line_int("lt_s", op_lt_s(b, a));
    line_int("lt_u", op_lt_u((unsigned)b, (unsigned)a));
    line_int("ext8", op_ext8(op_shr_s(a, c)));
    line_int("ext16", op_ext16(op_mul(a, c)));
    line_int("ext8", op_ext8(b));
}

/* mul128.c - 64 x 64 -> 128-bit unsigned products, done by hand in 32-bit
 * halves held in 64-bit values (no __int128, so no compiler-rt call).
 *
 * Input: pairs of unsigned decimal 64-bit numbers "a b a b ...", separated
 * by spaces (a number above 2^64 - 1 wraps).  Output: one line per pair,
 *   "a * b = 0x<32 hex digits> = <decimal>\n"
 * The decimal form divides the 128-bit value by 10 a 32-bit limb at a
 * time (a 64-bit remainder:limb divided by 10), so it uses i64.div_u and
 * i64.rem_u; printing a and b does too.
 *
 * Default input: "18446744073709551615 18446744073709551615
 *                 12345678901234567890 9876543210987654321 4294967296
 *                 4294967296 0 7"  (see manifest.txt for the output)
 */
typedef unsigned long long u64;

typedef struct {
    u64 hi, lo;
} u128;

__attribute__((noinline)) static u128 mul64x64(u64 a, u64 b) {
    u64 a0 = a & 0xffffffffu, a1 = a >> 32;
    u64 b0 = b & 0xffffffffu, b1 = b >> 32;
    u64 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    /* The middle column: at most 3 * (2^32 - 1), no overflow. */
    u64 mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    u128 r;
    r.lo = (mid << 32) | (p00 & 0xffffffffu);
    r.hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    return r;
}

static u64 parse_u64(const char **pp) {
    const char *p = *pp;
    u64 v = 0;
    while (is_space(*p))
        p++;
    while (is_digit(*p))
        v = v * 10 + (unsigned)(*p++ - '0');
    *pp = p;
    return v;
}

static void print_u64(u64 v) {
    char buf[20];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0)
        output_byte(buf[--n]);
}

static void print_hex64(u64 v) {
    for (int shift = 60; shift >= 0; shift -= 4) {
        unsigned d = (unsigned)(v >> shift) & 15u;
        output_byte(d < 10 ? '0' + d : 'a' + d - 10);
    }
}

/* Decimal of a 128-bit value: divide the four 32-bit limbs (most
 * significant first) by 10 until the value is 0. */
static void print_u128(u128 x) {
    unsigned limb[4] = {(unsigned)(x.hi >> 32), (unsigned)x.hi, (unsigned)(x.lo >> 32),
                        (unsigned)x.lo};
    char buf[40];
    int n = 0;
    int nonzero;
    do {
        u64 rem = 0;
        nonzero = 0;
        for (int i = 0; i < 4; i++) {
            u64 cur = (rem << 32) | limb[i];
            limb[i] = (unsigned)(cur / 10);
            rem = cur % 10;
            nonzero |= limb[i] != 0;
        }
        buf[n++] = (char)('0' + rem);
    } while (nonzero);
    while (n > 0)
        output_byte(buf[--n]);
}

void compute(const char *input) {
    const char *p = input;
    for (;;) {
        while (is_space(*p))
            p++;
        if (!is_digit(*p))
            break;
        u64 a = parse_u64(&p);
        u64 b = parse_u64(&p);
        u128 r = mul64x64(a, b);
        print_u64(a);
        print_str(" * ");
        print_u64(b);
        print_str(" = 0x");
        print_hex64(r.hi);
        print_hex64(r.lo);
        print_str(" = ");
        print_u128(r);
        print_nl();
    }
}

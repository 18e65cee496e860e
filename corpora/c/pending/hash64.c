/* hash64.c - 64-bit hashes of the input, printed as 16 hex digits each.
 *
 *   fnv1a64     FNV-1a 64 over the input bytes (xor, then multiply by the
 *               64-bit FNV prime);
 *   splitmix64  the splitmix64 finalizer of that hash (shifts, xors and
 *               64-bit multiplies);
 *   xorshift64* 1000 steps of xorshift64* seeded with the FNV hash (the
 *               seed is forced odd, so it is never 0).
 *
 * Every value is 64-bit unsigned: i64 locals, params, results, i64.mul,
 * i64.xor, i64.shl/shr_u and i64.extend_i32_u, with no 64-bit type in the
 * runtime.
 *
 * Default input: "hullvm"
 *   -> "fnv1a64 b11311391edf02b7\nsplitmix64 0ed3451406463f39\n"
 *      "xorshift64* a97895872d9c01dd\n"
 */
typedef unsigned long long u64;

__attribute__((noinline)) static u64 fnv1a64(const char *s) {
    u64 h = 0xcbf29ce484222325ull;
    while (*s) {
        h ^= (unsigned char)*s++;
        h *= 0x100000001b3ull;
    }
    return h;
}

__attribute__((noinline)) static u64 splitmix64(u64 z) {
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

__attribute__((noinline)) static u64 xorshift64star(u64 x, int steps) {
    u64 r = 0;
    for (int i = 0; i < steps; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        r = x * 0x2545f4914f6cdd1dull;
    }
    return r;
}

/* 16 hex digits, most significant first. */
static void print_hex64(u64 v) {
    for (int shift = 60; shift >= 0; shift -= 4) {
        unsigned d = (unsigned)(v >> shift) & 15u;
        output_byte(d < 10 ? '0' + d : 'a' + d - 10);
    }
}

static void line(const char *name, u64 v) {
    print_str(name);
    output_byte(' ');
    print_hex64(v);
    print_nl();
}

void compute(const char *input) {
    u64 h = fnv1a64(input);
    line("fnv1a64", h);
    line("splitmix64", splitmix64(h));
    line("xorshift64*", xorshift64star(h | 1, 1000));
}

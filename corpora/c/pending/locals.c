/* locals.c - one function with 80 scalar locals (40 of 64 bits, 40 of 32
 * bits), built at -O0 so that clang keeps a wasm local for every
 * intermediate value: the built `churn` declares 1,894 wasm locals (1,318
 * of them i64; check with wasm2wat), against hullvm's 64 today.
 *
 * build-flags: -O0
 *
 * Input: "rounds seed" (decimal; seed is 32-bit).  churn fills the 80
 * locals from the seed, mixes each with its neighbours for `rounds`
 * rounds (64-bit add, xor, multiply and shifts; 32-bit rotates), and folds
 * them into one 64-bit sum.  Output: "rounds R seed S sum <16 hex digits>\n".
 *
 * Default input: "3 12345"  (see manifest.txt for the output)
 */
typedef unsigned long long u64;

static unsigned rotl32(unsigned v, unsigned n) {
    n &= 31u;
    return n == 0 ? v : (v << n) | (v >> (32u - n));
}

static u64 churn(u64 seed, unsigned rounds) {
    u64 x0 = seed * 0x9e3779b97f4a7c15ull + 1;
    u64 x1 = (x0 ^ (x0 >> 29)) * 0xbf58476d1ce4e5b9ull + 1;
    u64 x2 = (x1 ^ (x1 >> 29)) * 0xbf58476d1ce4e5b9ull + 2;
    u64 x3 = (x2 ^ (x2 >> 29)) * 0xbf58476d1ce4e5b9ull + 3;
    u64 x4 = (x3 ^ (x3 >> 29)) * 0xbf58476d1ce4e5b9ull + 4;
    u64 x5 = (x4 ^ (x4 >> 29)) * 0xbf58476d1ce4e5b9ull + 5;
    u64 x6 = (x5 ^ (x5 >> 29)) * 0xbf58476d1ce4e5b9ull + 6;
    u64 x7 = (x6 ^ (x6 >> 29)) * 0xbf58476d1ce4e5b9ull + 7;
    u64 x8 = (x7 ^ (x7 >> 29)) * 0xbf58476d1ce4e5b9ull + 8;
    u64 x9 = (x8 ^ (x8 >> 29)) * 0xbf58476d1ce4e5b9ull + 9;
    u64 x10 = (x9 ^ (x9 >> 29)) * 0xbf58476d1ce4e5b9ull + 10;
    u64 x11 = (x10 ^ (x10 >> 29)) * 0xbf58476d1ce4e5b9ull + 11;
    u64 x12 = (x11 ^ (x11 >> 29)) * 0xbf58476d1ce4e5b9ull + 12;
    u64 x13 = (x12 ^ (x12 >> 29)) * 0xbf58476d1ce4e5b9ull + 13;
    u64 x14 = (x13 ^ (x13 >> 29)) * 0xbf58476d1ce4e5b9ull + 14;
    u64 x15 = (x14 ^ (x14 >> 29)) * 0xbf58476d1ce4e5b9ull + 15;
    u64 x16 = (x15 ^ (x15 >> 29)) * 0xbf58476d1ce4e5b9ull + 16;
    u64 x17 = (x16 ^ (x16 >> 29)) * 0xbf58476d1ce4e5b9ull + 17;
    u64 x18 = (x17 ^ (x17 >> 29)) * 0xbf58476d1ce4e5b9ull + 18;
    u64 x19 = (x18 ^ (x18 >> 29)) * 0xbf58476d1ce4e5b9ull + 19;
    u64 x20 = (x19 ^ (x19 >> 29)) * 0xbf58476d1ce4e5b9ull + 20;
    u64 x21 = (x20 ^ (x20 >> 29)) * 0xbf58476d1ce4e5b9ull + 21;
    u64 x22 = (x21 ^ (x21 >> 29)) * 0xbf58476d1ce4e5b9ull + 22;
    u64 x23 = (x22 ^ (x22 >> 29)) * 0xbf58476d1ce4e5b9ull + 23;
    u64 x24 = (x23 ^ (x23 >> 29)) * 0xbf58476d1ce4e5b9ull + 24;
    u64 x25 = (x24 ^ (x24 >> 29)) * 0xbf58476d1ce4e5b9ull + 25;
    u64 x26 = (x25 ^ (x25 >> 29)) * 0xbf58476d1ce4e5b9ull + 26;
    u64 x27 = (x26 ^ (x26 >> 29)) * 0xbf58476d1ce4e5b9ull + 27;
    u64 x28 = (x27 ^ (x27 >> 29)) * 0xbf58476d1ce4e5b9ull + 28;
    u64 x29 = (x28 ^ (x28 >> 29)) * 0xbf58476d1ce4e5b9ull + 29;
    u64 x30 = (x29 ^ (x29 >> 29)) * 0xbf58476d1ce4e5b9ull + 30;
    u64 x31 = (x30 ^ (x30 >> 29)) * 0xbf58476d1ce4e5b9ull + 31;
    u64 x32 = (x31 ^ (x31 >> 29)) * 0xbf58476d1ce4e5b9ull + 32;
    u64 x33 = (x32 ^ (x32 >> 29)) * 0xbf58476d1ce4e5b9ull + 33;
    u64 x34 = (x33 ^ (x33 >> 29)) * 0xbf58476d1ce4e5b9ull + 34;
    u64 x35 = (x34 ^ (x34 >> 29)) * 0xbf58476d1ce4e5b9ull + 35;
    u64 x36 = (x35 ^ (x35 >> 29)) * 0xbf58476d1ce4e5b9ull + 36;
    u64 x37 = (x36 ^ (x36 >> 29)) * 0xbf58476d1ce4e5b9ull + 37;
    u64 x38 = (x37 ^ (x37 >> 29)) * 0xbf58476d1ce4e5b9ull + 38;
    u64 x39 = (x38 ^ (x38 >> 29)) * 0xbf58476d1ce4e5b9ull + 39;
    unsigned y0 = (unsigned)(x0 >> 1) ^ 0u;
    unsigned y1 = (unsigned)(x1 >> 8) ^ 2654435761u;
    unsigned y2 = (unsigned)(x2 >> 15) ^ 1013904226u;
    unsigned y3 = (unsigned)(x3 >> 22) ^ 3668339987u;
    unsigned y4 = (unsigned)(x4 >> 29) ^ 2027808452u;
    unsigned y5 = (unsigned)(x5 >> 4) ^ 387276917u;
    unsigned y6 = (unsigned)(x6 >> 11) ^ 3041712678u;
    unsigned y7 = (unsigned)(x7 >> 18) ^ 1401181143u;
    unsigned y8 = (unsigned)(x8 >> 25) ^ 4055616904u;
    unsigned y9 = (unsigned)(x9 >> 32) ^ 2415085369u;
    unsigned y10 = (unsigned)(x10 >> 7) ^ 774553834u;
    unsigned y11 = (unsigned)(x11 >> 14) ^ 3428989595u;
    unsigned y12 = (unsigned)(x12 >> 21) ^ 1788458060u;
    unsigned y13 = (unsigned)(x13 >> 28) ^ 147926525u;
    unsigned y14 = (unsigned)(x14 >> 3) ^ 2802362286u;
    unsigned y15 = (unsigned)(x15 >> 10) ^ 1161830751u;
    unsigned y16 = (unsigned)(x16 >> 17) ^ 3816266512u;
    unsigned y17 = (unsigned)(x17 >> 24) ^ 2175734977u;
    unsigned y18 = (unsigned)(x18 >> 31) ^ 535203442u;
    unsigned y19 = (unsigned)(x19 >> 6) ^ 3189639203u;
    unsigned y20 = (unsigned)(x20 >> 13) ^ 1549107668u;
    unsigned y21 = (unsigned)(x21 >> 20) ^ 4203543429u;
    unsigned y22 = (unsigned)(x22 >> 27) ^ 2563011894u;
    unsigned y23 = (unsigned)(x23 >> 2) ^ 922480359u;
    unsigned y24 = (unsigned)(x24 >> 9) ^ 3576916120u;
    unsigned y25 = (unsigned)(x25 >> 16) ^ 1936384585u;
    unsigned y26 = (unsigned)(x26 >> 23) ^ 295853050u;
    unsigned y27 = (unsigned)(x27 >> 30) ^ 2950288811u;
    unsigned y28 = (unsigned)(x28 >> 5) ^ 1309757276u;
    unsigned y29 = (unsigned)(x29 >> 12) ^ 3964193037u;
    unsigned y30 = (unsigned)(x30 >> 19) ^ 2323661502u;
    unsigned y31 = (unsigned)(x31 >> 26) ^ 683129967u;
    unsigned y32 = (unsigned)(x32 >> 1) ^ 3337565728u;
    unsigned y33 = (unsigned)(x33 >> 8) ^ 1697034193u;
    unsigned y34 = (unsigned)(x34 >> 15) ^ 56502658u;
    unsigned y35 = (unsigned)(x35 >> 22) ^ 2710938419u;
    unsigned y36 = (unsigned)(x36 >> 29) ^ 1070406884u;
    unsigned y37 = (unsigned)(x37 >> 4) ^ 3724842645u;
    unsigned y38 = (unsigned)(x38 >> 11) ^ 2084311110u;
    unsigned y39 = (unsigned)(x39 >> 18) ^ 443779575u;
    for (unsigned r = 0; r < rounds; r++) {
        x0 += (x39 ^ y5) * 0x94d049bb133111ebull;
        y0 = rotl32(y0 ^ (unsigned)(x0 >> 32), y1 + r);
        x1 += (x0 ^ y18) * 0x94d049bb133111ebull;
        y1 = rotl32(y1 ^ (unsigned)(x1 >> 32), y2 + r);
        x2 += (x1 ^ y31) * 0x94d049bb133111ebull;
        y2 = rotl32(y2 ^ (unsigned)(x2 >> 32), y3 + r);
        x3 += (x2 ^ y4) * 0x94d049bb133111ebull;
        y3 = rotl32(y3 ^ (unsigned)(x3 >> 32), y4 + r);
        x4 += (x3 ^ y17) * 0x94d049bb133111ebull;
        y4 = rotl32(y4 ^ (unsigned)(x4 >> 32), y5 + r);
        x5 += (x4 ^ y30) * 0x94d049bb133111ebull;
        y5 = rotl32(y5 ^ (unsigned)(x5 >> 32), y6 + r);
        x6 += (x5 ^ y3) * 0x94d049bb133111ebull;
        y6 = rotl32(y6 ^ (unsigned)(x6 >> 32), y7 + r);
        x7 += (x6 ^ y16) * 0x94d049bb133111ebull;
        y7 = rotl32(y7 ^ (unsigned)(x7 >> 32), y8 + r);
        x8 += (x7 ^ y29) * 0x94d049bb133111ebull;
        y8 = rotl32(y8 ^ (unsigned)(x8 >> 32), y9 + r);
        x9 += (x8 ^ y2) * 0x94d049bb133111ebull;
        y9 = rotl32(y9 ^ (unsigned)(x9 >> 32), y10 + r);
        x10 += (x9 ^ y15) * 0x94d049bb133111ebull;
        y10 = rotl32(y10 ^ (unsigned)(x10 >> 32), y11 + r);
        x11 += (x10 ^ y28) * 0x94d049bb133111ebull;
        y11 = rotl32(y11 ^ (unsigned)(x11 >> 32), y12 + r);
        x12 += (x11 ^ y1) * 0x94d049bb133111ebull;
        y12 = rotl32(y12 ^ (unsigned)(x12 >> 32), y13 + r);
        x13 += (x12 ^ y14) * 0x94d049bb133111ebull;
        y13 = rotl32(y13 ^ (unsigned)(x13 >> 32), y14 + r);
        x14 += (x13 ^ y27) * 0x94d049bb133111ebull;
        y14 = rotl32(y14 ^ (unsigned)(x14 >> 32), y15 + r);
        x15 += (x14 ^ y0) * 0x94d049bb133111ebull;
        y15 = rotl32(y15 ^ (unsigned)(x15 >> 32), y16 + r);
        x16 += (x15 ^ y13) * 0x94d049bb133111ebull;
        y16 = rotl32(y16 ^ (unsigned)(x16 >> 32), y17 + r);
        x17 += (x16 ^ y26) * 0x94d049bb133111ebull;
        y17 = rotl32(y17 ^ (unsigned)(x17 >> 32), y18 + r);
        x18 += (x17 ^ y39) * 0x94d049bb133111ebull;
        y18 = rotl32(y18 ^ (unsigned)(x18 >> 32), y19 + r);
        x19 += (x18 ^ y12) * 0x94d049bb133111ebull;
        y19 = rotl32(y19 ^ (unsigned)(x19 >> 32), y20 + r);
        x20 += (x19 ^ y25) * 0x94d049bb133111ebull;
        y20 = rotl32(y20 ^ (unsigned)(x20 >> 32), y21 + r);
        x21 += (x20 ^ y38) * 0x94d049bb133111ebull;
        y21 = rotl32(y21 ^ (unsigned)(x21 >> 32), y22 + r);
        x22 += (x21 ^ y11) * 0x94d049bb133111ebull;
        y22 = rotl32(y22 ^ (unsigned)(x22 >> 32), y23 + r);
        x23 += (x22 ^ y24) * 0x94d049bb133111ebull;
        y23 = rotl32(y23 ^ (unsigned)(x23 >> 32), y24 + r);
        x24 += (x23 ^ y37) * 0x94d049bb133111ebull;
        y24 = rotl32(y24 ^ (unsigned)(x24 >> 32), y25 + r);
        x25 += (x24 ^ y10) * 0x94d049bb133111ebull;
        y25 = rotl32(y25 ^ (unsigned)(x25 >> 32), y26 + r);
        x26 += (x25 ^ y23) * 0x94d049bb133111ebull;
        y26 = rotl32(y26 ^ (unsigned)(x26 >> 32), y27 + r);
        x27 += (x26 ^ y36) * 0x94d049bb133111ebull;
        y27 = rotl32(y27 ^ (unsigned)(x27 >> 32), y28 + r);
        x28 += (x27 ^ y9) * 0x94d049bb133111ebull;
        y28 = rotl32(y28 ^ (unsigned)(x28 >> 32), y29 + r);
        x29 += (x28 ^ y22) * 0x94d049bb133111ebull;
        y29 = rotl32(y29 ^ (unsigned)(x29 >> 32), y30 + r);
        x30 += (x29 ^ y35) * 0x94d049bb133111ebull;
        y30 = rotl32(y30 ^ (unsigned)(x30 >> 32), y31 + r);
        x31 += (x30 ^ y8) * 0x94d049bb133111ebull;
        y31 = rotl32(y31 ^ (unsigned)(x31 >> 32), y32 + r);
        x32 += (x31 ^ y21) * 0x94d049bb133111ebull;
        y32 = rotl32(y32 ^ (unsigned)(x32 >> 32), y33 + r);
        x33 += (x32 ^ y34) * 0x94d049bb133111ebull;
        y33 = rotl32(y33 ^ (unsigned)(x33 >> 32), y34 + r);
        x34 += (x33 ^ y7) * 0x94d049bb133111ebull;
        y34 = rotl32(y34 ^ (unsigned)(x34 >> 32), y35 + r);
        x35 += (x34 ^ y20) * 0x94d049bb133111ebull;
        y35 = rotl32(y35 ^ (unsigned)(x35 >> 32), y36 + r);
        x36 += (x35 ^ y33) * 0x94d049bb133111ebull;
        y36 = rotl32(y36 ^ (unsigned)(x36 >> 32), y37 + r);
        x37 += (x36 ^ y6) * 0x94d049bb133111ebull;
        y37 = rotl32(y37 ^ (unsigned)(x37 >> 32), y38 + r);
        x38 += (x37 ^ y19) * 0x94d049bb133111ebull;
        y38 = rotl32(y38 ^ (unsigned)(x38 >> 32), y39 + r);
        x39 += (x38 ^ y32) * 0x94d049bb133111ebull;
        y39 = rotl32(y39 ^ (unsigned)(x39 >> 32), y0 + r);
    }
    u64 sum = 0;
    sum = (sum << 7 | sum >> 57) + (x0 ^ y0);
    sum = (sum << 7 | sum >> 57) + (x1 ^ y1);
    sum = (sum << 7 | sum >> 57) + (x2 ^ y2);
    sum = (sum << 7 | sum >> 57) + (x3 ^ y3);
    sum = (sum << 7 | sum >> 57) + (x4 ^ y4);
    sum = (sum << 7 | sum >> 57) + (x5 ^ y5);
    sum = (sum << 7 | sum >> 57) + (x6 ^ y6);
    sum = (sum << 7 | sum >> 57) + (x7 ^ y7);
    sum = (sum << 7 | sum >> 57) + (x8 ^ y8);
    sum = (sum << 7 | sum >> 57) + (x9 ^ y9);
    sum = (sum << 7 | sum >> 57) + (x10 ^ y10);
    sum = (sum << 7 | sum >> 57) + (x11 ^ y11);
    sum = (sum << 7 | sum >> 57) + (x12 ^ y12);
    sum = (sum << 7 | sum >> 57) + (x13 ^ y13);
    sum = (sum << 7 | sum >> 57) + (x14 ^ y14);
    sum = (sum << 7 | sum >> 57) + (x15 ^ y15);
    sum = (sum << 7 | sum >> 57) + (x16 ^ y16);
    sum = (sum << 7 | sum >> 57) + (x17 ^ y17);
    sum = (sum << 7 | sum >> 57) + (x18 ^ y18);
    sum = (sum << 7 | sum >> 57) + (x19 ^ y19);
    sum = (sum << 7 | sum >> 57) + (x20 ^ y20);
    sum = (sum << 7 | sum >> 57) + (x21 ^ y21);
    sum = (sum << 7 | sum >> 57) + (x22 ^ y22);
    sum = (sum << 7 | sum >> 57) + (x23 ^ y23);
    sum = (sum << 7 | sum >> 57) + (x24 ^ y24);
    sum = (sum << 7 | sum >> 57) + (x25 ^ y25);
    sum = (sum << 7 | sum >> 57) + (x26 ^ y26);
    sum = (sum << 7 | sum >> 57) + (x27 ^ y27);
    sum = (sum << 7 | sum >> 57) + (x28 ^ y28);
    sum = (sum << 7 | sum >> 57) + (x29 ^ y29);
    sum = (sum << 7 | sum >> 57) + (x30 ^ y30);
    sum = (sum << 7 | sum >> 57) + (x31 ^ y31);
    sum = (sum << 7 | sum >> 57) + (x32 ^ y32);
    sum = (sum << 7 | sum >> 57) + (x33 ^ y33);
    sum = (sum << 7 | sum >> 57) + (x34 ^ y34);
    sum = (sum << 7 | sum >> 57) + (x35 ^ y35);
    sum = (sum << 7 | sum >> 57) + (x36 ^ y36);
    sum = (sum << 7 | sum >> 57) + (x37 ^ y37);
    sum = (sum << 7 | sum >> 57) + (x38 ^ y38);
    sum = (sum << 7 | sum >> 57) + (x39 ^ y39);
    return sum;
}

static void print_hex64(u64 v) {
    for (int shift = 60; shift >= 0; shift -= 4) {
        unsigned d = (unsigned)(v >> shift) & 15u;
        output_byte(d < 10 ? '0' + d : 'a' + d - 10);
    }
}

void compute(const char *input) {
    const char *p = input;
    unsigned rounds = (unsigned)parse_int(&p);
    unsigned seed = (unsigned)parse_int(&p);
    print_str("rounds ");
    print_uint(rounds);
    print_str(" seed ");
    print_uint(seed);
    print_str(" sum ");
    print_hex64(churn(seed, rounds));
    print_nl();
}

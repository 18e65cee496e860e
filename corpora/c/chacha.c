/* chacha.c - the ChaCha20 block function (RFC 8439, 2.3), an ARX cipher:
 * 32-bit additions, xors and rotations by 16, 12, 8 and 7, twenty rounds.
 *
 * Input: a block counter n (decimal). The key is bytes 0..31, the nonce
 * 00 00 00 09 00 00 00 4a 00 00 00 00 (RFC 8439's test vector, 2.3.2);
 * prints the 64-byte keystream block for counter n in hex, 32 bytes a line.
 *
 * Default input: "1" (the RFC's vector)
 *   -> "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e\n"
 *      "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e\n"
 */
static unsigned rotl(unsigned x, int k) { return (x << k) | (x >> (32 - k)); }

#define QR(a, b, c, d)                       \
    a += b; d ^= a; d = rotl(d, 16);         \
    c += d; b ^= c; b = rotl(b, 12);         \
    a += b; d ^= a; d = rotl(d, 8);          \
    c += d; b ^= c; b = rotl(b, 7);

static void print_byte_hex(unsigned b) {
    const char *digits = "0123456789abcdef";
    print_char(digits[(b >> 4) & 15]);
    print_char(digits[b & 15]);
}

__attribute__((noinline)) static void block(unsigned out[16], unsigned counter) {
    unsigned s[16], x[16];
    s[0] = 0x61707865; s[1] = 0x3320646e; s[2] = 0x79622d32; s[3] = 0x6b206574;
    for (int i = 0; i < 8; i++) {
        unsigned b = 4 * i;
        s[4 + i] = b | (b + 1) << 8 | (b + 2) << 16 | (b + 3) << 24;
    }
    s[12] = counter;
    s[13] = 0x09000000; s[14] = 0x4a000000; s[15] = 0;
    for (int i = 0; i < 16; i++) x[i] = s[i];
    for (int r = 0; r < 10; r++) {
        QR(x[0], x[4], x[8], x[12]);
        QR(x[1], x[5], x[9], x[13]);
        QR(x[2], x[6], x[10], x[14]);
        QR(x[3], x[7], x[11], x[15]);
        QR(x[0], x[5], x[10], x[15]);
        QR(x[1], x[6], x[11], x[12]);
        QR(x[2], x[7], x[8], x[13]);
        QR(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++) out[i] = x[i] + s[i];
}

void compute(const char *input) {
    const char *p = input;
    unsigned counter = (unsigned)parse_int(&p);
    unsigned out[16];
    block(out, counter);
    for (int i = 0; i < 16; i++) {
        for (int k = 0; k < 4; k++) print_byte_hex(out[i] >> (8 * k));
        if (i % 8 == 7) print_nl();
    }
}

/* chacha.c - the ChaCha20 block function (RFC 8439): 20 rounds of 32-bit
 * add, xor and rotate on a 4x4 state, the core of a stream cipher.  Like
 * AES or Blowfish it is bit-heavy: xor and rotations dominate.
 *
 * Input: a decimal block counter.  The key is bytes 0..31, the nonce
 * 00 00 00 09 00 00 00 4a 00 00 00 00 (the RFC's test vector, section
 * 2.3.2).  Output: "block N " and the 64 keystream bytes in hex.
 *
 * Default input "1" gives the RFC's serialized block:
 *   block 1 10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e
 *   d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e
 * (one line, no space inside the hex).
 */

static unsigned rotl32(unsigned x, int n) { return (x << n) | (x >> (32 - n)); }

#define QR(a, b, c, d)              \
    a += b; d ^= a; d = rotl32(d, 16); \
    c += d; b ^= c; b = rotl32(b, 12); \
    a += b; d ^= a; d = rotl32(d, 8);  \
    c += d; b ^= c; b = rotl32(b, 7);

static void print_hex8(unsigned v) {
    unsigned hi = (v >> 4) & 15u, lo = v & 15u;
    output_byte(hi < 10 ? '0' + hi : 'a' + hi - 10);
    output_byte(lo < 10 ? '0' + lo : 'a' + lo - 10);
}

void compute(const char *input) {
    const char *p = input;
    unsigned counter = (unsigned)parse_int(&p);
    unsigned s[16], x[16];
    s[0] = 0x61707865u; s[1] = 0x3320646eu; s[2] = 0x79622d32u; s[3] = 0x6b206574u;
    for (int i = 0; i < 8; i++) {
        unsigned b = 4u * (unsigned)i;
        s[4 + i] = b | ((b + 1) << 8) | ((b + 2) << 16) | ((b + 3) << 24);
    }
    s[12] = counter;
    s[13] = 0x09000000u; s[14] = 0x4a000000u; s[15] = 0;
    for (int i = 0; i < 16; i++) x[i] = s[i];
    for (int r = 0; r < 10; r++) {
        QR(x[0], x[4], x[8], x[12]) QR(x[1], x[5], x[9], x[13])
        QR(x[2], x[6], x[10], x[14]) QR(x[3], x[7], x[11], x[15])
        QR(x[0], x[5], x[10], x[15]) QR(x[1], x[6], x[11], x[12])
        QR(x[2], x[7], x[8], x[13]) QR(x[3], x[4], x[9], x[14])
    }
    print_str("block ");
    print_uint(counter);
    output_byte(' ');
    for (int i = 0; i < 16; i++) {
        unsigned v = x[i] + s[i];
        for (int k = 0; k < 4; k++) print_hex8(v >> (8 * k));
    }
    print_nl();
}

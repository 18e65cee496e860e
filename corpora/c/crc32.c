/* crc32.c - CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) of the
 * input, computed two ways that must agree:
 *
 *   bitwise  eight shift/xor/mask rounds per byte;
 *   table    a 256-entry table built at run time (itself bit by bit), then
 *            one lookup, shift and xor per byte.
 *
 * Bit-heavy code with variable operands everywhere: `crc >> 1`,
 * `-(crc & 1) & POLY`, `crc ^ byte`, `(crc ^ b) & 0xff`.
 *
 * Default input: "The quick brown fox jumps over the lazy dog"
 *   -> "bitwise 414fa339\ntable 414fa339\n"
 */
#define POLY 0xEDB88320u

static unsigned table[256];

static void print_hex(unsigned v) {
    for (int shift = 28; shift >= 0; shift -= 4) {
        unsigned d = (v >> shift) & 15;
        print_char(d < 10 ? '0' + d : 'a' + d - 10);
    }
}

__attribute__((noinline)) static unsigned crc_bitwise(const char *s) {
    unsigned crc = 0xFFFFFFFFu;
    while (*s) {
        crc ^= (unsigned char)*s++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (-(crc & 1) & POLY);
    }
    return ~crc;
}

__attribute__((noinline)) static void build_table(void) {
    for (unsigned n = 0; n < 256; n++) {
        unsigned c = n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
        table[n] = c;
    }
}

__attribute__((noinline)) static unsigned crc_table(const char *s) {
    unsigned crc = 0xFFFFFFFFu;
    while (*s)
        crc = table[(crc ^ (unsigned char)*s++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

void compute(const char *input) {
    print_str("bitwise ");
    print_hex(crc_bitwise(input));
    print_nl();
    build_table();
    print_str("table ");
    print_hex(crc_table(input));
    print_nl();
}

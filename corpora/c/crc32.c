/* crc32.c - CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) of the
 * input string, computed bit by bit the way small embedded code does it:
 * per input byte, eight rounds of shift, mask and xor.  Bit-heavy code:
 * almost every executed instruction is an and, xor or shift.
 *
 * Input: any string.  Output: "crc32 XXXXXXXX\n" (8 lowercase hex digits).
 *
 * Default input "123456789" gives the standard check value:
 *   crc32 cbf43926
 */

static unsigned crc32(const char *s) {
    unsigned crc = 0xffffffffu;
    while (*s) {
        crc ^= (unsigned char)*s++;
        for (int k = 0; k < 8; k++) {
            unsigned mask = 0u - (crc & 1u);
            crc = (crc >> 1) ^ (0xedb88320u & mask);
        }
    }
    return ~crc;
}

static void print_hex32(unsigned v) {
    for (int shift = 28; shift >= 0; shift -= 4) {
        unsigned d = (v >> shift) & 15u;
        output_byte(d < 10 ? '0' + d : 'a' + d - 10);
    }
}

void compute(const char *input) {
    print_str("crc32 ");
    print_hex32(crc32(input));
    print_nl();
}

/* fnptr.c - a little calculator that calls through function-pointer tables.
 *
 * Input: a start value, then steps "op arg" (decimal), e.g. "7 0 5 2 3".
 * Each step replaces the accumulator with ops[op % 8](acc, arg), through a
 * table of eight functions of type (unsigned, unsigned) -> unsigned, and
 * prints it with one of two printers chosen by the op's parity, through a
 * second table of another type (unsigned) -> void.  Both tables are
 * indexed by the input, so clang must emit call_indirect and an element
 * segment; only 32-bit values are used (no i64).
 *
 * Output: one line per step, "name(acc, arg) = value".
 * Default input: "7 0 5 2 3 1 100 4 9 3 1 5 60000 6 2 7 11 13 4"
 *   (see manifest.txt for the output)
 */
typedef unsigned (*binop)(unsigned, unsigned);
typedef void (*printer)(unsigned);

static unsigned op_add(unsigned a, unsigned b) { return a + b; }
static unsigned op_sub(unsigned a, unsigned b) { return a - b; }
static unsigned op_mul(unsigned a, unsigned b) { return a * b; }
static unsigned op_xor(unsigned a, unsigned b) { return a ^ b; }
static unsigned op_rotl(unsigned a, unsigned b) {
    b &= 31u;
    return b == 0 ? a : (a << b) | (a >> (32u - b));
}
static unsigned op_min(unsigned a, unsigned b) { return a < b ? a : b; }
static unsigned op_max(unsigned a, unsigned b) { return a > b ? a : b; }
static unsigned op_avg(unsigned a, unsigned b) { return (a & b) + ((a ^ b) >> 1); }

static const binop ops[8] = {op_add, op_sub, op_mul, op_xor,
                             op_rotl, op_min, op_max, op_avg};
static const char *const names[8] = {"add", "sub", "mul", "xor",
                                     "rotl", "min", "max", "avg"};

static void print_dec(unsigned v) { print_uint(v); }
static void print_hex(unsigned v) {
    print_str("0x");
    for (int shift = 28; shift >= 0; shift -= 4) {
        unsigned d = (v >> shift) & 15u;
        output_byte(d < 10 ? '0' + d : 'a' + d - 10);
    }
}

static const printer printers[2] = {print_dec, print_hex};

void compute(const char *input) {
    const char *p = input;
    unsigned acc = (unsigned)parse_int(&p);
    for (;;) {
        while (is_space(*p))
            p++;
        if (!is_digit(*p))
            break;
        unsigned op = (unsigned)parse_int(&p) % 8u;
        unsigned arg = (unsigned)parse_int(&p);
        unsigned next = ops[op](acc, arg);
        print_str(names[op]);
        output_byte('(');
        print_uint(acc);
        print_str(", ");
        print_uint(arg);
        print_str(") = ");
        printers[op & 1u](next);
        print_nl();
        acc = next;
    }
}

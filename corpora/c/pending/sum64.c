/* sum64.c - 64-bit sum, alternating sum and product of the input numbers,
 * built at -O0, where clang gives every intermediate value its own wasm
 * local: compute declares 81 locals (21 of them i64) and parse_int 76, a
 * step short of locals.c's churn and its 1,894.
 *
 * build-flags: -O0
 *
 * Input: signed 32-bit decimal numbers.  Output:
 *   "n N sum <hex> alt <hex> prod <hex>\n", each value 16 hex digits
 *   (64-bit two's complement; the product wraps modulo 2^64).
 *
 * Default input: "2147483647 -2147483648 65537 -3 100000 7"
 *   (see manifest.txt for the output)
 */
typedef unsigned long long u64;
typedef long long i64;

static void print_hex64(u64 v) {
    for (int shift = 60; shift >= 0; shift -= 4) {
        unsigned d = (unsigned)(v >> shift) & 15u;
        output_byte(d < 10 ? '0' + d : 'a' + d - 10);
    }
}

void compute(const char *input) {
    const char *p = input;
    i64 sum = 0, alt = 0, prod = 1;
    int n = 0;
    for (;;) {
        while (is_space(*p))
            p++;
        if (!is_digit(*p) && *p != '-' && *p != '+')
            break;
        i64 v = parse_int(&p);
        sum += v;
        alt += (n & 1) ? -v : v;
        prod = (i64)((u64)prod * (u64)v);
        n++;
    }
    print_str("n ");
    print_int(n);
    print_str(" sum ");
    print_hex64((u64)sum);
    print_str(" alt ");
    print_hex64((u64)alt);
    print_str(" prod ");
    print_hex64((u64)prod);
    print_nl();
}

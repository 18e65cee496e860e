/* collatz.c - prints the Collatz sequence from n down to 1.
 *
 * Input: a positive decimal integer n.  Output: the terms separated by
 * single spaces, then "\n".  Values are 32-bit unsigned (wrap-around is
 * not checked; fine for n up to ~ 100 million).
 * Default input: "7"
 *   -> "7 22 11 34 17 52 26 13 40 20 10 5 16 8 4 2 1\n"
 */
__attribute__((noinline)) static unsigned collatz_next(unsigned n) {
    if ((n & 1u) == 0)
        return n / 2u;
    return 3u * n + 1u;
}

void compute(const char *input) {
    const char *p = input;
    unsigned n = (unsigned)parse_int(&p);
    if (n == 0) {
        print_str("0\n");
        return;
    }
    print_uint(n);
    while (n != 1) {
        n = collatz_next(n);
        output_byte(' ');
        print_uint(n);
    }
    output_byte('\n');
}

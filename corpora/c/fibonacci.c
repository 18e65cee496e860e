/* fibonacci.c - prints the n-th Fibonacci number, fib(1) = fib(2) = 1.
 *
 * Input: decimal n >= 0 (fib(0) = 0).  Output: fib(n) in decimal, then "\n".
 * 32-bit unsigned arithmetic: exact up to n = 47 (2971215073), wraps above.
 * Default input: "10"  ->  "55\n"
 *
 * For n <= 20 the naive doubly recursive definition is used (177 calls
 * for fib(10) as written; clang turns one of the two recursive calls into
 * a loop), exercising calls with parameters and return values.  Above 20
 * an iterative loop is used that calls a two-argument helper each step.
 */
__attribute__((noinline)) static unsigned fib_rec(unsigned n) {
    if (n < 2)
        return n;
    return fib_rec(n - 1) + fib_rec(n - 2);
}

__attribute__((noinline)) static unsigned add2(unsigned a, unsigned b) {
    return a + b;
}

__attribute__((noinline)) static unsigned fib_iter(unsigned n) {
    unsigned a = 0, b = 1, i;
    for (i = 0; i < n; i++) {
        unsigned t = add2(a, b);
        a = b;
        b = t;
    }
    return a;
}

void compute(const char *input) {
    const char *p = input;
    int n = parse_int(&p);
    unsigned r;
    if (n < 0)
        n = 0;
    if (n <= 20)
        r = fib_rec((unsigned)n);
    else
        r = fib_iter((unsigned)n);
    print_uint(r);
    output_byte('\n');
}

/* integrate.c - pi as the integral of 4 / (1 + x^2) over [0, 1], by
 * Simpson's rule, in double and in float: IEEE arithmetic on the
 * transformer (every operation a call of hullvm's soft-float runtime).
 *
 * Input: N, the number of intervals (even, 2..64).  Output:
 *   "f64 <bits> <pi * 1e9, truncated>\nf32 <bits> <pi * 1e6, truncated>\n"
 *   with the bits in hex.
 *
 * Default input: "4" (see manifest.txt for the output)
 */
typedef unsigned long long u64;

static void print_hex(u64 v, int digits) {
    for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) {
        unsigned d = (unsigned)(v >> shift) & 15u;
        output_byte(d < 10 ? '0' + d : 'a' + d - 10);
    }
}

static double f64(double x) { return 4.0 / (1.0 + x * x); }
static float f32(float x) { return 4.0f / (1.0f + x * x); }

void compute(const char *input) {
    const char *p = input;
    int n = parse_int(&p);
    if (n < 2 || n > 64 || n % 2) {
        print_str("N must be even, 2..64\n");
        return;
    }
    double h = 1.0 / n, sum = f64(0.0) + f64(1.0);
    float hf = 1.0f / (float)n, sumf = f32(0.0f) + f32(1.0f);
    for (int i = 1; i < n; i++) {
        double w = (i % 2) ? 4.0 : 2.0;
        sum += w * f64(i * h);
        sumf += (float)w * f32((float)i * hf);
    }
    double pi = sum * h / 3.0;
    float pif = sumf * hf / 3.0f;
    union { double d; u64 u; } bits = { pi };
    union { float f; unsigned u; } bitsf = { pif };
    print_str("f64 ");
    print_hex(bits.u, 16);
    output_byte(' ');
    print_uint((unsigned)(pi * 1e9));
    print_str("\nf32 ");
    print_hex(bitsf.u, 8);
    output_byte(' ');
    print_uint((unsigned)(pif * 1e6f));
    print_nl();
}

/* matrix.c - the inverse of a 3x3 matrix by Gauss-Jordan elimination with
 * partial pivoting, in float, and its determinant: IEEE single precision on
 * the transformer (every operation a call of hullvm's soft-float runtime).
 *
 * Input: nine integers, the matrix row by row.  Output: the determinant and
 * the inverse's entries, each as round-to-zero(x * 1000) in decimal and
 * its f32 bits in hex, or "singular".
 *
 * Default input: "2 -1 0 -1 2 -1 0 -1 2" (see manifest.txt for the output)
 */
static void print_hex32(unsigned v) {
    for (int shift = 28; shift >= 0; shift -= 4) {
        unsigned d = (v >> shift) & 15u;
        output_byte(d < 10 ? '0' + d : 'a' + d - 10);
    }
}

static void print_value(float x) {
    union { float f; unsigned u; } bits = { x };
    print_int((int)(x * 1000.0f));
    output_byte('/');
    print_hex32(bits.u);
}

static float magnitude(float x) { return x < 0 ? -x : x; }

void compute(const char *input) {
    float a[3][6];
    const char *p = input;
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 6; c++)
            a[r][c] = c < 3 ? (float)parse_int(&p) : (float)(c - 3 == r);
    float det = 1.0f;
    for (int col = 0; col < 3; col++) {
        int pivot = col;
        for (int r = col + 1; r < 3; r++)
            if (magnitude(a[r][col]) > magnitude(a[pivot][col]))
                pivot = r;
        if (a[pivot][col] == 0.0f) {
            print_str("singular\n");
            return;
        }
        if (pivot != col) {
            det = -det;
            for (int c = 0; c < 6; c++) {
                float t = a[col][c];
                a[col][c] = a[pivot][c];
                a[pivot][c] = t;
            }
        }
        float d = a[col][col];
        det *= d;
        for (int c = 0; c < 6; c++)
            a[col][c] /= d;
        for (int r = 0; r < 3; r++) {
            if (r == col)
                continue;
            float f = a[r][col];
            for (int c = 0; c < 6; c++)
                a[r][c] -= f * a[col][c];
        }
    }
    print_str("det ");
    print_value(det);
    print_nl();
    for (int r = 0; r < 3; r++) {
        for (int c = 3; c < 6; c++) {
            print_value(a[r][c]);
            output_byte(c < 5 ? ' ' : '\n');
        }
    }
}

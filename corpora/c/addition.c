/* addition.c - sum of two non-negative decimal numbers of arbitrary length.
 *
 * Input: "A+B" where A and B are strings of decimal digits (any length,
 * optional surrounding spaces).  Output: the decimal sum followed by "\n".
 * Default input: "12345+6789"  ->  "19134\n"
 *
 * The numbers are never converted to machine integers.  The sum is produced
 * digit by digit, most significant digit first, *without any buffer*: the
 * two operands are aligned at their least significant digit and walked from
 * the top.  A digit sum of 9 cannot be emitted yet (a later carry could turn
 * it into 0), so we keep one pending digit plus a count of pending nines and
 * resolve them when the next non-9 column sum arrives.  Leading zeros of the
 * result are suppressed (but "0+0" prints "0").
 */

static int started;                 /* has a non-zero digit been printed? */

__attribute__((noinline)) static void emit_digit(int d) {
    if (d == 0 && !started)
        return;                     /* leading zero */
    started = 1;
    output_byte('0' + d);
}

/* Digit of a number of length len at column k counted from the top of a
 * field of width w (the number is right-aligned in that field). */
__attribute__((noinline)) static int digit_at(const char *s, int len, int w, int k) {
    int i = k - (w - len);
    if (i < 0)
        return 0;
    return s[i] - '0';
}

void compute(const char *input) {
    const char *a = input;
    const char *b;
    int la = 0, lb = 0, w, k;
    int pending = 0;                /* most recent undecided non-9 digit */
    int nines = 0;                  /* number of 9s following `pending` */

    started = 0;
    while (*a == ' ')
        a++;
    while (is_digit(a[la]))
        la++;
    b = a + la;
    while (*b == ' ' || *b == '+')
        b++;
    while (is_digit(b[lb]))
        lb++;

    w = la > lb ? la : lb;
    /* `pending` starts as a virtual leading 0 column that absorbs a final
     * carry (printed as 1) or is dropped as a leading zero. */
    for (k = 0; k < w; k++) {
        int s = digit_at(a, la, w, k) + digit_at(b, lb, w, k);
        if (s < 9) {
            emit_digit(pending);
            while (nines > 0) { emit_digit(9); nines--; }
            pending = s;
        } else if (s == 9) {
            nines++;
        } else {                    /* carry into `pending` */
            emit_digit(pending + 1);
            while (nines > 0) { emit_digit(0); nines--; }
            pending = s - 10;
        }
    }
    emit_digit(pending);
    while (nines > 0) { emit_digit(9); nines--; }
    if (!started)
        output_byte('0');
    output_byte('\n');
}

/* printf of doubles: wasi-libc's full vfprintf (its floating-point paths,
 * fmt_fp's long double arithmetic included) on a WASI command, every float
 * operation a call of hullvm's soft-float runtime.
 *
 * Linked with the full printf: full-printf (see build.sh).
 *
 * No input; prints a few values in %f, %g and %e with widths. */
#include <stdio.h>

int main(void) {
    double third = 2.0 / 3.0;
    printf("%.6f %g %e\n", third, 1.5e10, -0.000125);
    printf("[%8.3f] [%-10.2e]\n", 3.14159, 12345.678);
    return 0;
}

/* printf of 64-bit arithmetic with widths, flags and a loop: wasi-libc's
 * stdio (line-buffered stdout, vfprintf's integer paths) on a WASI
 * command. No input; prints a table of Fibonacci numbers, a 64-bit
 * multiply-xorshift hash chain and a few formatted fields. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

static uint64_t mix(uint64_t x) {
    x ^= x >> 31;
    x *= 0x9e3779b97f4a7c15ULL;
    return x ^ (x >> 29);
}

int main(void) {
    uint64_t a = 0, b = 1;
    for (int i = 0; i < 91; i += 30) {
        for (int k = i == 0 ? 0 : 30; k > 0; k--) {
            uint64_t c = a + b;
            a = b;
            b = c;
        }
        printf("fib %2d = %20" PRIu64 " |%-16" PRIx64 "|\n", i, a, a);
    }
    uint64_t h = 42;
    for (int i = 0; i < 2; i++) {
        h = mix(h);
        printf("mix %d: %016" PRIx64 " %" PRId64 "\n", i, h, (int64_t)h);
    }
    printf("[%5s] [%-5s] [%+d] [%05d] [%c] [%%]\n", "ab", "cd", 42, -42, 'z');
    return 0;
}

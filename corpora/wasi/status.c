/* A WASI command that ends with a non-zero status: writes a line to stdout
 * and one to stderr (both reach the output, in order; see README.md), then
 * returns 3 from main, which wasi-libc's _start passes to proc_exit. */
#include <stdio.h>

int main(void) {
    printf("to stdout %d\n", 1);
    fflush(stdout);
    fprintf(stderr, "to stderr %d\n", 2);
    return 3;
}

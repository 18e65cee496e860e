/* ring.c - a long-running loop: n rounds over a ring of 16 counters.
 *
 * Input: decimal n.  Each round adds the round number to the next counter
 * of the ring (a load and a store in memory) and that counter to a running
 * total; the ring is walked by pointer, so the loop needs no multiply,
 * shift or bit operation.  Output: "rounds <n> total <total>\n", total in
 * 32-bit unsigned (wrapping) decimal.  About 176 trace tokens a round: an
 * input of 1250000 runs past 200M tokens (a check of exactness at length).
 * Default input: "1000"  ->  "rounds 1000 total 10652124\n"
 */
static unsigned ring[16];

void compute(const char *input) {
    const char *p = input;
    unsigned n = (unsigned)parse_int(&p);
    unsigned total = 0;
    unsigned *cell = ring;
    for (unsigned i = 0; i < n; i++) {
        *cell += i;
        total += *cell;
        cell++;
        if (cell == ring + 16)
            cell = ring;
    }
    print_str("rounds ");
    print_uint(n);
    print_str(" total ");
    print_uint(total);
    print_nl();
}

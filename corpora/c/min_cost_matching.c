/* min_cost_matching.c - minimum-cost perfect matching (assignment problem)
 * with the O(n^3) Hungarian algorithm (shortest augmenting paths with
 * row/column potentials u, v), all in 32-bit int arithmetic.
 *
 * Input:  "n c00 c01 ... c(n-1)(n-1)"  (n <= 16, costs row-major, may be
 *         negative; |costs| should stay well below 10^8 to avoid overflow).
 * Output: "cost C: 0->j0 1->j1 ... (n-1)->j(n-1)\n"  where row i is assigned
 *         to column ji and C is the sum of the assigned costs.
 *
 * Default input (n = 5):
 *   "5 7 53 183 439 863 497 383 563 79 973 287 63 343 169 583
 *    627 343 773 959 943 767 473 103 699 303"
 *        7  53 183 439 863
 *      497 383 563  79 973
 *      287  63 343 169 583
 *      627 343 773 959 943
 *      767 473 103 699 303
 * Expected: "cost 1075: 0->0 1->3 2->2 3->1 4->4\n"
 *   7 + 79 + 343 + 343 + 303 = 1075.  Verified by brute force over all
 *   120 permutations: the optimum is unique (next best totals 1115, 1195).
 * Small example: "3 4 1 3 2 0 5 3 2 2" -> "cost 5: 0->1 1->0 2->2\n".
 */

#define MAXN 16
#define INF 0x3fffffff

static int a[MAXN + 1][MAXN + 1];        /* 1-based cost matrix */
static int u[MAXN + 1], v[MAXN + 1];     /* row / column potentials */
static int p[MAXN + 1];                  /* p[j] = row matched to column j */
static int way[MAXN + 1];                /* previous column on the path */
static int minv[MAXN + 1];
static int used[MAXN + 1];
static int assign_of[MAXN + 1];          /* assign_of[i] = column of row i */

__attribute__((noinline)) static void hungarian(int n) {
    int i, j;
    for (j = 0; j <= n; j++) {
        u[j] = 0;
        v[j] = 0;
        p[j] = 0;
        way[j] = 0;
    }
    for (i = 1; i <= n; i++) {
        int j0 = 0;
        p[0] = i;
        for (j = 0; j <= n; j++) {
            minv[j] = INF;
            used[j] = 0;
        }
        do {
            int i0 = p[j0], delta = INF, j1 = 0;
            used[j0] = 1;
            for (j = 1; j <= n; j++) {
                if (!used[j]) {
                    int cur = a[i0][j] - u[i0] - v[j];
                    if (cur < minv[j]) {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if (minv[j] < delta) {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for (j = 0; j <= n; j++) {
                if (used[j]) {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
        } while (p[j0] != 0);
        do {                               /* augment along the path */
            int j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        } while (j0 != 0);
    }
    for (j = 1; j <= n; j++)
        assign_of[p[j]] = j;
}

void compute(const char *input) {
    const char *s = input;
    int n = parse_int(&s), i, j, total = 0;
    if (n < 1 || n > MAXN) {
        print_str("bad n\n");
        return;
    }
    for (i = 1; i <= n; i++)
        for (j = 1; j <= n; j++)
            a[i][j] = parse_int(&s);
    hungarian(n);
    for (i = 1; i <= n; i++)
        total += a[i][assign_of[i]];
    print_str("cost ");
    print_int(total);
    output_byte(':');
    for (i = 1; i <= n; i++) {
        output_byte(' ');
        print_int(i - 1);
        print_str("->");
        print_int(assign_of[i] - 1);
    }
    output_byte('\n');
}

/* sudoku.c - backtracking sudoku solver with candidate bitmasks.
 *
 * Input:  81 characters, row-major; '1'..'9' are givens, '0' or '.' are
 *         empty cells.  Any other characters (spaces, newlines, '|', '-',
 *         '+') are skipped, so a pretty-printed grid also works.
 * Output: the solved grid as 81 digits on one line, then "\n";
 *         "no solution\n" if the puzzle is contradictory or unsolvable,
 *         "bad input\n" if fewer than 81 cells were found.
 *
 * Default input (Arto Inkala's "world's hardest sudoku"):
 *   800000000003600000070090200050007000000045700000100030001000068008500010090000400
 * Expected output:
 *   812753649943682175675491283154237896369845721287169534521974368438526917796318452
 *
 * Technique: bitmasks of used digits (bit d = digit d) for the 9 rows,
 * 9 columns and 9 boxes.  Row r = cell / 9, column c = cell % 9 and box
 * (r / 3) * 3 + c / 3 are computed (with real divisions) once per empty
 * cell, which then keeps pointers to its three masks, so the hot loop has
 * no divisions.  The empty cells live in an array of "slots"; at each step
 * the slot with the fewest candidates, i.e. the most used digits (popcount
 * of row|col|box), is swapped to the front and branched on, so only
 * undecided cells are rescanned.  Candidates are tried from the highest
 * digit down (0x80000000 >> clz) and the digit is recovered with ctz.
 * Search cost depends a lot on such choices: for the default puzzle this
 * runs ~1.5M wasm instructions; ascending digit order (x & -x) ~6.5M.
 * Stack: recursion depth <= 81, solve() uses no shadow-stack memory.
 */

#define ALL_DIGITS 0x3feu    /* bits 1..9 */

static unsigned char grid[81];
static unsigned used[27];              /* rows 0..8, cols 9..17, boxes 18..26 */

/* One slot per empty cell. */
static unsigned char slot_cell[81];
static unsigned *slot_row[81], *slot_col[81], *slot_box[81];
static int n_empty;

static int box_index(int cell) {
    int r = cell / 9, c = cell % 9;
    return (r / 3) * 3 + c / 3;
}

static unsigned used_mask(int cell) {
    return used[cell / 9] | used[9 + cell % 9] | used[18 + box_index(cell)];
}

static void mark(int cell, int d) {
    unsigned bit = 1u << d;
    grid[cell] = (unsigned char)d;
    used[cell / 9] |= bit;
    used[9 + cell % 9] |= bit;
    used[18 + box_index(cell)] |= bit;
}

__attribute__((noinline)) static void add_slot(int cell) {
    int i = n_empty++;
    slot_cell[i] = (unsigned char)cell;
    slot_row[i] = &used[cell / 9];
    slot_col[i] = &used[9 + cell % 9];
    slot_box[i] = &used[18 + box_index(cell)];
}

static void swap_slots(int i, int j) {
    unsigned char c = slot_cell[i];
    unsigned *p;
    slot_cell[i] = slot_cell[j];
    slot_cell[j] = c;
    p = slot_row[i]; slot_row[i] = slot_row[j]; slot_row[j] = p;
    p = slot_col[i]; slot_col[i] = slot_col[j]; slot_col[j] = p;
    p = slot_box[i]; slot_box[i] = slot_box[j]; slot_box[j] = p;
}

/* Solve slots k..n_empty-1; returns 1 on success. */
static int solve(int k) {
    int best = k, best_used = -1, i;
    unsigned cand;
    unsigned *pr, *pc, *pb;
    if (k == n_empty)
        return 1;
    for (i = k; i < n_empty; i++) {
        int cnt = __builtin_popcount(*slot_row[i] | *slot_col[i] | *slot_box[i]);
        if (cnt > best_used) {
            best_used = cnt;
            best = i;
            if (cnt >= 8)               /* at most one candidate left */
                break;
        }
    }
    if (best_used == 9)
        return 0;                       /* no candidate for this cell */
    swap_slots(k, best);
    pr = slot_row[k];
    pc = slot_col[k];
    pb = slot_box[k];
    cand = ~(*pr | *pc | *pb) & ALL_DIGITS;
    while (cand != 0) {
        unsigned low = 0x80000000u >> __builtin_clz(cand);   /* highest */
        cand ^= low;
        *pr |= low;
        *pc |= low;
        *pb |= low;
        if (solve(k + 1)) {
            grid[slot_cell[k]] = (unsigned char)__builtin_ctz(low);
            return 1;
        }
        *pr ^= low;
        *pc ^= low;
        *pb ^= low;
    }
    return 0;
}

void compute(const char *input) {
    const char *s = input;
    int i, count = 0, ok = 1;
    for (i = 0; i < 27; i++)
        used[i] = 0;
    n_empty = 0;
    while (*s != 0 && count < 81) {
        int ch = *s++;
        if (ch == '.' || ch == '0') {
            grid[count] = 0;
            add_slot(count);
            count++;
        } else if (ch >= '1' && ch <= '9') {
            int d = ch - '0';
            if (used_mask(count) & (1u << d))
                ok = 0;             /* given clashes with an earlier one */
            mark(count, d);
            count++;
        }
    }
    if (count < 81) {
        print_str("bad input\n");
        return;
    }
    if (!ok || !solve(0)) {
        print_str("no solution\n");
        return;
    }
    for (i = 0; i < 81; i++)
        output_byte('0' + grid[i]);
    output_byte('\n');
}

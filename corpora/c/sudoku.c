/* sudoku.c - sudoku solver: singles propagation with counters, plus search.
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
 * Written for a target whose only cheap operations are add/sub, compare,
 * branch and loads/stores: the solver uses no *, /, %, &, |, ^, shifts or
 * bit-count builtins (wasm2wat shows no i32.mul/div/rem/and/or/xor/shl/shr/
 * rot/clz/ctz/popcnt at all).  Everything is byte counters and flags:
 *   - each cell keeps alive[d] (1 while digit d is still possible) and cnt,
 *     the number of live digits;
 *   - each unit (9 rows, 9 columns, 9 boxes) keeps cnt[d], the number of its
 *     cells where d is still possible.
 * Placing d in a cell removes its other digits and removes d from its 20
 * peers; every removal decrements the cell count and the unit counters, and
 * a counter that drops to 1 queues a naked single (cell) or a hidden single
 * (unit), one that drops to 0 is a contradiction.  Counters of a unit that
 * already holds the digit are set to FILLED (>= 100) so they never trigger.
 * When propagation stalls, search() branches on a cell with the fewest
 * candidates; ties go to the cell whose candidates appear least often in its
 * units, and its digits are tried least-constraining first (again by unit
 * counts).  Backtracking copies the dynamic state (3 words per cell and per
 * unit) into a per-level buffer before branching and back after a failed
 * branch; that is cheaper here than logging every removal.  For the default
 * puzzle this takes 29 branches, 422 placements and 2050 removals, about
 * 390K executed wasm instructions.  The cell and digit order matters a lot:
 * plain first-in-scan-order MRV with digits 9..1 needs 81 branches and over
 * twice the work.
 *
 * Addressing: all tables (peers, unit members, unit pointers) are static
 * initialised data built by the macros below, so nothing is computed at run
 * time.  Cells and units are handled through byte pointers and read at
 * constant byte offsets (PTR/UNIT/PEER/UCELL), which clang folds into the
 * load/store offset; going through struct-typed pointers made clang emit an
 * extra add per field access.
 * Stack: search() recursion depth <= 81 with no shadow-stack frames; the
 * per-level buffers live in the static saved[] array.
 */

typedef unsigned char u8;

struct unit;
struct cell {
    union {
        struct {
            u8 cnt;       /* live digits; FILLED once the cell is filled */
            u8 alive[9];  /* byte d of the record (alive[d - 1]): d possible */
            u8 val;       /* placed digit or 0 */
            u8 pad;
        } s;
        unsigned w[3];    /* the same 12 bytes, for save/restore */
    } dyn;
    struct unit *u[3];     /* row, column, box */
    struct cell *peer[20]; /* 8 in the row, 8 in the column, 4 more in the box */
};
struct unit {
    union {
        u8 cnt[12];       /* cnt[d]: cells where d is possible; >= FILLED once placed */
        unsigned w[3];
    } dyn;
    struct cell *cell[9];
};

static struct cell cells[81];
static struct unit units[27];

/* Static tables.  Divisions and remainders here are constant expressions,
 * evaluated by the compiler. */
#define C(r, k) &cells[(r) * 9 + (k)]
#define BR(r, i) ((r) / 3 * 3 + ((r) % 3 + (i)) % 3)   /* other row/col of the band */
#define PEERS(r, k) \
    C(r, ((k) + 1) % 9), C(r, ((k) + 2) % 9), C(r, ((k) + 3) % 9), C(r, ((k) + 4) % 9), \
    C(r, ((k) + 5) % 9), C(r, ((k) + 6) % 9), C(r, ((k) + 7) % 9), C(r, ((k) + 8) % 9), \
    C(((r) + 1) % 9, k), C(((r) + 2) % 9, k), C(((r) + 3) % 9, k), C(((r) + 4) % 9, k), \
    C(((r) + 5) % 9, k), C(((r) + 6) % 9, k), C(((r) + 7) % 9, k), C(((r) + 8) % 9, k), \
    C(BR(r, 1), BR(k, 1)), C(BR(r, 1), BR(k, 2)), C(BR(r, 2), BR(k, 1)), C(BR(r, 2), BR(k, 2))
#define CELL(r, k) { {{9, {1, 1, 1, 1, 1, 1, 1, 1, 1}, 0, 0}}, \
    {&units[r], &units[9 + (k)], &units[18 + (r) / 3 * 3 + (k) / 3]}, {PEERS(r, k)} }
#define CROW(r) CELL(r, 0), CELL(r, 1), CELL(r, 2), CELL(r, 3), CELL(r, 4), \
                CELL(r, 5), CELL(r, 6), CELL(r, 7), CELL(r, 8)
static struct cell cells[81] = {
    CROW(0), CROW(1), CROW(2), CROW(3), CROW(4), CROW(5), CROW(6), CROW(7), CROW(8)
};
#define UCNT {{0, 9, 9, 9, 9, 9, 9, 9, 9, 9}}
#define UROW(r) { UCNT, {C(r, 0), C(r, 1), C(r, 2), C(r, 3), C(r, 4), \
                         C(r, 5), C(r, 6), C(r, 7), C(r, 8)} }
#define UCOL(k) { UCNT, {C(0, k), C(1, k), C(2, k), C(3, k), C(4, k), \
                         C(5, k), C(6, k), C(7, k), C(8, k)} }
#define UBOX(r, k) { UCNT, {C(r, k), C(r, (k) + 1), C(r, (k) + 2), \
    C((r) + 1, k), C((r) + 1, (k) + 1), C((r) + 1, (k) + 2), \
    C((r) + 2, k), C((r) + 2, (k) + 1), C((r) + 2, (k) + 2)} }
static struct unit units[27] = {
    UROW(0), UROW(1), UROW(2), UROW(3), UROW(4), UROW(5), UROW(6), UROW(7), UROW(8),
    UCOL(0), UCOL(1), UCOL(2), UCOL(3), UCOL(4), UCOL(5), UCOL(6), UCOL(7), UCOL(8),
    UBOX(0, 0), UBOX(0, 3), UBOX(0, 6), UBOX(3, 0), UBOX(3, 3), UBOX(3, 6),
    UBOX(6, 0), UBOX(6, 3), UBOX(6, 6),
};

#define FILLED 100

/* Byte-pointer accessors (see "Addressing" above). */
#define PTR(p, off) (*(u8 **)((p) + (off)))
#define UNIT(c, j) PTR(c, __builtin_offsetof(struct cell, u) + (j) * sizeof(void *))
#define PEER(c, i) PTR(c, __builtin_offsetof(struct cell, peer) + (i) * sizeof(void *))
#define UCELL(u, i) PTR(u, __builtin_offsetof(struct unit, cell) + (i) * sizeof(void *))
#define CNT 0                                    /* cell byte offsets */
#define VAL __builtin_offsetof(struct cell, dyn.s.val)

/* Pending singles: (cell, digit), digit 0 = "the cell's only digit". */
struct entry { u8 *c; unsigned dig; };
static struct entry queue[81 * 9 * 3 + 1];

/* Unit u has one cell left for digit d: queue it. */
#define HCHK(i) p = UCELL(u, i); if (p[d] != 0) goto found;
__attribute__((noinline)) static struct entry *hidden(struct entry *qp, u8 *u, unsigned d) {
    u8 *p;
    HCHK(0) HCHK(1) HCHK(2) HCHK(3) HCHK(4) HCHK(5) HCHK(6) HCHK(7)
    p = UCELL(u, 8);
found:
    qp->c = p;
    qp->dig = d;
    return qp + 1;
}

/* Remove live digit d from peer p of the cell being filled.  Unit J and K
 * are p's other two units; the third is shared with the filled cell, whose
 * counter for d is already FILLED, so it is left alone. */
#define ELIM(p, d, J, K) { \
    u8 *u1_ = UNIT(p, J), *u2_ = UNIT(p, K); \
    unsigned n0_ = p[CNT] - 1u, n1_ = u1_[d] - 1u, n2_ = u2_[d] - 1u; \
    p[d] = 0; \
    p[CNT] = (u8)n0_; u1_[d] = (u8)n1_; u2_[d] = (u8)n2_; \
    if (n0_ < 2) { if (n0_ == 0) return 0; qp->c = p; qp->dig = 0; qp++; } \
    if (n1_ < 2) { if (n1_ == 0) return 0; qp = hidden(qp, u1_, d); } \
    if (n2_ < 2) { if (n2_ == 0) return 0; qp = hidden(qp, u2_, d); } \
}

/* Peer I of c: if d is still possible there, remove it; leave to label
 * DONE once REM such peers have been handled. */
#define VISIT(I, J, K, REM, DONE) { \
    u8 *p_ = PEER(c, I); \
    if (p_[d] != 0) { \
        ELIM(p_, d, J, K) \
        if (--REM == 0) goto DONE; \
    } \
}
#define VISIT8(I, J, K, REM, DONE) \
    VISIT(I, J, K, REM, DONE) VISIT((I) + 1, J, K, REM, DONE) \
    VISIT((I) + 2, J, K, REM, DONE) VISIT((I) + 3, J, K, REM, DONE) \
    VISIT((I) + 4, J, K, REM, DONE) VISIT((I) + 5, J, K, REM, DONE) \
    VISIT((I) + 6, J, K, REM, DONE) VISIT((I) + 7, J, K, REM, DONE)

/* Remove the filled cell's other digit E (its unit counters only). */
#define SELF(E) if (c[E] != 0) { \
    unsigned n1 = u0[E] - 1u, n2 = u1[E] - 1u, n3 = u2[E] - 1u; \
    c[E] = 0; \
    u0[E] = (u8)n1; u1[E] = (u8)n2; u2[E] = (u8)n3; \
    if (n1 < 2) { if (n1 == 0) return 0; qp = hidden(qp, u0, E); } \
    if (n2 < 2) { if (n2 == 0) return 0; qp = hidden(qp, u1, E); } \
    if (n3 < 2) { if (n3 == 0) return 0; qp = hidden(qp, u2, E); } \
    if (--rem == 0) goto self_done; \
}

/* Fill cell c with digit d and propagate singles until none is left.
 * Returns 0 on a contradiction (the state is then to be restored). */
static int place(u8 *c, unsigned d) {
    struct entry *qp = queue;
    for (;;) {
        unsigned rem, rr, rc;
        u8 *u0, *u1, *u2;
        if (c[VAL] != 0) {              /* already filled (queued twice) */
            if (c[VAL] != d)
                return 0;
            goto next;
        }
        if (c[d] == 0)
            return 0;
        c[VAL] = (u8)d;
        c[d] = 0;
        rem = c[CNT] - 1u;              /* other digits still possible */
        c[CNT] = FILLED;
        u0 = UNIT(c, 0);
        u1 = UNIT(c, 1);
        u2 = UNIT(c, 2);
        rr = u0[d] - 1u;                /* row / column peers that have d */
        rc = u1[d] - 1u;
        u0[d] = FILLED;
        u1[d] = FILLED;
        u2[d] += FILLED;                /* box: still counts the row and */
        if (rem != 0) {                 /* column peers removed below    */
            SELF(1) SELF(2) SELF(3) SELF(4) SELF(5) SELF(6) SELF(7) SELF(8) SELF(9)
        }
    self_done:
        if (rr != 0) {
            VISIT8(0, 1, 2, rr, row_done)
        }
    row_done:
        if (rc != 0) {
            VISIT8(8, 0, 2, rc, col_done)
        }
    col_done:
        rem = u2[d] - (FILLED + 1u);    /* the 4 remaining box peers */
        if (rem != 0) {
            VISIT(16, 0, 1, rem, next) VISIT(17, 0, 1, rem, next)
            VISIT(18, 0, 1, rem, next) VISIT(19, 0, 1, rem, next)
        }
    next:
        if (qp == queue)
            return 1;
        qp--;
        c = qp->c;
        d = qp->dig;
        if (d == 0) {                   /* naked single: find its digit */
            if (c[VAL] != 0)
                goto next;
            d = 1;
            while (c[d] == 0)
                d++;
        }
    }
}

/* Dynamic state: 3 words per cell and per unit, copied by unrolled code. */
#define NSTATE (81 * 3 + 27 * 3)
#define NLEVEL (NSTATE + 3)             /* + 12 bytes for the digit order */
#define R3(m, i) m(i) m((i) + 1) m((i) + 2)
#define R9(m, i) R3(m, i) R3(m, (i) + 3) R3(m, (i) + 6)
#define R27(m, i) R9(m, i) R9(m, (i) + 9) R9(m, (i) + 18)
#define R81(m, i) R27(m, i) R27(m, (i) + 27) R27(m, (i) + 54)
#define SAVE_C(i) b[3 * (i)] = cells[i].dyn.w[0]; b[3 * (i) + 1] = cells[i].dyn.w[1]; \
                  b[3 * (i) + 2] = cells[i].dyn.w[2];
#define SAVE_U(i) b[243 + 3 * (i)] = units[i].dyn.w[0]; b[244 + 3 * (i)] = units[i].dyn.w[1]; \
                  b[245 + 3 * (i)] = units[i].dyn.w[2];
#define LOAD_C(i) cells[i].dyn.w[0] = b[3 * (i)]; cells[i].dyn.w[1] = b[3 * (i) + 1]; \
                  cells[i].dyn.w[2] = b[3 * (i) + 2];
#define LOAD_U(i) units[i].dyn.w[0] = b[243 + 3 * (i)]; units[i].dyn.w[1] = b[244 + 3 * (i)]; \
                  units[i].dyn.w[2] = b[245 + 3 * (i)];
__attribute__((noinline)) static void save(unsigned *b) { R81(SAVE_C, 0) R27(SAVE_U, 0) }
__attribute__((noinline)) static void restore(const unsigned *b) { R81(LOAD_C, 0) R27(LOAD_U, 0) }

/* Back to the initial state (as in the static initialisers), so that
 * compute() can run more than once.  Little-endian words: a cell is
 * {cnt 9, alive 1 x 9, val 0, pad 0}, a unit {0, cnt 9 x 9, 0, 0}. */
static void reset(void) {
    struct cell *c;
    struct unit *u;
    for (c = cells; c != cells + 81; c++) {
        c->dyn.w[0] = 0x01010109u;
        c->dyn.w[1] = 0x01010101u;
        c->dyn.w[2] = 0x00000101u;
    }
    for (u = units; u != units + 27; u++) {
        u->dyn.w[0] = 0x09090900u;
        u->dyn.w[1] = 0x09090909u;
        u->dyn.w[2] = 0x00000909u;
    }
}

static unsigned saved[82 * NLEVEL];

/* How often digit d of cell c still appears in c's units (c included). */
static unsigned conflicts(u8 *c, unsigned d) {
    return UNIT(c, 0)[d] + UNIT(c, 1)[d] + UNIT(c, 2)[d];
}

/* Branch-cell choice: fewest candidates, ties to the fewest conflicts. */
static u8 *g_best;
static unsigned g_bc, g_bconf;

#define CONF(D) if (c[D] != 0) cf += u0[D] + u1[D] + u2[D];
/* Cell c has no more candidates than the best so far. */
__attribute__((noinline)) static void consider(u8 *c) {
    u8 *u0 = UNIT(c, 0), *u1 = UNIT(c, 1), *u2 = UNIT(c, 2);
    unsigned n = c[CNT], cf = 0;
    CONF(1) CONF(2) CONF(3) CONF(4) CONF(5) CONF(6) CONF(7) CONF(8) CONF(9)
    if (n < g_bc || cf < g_bconf) {
        g_bc = n;
        g_best = c;
        g_bconf = cf;
    }
}

#define SCAN(i) if (cells[i].dyn.s.cnt <= bc) { consider((u8 *)&cells[i]); bc = g_bc; }

/* Solve from the current (propagated) state; b is this level's buffer. */
static int search(unsigned *b) {
    u8 *best, *order = (u8 *)(b + NSTATE);
    unsigned bc = FILLED - 1, d, k;
    g_bc = FILLED;
    g_best = 0;
    R81(SCAN, 0)
    best = g_best;
    if (best == 0)
        return 1;                       /* every cell is filled */
    for (d = 1; d < 10; d++)
        order[d] = (u8)(best[d] != 0 ? conflicts(best, d) : 255);
    save(b);
    for (k = bc; ; ) {
        unsigned bd = 1;                /* least constraining digit first */
        for (d = 2; d < 10; d++)
            if (order[d] < order[bd])
                bd = d;
        order[bd] = 255;
        if (place(best, bd) && search(b + NLEVEL))
            return 1;
        if (--k == 0)
            return 0;
        restore(b);
    }
}

void compute(const char *input) {
    const unsigned char *s = (const unsigned char *)input;
    struct cell *c = cells;
    int ok = 1, i;
    reset();
    for (; c != cells + 81; s++) {
        unsigned ch = *s;
        if (ch == 0)
            break;
        if (ch == '.' || ch == '0') {
            c++;
        } else if (ch - '1' < 9u) {
            if (ok && !place((u8 *)c, ch - '0'))
                ok = 0;                 /* the givens contradict each other */
            c++;
        }
    }
    if (c != cells + 81) {
        print_str("bad input\n");
        return;
    }
    if (!ok || !search(saved)) {
        print_str("no solution\n");
        return;
    }
    for (i = 0; i < 81; i++)
        output_byte('0' + cells[i].dyn.s.val);
    output_byte('\n');
}

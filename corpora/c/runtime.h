/*
 * runtime.h - tiny freestanding runtime for the hullvm C corpus.
 *
 * Included into every program with `-include runtime.h` (see build.sh).
 * No libc: the only way to talk to the host is the imported function
 * env.output_byte, which receives one byte (0..255) per call.
 *
 * Every helper is `static inline` so that unused ones vanish and nothing
 * but `compute` (and __heap_base / memory) is exported.  The helpers only
 * use 32-bit integer arithmetic (no i64, no floats, no switch).
 */
#ifndef HULLVM_RUNTIME_H
#define HULLVM_RUNTIME_H

__attribute__((import_module("env"), import_name("output_byte")))
void output_byte(int c);

static inline void print_char(int c) { output_byte(c & 0xff); }

static inline void print_nl(void) { output_byte('\n'); }

static inline void print_str(const char *s) {
    while (*s) {
        output_byte((unsigned char)*s);
        s++;
    }
}

/* Decimal, most significant digit first, no leading zeros ("0" for 0). */
static inline void print_uint(unsigned v) {
    char buf[10];               /* 4294967295 has 10 digits */
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    while (n > 0)
        output_byte(buf[--n]);
}

/* Signed decimal; INT_MIN is handled by negating in unsigned arithmetic. */
static inline void print_int(int v) {
    if (v < 0) {
        output_byte('-');
        print_uint(0u - (unsigned)v);
    } else {
        print_uint((unsigned)v);
    }
}

static inline int is_digit(int c) { return c >= '0' && c <= '9'; }

static inline int is_space(int c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',';
}

/*
 * Parse an optionally signed decimal integer starting at *pp, skipping
 * leading white space (and commas).  Advances *pp past the number.
 * Returns 0 if no digits are found.  Overflow wraps (32-bit).
 */
static inline int parse_int(const char **pp) {
    const char *p = *pp;
    int neg = 0;
    unsigned v = 0;
    while (is_space(*p))
        p++;
    if (*p == '-') {
        neg = 1;
        p++;
    } else if (*p == '+') {
        p++;
    }
    while (is_digit(*p)) {
        v = v * 10u + (unsigned)(*p - '0');
        p++;
    }
    *pp = p;
    return neg ? (int)(0u - v) : (int)v;
}

#endif /* HULLVM_RUNTIME_H */

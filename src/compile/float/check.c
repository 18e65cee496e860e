/* Checks softfloat.c, compiled natively beside this file, against the host's
 * own f32/f64 arithmetic (x86_64 SSE2 is IEEE 754 exact for these
 * operations; build with -O2 -fno-fast-math -ffp-contract=off).
 *
 *   cc -O2 -fno-fast-math -ffp-contract=off -Wno-attributes -pthread \
 *      check.c softfloat.c -lm -o check && ./check [short|long]
 *
 * short (default): edge cases (pairs of them for binary operators) and
 * 10^6 random inputs per operator. long: every one of the 2^32 inputs of
 * each f32 unary operator, each conversion from f32 and each conversion from
 * i32; 10^8 random and edge inputs per binary f32 operator and per f64 or
 * i64 operator; over 2 threads.
 *
 * A result compares bit for bit, except that where the host gives a NaN the
 * soft result must be the NaN the contract at the top of softfloat.c names:
 * canonical when no operand is a NaN, else the first NaN operand quieted.
 * A trapping conversion must trap exactly where the host's range check says,
 * with the trap the contract names. Prints counts per operator; exits 1 on
 * any mismatch. */

#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- softfloat.c's functions, by their C names ---- */
#define UN32(n) uint32_t n(uint32_t);
#define BIN32(n) uint32_t n(uint32_t, uint32_t);
#define CMP32(n) int32_t n(uint32_t, uint32_t);
#define UN64(n) uint64_t n(uint64_t);
#define BIN64(n) uint64_t n(uint64_t, uint64_t);
#define CMP64(n) int32_t n(uint64_t, uint64_t);
UN32(f32_abs) UN32(f32_neg) UN32(f32_ceil) UN32(f32_floor) UN32(f32_trunc) UN32(f32_nearest)
UN32(f32_sqrt) BIN32(f32_add) BIN32(f32_sub) BIN32(f32_mul) BIN32(f32_div) BIN32(f32_min)
BIN32(f32_max) BIN32(f32_copysign) CMP32(f32_eq) CMP32(f32_ne) CMP32(f32_lt) CMP32(f32_gt)
CMP32(f32_le) CMP32(f32_ge) UN64(f64_abs) UN64(f64_neg) UN64(f64_ceil) UN64(f64_floor)
UN64(f64_trunc) UN64(f64_nearest) UN64(f64_sqrt) BIN64(f64_add) BIN64(f64_sub) BIN64(f64_mul)
BIN64(f64_div) BIN64(f64_min) BIN64(f64_max) BIN64(f64_copysign) CMP64(f64_eq) CMP64(f64_ne)
CMP64(f64_lt) CMP64(f64_gt) CMP64(f64_le) CMP64(f64_ge)
int32_t i32_trunc_f32_s(uint32_t);
uint32_t i32_trunc_f32_u(uint32_t);
int32_t i32_trunc_f64_s(uint64_t);
uint32_t i32_trunc_f64_u(uint64_t);
int64_t i64_trunc_f32_s(uint32_t);
uint64_t i64_trunc_f32_u(uint32_t);
int64_t i64_trunc_f64_s(uint64_t);
uint64_t i64_trunc_f64_u(uint64_t);
int32_t i32_trunc_sat_f32_s(uint32_t);
uint32_t i32_trunc_sat_f32_u(uint32_t);
int32_t i32_trunc_sat_f64_s(uint64_t);
uint32_t i32_trunc_sat_f64_u(uint64_t);
int64_t i64_trunc_sat_f32_s(uint32_t);
uint64_t i64_trunc_sat_f32_u(uint32_t);
int64_t i64_trunc_sat_f64_s(uint64_t);
uint64_t i64_trunc_sat_f64_u(uint64_t);
uint64_t f64_convert_i32_s(int32_t);
uint64_t f64_convert_i32_u(uint32_t);
uint64_t f64_convert_i64_s(int64_t);
uint64_t f64_convert_i64_u(uint64_t);
uint32_t f32_convert_i32_s(int32_t);
uint32_t f32_convert_i32_u(uint32_t);
uint32_t f32_convert_i64_s(int64_t);
uint32_t f32_convert_i64_u(uint64_t);
uint64_t f64_promote_f32(uint32_t);
uint32_t f32_demote_f64(uint64_t);

/* ---- traps: the soft conversions call these; a trap jumps back ---- */
enum { NO_TRAP, TRAP_OVERFLOW, TRAP_INVALID };
static __thread jmp_buf trap_return;
static __thread int trap_expected;

static void trap(int kind) {
  if (!trap_expected) {
    fprintf(stderr, "softfloat trapped (%s) where the host converts\n",
            kind == TRAP_OVERFLOW ? "integer overflow" : "invalid conversion");
    exit(1);
  }
  longjmp(trap_return, kind);
}
void hullvm_trap_integer_overflow(void) { trap(TRAP_OVERFLOW); }
void hullvm_trap_invalid_conversion(void) { trap(TRAP_INVALID); }

/* ---- host values ---- */
static float f32(uint64_t bits) {
  uint32_t b = (uint32_t)bits;
  float f;
  memcpy(&f, &b, 4);
  return f;
}
static double f64(uint64_t bits) {
  double d;
  memcpy(&d, &bits, 8);
  return d;
}
static uint64_t bits32(float f) {
  uint32_t b;
  memcpy(&b, &f, 4);
  return b;
}
static uint64_t bits64(double d) {
  uint64_t b;
  memcpy(&b, &d, 8);
  return b;
}
static int nan32(uint64_t a) { return ((uint32_t)a & 0x7fffffffu) > 0x7f800000u; }
static int nan64(uint64_t a) { return (a & ~(1ull << 63)) > 0x7ff0000000000000ull; }

/* ---- operators as data ---- */
enum kind { F32, F64, I32, I64 };
enum nan_rule { BITS, ARITH };

/* The host's answer: a value or a trap. */
typedef struct {
  uint64_t value;
  int trap;
} answer;

typedef struct {
  const char *name;
  enum kind in, out;
  int arity;
  enum nan_rule rule;
  uint64_t (*soft)(uint64_t, uint64_t);
  answer (*host)(uint64_t, uint64_t);
  int traps;
} op;

static answer val(uint64_t v) { return (answer){v, NO_TRAP}; }

/* ---- softfloat's operators behind one signature: (u64, u64) -> u64 ---- */
#define SOFT(n, call) \
  static uint64_t s_##n(uint64_t a, uint64_t b) { (void)a; (void)b; return call; }
#define S_UN32(n) SOFT(n, n((uint32_t)a))
#define S_BIN32(n) SOFT(n, (uint32_t)n((uint32_t)a, (uint32_t)b))
#define S_UN64(n) SOFT(n, n(a))
#define S_BIN64(n) SOFT(n, n(a, b))
#define S_CMP64(n) SOFT(n, (uint32_t)n(a, b))
S_UN32(f32_abs) S_UN32(f32_neg) S_UN32(f32_ceil) S_UN32(f32_floor) S_UN32(f32_trunc)
S_UN32(f32_nearest) S_UN32(f32_sqrt)
S_BIN32(f32_add) S_BIN32(f32_sub) S_BIN32(f32_mul) S_BIN32(f32_div) S_BIN32(f32_min)
S_BIN32(f32_max) S_BIN32(f32_copysign) S_BIN32(f32_eq) S_BIN32(f32_ne) S_BIN32(f32_lt)
S_BIN32(f32_gt) S_BIN32(f32_le) S_BIN32(f32_ge)
S_UN64(f64_abs) S_UN64(f64_neg) S_UN64(f64_ceil) S_UN64(f64_floor) S_UN64(f64_trunc)
S_UN64(f64_nearest) S_UN64(f64_sqrt)
S_BIN64(f64_add) S_BIN64(f64_sub) S_BIN64(f64_mul) S_BIN64(f64_div) S_BIN64(f64_min)
S_BIN64(f64_max) S_BIN64(f64_copysign)
S_CMP64(f64_eq) S_CMP64(f64_ne) S_CMP64(f64_lt) S_CMP64(f64_gt) S_CMP64(f64_le) S_CMP64(f64_ge)
SOFT(i32_trunc_f32_s, (uint32_t)i32_trunc_f32_s((uint32_t)a))
SOFT(i32_trunc_f32_u, (uint32_t)i32_trunc_f32_u((uint32_t)a))
SOFT(i32_trunc_f64_s, (uint32_t)i32_trunc_f64_s(a))
SOFT(i32_trunc_f64_u, (uint32_t)i32_trunc_f64_u(a))
SOFT(i64_trunc_f32_s, (uint64_t)i64_trunc_f32_s((uint32_t)a))
SOFT(i64_trunc_f32_u, i64_trunc_f32_u((uint32_t)a))
SOFT(i64_trunc_f64_s, (uint64_t)i64_trunc_f64_s(a))
SOFT(i64_trunc_f64_u, i64_trunc_f64_u(a))
SOFT(i32_trunc_sat_f32_s, (uint32_t)i32_trunc_sat_f32_s((uint32_t)a))
SOFT(i32_trunc_sat_f32_u, (uint32_t)i32_trunc_sat_f32_u((uint32_t)a))
SOFT(i32_trunc_sat_f64_s, (uint32_t)i32_trunc_sat_f64_s(a))
SOFT(i32_trunc_sat_f64_u, (uint32_t)i32_trunc_sat_f64_u(a))
SOFT(i64_trunc_sat_f32_s, (uint64_t)i64_trunc_sat_f32_s((uint32_t)a))
SOFT(i64_trunc_sat_f32_u, i64_trunc_sat_f32_u((uint32_t)a))
SOFT(i64_trunc_sat_f64_s, (uint64_t)i64_trunc_sat_f64_s(a))
SOFT(i64_trunc_sat_f64_u, i64_trunc_sat_f64_u(a))
SOFT(f64_convert_i32_s, f64_convert_i32_s((int32_t)a))
SOFT(f64_convert_i32_u, f64_convert_i32_u((uint32_t)a))
SOFT(f64_convert_i64_s, f64_convert_i64_s((int64_t)a))
SOFT(f64_convert_i64_u, f64_convert_i64_u(a))
SOFT(f32_convert_i32_s, f32_convert_i32_s((int32_t)a))
SOFT(f32_convert_i32_u, f32_convert_i32_u((uint32_t)a))
SOFT(f32_convert_i64_s, f32_convert_i64_s((int64_t)a))
SOFT(f32_convert_i64_u, f32_convert_i64_u(a))
SOFT(f64_promote_f32, f64_promote_f32((uint32_t)a))
SOFT(f32_demote_f64, f32_demote_f64(a))

/* ---- the host's operators ---- */
#define HOST(n, expr) \
  static answer h_##n(uint64_t a, uint64_t b) { (void)a; (void)b; return expr; }
#define A32 f32(a)
#define B32 f32(b)
#define A64 f64(a)
#define B64 f64(b)

/* wasm's min and max from host comparisons: a NaN operand gives a NaN (its
 * bits are the contract's, checked separately), -0 < +0. */
#define MINMAX(name, T, pick_zero, better)                          \
  static T name(T x, T y) {                                         \
    if (x != x || y != y) return x + y;                             \
    if (x == 0 && y == 0) return signbit(x) pick_zero ? x : y;      \
    return x better y ? x : y;                                      \
  }
MINMAX(min32, float, , <)
MINMAX(max32, float, == 0, >)
MINMAX(min64, double, , <)
MINMAX(max64, double, == 0, >)

HOST(f32_abs, val(bits32(fabsf(A32))))
HOST(f32_neg, val(bits32(-A32)))
HOST(f32_ceil, val(bits32(ceilf(A32))))
HOST(f32_floor, val(bits32(floorf(A32))))
HOST(f32_trunc, val(bits32(truncf(A32))))
HOST(f32_nearest, val(bits32(nearbyintf(A32))))
HOST(f32_sqrt, val(bits32(sqrtf(A32))))
HOST(f32_add, val(bits32(A32 + B32)))
HOST(f32_sub, val(bits32(A32 - B32)))
HOST(f32_mul, val(bits32(A32 * B32)))
HOST(f32_div, val(bits32(A32 / B32)))
HOST(f32_min, val(bits32(min32(A32, B32))))
HOST(f32_max, val(bits32(max32(A32, B32))))
HOST(f32_copysign, val(bits32(copysignf(A32, B32))))
HOST(f32_eq, val(A32 == B32))
HOST(f32_ne, val(A32 != B32))
HOST(f32_lt, val(A32 < B32))
HOST(f32_gt, val(A32 > B32))
HOST(f32_le, val(A32 <= B32))
HOST(f32_ge, val(A32 >= B32))
HOST(f64_abs, val(bits64(fabs(A64))))
HOST(f64_neg, val(bits64(-A64)))
HOST(f64_ceil, val(bits64(ceil(A64))))
HOST(f64_floor, val(bits64(floor(A64))))
HOST(f64_trunc, val(bits64(trunc(A64))))
HOST(f64_nearest, val(bits64(nearbyint(A64))))
HOST(f64_sqrt, val(bits64(sqrt(A64))))
HOST(f64_add, val(bits64(A64 + B64)))
HOST(f64_sub, val(bits64(A64 - B64)))
HOST(f64_mul, val(bits64(A64 * B64)))
HOST(f64_div, val(bits64(A64 / B64)))
HOST(f64_min, val(bits64(min64(A64, B64))))
HOST(f64_max, val(bits64(max64(A64, B64))))
HOST(f64_copysign, val(bits64(copysign(A64, B64))))
HOST(f64_eq, val(A64 == B64))
HOST(f64_ne, val(A64 != B64))
HOST(f64_lt, val(A64 < B64))
HOST(f64_gt, val(A64 > B64))
HOST(f64_le, val(A64 <= B64))
HOST(f64_ge, val(A64 >= B64))

/* A conversion to an integer type, checked in double (every f32 is exactly
 * a double) against the bounds lo < x < hi of the values whose truncation
 * fits. */
typedef struct {
  double lo, hi;
  int is_signed, wide;
} range;
static const range I32S = {-2147483649.0, 2147483648.0, 1, 0};
static const range I32U = {-1.0, 4294967296.0, 0, 0};
static const range I64S = {-9223372036854777856.0, 9223372036854775808.0, 1, 1};
static const range I64U = {-1.0, 18446744073709551616.0, 0, 1};

static answer trunc_to(double x, range r, int saturating) {
  if (x != x) return saturating ? val(0) : (answer){0, TRAP_INVALID};
  if (!(x > r.lo && x < r.hi)) {
    if (!saturating) return (answer){0, TRAP_OVERFLOW};
    if (x <= r.lo) return val(r.is_signed ? (r.wide ? 1ull << 63 : 0x80000000ull) : 0);
    return val(r.is_signed ? (r.wide ? (1ull << 63) - 1 : 0x7fffffffull)
                           : (r.wide ? ~0ull : 0xffffffffull));
  }
  if (!r.wide) return val(r.is_signed ? (uint32_t)(int32_t)x : (uint32_t)x);
  return val(r.is_signed ? (uint64_t)(int64_t)x : (uint64_t)x);
}
HOST(i32_trunc_f32_s, trunc_to(A32, I32S, 0))
HOST(i32_trunc_f32_u, trunc_to(A32, I32U, 0))
HOST(i32_trunc_f64_s, trunc_to(A64, I32S, 0))
HOST(i32_trunc_f64_u, trunc_to(A64, I32U, 0))
HOST(i64_trunc_f32_s, trunc_to(A32, I64S, 0))
HOST(i64_trunc_f32_u, trunc_to(A32, I64U, 0))
HOST(i64_trunc_f64_s, trunc_to(A64, I64S, 0))
HOST(i64_trunc_f64_u, trunc_to(A64, I64U, 0))
HOST(i32_trunc_sat_f32_s, trunc_to(A32, I32S, 1))
HOST(i32_trunc_sat_f32_u, trunc_to(A32, I32U, 1))
HOST(i32_trunc_sat_f64_s, trunc_to(A64, I32S, 1))
HOST(i32_trunc_sat_f64_u, trunc_to(A64, I32U, 1))
HOST(i64_trunc_sat_f32_s, trunc_to(A32, I64S, 1))
HOST(i64_trunc_sat_f32_u, trunc_to(A32, I64U, 1))
HOST(i64_trunc_sat_f64_s, trunc_to(A64, I64S, 1))
HOST(i64_trunc_sat_f64_u, trunc_to(A64, I64U, 1))
HOST(f64_convert_i32_s, val(bits64((double)(int32_t)a)))
HOST(f64_convert_i32_u, val(bits64((double)(uint32_t)a)))
HOST(f64_convert_i64_s, val(bits64((double)(int64_t)a)))
HOST(f64_convert_i64_u, val(bits64((double)a)))
HOST(f32_convert_i32_s, val(bits32((float)(int32_t)a)))
HOST(f32_convert_i32_u, val(bits32((float)(uint32_t)a)))
HOST(f32_convert_i64_s, val(bits32((float)(int64_t)a)))
HOST(f32_convert_i64_u, val(bits32((float)a)))
HOST(f64_promote_f32, val(bits64((double)A32)))
HOST(f32_demote_f64, val(bits32((float)A64)))

/* ---- the table ---- */
#define OP(wasm, n, in, out, arity, rule) {wasm, in, out, arity, rule, s_##n, h_##n, 0}
#define TRAPPING(wasm, n, in, out) {wasm, in, out, 1, BITS, s_##n, h_##n, 1}
/* Conversions between widths are checked bit for bit, NaNs included: the
 * contract's NaN (sign, quiet bit, the payload's top bits) is what x86's
 * cvtss2sd and cvtsd2ss give. */
static const op OPS[] = {
    OP("f32.abs", f32_abs, F32, F32, 1, BITS),
    OP("f32.neg", f32_neg, F32, F32, 1, BITS),
    OP("f32.ceil", f32_ceil, F32, F32, 1, ARITH),
    OP("f32.floor", f32_floor, F32, F32, 1, ARITH),
    OP("f32.trunc", f32_trunc, F32, F32, 1, ARITH),
    OP("f32.nearest", f32_nearest, F32, F32, 1, ARITH),
    OP("f32.sqrt", f32_sqrt, F32, F32, 1, ARITH),
    OP("f32.add", f32_add, F32, F32, 2, ARITH),
    OP("f32.sub", f32_sub, F32, F32, 2, ARITH),
    OP("f32.mul", f32_mul, F32, F32, 2, ARITH),
    OP("f32.div", f32_div, F32, F32, 2, ARITH),
    OP("f32.min", f32_min, F32, F32, 2, ARITH),
    OP("f32.max", f32_max, F32, F32, 2, ARITH),
    OP("f32.copysign", f32_copysign, F32, F32, 2, BITS),
    OP("f32.eq", f32_eq, F32, I32, 2, BITS),
    OP("f32.ne", f32_ne, F32, I32, 2, BITS),
    OP("f32.lt", f32_lt, F32, I32, 2, BITS),
    OP("f32.gt", f32_gt, F32, I32, 2, BITS),
    OP("f32.le", f32_le, F32, I32, 2, BITS),
    OP("f32.ge", f32_ge, F32, I32, 2, BITS),
    OP("f64.abs", f64_abs, F64, F64, 1, BITS),
    OP("f64.neg", f64_neg, F64, F64, 1, BITS),
    OP("f64.ceil", f64_ceil, F64, F64, 1, ARITH),
    OP("f64.floor", f64_floor, F64, F64, 1, ARITH),
    OP("f64.trunc", f64_trunc, F64, F64, 1, ARITH),
    OP("f64.nearest", f64_nearest, F64, F64, 1, ARITH),
    OP("f64.sqrt", f64_sqrt, F64, F64, 1, ARITH),
    OP("f64.add", f64_add, F64, F64, 2, ARITH),
    OP("f64.sub", f64_sub, F64, F64, 2, ARITH),
    OP("f64.mul", f64_mul, F64, F64, 2, ARITH),
    OP("f64.div", f64_div, F64, F64, 2, ARITH),
    OP("f64.min", f64_min, F64, F64, 2, ARITH),
    OP("f64.max", f64_max, F64, F64, 2, ARITH),
    OP("f64.copysign", f64_copysign, F64, F64, 2, BITS),
    OP("f64.eq", f64_eq, F64, I32, 2, BITS),
    OP("f64.ne", f64_ne, F64, I32, 2, BITS),
    OP("f64.lt", f64_lt, F64, I32, 2, BITS),
    OP("f64.gt", f64_gt, F64, I32, 2, BITS),
    OP("f64.le", f64_le, F64, I32, 2, BITS),
    OP("f64.ge", f64_ge, F64, I32, 2, BITS),
    TRAPPING("i32.trunc_f32_s", i32_trunc_f32_s, F32, I32),
    TRAPPING("i32.trunc_f32_u", i32_trunc_f32_u, F32, I32),
    TRAPPING("i32.trunc_f64_s", i32_trunc_f64_s, F64, I32),
    TRAPPING("i32.trunc_f64_u", i32_trunc_f64_u, F64, I32),
    TRAPPING("i64.trunc_f32_s", i64_trunc_f32_s, F32, I64),
    TRAPPING("i64.trunc_f32_u", i64_trunc_f32_u, F32, I64),
    TRAPPING("i64.trunc_f64_s", i64_trunc_f64_s, F64, I64),
    TRAPPING("i64.trunc_f64_u", i64_trunc_f64_u, F64, I64),
    OP("i32.trunc_sat_f32_s", i32_trunc_sat_f32_s, F32, I32, 1, BITS),
    OP("i32.trunc_sat_f32_u", i32_trunc_sat_f32_u, F32, I32, 1, BITS),
    OP("i32.trunc_sat_f64_s", i32_trunc_sat_f64_s, F64, I32, 1, BITS),
    OP("i32.trunc_sat_f64_u", i32_trunc_sat_f64_u, F64, I32, 1, BITS),
    OP("i64.trunc_sat_f32_s", i64_trunc_sat_f32_s, F32, I64, 1, BITS),
    OP("i64.trunc_sat_f32_u", i64_trunc_sat_f32_u, F32, I64, 1, BITS),
    OP("i64.trunc_sat_f64_s", i64_trunc_sat_f64_s, F64, I64, 1, BITS),
    OP("i64.trunc_sat_f64_u", i64_trunc_sat_f64_u, F64, I64, 1, BITS),
    OP("f64.convert_i32_s", f64_convert_i32_s, I32, F64, 1, BITS),
    OP("f64.convert_i32_u", f64_convert_i32_u, I32, F64, 1, BITS),
    OP("f64.convert_i64_s", f64_convert_i64_s, I64, F64, 1, BITS),
    OP("f64.convert_i64_u", f64_convert_i64_u, I64, F64, 1, BITS),
    OP("f32.convert_i32_s", f32_convert_i32_s, I32, F32, 1, BITS),
    OP("f32.convert_i32_u", f32_convert_i32_u, I32, F32, 1, BITS),
    OP("f32.convert_i64_s", f32_convert_i64_s, I64, F32, 1, BITS),
    OP("f32.convert_i64_u", f32_convert_i64_u, I64, F32, 1, BITS),
    OP("f64.promote_f32", f64_promote_f32, F32, F64, 1, BITS),
    OP("f32.demote_f64", f32_demote_f64, F64, F32, 1, BITS),
};
#define OP_COUNT (sizeof OPS / sizeof OPS[0])

/* ---- inputs ---- */
static uint64_t next(uint64_t *state) { /* splitmix64 */
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* Magnitudes (the sign is added both ways) where rounding, ranges and
 * classes change. */
static const uint64_t EDGES32[] = {
    0, 1, 2, 3, 0x3fffff, 0x400000, 0x400001, 0x7ffffe, 0x7fffff, 0x800000, 0x800001,
    0xffffff, 0x1000000, 0x7f7ffffe, 0x7f7fffff, 0x7f000000, 0x7e800000, 0x7f800000,
    0x7f800001, 0x7fa5a5a5, 0x7fbfffff, 0x7fc00000, 0x7fc00001, 0x7fd23456, 0x7fffffff,
    0x3f800000, 0x3f800001, 0x3f7fffff, 0x3f000000, 0x3f000001, 0x3effffff, 0x3fc00000,
    0x40200000, 0x40600000, 0x40000000, 0x4b000000, 0x4b000001, 0x4affffff, 0x4b7fffff,
    0x4b800000, 0x4b800001, 0x4effffff, 0x4f000000, 0x4f000001, 0x4f7fffff, 0x4f800000,
    0x5effffff, 0x5f000000, 0x5f000001, 0x5f7fffff, 0x5f800000, 0x33800000, 0x33000000,
    0x34000000, 0x0c000000, 0x3f7ffffe, 0x3fffffff, 0x00ffffff, 0x3f400000, 0x3fa00000,
};
static const uint64_t EDGES64[] = {
    0, 1, 2, 3, 0x7ffffffffffffull, 0x8000000000000ull, 0x8000000000001ull,
    0xffffffffffffeull, 0xfffffffffffffull, 0x10000000000000ull, 0x10000000000001ull,
    0x1fffffffffffffull, 0x7feffffffffffffeull, 0x7fefffffffffffffull, 0x7fe0000000000000ull,
    0x7ff0000000000000ull, 0x7ff0000000000001ull, 0x7ff4a5a5a5a5a5a5ull, 0x7ff7ffffffffffffull,
    0x7ff8000000000000ull, 0x7ff8000000000001ull, 0x7ffa123456789abcull, 0x7fffffffffffffffull,
    0x3ff0000000000000ull, 0x3ff0000000000001ull, 0x3fefffffffffffffull, 0x3fe0000000000000ull,
    0x3fe0000000000001ull, 0x3fdfffffffffffffull, 0x3ff8000000000000ull, 0x4004000000000000ull,
    0x400c000000000000ull, 0x4330000000000000ull, 0x4330000000000001ull, 0x432fffffffffffffull,
    0x433fffffffffffffull, 0x4340000000000000ull, 0x4340000000000001ull,
    /* i32 / u32 / i64 / u64 boundaries */
    0x41dfffffffc00000ull, 0x41dfffffffe00000ull, 0x41dfffffffffffffull, 0x41e0000000000000ull,
    0x41e0000000100000ull, 0x41e0000000200000ull, 0x41efffffffe00000ull, 0x41efffffffffffffull,
    0x41f0000000000000ull, 0x43dfffffffffffffull, 0x43e0000000000000ull, 0x43e0000000000001ull,
    0x43efffffffffffffull, 0x43f0000000000000ull, 0x43f0000000000001ull,
    /* f32's range inside f64: the largest f32, the rounding edge above it,
     * the smallest f32 subnormal and halfway below it */
    0x47efffffe0000000ull, 0x47efffffefffffffull, 0x47effffff0000000ull, 0x47f0000000000000ull,
    0x36a0000000000000ull, 0x3690000000000000ull, 0x3690000000000001ull, 0x368fffffffffffffull,
    0x3810000000000000ull, 0x380fffffe0000000ull, 0x380ffffff0000000ull, 0x3800000000000000ull,
    0x3ca0000000000000ull, 0x3cb0000000000000ull, 0x0010000000000001ull, 0x3fffffffffffffffull,
};
static const uint64_t EDGES_INT[] = {
    0, 1, 2, 3, 0x7f, 0x80, 0xffffff, 0x1000000, 0x1000001, 0x1000002, 0x1000003, 0x2000003,
    0x7fffffbf, 0x7fffffc0, 0x7fffffff, 0x80000000, 0x80000001, 0xffffff7f, 0xffffff80,
    0xffffffff, 0x100000000ull, 0x1fffffffffffffull, 0x20000000000000ull, 0x20000000000001ull,
    0x20000000000002ull, 0x20000000000003ull, 0x7ffffffffffffdffull, 0x7ffffffffffffe00ull,
    0x7fffffffffffffffull, 0x8000000000000000ull, 0x8000000000000001ull, 0x8000000000000400ull,
    0xfffffffffffff7ffull, 0xfffffffffffff800ull, 0xffffffffffffffffull, 0x8000008000000000ull,
    0x8000007fffffffffull, 0x8000018000000000ull,
};
#define COUNT(a) (sizeof a / sizeof a[0])

/* Edges of a kind: index i < edge_count(kind) names one (with sign). */
static uint64_t edge_count(enum kind k) {
  switch (k) {
  case F32: return 2 * COUNT(EDGES32);
  case F64: return 2 * COUNT(EDGES64);
  default: return 2 * COUNT(EDGES_INT);
  }
}
static uint64_t edge(enum kind k, uint64_t i) {
  int negative = i & 1;
  i >>= 1;
  switch (k) {
  case F32: return EDGES32[i] | (negative ? 0x80000000ull : 0);
  case F64: return EDGES64[i] | (negative ? 1ull << 63 : 0);
  case I32: return (uint32_t)(negative ? 0 - EDGES_INT[i] : EDGES_INT[i]);
  default: return negative ? 0 - EDGES_INT[i] : EDGES_INT[i];
  }
}

/* A significand of `bits` bits with runs that make halfway and exact
 * cases common: only the top k bits random, or the low bits all ones. */
static uint64_t patterned(uint64_t *s, int bits) {
  uint64_t r = next(s), m = next(s) & ((1ull << bits) - 1);
  int k = (int)(r % (uint64_t)(bits + 1));
  uint64_t low = k == bits ? 0 : (1ull << (bits - k)) - 1;
  switch ((r >> 8) % 3) {
  case 0: return m & ~low;
  case 1: return m | low;
  default: return m;
  }
}

/* An exponent field near where things happen: all, subnormal and small,
 * near 1 and the integer limits, near overflow. */
static int exponent(uint64_t *s, int max, int bias, int frac_bits) {
  uint64_t r = next(s);
  switch (r % 5) {
  case 0: return (int)((r >> 8) % (uint64_t)(max + 1));
  case 1: return (int)((r >> 8) % 40);
  case 2: return bias - 2 + (int)((r >> 8) % (uint64_t)(frac_bits + 70));
  case 3: return max - (int)((r >> 8) % 40);
  default: return bias - 40 + (int)((r >> 8) % 80);
  }
}

static uint64_t float_near(uint64_t *s, enum kind k, int exp) {
  uint64_t sign = next(s) & 1;
  if (k == F32) {
    if (exp < 0) exp = 0;
    if (exp > 255) exp = 255;
    return sign << 31 | (uint64_t)exp << 23 | patterned(s, 23);
  }
  if (exp < 0) exp = 0;
  if (exp > 2047) exp = 2047;
  return sign << 63 | (uint64_t)exp << 52 | patterned(s, 52);
}

static uint64_t random_input(uint64_t *s, enum kind k) {
  uint64_t r = next(s);
  switch (r % 8) {
  case 0: return edge(k, (r >> 8) % edge_count(k));
  case 1:
  case 2: return k == F32 || k == I32 ? (uint32_t)next(s) : next(s);
  default: break;
  }
  switch (k) {
  case F32: return float_near(s, k, exponent(s, 255, 127, 23));
  case F64: return float_near(s, k, exponent(s, 2047, 1023, 52));
  case I32: return (uint32_t)(patterned(s, 32) >> (next(s) % 32));
  default: return patterned(s, 64) >> (next(s) % 64);
  }
}

/* A second operand: half the time independent, else close to the first
 * (exponents a few apart, the same value, its negation, a neighbour). */
static uint64_t second_input(uint64_t *s, enum kind k, uint64_t a) {
  uint64_t r = next(s);
  int width = k == F32 ? 23 : 52, sign_bit = k == F32 ? 31 : 63;
  int exp = (int)((a >> width) & (k == F32 ? 0xff : 0x7ff));
  uint64_t mask = k == F32 ? 0xffffffffull : ~0ull;
  switch (r % 16) {
  case 0: return a;
  case 1: return a ^ (1ull << sign_bit);
  case 2: return (a + 1) & mask;
  case 3: return (a - 1) & mask;
  default: break;
  }
  if (r & 16) return random_input(s, k);
  return float_near(s, k, exp + (int)((r >> 8) % (uint64_t)(2 * width + 9)) - width - 4);
}

/* ---- checking ---- */
typedef struct {
  uint64_t checked, failed;
} tally;

static uint64_t quiet(enum kind k, uint64_t a) {
  return a | (k == F32 ? 0x400000ull : 1ull << 51);
}
static int is_nan(enum kind k, uint64_t a) { return k == F32 ? nan32(a) : nan64(a); }

static void report(const op *o, uint64_t a, uint64_t b, const char *want, uint64_t w,
                   const char *got, uint64_t g, tally *t) {
  if (t->failed++ < 5) {
    if (o->arity == 2)
      printf("MISMATCH %s(0x%llx, 0x%llx): want %s 0x%llx, got %s 0x%llx\n", o->name,
             (unsigned long long)a, (unsigned long long)b, want, (unsigned long long)w, got,
             (unsigned long long)g);
    else
      printf("MISMATCH %s(0x%llx): want %s 0x%llx, got %s 0x%llx\n", o->name,
             (unsigned long long)a, want, (unsigned long long)w, got, (unsigned long long)g);
  }
}

/* The soft result a host result stands for (ARITH NaNs by the contract). */
static uint64_t wanted(const op *o, uint64_t a, uint64_t b, uint64_t host) {
  if (o->rule == BITS || !is_nan(o->out, host)) return host;
  if (is_nan(o->in, a)) return quiet(o->in, a);
  if (o->arity == 2 && is_nan(o->in, b)) return quiet(o->in, b);
  return o->out == F32 ? 0x7fc00000ull : 0x7ff8000000000000ull;
}

static void check_trap(const op *o, uint64_t a, int want, tally *t) {
  volatile uint64_t got = 0;
  trap_expected = 1;
  int kind = setjmp(trap_return);
  if (kind == 0) {
    got = o->soft(a, 0);
    trap_expected = 0;
    report(o, a, 0, "trap", (uint64_t)want, "value", got, t);
    return;
  }
  trap_expected = 0;
  if (kind != want) report(o, a, 0, "trap", (uint64_t)want, "trap", (uint64_t)kind, t);
}

static void check(const op *o, uint64_t a, uint64_t b, tally *t) {
  t->checked++;
  answer h = o->host(a, b);
  if (h.trap) {
    check_trap(o, a, h.trap, t);
    return;
  }
  uint64_t got = o->soft(a, b), want = wanted(o, a, b, h.value);
  if (got != want) report(o, a, b, "", want, "", got, t);
}

/* ---- runs ---- */
typedef struct {
  const op *o;
  int exhaustive;
  uint64_t from, to; /* inputs from..to-1 of 2^32, or random draws */
  uint64_t seed;
  tally t;
} job;

static void *run_job(void *arg) {
  job *j = arg;
  const op *o = j->o;
  uint64_t s = j->seed;
  for (uint64_t i = j->from; i < j->to; i++) {
    if (j->exhaustive) {
      check(o, i, 0, &j->t);
    } else {
      uint64_t a = random_input(&s, o->in);
      check(o, a, o->arity == 2 ? second_input(&s, o->in, a) : 0, &j->t);
    }
  }
  return NULL;
}

static tally edges(const op *o) {
  tally t = {0, 0};
  uint64_t n = edge_count(o->in);
  for (uint64_t i = 0; i < n; i++) {
    if (o->arity == 1) {
      check(o, edge(o->in, i), 0, &t);
      continue;
    }
    for (uint64_t k = 0; k < n; k++) check(o, edge(o->in, i), edge(o->in, k), &t);
  }
  return t;
}

static int exhaustive_in_long(const op *o) {
  return o->arity == 1 && (o->in == F32 || o->in == I32);
}

int main(int argc, char **argv) {
  int long_mode = argc > 1 && strcmp(argv[1], "long") == 0;
  if (argc > 1 && !long_mode && strcmp(argv[1], "short") != 0) {
    fprintf(stderr, "usage: %s [short|long]\n", argv[0]);
    return 2;
  }
  uint64_t draws = long_mode ? 100000000ull : 1000000ull;
  uint64_t total = 0, failed = 0;
  for (unsigned n = 0; n < OP_COUNT; n++) {
    const op *o = &OPS[n];
    tally e = edges(o);
    int exhaustive = long_mode && exhaustive_in_long(o);
    uint64_t count = exhaustive ? 1ull << 32 : draws;
    job jobs[2];
    pthread_t threads[2];
    for (int k = 0; k < 2; k++) {
      jobs[k] = (job){o, exhaustive, count / 2 * k, k ? count : count / 2,
                      0x5eed0000ull + n * 2 + k, {0, 0}};
      pthread_create(&threads[k], NULL, run_job, &jobs[k]);
    }
    tally t = e;
    for (int k = 0; k < 2; k++) {
      pthread_join(threads[k], NULL);
      t.checked += jobs[k].t.checked;
      t.failed += jobs[k].t.failed;
    }
    printf("%-22s %12llu checked (%llu edge, %llu %s) %s\n", o->name,
           (unsigned long long)t.checked, (unsigned long long)e.checked,
           (unsigned long long)count, exhaustive ? "exhaustive" : "random",
           t.failed ? "FAILED" : "ok");
    fflush(stdout);
    total += t.checked;
    failed += t.failed;
  }
  printf("softfloat %s: %u operators, %llu inputs checked, %llu mismatches\n",
         long_mode ? "long" : "short", (unsigned)OP_COUNT, (unsigned long long)total,
         (unsigned long long)failed);
  return failed ? 1 : 0;
}

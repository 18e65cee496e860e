/* hullvm's soft-float runtime: every f32/f64 numeric operator of wasm 1.0
 * (and the 8 non-trapping trunc_sat conversions of wasm 2.0) computed with
 * integer operations only, so that the transformer executes floating point
 * like any other code.
 *
 * Interface (a contract with the compiler):
 * - One export per wasm operator, named exactly as the operator ("f32.add",
 *   "i64.trunc_sat_f64_u", ...). Pure bit moves (const, load, store,
 *   reinterpret) are the compiler's own and are not here.
 * - An f32 travels as its i32 bits, an f64 as its i64 bits; comparisons
 *   return i32 0 or 1; conversions take and return the integer type.
 * - Traps are calls to imports of module "hullvm" named `trap_` + the trap
 *   message with spaces as underscores, as in runtime.wat.
 *
 * Semantics (the wasm 1.0 spec, with its free choices made as follows):
 * - Rounding is to nearest, ties to even, everywhere; subnormals are
 *   computed exactly (no flush to zero); signed zeros as IEEE 754 says
 *   (x + -x = +0, -0 + -0 = -0, sqrt(-0) = -0).
 * - A NaN made from non-NaN operands (inf - inf, 0 * inf, 0 / 0,
 *   inf / inf, sqrt of a negative number) is the canonical NaN with sign 0:
 *   0x7fc00000 / 0x7ff8000000000000.
 * - An operation with a NaN operand returns the first NaN operand with its
 *   quiet bit set (payload and sign kept). This covers the arithmetic
 *   operators, min/max, sqrt and the rounding operators. Conversions between
 *   the two widths keep sign and quiet bit and the payload's top bits
 *   (demote drops the low 29 payload bits, promote appends 29 zeros).
 * - neg, abs and copysign are bit operations: they keep NaN payloads.
 * - min/max treat -0 as less than +0; a NaN operand gives a NaN (above).
 * - nearest rounds half to even; ceil, floor, trunc and nearest keep the
 *   sign of a zero result (ceil(-0.5) = -0).
 * - Comparisons with a NaN are false (ne is true); -0 == +0.
 * - trunc to an integer traps on NaN ("invalid conversion to integer") and
 *   when the truncated value is out of the target's range ("integer
 *   overflow"); trunc_sat gives 0 for NaN and saturates out of range.
 *
 * Written for clang --target=wasm32 -O2 (see build.sh): integer types only,
 * no memory (no arrays, structs, pointers or globals, so no stack pointer),
 * no calls through pointers. Every helper is static inline so that the
 * exports are self-contained.
 */

#include <stdint.h>

__attribute__((import_module("hullvm"), import_name("trap_integer_overflow")))
void hullvm_trap_integer_overflow(void);
__attribute__((import_module("hullvm"), import_name("trap_invalid_conversion_to_integer")))
void hullvm_trap_invalid_conversion(void);

#define EXPORT(name) __attribute__((export_name(name)))
#define HELPER static inline __attribute__((always_inline))
/* An empty asm that clang cannot see through: it keeps a word a word. The
 * code on the two 32-bit halves of an f64 is written so because the machine
 * has 32-bit words (an i64 operation is several word operations there), and
 * without the barrier clang merges word operations on the halves back into
 * i64 operations. */
#define OPAQUE(x) __asm__("" : "+r"(x))

/* Most operators are the same algorithm at both widths: each is written once
 * below as a template over N (32 or 64) and its unsigned type T, and
 * instantiated for both with WIDTH. A template names the width's constants
 * and helpers by pasting N: F##N##_SIGN is F32_SIGN or F64_SIGN. */
#define WIDTH(N, T, TEMPLATE) TEMPLATE(N, T)

/* ---- fields ---- */
#define F64_FRAC_BITS 52
#define F64_BIAS 1023
#define F64_EXP_MAX 0x7ff
#define F64_SIGN 0x8000000000000000ull
#define F64_QUIET 0x0008000000000000ull
#define F64_FRAC 0x000fffffffffffffull
#define F64_IMPLICIT 0x0010000000000000ull
#define F64_INF 0x7ff0000000000000ull
#define F64_ONE 0x3ff0000000000000ull
#define F64_CANONICAL_NAN 0x7ff8000000000000ull
#define CLZ64 __builtin_clzll

#define F32_FRAC_BITS 23
#define F32_BIAS 127
#define F32_EXP_MAX 0xff
#define F32_SIGN 0x80000000u
#define F32_QUIET 0x00400000u
#define F32_FRAC 0x007fffffu
#define F32_IMPLICIT 0x00800000u
#define F32_INF 0x7f800000u
#define F32_ONE 0x3f800000u
#define F32_CANONICAL_NAN 0x7fc00000u
#define CLZ32 __builtin_clz

/* The exponent field of a value whose units are integers: at or above it
 * a float has no fraction bits (1075, 150). */
#define INT_EXP(N) (F##N##_BIAS + F##N##_FRAC_BITS)

/* ---- classes, fields, NaNs ---- */
#define FIELDS(N, T)                                                                   \
  HELPER int is_nan##N(T a) { return (a & ~F##N##_SIGN) > F##N##_INF; }              \
  HELPER int exp##N(T a) { return (int)((a >> F##N##_FRAC_BITS) & F##N##_EXP_MAX); } \
  HELPER int is_zero##N(T a) { return (T)(a << 1) == 0; }                            \
  /* The NaN an operation with NaN operands returns: the first NaN, quieted. */      \
  HELPER T propagate##N(T a, T b) { return (is_nan##N(a) ? a : b) | F##N##_QUIET; } \
  /* x >> n, with the bits shifted out ORed into bit 0 (0 <= n, any size). */        \
  HELPER T shift_right_sticky##N(T x, int n) {                                       \
    if (n <= 0)                                                                      \
      return x;                                                                      \
    if (n >= N)                                                                      \
      return x != 0;                                                                 \
    return (x >> n) | ((T)(x << (N - n)) != 0);                                      \
  }                                                                                  \
  /* The significand with the implicit bit, and the exponent a subnormal shares      \
   * with the smallest normals. */                                                   \
  HELPER T sig##N(T a) {                                                             \
    return exp##N(a) ? (a & F##N##_FRAC) | F##N##_IMPLICIT : a & F##N##_FRAC;        \
  }                                                                                  \
  HELPER int unbiased_exp##N(T a) { return exp##N(a) ? exp##N(a) : 1; }              \
  /* A nonzero finite operand's significand with its leading bit at                  \
   * F##N##_FRAC_BITS, and the exponent that goes with it. */                       \
  HELPER int norm_shift##N(T a) { return CLZ##N(sig##N(a)) - (N - 1 - F##N##_FRAC_BITS); } \
  HELPER T norm_sig##N(T a) { return sig##N(a) << norm_shift##N(a); }               \
  HELPER int norm_exp##N(T a) { return unbiased_exp##N(a) - norm_shift##N(a); }
WIDTH(64, uint64_t, FIELDS)
WIDTH(32, uint32_t, FIELDS)

/* ---- rounding and packing ----
 *
 * A finite nonzero result is carried as (sign, e, m) meaning
 * m * 2^(e - PACK_BIAS): pack places m's leading bit at bit N - 2 (bit 62,
 * bit 30), so an e in [1, EXP_MAX - 1] is the biased exponent of a normal
 * result and the GUARD bits below the significand (10, 7) decide the
 * rounding, to nearest even. A subnormal result shifts right (keeping a
 * sticky bit) to exponent 1 and packs with a significand below the implicit
 * bit; a rounding carry moves into the exponent field by plain addition, up
 * to infinity. */
#define PACK_BIAS(N) (F##N##_BIAS + N - 2)
#define GUARD(N) (N - 2 - F##N##_FRAC_BITS)

#define PACKING(N, T)                                                            \
  HELPER T round_pack##N(T sign, int e, T m) {                                   \
    if (e >= F##N##_EXP_MAX)                                                     \
      return sign | F##N##_INF;                                                  \
    if (e < 1) {                                                                 \
      m = shift_right_sticky##N(m, 1 - e);                                       \
      e = 1;                                                                     \
    }                                                                            \
    T rest = m & (((T)1 << GUARD(N)) - 1), half = (T)1 << (GUARD(N) - 1);        \
    m >>= GUARD(N);                                                              \
    if (rest > half || (rest == half && (m & 1)))                                \
      m += 1;                                                                    \
    return sign | ((((T)(e - 1)) << F##N##_FRAC_BITS) + m);                      \
  }                                                                              \
  /* How far m's leading bit is below bit N - 2: -1 when it is the top bit. */   \
  HELPER int lead_below##N(T m) { return CLZ##N(m) - 1; }                        \
  /* m (nonzero) with its leading bit at N - 2; a right shift keeps a sticky     \
   * bit. */                                                                     \
  HELPER T normalize##N(T m) {                                                   \
    int s = lead_below##N(m);                                                    \
    return s < 0 ? (m >> 1) | (m & 1) : m << s;                                  \
  }                                                                              \
  HELPER T pack##N(T sign, int e, T m) {                                         \
    return round_pack##N(sign, e - lead_below##N(m), normalize##N(m));           \
  }
WIDTH(64, uint64_t, PACKING)
WIDTH(32, uint32_t, PACKING)

/* An f64-convention (e, m) packed as f32: the top 32 bits of the
 * normalized m, the rest as sticky: m * 2^(e - PACK_BIAS(64)) is
 * (m >> 32) * 2^(e32 - PACK_BIAS(32)) with e32 = e - (PACK_BIAS(64) - 32 -
 * PACK_BIAS(32)). */
HELPER uint32_t pack32_from64(uint32_t sign, int e, uint64_t m) {
  uint64_t n = normalize64(m);
  uint32_t m32 = (uint32_t)(n >> 32) | ((uint32_t)n != 0);
  return round_pack32(sign, e - lead_below64(m) - (PACK_BIAS(64) - 32 - PACK_BIAS(32)), m32);
}

/* ==== add, sub ====
 *
 * Two paths. The general one (ADD below) takes any operands: the larger
 * magnitude first; both significands shifted up so the larger's leading bit
 * is at N - 3 (room for the carry), the smaller aligned to it with a sticky
 * bit: sig << (N - 3 - FRAC_BITS) at exponent ea is
 * m * 2^(ea + 1 - PACK_BIAS).
 *
 * The fast one (add_fast64, add_fast32) takes the common operands: both
 * normal, or the smaller a zero. It is written for the machine: on 32-bit
 * words only (an i64 operation is lowered to several word operations, a
 * variable 64-bit shift to dozens), with one normalization step where one
 * suffices, and a result that is the larger operand itself when the smaller
 * is too far below to round it (exponent difference above FAR). Everything
 * else (NaNs, infinities, subnormal operands) goes to the general path.
 *
 * Why FAR is enough: with ea - eb > FAR = FRAC_BITS + 2, |b| < 2^(eb+1-bias)
 * is below a quarter of a's unit in the last place, so below half the gap
 * to a's neighbour on either side (the gap below a power of two is half a
 * unit), and a +- b rounds to a. */
#define ADD(N, T)                                                                        \
  HELPER T add_general##N(T a, T b) {                                                    \
    if (is_nan##N(a) || is_nan##N(b))                                                    \
      return propagate##N(a, b);                                                         \
    if (exp##N(a) == F##N##_EXP_MAX) {                                                   \
      if (exp##N(b) == F##N##_EXP_MAX && (a ^ b) == F##N##_SIGN)                         \
        return F##N##_CANONICAL_NAN;                                                     \
      return a;                                                                          \
    }                                                                                    \
    if (exp##N(b) == F##N##_EXP_MAX)                                                     \
      return b;                                                                          \
    if (is_zero##N(a) && is_zero##N(b))                                                  \
      return a & b; /* -0 only for -0 + -0 */                                            \
    if (is_zero##N(a))                                                                   \
      return b;                                                                          \
    if (is_zero##N(b))                                                                   \
      return a;                                                                          \
    if ((a & ~F##N##_SIGN) < (b & ~F##N##_SIGN)) {                                       \
      T t = a;                                                                           \
      a = b;                                                                             \
      b = t;                                                                             \
    }                                                                                    \
    int ea = unbiased_exp##N(a), up = N - 3 - F##N##_FRAC_BITS;                          \
    T ma = sig##N(a) << up;                                                              \
    T mb = shift_right_sticky##N(sig##N(b) << up, ea - unbiased_exp##N(b));              \
    T m;                                                                                 \
    if ((a ^ b) & F##N##_SIGN) {                                                         \
      m = ma - mb;                                                                       \
      if (m == 0)                                                                        \
        return 0; /* x - x is +0 */                                                      \
    } else {                                                                             \
      m = ma + mb;                                                                       \
    }                                                                                    \
    return pack##N(a & F##N##_SIGN, ea + 1, m);                                          \
  }                                                                                      \
  /* a - b is a + (-b), except that a NaN b keeps its own sign */                        \
  HELPER T sub_general##N(T a, T b) {                                                    \
    return is_nan##N(b) ? propagate##N(a, b) : add_general##N(a, b ^ F##N##_SIGN);       \
  }                                                                                      \
  EXPORT("f" #N ".add") T f##N##_add(T a, T b) { return add_fast##N(a, b, 0); }          \
  EXPORT("f" #N ".sub") T f##N##_sub(T a, T b) { return add_fast##N(a, b, 1); }

#define FAR(N) (F##N##_FRAC_BITS + 2)
/* The high word's fields: sign, the 11 exponent bits, the top 20 of the 52
 * fraction bits. */
#define H_ABS 0x7fffffffu
#define H_FRAC 0x000fffffu
#define H_IMPLICIT 0x00100000u

HELPER uint64_t join64(uint32_t hi, uint32_t lo) { return ((uint64_t)hi << 32) | lo; }

HELPER uint64_t add_general64(uint64_t a, uint64_t b);
HELPER uint64_t sub_general64(uint64_t a, uint64_t b);
HELPER uint32_t add_general32(uint32_t a, uint32_t b);
HELPER uint32_t sub_general32(uint32_t a, uint32_t b);

/* a + b, or a - b when sub is 1. The value is carried in three words
 * (h, l, g): h and l are the significand with its implicit bit at bit 20
 * of h, as in the result's bits, and g holds the 32 bits below l (the
 * guard word: its top bit is the rounding bit, the rest sticky). a's g is
 * 0, so only b's alignment fills it. */
HELPER uint64_t add_fast64(uint64_t a, uint64_t b, uint32_t sub) {
  uint32_t ah = (uint32_t)(a >> 32), al = (uint32_t)a;
  uint32_t bh = (uint32_t)(b >> 32) ^ (sub << 31), bl = (uint32_t)b;
  OPAQUE(ah);
  OPAQUE(al);
  OPAQUE(bh);
  OPAQUE(bl);
  uint32_t ma = ah & H_ABS, mb = bh & H_ABS;
  if (ma < mb || (ma == mb && al < bl)) {
    uint32_t t = ah;
    ah = bh;
    bh = t;
    t = al;
    al = bl;
    bl = t;
    t = ma;
    ma = mb;
    mb = t;
  }
  /* now |a| >= |b|: a NaN or infinity among them is a */
  uint32_t ea = ma >> 20, eb = mb >> 20;
  if (ea == F64_EXP_MAX || eb == 0) {
    if (ea != F64_EXP_MAX && (mb | bl) == 0) /* b is a zero, a finite */
      return (ma | al) == 0 ? join64(ah & bh, 0) /* -0 only for -0 + -0 */ : join64(ah, al);
    return sub ? sub_general64(a, b) : add_general64(a, b);
  }
  uint32_t d = ea - eb;
  if (d > FAR(64))
    return join64(ah, al);
  uint32_t sign = ah & F32_SIGN, e = ea;
  uint32_t h = (ah & H_FRAC) | H_IMPLICIT, l = al, g = 0;
  uint32_t bh_ = (bh & H_FRAC) | H_IMPLICIT;
  /* b's significand shifted right by d into (bh_, bl, g), the bits below g
   * ORed into its bit 0 */
  if (d >= 32) {
    uint32_t k = d - 32; /* at most FAR - 32 = 22 */
    g = k ? (bl >> k) | (bh_ << (32 - k)) | ((bl << (32 - k)) != 0) : bl;
    bl = bh_ >> k;
    bh_ = 0;
  } else if (d) {
    g = bl << (32 - d);
    bl = (bl >> d) | (bh_ << (32 - d));
    bh_ >>= d;
  }
  if (!((ah ^ bh) & F32_SIGN)) {
    l += bl;
    h += bh_ + (l < bl);
    if (h >> 21) { /* the carry reached bit 53: one step right */
      g = (g >> 1) | (l << 31) | (g & 1);
      l = (l >> 1) | (h << 31);
      h >>= 1;
      if (++e == F64_EXP_MAX)
        return join64(sign | 0x7ff00000, 0);
    }
  } else {
    uint32_t borrow = g != 0, t = l - bl;
    uint32_t borrow_l = (l < bl) | (t < borrow);
    g = 0 - g;
    l = t - borrow;
    h = h - bh_ - borrow_l;
    if (h < H_IMPLICIT && h >= H_IMPLICIT / 2 && e > 1) {
      /* The leading bit fell by one: always so with d >= 2, where the
       * difference is above half of a. */
      h = (h << 1) | (l >> 31);
      l = (l << 1) | (g >> 31);
      g <<= 1;
      e -= 1;
    } else if (h < H_IMPLICIT) {
      /* With d <= 1 the difference is exact (g is 0 or its top bit alone)
       * and its leading bit may fall to any bit, or below the normal
       * range. */
      if ((h | l | g) == 0)
        return 0; /* x - x is +0 */
      uint32_t s = h ? (uint32_t)CLZ32(h) - 11 : l ? (uint32_t)CLZ32(l) + 21 : 53;
      if (s > e - 1)
        s = e - 1; /* a subnormal result: exponent 1, no implicit bit */
      e -= s;
      if (s >= 32) {
        h = l;
        l = g;
        g = 0;
        s -= 32;
      }
      if (s) {
        h = (h << s) | (l >> (32 - s));
        l = (l << s) | (g >> (32 - s));
        g <<= s;
      }
    }
  }
  /* to nearest, ties to even: up when g is above half, or half and l odd
   * (an exact result, common with small integers, skips it) */
  if (g) {
    uint32_t up = (g | (l & 1)) > 0x80000000u;
    l += up;
    h += l < up;
  }
  /* a carry of h into bit 21 moves into the exponent field by addition */
  return join64(sign | (((e - 1) << 20) + h), l);
}

/* The same on one word: the significand with its leading bit at 30 (room
 * for the carry at 31), the 7 bits below it guard bits, b's lost bits ORed
 * into bit 0. The result is built on a's sign and exponent bits less one
 * unit of exponent (base), to which the rounded significand adds its
 * implicit bit back (or, for a subnormal result, does not). */
#define F32_UP 7
HELPER uint32_t add_fast32(uint32_t x, uint32_t y, uint32_t sub) {
  uint32_t a = x, b = y ^ (sub << 31);
  uint32_t ma = a & H_ABS, mb = b & H_ABS;
  if (ma < mb) {
    a = b;
    b = x;
    uint32_t t = ma;
    ma = mb;
    mb = t;
  }
  uint32_t ea = ma >> 23, eb = mb >> 23;
  if (ea == F32_EXP_MAX || eb == 0) {
    if (ea != F32_EXP_MAX && mb == 0) /* b is a zero, a finite */
      return ma == 0 ? a & b /* -0 only for -0 + -0 */ : a;
    return sub ? sub_general32(x, y) : add_general32(x, y);
  }
  uint32_t d = ea - eb;
  if (d > FAR(32))
    return a;
  uint32_t base = (a & ~F32_FRAC) - F32_IMPLICIT;
  uint32_t m = ((a & F32_FRAC) | F32_IMPLICIT) << F32_UP;
  uint32_t mb_ = ((b & F32_FRAC) | F32_IMPLICIT) << F32_UP;
  /* up to F32_UP places the bits shifted out are zeros */
  mb_ = d > F32_UP ? (mb_ >> d) | ((mb_ << (32 - d)) != 0) : mb_ >> d;
  if ((int32_t)(a ^ b) >= 0) {
    m += mb_;
    if (m >> 31) { /* the carry reached bit 31: one step right */
      if (ea == F32_EXP_MAX - 1)
        return (a & F32_SIGN) | F32_INF;
      m = (m >> 1) | (m & 1);
      base += F32_IMPLICIT;
    }
  } else {
    m -= mb_;
    if (m < (F32_IMPLICIT << F32_UP)) { /* as in add_fast64 */
      if (m == 0)
        return 0; /* x - x is +0 */
      uint32_t s = (uint32_t)CLZ32(m) - 1;
      if (s > ea - 1)
        s = ea - 1;
      base -= s << F32_FRAC_BITS;
      m <<= s;
    }
  }
  /* to nearest, ties to even: adding half a unit less one, plus the unit's
   * own bit, carries into the unit exactly when rounding goes up */
  m = (m + ((1u << (F32_UP - 1)) - 1) + ((m >> F32_UP) & 1)) >> F32_UP;
  return base + m;
}

WIDTH(64, uint64_t, ADD)
WIDTH(32, uint32_t, ADD)

/* ==== mul ==== */

/* A NaN, infinite or zero operand decides a product alone. */
#define MUL_SPECIAL(N, T)                                                            \
  HELPER int mul_is_special##N(T a, T b) {                                          \
    return exp##N(a) == F##N##_EXP_MAX || exp##N(b) == F##N##_EXP_MAX ||            \
           is_zero##N(a) || is_zero##N(b);                                          \
  }                                                                                 \
  HELPER T mul_special##N(T a, T b) {                                               \
    if (is_nan##N(a) || is_nan##N(b))                                               \
      return propagate##N(a, b);                                                    \
    T sign = (a ^ b) & F##N##_SIGN;                                                 \
    int zero = is_zero##N(a) || is_zero##N(b);                                      \
    if (exp##N(a) == F##N##_EXP_MAX || exp##N(b) == F##N##_EXP_MAX)                 \
      return zero ? F##N##_CANONICAL_NAN : sign | F##N##_INF;                       \
    return sign;                                                                    \
  }
WIDTH(64, uint64_t, MUL_SPECIAL)
WIDTH(32, uint32_t, MUL_SPECIAL)

EXPORT("f64.mul") uint64_t f64_mul(uint64_t a, uint64_t b) {
  if (mul_is_special64(a, b))
    return mul_special64(a, b);
  /* both significands with the leading bit at 63: a 128-bit product from
   * four 32x32 products, kept as its top 64 bits and a sticky bit */
  uint64_t x = norm_sig64(a) << 11, y = norm_sig64(b) << 11;
  uint64_t x0 = (uint32_t)x, x1 = x >> 32, y0 = (uint32_t)y, y1 = y >> 32;
  uint64_t p00 = x0 * y0, p01 = x0 * y1, p10 = x1 * y0, p11 = x1 * y1;
  uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
  uint64_t high = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
  uint64_t sticky = ((uint32_t)p00 | (uint32_t)mid) != 0;
  /* x * y * 2^(ea + eb - 2172) = high * 2^(ea + eb - 2108) */
  return pack64((a ^ b) & F64_SIGN, norm_exp64(a) + norm_exp64(b) - 1023, high | sticky);
}

EXPORT("f32.mul") uint32_t f32_mul(uint32_t a, uint32_t b) {
  if (mul_is_special32(a, b))
    return mul_special32(a, b);
  /* 24 x 24 bits: the product's top 32 of 48 bits and a sticky bit */
  uint64_t p = (uint64_t)norm_sig32(a) * norm_sig32(b);
  uint32_t m = (uint32_t)(p >> 16) | ((p & 0xffff) != 0);
  /* p * 2^(ea + eb - 300) = m * 2^(ea + eb - 284) */
  return pack32((a ^ b) & F32_SIGN, norm_exp32(a) + norm_exp32(b) - 127, m);
}

/* ==== div ====
 *
 * FRAC_BITS + 3 quotient bits (the significand, a guard bit and a sticky
 * bit), the remainder ORed into the sticky bit. With the dividend doubled
 * when it is the smaller, the first quotient bit is 1 and the quotient q is
 * in [2^(FRAC + 2), 2^(FRAC + 3)): a / b = q * 2^(ea - eb - FRAC - 2).
 * The bits after the first come by long division in digits of DIV_DIGIT
 * bits, each one division of the shifted remainder by the divisor (a
 * restoring division's bit per step cost a dozen i64 operations, a digit
 * costs one division and one product). The remainder stays below the
 * divisor, under 2^(FRAC + 1), so the shift fits the width. The DIV_EXTRA
 * bits computed past the last one needed go into the sticky bit. */
#define F64_DIV_DIGIT 11 /* 5 digits: 55 bits, 1 extra */
#define F32_DIV_DIGIT 7  /* 4 digits: 28 bits, 3 extra */
#define DIV_DIGITS(N) ((F##N##_FRAC_BITS + 2 + F##N##_DIV_DIGIT - 1) / F##N##_DIV_DIGIT)
#define DIV_EXTRA(N) (DIV_DIGITS(N) * F##N##_DIV_DIGIT - F##N##_FRAC_BITS - 2)
#define DIV(N, T)                                                                  \
  EXPORT("f" #N ".div") T f##N##_div(T a, T b) {                                   \
    if (is_nan##N(a) || is_nan##N(b))                                              \
      return propagate##N(a, b);                                                   \
    T sign = (a ^ b) & F##N##_SIGN;                                                \
    int a_inf = exp##N(a) == F##N##_EXP_MAX, b_inf = exp##N(b) == F##N##_EXP_MAX;  \
    int a_zero = is_zero##N(a), b_zero = is_zero##N(b);                            \
    if ((a_inf && b_inf) || (a_zero && b_zero))                                    \
      return F##N##_CANONICAL_NAN;                                                 \
    if (a_inf || b_zero)                                                           \
      return sign | F##N##_INF;                                                    \
    if (a_zero || b_inf)                                                           \
      return sign;                                                                 \
    T r = norm_sig##N(a), d = norm_sig##N(b);                                      \
    int steps = F##N##_FRAC_BITS + 3;                                              \
    int e = norm_exp##N(a) - norm_exp##N(b) + PACK_BIAS(N) - steps + 1;            \
    if (r < d) {                                                                   \
      r <<= 1;                                                                     \
      e -= 1;                                                                      \
    }                                                                              \
    T q = 1;                                                                       \
    r -= d;                                                                        \
    for (int i = 0; i < DIV_DIGITS(N); i++) {                                      \
      r <<= F##N##_DIV_DIGIT;                                                      \
      T digit = r / d;                                                             \
      r -= digit * d;                                                              \
      q = (q << F##N##_DIV_DIGIT) | digit;                                         \
    }                                                                              \
    T extra = q & (((T)1 << DIV_EXTRA(N)) - 1);                                    \
    q >>= DIV_EXTRA(N);                                                            \
    return pack##N(sign, e, q | (extra != 0) | (r != 0));                          \
  }
WIDTH(64, uint64_t, DIV)
WIDTH(32, uint32_t, DIV)

/* ==== sqrt ====
 *
 * a = m * 2^k with k even (m doubled when k is odd, so m < 2^(FRAC + 2));
 * the root of m * 2^P, digit by digit (two radicand bits per step, read from
 * the top of m << SQRT_SHIFT, zeros after), with the remainder as a sticky
 * bit. P = SQRT_SHIFT + 2 * SQRT_STEPS - N is even and at least FRAC + 4, so
 * the root has FRAC + 3 bits or more: sqrt(a) = root * 2^(k/2 - P/2).
 *
 * The first SQRT_NARROW steps run on 32-bit words, one machine instruction
 * per operation where an i64 one is a call: before step j the root is under
 * 2^j and the remainder at most twice the root, so through step 29 the
 * shifted remainder stays under 2^32. The radicand's bits come from its top
 * word for the first 16 steps, from the next word after. */
#define F64_SQRT_SHIFT 10
#define F64_SQRT_STEPS 56 /* P = 58 */
#define F64_SQRT_NARROW 30
#define F32_SQRT_SHIFT 6
#define F32_SQRT_STEPS 27 /* P = 28 */
#define F32_SQRT_NARROW 27
#define SQRT_P(N) (F##N##_SQRT_SHIFT + 2 * F##N##_SQRT_STEPS - N)

/* One step in type U of W bits: two more radicand bits from the top of
 * BITS, one more root bit. Loops of these stay loops (unrolled, each step
 * would lengthen every program's prompt). */
#define SQRT_STEP(U, W, root, rem, bits)                                         \
  do {                                                                           \
    rem = (rem << 2) | (bits >> (W - 2));                                        \
    bits <<= 2;                                                                  \
    U trial = (root << 2) | 1;                                                   \
    root <<= 1;                                                                  \
    if (rem >= trial) {                                                          \
      rem -= trial;                                                              \
      root |= 1;                                                                 \
    }                                                                            \
  } while (0)
#define NO_UNROLL _Pragma("clang loop unroll(disable)")

#define SQRT(N, T)                                                               \
  EXPORT("f" #N ".sqrt") T f##N##_sqrt(T a) {                                    \
    if (is_nan##N(a))                                                            \
      return a | F##N##_QUIET;                                                   \
    if (is_zero##N(a) || a == F##N##_INF)                                        \
      return a; /* sqrt(-0) = -0 */                                              \
    if (a & F##N##_SIGN)                                                         \
      return F##N##_CANONICAL_NAN;                                               \
    T m = norm_sig##N(a);                                                        \
    int k = norm_exp##N(a) - INT_EXP(N);                                         \
    if (k & 1) {                                                                 \
      m <<= 1;                                                                   \
      k -= 1;                                                                    \
    }                                                                            \
    T bits = m << F##N##_SQRT_SHIFT;                                             \
    uint32_t root32 = 0, rem32 = 0, word = (uint32_t)(bits >> (N - 32));        \
    NO_UNROLL for (int i = 0; i < 16; i++)                                       \
      SQRT_STEP(uint32_t, 32, root32, rem32, word);                              \
    bits = (T)(bits << 16) << 16;                                                \
    word = (uint32_t)(bits >> (N - 32));                                         \
    NO_UNROLL for (int i = 16; i < F##N##_SQRT_NARROW; i++)                      \
      SQRT_STEP(uint32_t, 32, root32, rem32, word);                              \
    bits = (T)(bits << (F##N##_SQRT_NARROW - 16)) << (F##N##_SQRT_NARROW - 16);  \
    T root = root32, rem = rem32;                                                \
    NO_UNROLL for (int i = F##N##_SQRT_NARROW; i < F##N##_SQRT_STEPS; i++)       \
      SQRT_STEP(T, N, root, rem, bits);                                          \
    /* k is even, so k >> 1 halves it exactly */                                 \
    return pack##N(0, (k >> 1) - SQRT_P(N) / 2 + PACK_BIAS(N), root | (rem != 0)); \
  }
WIDTH(64, uint64_t, SQRT)
WIDTH(32, uint32_t, SQRT)

/* ==== min, max, sign bits, comparisons ==== */

/* Comparisons work on 32-bit words: the high word (sign, exponent, top of
 * the fraction) and the low word (the rest of an f64's fraction; 0 for an
 * f32, so that its code folds to one word). WORDS##N(a, b) is the argument
 * list ha, la, hb, lb. */
HELPER uint32_t opaque(uint32_t x) {
  OPAQUE(x);
  return x;
}
#define WORDS64(a, b) opaque((uint32_t)(a >> 32)), opaque((uint32_t)a), \
                      opaque((uint32_t)(b >> 32)), opaque((uint32_t)b)
#define WORDS32(a, b) a, 0, b, 0

#define ORDER(N, T)                                                                       \
  /* An order on non-NaN bits that is the numeric order with -0 < +0. */                  \
  HELPER T order##N(T a) { return (a & F##N##_SIGN) ? ~a : a | F##N##_SIGN; }             \
  EXPORT("f" #N ".min") T f##N##_min(T a, T b) {                                          \
    if (is_nan##N(a) || is_nan##N(b))                                                     \
      return propagate##N(a, b);                                                          \
    return order##N(a) <= order##N(b) ? a : b;                                            \
  }                                                                                       \
  EXPORT("f" #N ".max") T f##N##_max(T a, T b) {                                          \
    if (is_nan##N(a) || is_nan##N(b))                                                     \
      return propagate##N(a, b);                                                          \
    return order##N(a) >= order##N(b) ? a : b;                                            \
  }                                                                                       \
  EXPORT("f" #N ".abs") T f##N##_abs(T a) { return a & ~F##N##_SIGN; }                    \
  EXPORT("f" #N ".neg") T f##N##_neg(T a) { return a ^ F##N##_SIGN; }                     \
  EXPORT("f" #N ".copysign") T f##N##_copysign(T a, T b) {                                \
    return (a & ~F##N##_SIGN) | (b & F##N##_SIGN);                                        \
  }                                                                                       \
  /* NaN: the magnitude at least infinity's (rare: one test), then above it */         \
  HELPER int nan_hl##N(uint32_t h, uint32_t l) {                                          \
    uint32_t inf = (uint32_t)(F##N##_INF >> (N - 32));                                    \
    return (h & H_ABS) >= inf && ((h & H_ABS) > inf || l != 0);                           \
  }                                                                                       \
  /* a < b, or a <= b when or_equal, from the words. Signs that differ decide             \
   * alone (but for -0 and +0); with the same sign the bits are in the                    \
   * numeric order of magnitudes, reversed for negative values. */                        \
  HELPER int less##N(uint32_t ha, uint32_t la, uint32_t hb, uint32_t lb, int or_equal) {  \
    if (nan_hl##N(ha, la) || nan_hl##N(hb, lb))                                           \
      return 0;                                                                           \
    if ((int32_t)(ha ^ hb) < 0)                                                           \
      return ((((ha | hb) << 1) | la | lb) == 0) ? or_equal : (int32_t)ha < 0;            \
    if ((int32_t)ha < 0) {                                                                \
      uint32_t t = ha;                                                                    \
      ha = hb;                                                                            \
      hb = t;                                                                             \
      t = la;                                                                             \
      la = lb;                                                                            \
      lb = t;                                                                             \
    }                                                                                     \
    if (ha != hb)                                                                         \
      return ha < hb;                                                                     \
    return or_equal ? la <= lb : la < lb;                                                 \
  }                                                                                       \
  HELPER int eq##N(uint32_t ha, uint32_t la, uint32_t hb, uint32_t lb) {                  \
    if (nan_hl##N(ha, la) || nan_hl##N(hb, lb))                                           \
      return 0;                                                                           \
    return (ha == hb && la == lb) || (((ha | hb) << 1) | la | lb) == 0;                   \
  }                                                                                       \
  EXPORT("f" #N ".eq") int32_t f##N##_eq(T a, T b) { return eq##N(WORDS##N(a, b)); }       \
  EXPORT("f" #N ".ne") int32_t f##N##_ne(T a, T b) { return !eq##N(WORDS##N(a, b)); }      \
  EXPORT("f" #N ".lt") int32_t f##N##_lt(T a, T b) { return less##N(WORDS##N(a, b), 0); }  \
  EXPORT("f" #N ".gt") int32_t f##N##_gt(T a, T b) { return less##N(WORDS##N(b, a), 0); }  \
  EXPORT("f" #N ".le") int32_t f##N##_le(T a, T b) { return less##N(WORDS##N(a, b), 1); }  \
  EXPORT("f" #N ".ge") int32_t f##N##_ge(T a, T b) { return less##N(WORDS##N(b, a), 1); }
WIDTH(64, uint64_t, ORDER)
WIDTH(32, uint32_t, ORDER)

/* ==== ceil, floor, trunc, nearest ====
 *
 * Rounding to an integer works on the bits: with f fraction bits below the
 * binary point, clearing them truncates, and adding 1 << f to the bits adds
 * one unit to the magnitude (a carry into the exponent field is right). */

/* When the truncation gets one more unit of magnitude. */
#define AWAY_NEVER 0   /* trunc */
#define AWAY_IF_POS 1  /* ceil */
#define AWAY_IF_NEG 2  /* floor */
#define AWAY_IF_HALF 3 /* nearest: above half, or half and odd */

HELPER int away(int mode, int negative, int above_half, int half, int odd) {
  if (mode == AWAY_IF_POS)
    return !negative;
  if (mode == AWAY_IF_NEG)
    return negative;
  if (mode == AWAY_IF_HALF)
    return above_half || (half && odd);
  return 0;
}

#define ROUND_INTEGRAL(N, T)                                                           \
  HELPER T round_integral##N(T a, int mode) {                                          \
    if (is_nan##N(a))                                                                  \
      return a | F##N##_QUIET;                                                         \
    int e = exp##N(a);                                                                 \
    if (e >= INT_EXP(N) || is_zero##N(a))                                              \
      return a; /* integral already, infinite or zero */                               \
    T sign = a & F##N##_SIGN;                                                          \
    if (e < F##N##_BIAS) { /* 0 < |a| < 1: a signed zero or one */                     \
      int at_half = e == F##N##_BIAS - 1;                                              \
      int above_half = at_half && (a & F##N##_FRAC) != 0;                              \
      int half = at_half && (a & F##N##_FRAC) == 0;                                    \
      return away(mode, sign != 0, above_half, half, 0) ? sign | F##N##_ONE : sign;    \
    }                                                                                  \
    int f = INT_EXP(N) - e;                                                            \
    T unit = (T)1 << f;                                                                \
    T frac = a & (unit - 1);                                                           \
    if (frac == 0)                                                                     \
      return a;                                                                        \
    T halfway = unit >> 1;                                                             \
    int odd = (a >> f) & 1;                                                            \
    int up = away(mode, sign != 0, frac > halfway, frac == halfway, odd);              \
    return (a - frac) + (up ? unit : 0);                                               \
  }                                                                                    \
  EXPORT("f" #N ".ceil") T f##N##_ceil(T a) { return round_integral##N(a, AWAY_IF_POS); } \
  EXPORT("f" #N ".floor") T f##N##_floor(T a) { return round_integral##N(a, AWAY_IF_NEG); } \
  EXPORT("f" #N ".trunc") T f##N##_trunc(T a) { return round_integral##N(a, AWAY_NEVER); } \
  EXPORT("f" #N ".nearest") T f##N##_nearest(T a) { return round_integral##N(a, AWAY_IF_HALF); }
WIDTH(64, uint64_t, ROUND_INTEGRAL)
WIDTH(32, uint32_t, ROUND_INTEGRAL)

/* ==== float -> integer ====
 *
 * The magnitude of trunc(a) as a u64, or TOO_BIG when it is 2^64 or more
 * (no float below 2^64 truncates to 2^64 - 1, so the value is free). */
#define TOO_BIG 0xffffffffffffffffull

#define TRUNC_MAGNITUDE(N, T)                                                       \
  HELPER uint64_t trunc_magnitude##N(T a) {                                         \
    int e = exp##N(a);                                                              \
    if (e < F##N##_BIAS)                                                            \
      return 0;                                                                     \
    if (e >= F##N##_BIAS + 64)                                                      \
      return TOO_BIG;                                                               \
    uint64_t m = sig##N(a);                                                         \
    return e >= INT_EXP(N) ? m << (e - INT_EXP(N)) : m >> (INT_EXP(N) - e);         \
  }
WIDTH(64, uint64_t, TRUNC_MAGNITUDE)
WIDTH(32, uint32_t, TRUNC_MAGNITUDE)

/* The largest magnitude a target takes on each side. */
#define I32_POS 0x7fffffffull
#define I32_NEG 0x80000000ull
#define U32_MAX 0xffffffffull
#define I64_POS 0x7fffffffffffffffull
#define I64_NEG 0x8000000000000000ull
#define U64_MAX 0xffffffffffffffffull

/* trunc into [-neg_limit, pos_limit]: the value (two's complement, as u64),
 * or a trap. */
HELPER uint64_t trunc_checked(int nan, int negative, uint64_t mag, uint64_t pos_limit,
                              uint64_t neg_limit) {
  if (nan) {
    hullvm_trap_invalid_conversion();
    __builtin_unreachable();
  }
  if (negative ? mag > neg_limit : (mag > pos_limit || mag == TOO_BIG)) {
    hullvm_trap_integer_overflow();
    __builtin_unreachable();
  }
  return negative ? 0 - mag : mag;
}

/* trunc_sat into [-neg_limit, pos_limit]: NaN is 0, the rest clamps (TOO_BIG
 * is U64_MAX, the u64 clamp). */
HELPER uint64_t trunc_saturated(int nan, int negative, uint64_t mag, uint64_t pos_limit,
                                uint64_t neg_limit) {
  if (nan)
    return 0;
  if (negative)
    return 0 - (mag > neg_limit ? neg_limit : mag);
  return mag > pos_limit ? pos_limit : mag;
}

#define F64_ARGS(a) is_nan64(a), (a >> 63) != 0, trunc_magnitude64(a)
#define F32_ARGS(a) is_nan32(a), (a >> 31) != 0, trunc_magnitude32(a)

EXPORT("i32.trunc_f32_s") int32_t i32_trunc_f32_s(uint32_t a) {
  return (int32_t)trunc_checked(F32_ARGS(a), I32_POS, I32_NEG);
}
EXPORT("i32.trunc_f32_u") uint32_t i32_trunc_f32_u(uint32_t a) {
  return (uint32_t)trunc_checked(F32_ARGS(a), U32_MAX, 0);
}
EXPORT("i32.trunc_f64_s") int32_t i32_trunc_f64_s(uint64_t a) {
  return (int32_t)trunc_checked(F64_ARGS(a), I32_POS, I32_NEG);
}
EXPORT("i32.trunc_f64_u") uint32_t i32_trunc_f64_u(uint64_t a) {
  return (uint32_t)trunc_checked(F64_ARGS(a), U32_MAX, 0);
}
EXPORT("i64.trunc_f32_s") int64_t i64_trunc_f32_s(uint32_t a) {
  return (int64_t)trunc_checked(F32_ARGS(a), I64_POS, I64_NEG);
}
EXPORT("i64.trunc_f32_u") uint64_t i64_trunc_f32_u(uint32_t a) {
  return trunc_checked(F32_ARGS(a), U64_MAX, 0);
}
EXPORT("i64.trunc_f64_s") int64_t i64_trunc_f64_s(uint64_t a) {
  return (int64_t)trunc_checked(F64_ARGS(a), I64_POS, I64_NEG);
}
EXPORT("i64.trunc_f64_u") uint64_t i64_trunc_f64_u(uint64_t a) {
  return trunc_checked(F64_ARGS(a), U64_MAX, 0);
}
EXPORT("i32.trunc_sat_f32_s") int32_t i32_trunc_sat_f32_s(uint32_t a) {
  return (int32_t)trunc_saturated(F32_ARGS(a), I32_POS, I32_NEG);
}
EXPORT("i32.trunc_sat_f32_u") uint32_t i32_trunc_sat_f32_u(uint32_t a) {
  return (uint32_t)trunc_saturated(F32_ARGS(a), U32_MAX, 0);
}
EXPORT("i32.trunc_sat_f64_s") int32_t i32_trunc_sat_f64_s(uint64_t a) {
  return (int32_t)trunc_saturated(F64_ARGS(a), I32_POS, I32_NEG);
}
EXPORT("i32.trunc_sat_f64_u") uint32_t i32_trunc_sat_f64_u(uint64_t a) {
  return (uint32_t)trunc_saturated(F64_ARGS(a), U32_MAX, 0);
}
EXPORT("i64.trunc_sat_f32_s") int64_t i64_trunc_sat_f32_s(uint32_t a) {
  return (int64_t)trunc_saturated(F32_ARGS(a), I64_POS, I64_NEG);
}
EXPORT("i64.trunc_sat_f32_u") uint64_t i64_trunc_sat_f32_u(uint32_t a) {
  return trunc_saturated(F32_ARGS(a), U64_MAX, 0);
}
EXPORT("i64.trunc_sat_f64_s") int64_t i64_trunc_sat_f64_s(uint64_t a) {
  return (int64_t)trunc_saturated(F64_ARGS(a), I64_POS, I64_NEG);
}
EXPORT("i64.trunc_sat_f64_u") uint64_t i64_trunc_sat_f64_u(uint64_t a) {
  return trunc_saturated(F64_ARGS(a), U64_MAX, 0);
}

/* ==== integer -> float ==== */

HELPER uint64_t magnitude_of(int64_t x) { return x < 0 ? 0 - (uint64_t)x : (uint64_t)x; }

/* An integer n is n * 2^(PACK_BIAS - PACK_BIAS). */
HELPER uint64_t f64_from(uint64_t sign, uint64_t mag) {
  return mag == 0 ? 0 : pack64(sign, PACK_BIAS(64), mag);
}
HELPER uint32_t f32_from(uint32_t sign, uint64_t mag) {
  return mag == 0 ? 0 : pack32_from64(sign, PACK_BIAS(64), mag);
}

EXPORT("f64.convert_i32_s") uint64_t f64_convert_i32_s(int32_t x) {
  return f64_from(x < 0 ? F64_SIGN : 0, magnitude_of(x));
}
EXPORT("f64.convert_i32_u") uint64_t f64_convert_i32_u(uint32_t x) { return f64_from(0, x); }
EXPORT("f64.convert_i64_s") uint64_t f64_convert_i64_s(int64_t x) {
  return f64_from(x < 0 ? F64_SIGN : 0, magnitude_of(x));
}
EXPORT("f64.convert_i64_u") uint64_t f64_convert_i64_u(uint64_t x) { return f64_from(0, x); }
EXPORT("f32.convert_i32_s") uint32_t f32_convert_i32_s(int32_t x) {
  uint32_t mag = x < 0 ? 0 - (uint32_t)x : (uint32_t)x;
  return mag == 0 ? 0 : pack32(x < 0 ? F32_SIGN : 0, PACK_BIAS(32), mag);
}
EXPORT("f32.convert_i32_u") uint32_t f32_convert_i32_u(uint32_t x) {
  return x == 0 ? 0 : pack32(0, PACK_BIAS(32), x);
}
EXPORT("f32.convert_i64_s") uint32_t f32_convert_i64_s(int64_t x) {
  return f32_from(x < 0 ? F32_SIGN : 0, magnitude_of(x));
}
EXPORT("f32.convert_i64_u") uint32_t f32_convert_i64_u(uint64_t x) { return f32_from(0, x); }

/* ==== f32 <-> f64 ==== */

EXPORT("f64.promote_f32") uint64_t f64_promote_f32(uint32_t a) {
  uint64_t sign = (uint64_t)(a & F32_SIGN) << 32;
  if (is_nan32(a))
    return sign | F64_INF | F64_QUIET | ((uint64_t)(a & F32_FRAC) << 29);
  if (exp32(a) == F32_EXP_MAX)
    return sign | F64_INF;
  if (is_zero32(a))
    return sign;
  /* sig * 2^(e - INT_EXP(32)), exact */
  return pack64(sign, unbiased_exp32(a) - INT_EXP(32) + PACK_BIAS(64), sig32(a));
}

EXPORT("f32.demote_f64") uint32_t f32_demote_f64(uint64_t a) {
  uint32_t sign = (uint32_t)(a >> 32) & F32_SIGN;
  if (is_nan64(a))
    return sign | F32_INF | F32_QUIET | (uint32_t)((a & F64_FRAC) >> 29);
  if (exp64(a) == F64_EXP_MAX)
    return sign | F32_INF;
  if (is_zero64(a))
    return sign;
  /* sig * 2^(e - INT_EXP(64)) */
  return pack32_from64(sign, unbiased_exp64(a) - INT_EXP(64) + PACK_BIAS(64), sig64(a));
}

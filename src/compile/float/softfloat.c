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

/* hullvm's trap list (src/compile/mod.rs, Trap::message) has no
 * "invalid conversion to integer" yet: a NaN converted by a trapping trunc
 * raises the closest existing trap, named here once. */
#define TRAP_INVALID_CONVERSION "trap_integer_overflow"

__attribute__((import_module("hullvm"), import_name("trap_integer_overflow")))
void hullvm_trap_integer_overflow(void);
__attribute__((import_module("hullvm"), import_name(TRAP_INVALID_CONVERSION)))
void hullvm_trap_invalid_conversion(void);

#define EXPORT(name) __attribute__((export_name(name)))
#define HELPER static inline __attribute__((always_inline))

/* ---- f64 fields ---- */
#define F64_SIGN 0x8000000000000000ull
#define F64_QUIET 0x0008000000000000ull
#define F64_FRAC 0x000fffffffffffffull
#define F64_IMPLICIT 0x0010000000000000ull
#define F64_INF 0x7ff0000000000000ull
#define F64_CANONICAL_NAN 0x7ff8000000000000ull

/* ---- f32 fields ---- */
#define F32_SIGN 0x80000000u
#define F32_QUIET 0x00400000u
#define F32_FRAC 0x007fffffu
#define F32_IMPLICIT 0x00800000u
#define F32_INF 0x7f800000u
#define F32_CANONICAL_NAN 0x7fc00000u

HELPER int is_nan64(uint64_t a) { return (a & ~F64_SIGN) > F64_INF; }
HELPER int is_nan32(uint32_t a) { return (a & ~F32_SIGN) > F32_INF; }
HELPER int exp64(uint64_t a) { return (int)((a >> 52) & 0x7ff); }
HELPER int exp32(uint32_t a) { return (int)((a >> 23) & 0xff); }

/* The NaN an operation with NaN operands returns: the first NaN, quieted. */
HELPER uint64_t propagate64(uint64_t a, uint64_t b) {
  return (is_nan64(a) ? a : b) | F64_QUIET;
}
HELPER uint32_t propagate32(uint32_t a, uint32_t b) {
  return (is_nan32(a) ? a : b) | F32_QUIET;
}

/* x >> n, with the bits shifted out ORed into bit 0 (0 <= n, any size). */
HELPER uint64_t shift_right_sticky64(uint64_t x, int n) {
  if (n <= 0)
    return x;
  if (n >= 64)
    return x != 0;
  return (x >> n) | ((x << (64 - n)) != 0);
}
HELPER uint32_t shift_right_sticky32(uint32_t x, int n) {
  if (n <= 0)
    return x;
  if (n >= 32)
    return x != 0;
  return (x >> n) | ((x << (32 - n)) != 0);
}

/* ---- rounding and packing ----
 *
 * A finite nonzero f64 result is carried as (sign, e, m) meaning
 * m * 2^(e - 1085); pack64 places m's leading bit at bit 62 (so an e in
 * [1, 2046] is the biased exponent of a normal result and bits 9..0 are
 * below the 53-bit significand), then rounds to nearest even and builds the
 * bits. A subnormal result shifts right (keeping a sticky bit) to exponent
 * 1 and packs with a significand below 2^52; a rounding carry moves into the
 * exponent field by plain addition, up to infinity. */
HELPER uint64_t round_pack64(uint64_t sign, int e, uint64_t m) {
  if (e >= 0x7ff)
    return sign | F64_INF;
  if (e < 1) {
    m = shift_right_sticky64(m, 1 - e);
    e = 1;
  }
  uint64_t rest = m & 0x3ff;
  m >>= 10;
  if (rest > 0x200 || (rest == 0x200 && (m & 1)))
    m += 1;
  return sign | ((((uint64_t)(e - 1)) << 52) + m);
}

/* How far m's leading bit is below bit 62: negative when it is bit 63. */
HELPER int lead_below62(uint64_t m) { return __builtin_clzll(m) - 1; }

/* m with its leading bit at bit 62 (m != 0), a right shift keeping a sticky
 * bit. */
HELPER uint64_t normalize62(uint64_t m) {
  int s = lead_below62(m);
  return s < 0 ? (m >> 1) | (m & 1) : m << s;
}

HELPER uint64_t pack64(uint64_t sign, int e, uint64_t m) {
  return round_pack64(sign, e - lead_below62(m), normalize62(m));
}

/* f32: m * 2^(e - 157), leading bit at bit 30, 7 bits below the 24-bit
 * significand. */
HELPER uint32_t round_pack32(uint32_t sign, int e, uint32_t m) {
  if (e >= 0xff)
    return sign | F32_INF;
  if (e < 1) {
    m = shift_right_sticky32(m, 1 - e);
    e = 1;
  }
  uint32_t rest = m & 0x7f;
  m >>= 7;
  if (rest > 0x40 || (rest == 0x40 && (m & 1)))
    m += 1;
  return sign | ((((uint32_t)(e - 1)) << 23) + m);
}

HELPER int lead_below30(uint32_t m) { return __builtin_clz(m) - 1; }

HELPER uint32_t pack32(uint32_t sign, int e, uint32_t m) {
  int s = lead_below30(m);
  uint32_t n = s < 0 ? (m >> 1) | (m & 1) : m << s;
  return round_pack32(sign, e - s, n);
}

/* An f64-convention (e, m) packed as f32: the top 32 bits of the
 * normalized m, the rest as sticky. e - 1085 + 32 = e32 - 157. */
HELPER uint32_t pack32_from64(uint32_t sign, int e, uint64_t m) {
  uint64_t n = normalize62(m);
  uint32_t m32 = (uint32_t)(n >> 32) | ((uint32_t)n != 0);
  return round_pack32(sign, e - lead_below62(m) - 896, m32);
}

/* ---- unpacking: the significand with the implicit bit, and the exponent
 * a subnormal shares with the smallest normals ---- */
HELPER uint64_t sig64(uint64_t a) {
  return exp64(a) ? (a & F64_FRAC) | F64_IMPLICIT : a & F64_FRAC;
}
HELPER int unbiased_exp64(uint64_t a) { return exp64(a) ? exp64(a) : 1; }
HELPER uint32_t sig32(uint32_t a) {
  return exp32(a) ? (a & F32_FRAC) | F32_IMPLICIT : a & F32_FRAC;
}
HELPER int unbiased_exp32(uint32_t a) { return exp32(a) ? exp32(a) : 1; }

/* ==== add, sub ==== */

/* a + b, the whole of f64.add. */
HELPER uint64_t add64(uint64_t a, uint64_t b) {
  if (is_nan64(a) || is_nan64(b))
    return propagate64(a, b);
  if (exp64(a) == 0x7ff) {
    if (exp64(b) == 0x7ff && (a ^ b) == F64_SIGN)
      return F64_CANONICAL_NAN;
    return a;
  }
  if (exp64(b) == 0x7ff)
    return b;
  if ((a << 1) == 0 && (b << 1) == 0)
    return a & b;
  if ((a << 1) == 0)
    return b;
  if ((b << 1) == 0)
    return a;
  /* a is the operand of larger magnitude */
  if ((a & ~F64_SIGN) < (b & ~F64_SIGN)) {
    uint64_t t = a;
    a = b;
    b = t;
  }
  int ea = unbiased_exp64(a);
  /* 9 guard bits: the larger significand's leading bit at 61 */
  uint64_t ma = sig64(a) << 9;
  uint64_t mb = shift_right_sticky64(sig64(b) << 9, ea - unbiased_exp64(b));
  uint64_t sign = a & F64_SIGN;
  uint64_t m;
  if ((a ^ b) & F64_SIGN) {
    m = ma - mb;
    if (m == 0)
      return 0;
  } else {
    m = ma + mb;
  }
  /* sig << 9 at exponent ea is m * 2^(ea - 1075 - 9) */
  return pack64(sign, ea + 1, m);
}

HELPER uint32_t add32(uint32_t a, uint32_t b) {
  if (is_nan32(a) || is_nan32(b))
    return propagate32(a, b);
  if (exp32(a) == 0xff) {
    if (exp32(b) == 0xff && (a ^ b) == F32_SIGN)
      return F32_CANONICAL_NAN;
    return a;
  }
  if (exp32(b) == 0xff)
    return b;
  if ((a << 1) == 0 && (b << 1) == 0)
    return a & b;
  if ((a << 1) == 0)
    return b;
  if ((b << 1) == 0)
    return a;
  if ((a & ~F32_SIGN) < (b & ~F32_SIGN)) {
    uint32_t t = a;
    a = b;
    b = t;
  }
  int ea = unbiased_exp32(a);
  /* 6 guard bits: the larger significand's leading bit at 29 */
  uint32_t ma = sig32(a) << 6;
  uint32_t mb = shift_right_sticky32(sig32(b) << 6, ea - unbiased_exp32(b));
  uint32_t sign = a & F32_SIGN;
  uint32_t m;
  if ((a ^ b) & F32_SIGN) {
    m = ma - mb;
    if (m == 0)
      return 0;
  } else {
    m = ma + mb;
  }
  /* sig << 6 at exponent ea is m * 2^(ea - 150 - 6) */
  return pack32(sign, ea + 1, m);
}

EXPORT("f64.add") uint64_t f64_add(uint64_t a, uint64_t b) { return add64(a, b); }
EXPORT("f64.sub") uint64_t f64_sub(uint64_t a, uint64_t b) {
  /* a - b is a + (-b) except that a NaN b keeps its own sign */
  return is_nan64(b) ? propagate64(a, b) : add64(a, b ^ F64_SIGN);
}
EXPORT("f32.add") uint32_t f32_add(uint32_t a, uint32_t b) { return add32(a, b); }
EXPORT("f32.sub") uint32_t f32_sub(uint32_t a, uint32_t b) {
  return is_nan32(b) ? propagate32(a, b) : add32(a, b ^ F32_SIGN);
}

/* ==== mul ==== */

/* A nonzero finite operand's significand with its leading bit at bit 52,
 * and the exponent that goes with it. */
HELPER int norm_shift64(uint64_t a) { return __builtin_clzll(sig64(a)) - 11; }
HELPER uint64_t norm_sig64(uint64_t a) { return sig64(a) << norm_shift64(a); }
HELPER int norm_exp64(uint64_t a) { return unbiased_exp64(a) - norm_shift64(a); }
HELPER int norm_shift32(uint32_t a) { return __builtin_clz(sig32(a)) - 8; }
HELPER uint32_t norm_sig32(uint32_t a) { return sig32(a) << norm_shift32(a); }
HELPER int norm_exp32(uint32_t a) { return unbiased_exp32(a) - norm_shift32(a); }

EXPORT("f64.mul") uint64_t f64_mul(uint64_t a, uint64_t b) {
  if (is_nan64(a) || is_nan64(b))
    return propagate64(a, b);
  uint64_t sign = (a ^ b) & F64_SIGN;
  int a_zero = (a << 1) == 0, b_zero = (b << 1) == 0;
  if (exp64(a) == 0x7ff || exp64(b) == 0x7ff)
    return (a_zero || b_zero) ? F64_CANONICAL_NAN : sign | F64_INF;
  if (a_zero || b_zero)
    return sign;
  /* both significands with the leading bit at 63: a 128-bit product from
   * four 32x32 products, kept as its top 64 bits and a sticky bit */
  uint64_t x = norm_sig64(a) << 11, y = norm_sig64(b) << 11;
  uint64_t x0 = (uint32_t)x, x1 = x >> 32, y0 = (uint32_t)y, y1 = y >> 32;
  uint64_t p00 = x0 * y0, p01 = x0 * y1, p10 = x1 * y0, p11 = x1 * y1;
  uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
  uint64_t high = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
  uint64_t sticky = ((uint32_t)p00 | (uint32_t)mid) != 0;
  /* x * y * 2^(ea + eb - 2172) = high * 2^(ea + eb - 2108) */
  return pack64(sign, norm_exp64(a) + norm_exp64(b) - 1023, high | sticky);
}

EXPORT("f32.mul") uint32_t f32_mul(uint32_t a, uint32_t b) {
  if (is_nan32(a) || is_nan32(b))
    return propagate32(a, b);
  uint32_t sign = (a ^ b) & F32_SIGN;
  int a_zero = (a << 1) == 0, b_zero = (b << 1) == 0;
  if (exp32(a) == 0xff || exp32(b) == 0xff)
    return (a_zero || b_zero) ? F32_CANONICAL_NAN : sign | F32_INF;
  if (a_zero || b_zero)
    return sign;
  /* 24 x 24 bits: the product's top 32 of 48 bits and a sticky bit */
  uint64_t p = (uint64_t)norm_sig32(a) * norm_sig32(b);
  uint32_t m = (uint32_t)(p >> 16) | ((p & 0xffff) != 0);
  /* p * 2^(ea + eb - 300) = m * 2^(ea + eb - 284) */
  return pack32(sign, norm_exp32(a) + norm_exp32(b) - 127, m);
}

/* ==== div ==== */

EXPORT("f64.div") uint64_t f64_div(uint64_t a, uint64_t b) {
  if (is_nan64(a) || is_nan64(b))
    return propagate64(a, b);
  uint64_t sign = (a ^ b) & F64_SIGN;
  int a_inf = exp64(a) == 0x7ff, b_inf = exp64(b) == 0x7ff;
  int a_zero = (a << 1) == 0, b_zero = (b << 1) == 0;
  if ((a_inf && b_inf) || (a_zero && b_zero))
    return F64_CANONICAL_NAN;
  if (a_inf || b_zero)
    return sign | F64_INF;
  if (a_zero || b_inf)
    return sign;
  uint64_t r = norm_sig64(a), d = norm_sig64(b);
  int e = norm_exp64(a) - norm_exp64(b) + 1031;
  if (r < d) { /* quotient in [1, 2) */
    r <<= 1;
    e -= 1;
  }
  /* 55 quotient bits by restoring division, the remainder as sticky */
  uint64_t q = 0;
  for (int i = 0; i < 55; i++) {
    q <<= 1;
    if (r >= d) {
      r -= d;
      q |= 1;
    }
    r <<= 1;
  }
  /* q * 2^(ea - eb - 54) with q in [2^54, 2^55) */
  return pack64(sign, e, q | (r != 0));
}

EXPORT("f32.div") uint32_t f32_div(uint32_t a, uint32_t b) {
  if (is_nan32(a) || is_nan32(b))
    return propagate32(a, b);
  uint32_t sign = (a ^ b) & F32_SIGN;
  int a_inf = exp32(a) == 0xff, b_inf = exp32(b) == 0xff;
  int a_zero = (a << 1) == 0, b_zero = (b << 1) == 0;
  if ((a_inf && b_inf) || (a_zero && b_zero))
    return F32_CANONICAL_NAN;
  if (a_inf || b_zero)
    return sign | F32_INF;
  if (a_zero || b_inf)
    return sign;
  uint32_t r = norm_sig32(a), d = norm_sig32(b);
  int e = norm_exp32(a) - norm_exp32(b) + 132;
  if (r < d) {
    r <<= 1;
    e -= 1;
  }
  uint32_t q = 0;
  for (int i = 0; i < 26; i++) {
    q <<= 1;
    if (r >= d) {
      r -= d;
      q |= 1;
    }
    r <<= 1;
  }
  /* q * 2^(ea - eb - 25) with q in [2^25, 2^26) */
  return pack32(sign, e, q | (r != 0));
}

/* ==== sqrt ==== */

EXPORT("f64.sqrt") uint64_t f64_sqrt(uint64_t a) {
  if (is_nan64(a))
    return a | F64_QUIET;
  if ((a << 1) == 0 || a == F64_INF)
    return a;
  if (a & F64_SIGN)
    return F64_CANONICAL_NAN;
  /* a = m * 2^k with an even k; sqrt(m * 2^58) to 56 bits, digit by digit
   * (two radicand bits per step), the remainder as sticky */
  uint64_t m = norm_sig64(a);
  int k = norm_exp64(a) - 1075;
  if (k & 1) {
    m <<= 1;
    k -= 1;
  }
  uint64_t bits = m << 10, root = 0, rem = 0;
  for (int i = 0; i < 56; i++) {
    rem = (rem << 2) | (bits >> 62);
    bits <<= 2;
    uint64_t trial = (root << 2) | 1;
    root <<= 1;
    if (rem >= trial) {
      rem -= trial;
      root |= 1;
    }
  }
  /* root * 2^(k/2 - 29); k is even, so k >> 1 halves it exactly */
  return pack64(0, (k >> 1) + 1056, root | (rem != 0));
}

EXPORT("f32.sqrt") uint32_t f32_sqrt(uint32_t a) {
  if (is_nan32(a))
    return a | F32_QUIET;
  if ((a << 1) == 0 || a == F32_INF)
    return a;
  if (a & F32_SIGN)
    return F32_CANONICAL_NAN;
  uint32_t m = norm_sig32(a);
  int k = norm_exp32(a) - 150;
  if (k & 1) {
    m <<= 1;
    k -= 1;
  }
  /* sqrt(m * 2^28) to 26 or 27 bits; m < 2^25 read as 13 bit pairs */
  uint32_t bits = m << 6, root = 0, rem = 0;
  for (int i = 0; i < 27; i++) {
    rem = (rem << 2) | (bits >> 30);
    bits <<= 2;
    uint32_t trial = (root << 2) | 1;
    root <<= 1;
    if (rem >= trial) {
      rem -= trial;
      root |= 1;
    }
  }
  /* root * 2^(k/2 - 14) */
  return pack32(0, (k >> 1) + 143, root | (rem != 0));
}

/* ==== min, max ==== */

/* An order on non-NaN bits that is the numeric order with -0 < +0. */
HELPER uint64_t order64(uint64_t a) { return (a & F64_SIGN) ? ~a : a | F64_SIGN; }
HELPER uint32_t order32(uint32_t a) { return (a & F32_SIGN) ? ~a : a | F32_SIGN; }

EXPORT("f64.min") uint64_t f64_min(uint64_t a, uint64_t b) {
  if (is_nan64(a) || is_nan64(b))
    return propagate64(a, b);
  return order64(a) <= order64(b) ? a : b;
}
EXPORT("f64.max") uint64_t f64_max(uint64_t a, uint64_t b) {
  if (is_nan64(a) || is_nan64(b))
    return propagate64(a, b);
  return order64(a) >= order64(b) ? a : b;
}
EXPORT("f32.min") uint32_t f32_min(uint32_t a, uint32_t b) {
  if (is_nan32(a) || is_nan32(b))
    return propagate32(a, b);
  return order32(a) <= order32(b) ? a : b;
}
EXPORT("f32.max") uint32_t f32_max(uint32_t a, uint32_t b) {
  if (is_nan32(a) || is_nan32(b))
    return propagate32(a, b);
  return order32(a) >= order32(b) ? a : b;
}

/* ==== sign bits ==== */

EXPORT("f64.abs") uint64_t f64_abs(uint64_t a) { return a & ~F64_SIGN; }
EXPORT("f64.neg") uint64_t f64_neg(uint64_t a) { return a ^ F64_SIGN; }
EXPORT("f64.copysign") uint64_t f64_copysign(uint64_t a, uint64_t b) {
  return (a & ~F64_SIGN) | (b & F64_SIGN);
}
EXPORT("f32.abs") uint32_t f32_abs(uint32_t a) { return a & ~F32_SIGN; }
EXPORT("f32.neg") uint32_t f32_neg(uint32_t a) { return a ^ F32_SIGN; }
EXPORT("f32.copysign") uint32_t f32_copysign(uint32_t a, uint32_t b) {
  return (a & ~F32_SIGN) | (b & F32_SIGN);
}

/* ==== comparisons ==== */

HELPER int both_zero64(uint64_t a, uint64_t b) { return ((a | b) << 1) == 0; }
HELPER int both_zero32(uint32_t a, uint32_t b) { return ((a | b) << 1) == 0; }

HELPER int eq64(uint64_t a, uint64_t b) {
  return !is_nan64(a) && !is_nan64(b) && (a == b || both_zero64(a, b));
}
HELPER int lt64(uint64_t a, uint64_t b) {
  return !is_nan64(a) && !is_nan64(b) && !both_zero64(a, b) && order64(a) < order64(b);
}
HELPER int le64(uint64_t a, uint64_t b) {
  return !is_nan64(a) && !is_nan64(b) && (both_zero64(a, b) || order64(a) <= order64(b));
}
HELPER int eq32(uint32_t a, uint32_t b) {
  return !is_nan32(a) && !is_nan32(b) && (a == b || both_zero32(a, b));
}
HELPER int lt32(uint32_t a, uint32_t b) {
  return !is_nan32(a) && !is_nan32(b) && !both_zero32(a, b) && order32(a) < order32(b);
}
HELPER int le32(uint32_t a, uint32_t b) {
  return !is_nan32(a) && !is_nan32(b) && (both_zero32(a, b) || order32(a) <= order32(b));
}

EXPORT("f64.eq") int32_t f64_eq(uint64_t a, uint64_t b) { return eq64(a, b); }
EXPORT("f64.ne") int32_t f64_ne(uint64_t a, uint64_t b) { return !eq64(a, b); }
EXPORT("f64.lt") int32_t f64_lt(uint64_t a, uint64_t b) { return lt64(a, b); }
EXPORT("f64.gt") int32_t f64_gt(uint64_t a, uint64_t b) { return lt64(b, a); }
EXPORT("f64.le") int32_t f64_le(uint64_t a, uint64_t b) { return le64(a, b); }
EXPORT("f64.ge") int32_t f64_ge(uint64_t a, uint64_t b) { return le64(b, a); }
EXPORT("f32.eq") int32_t f32_eq(uint32_t a, uint32_t b) { return eq32(a, b); }
EXPORT("f32.ne") int32_t f32_ne(uint32_t a, uint32_t b) { return !eq32(a, b); }
EXPORT("f32.lt") int32_t f32_lt(uint32_t a, uint32_t b) { return lt32(a, b); }
EXPORT("f32.gt") int32_t f32_gt(uint32_t a, uint32_t b) { return lt32(b, a); }
EXPORT("f32.le") int32_t f32_le(uint32_t a, uint32_t b) { return le32(a, b); }
EXPORT("f32.ge") int32_t f32_ge(uint32_t a, uint32_t b) { return le32(b, a); }

/* ==== ceil, floor, trunc, nearest ====
 *
 * Rounding to an integer works on the bits: with f fraction bits below the
 * binary point, clearing them truncates, and adding 1 << f to the bits adds
 * one unit to the magnitude (a carry into the exponent field is right). */

/* What to do with the fraction: 0 keep the truncation, 1 add a unit to the
 * magnitude. */
#define AWAY_NEVER 0   /* trunc */
#define AWAY_IF_POS 1  /* ceil */
#define AWAY_IF_NEG 2  /* floor */
#define AWAY_IF_HALF 3 /* nearest */

HELPER int away(int mode, int negative, int above_half, int half, int odd) {
  if (mode == AWAY_IF_POS)
    return !negative;
  if (mode == AWAY_IF_NEG)
    return negative;
  if (mode == AWAY_IF_HALF)
    return above_half || (half && odd);
  return 0;
}

HELPER uint64_t round_integral64(uint64_t a, int mode) {
  if (is_nan64(a))
    return a | F64_QUIET;
  int e = exp64(a);
  if (e >= 1075 || (a << 1) == 0)
    return a; /* integral already, infinite or zero */
  uint64_t sign = a & F64_SIGN;
  if (e < 1023) { /* 0 < |a| < 1: a signed zero or one */
    int above_half = e == 1022 && (a & F64_FRAC) != 0;
    int half = e == 1022 && (a & F64_FRAC) == 0;
    return away(mode, sign != 0, above_half, half, 0) ? sign | 0x3ff0000000000000ull : sign;
  }
  int f = 1075 - e;
  uint64_t unit = 1ull << f;
  uint64_t frac = a & (unit - 1);
  if (frac == 0)
    return a;
  uint64_t halfway = unit >> 1;
  uint64_t truncated = a - frac;
  int odd = (a >> f) & 1;
  return away(mode, sign != 0, frac > halfway, frac == halfway, odd) ? truncated + unit
                                                                   : truncated;
}

HELPER uint32_t round_integral32(uint32_t a, int mode) {
  if (is_nan32(a))
    return a | F32_QUIET;
  int e = exp32(a);
  if (e >= 150 || (a << 1) == 0)
    return a;
  uint32_t sign = a & F32_SIGN;
  if (e < 127) {
    int above_half = e == 126 && (a & F32_FRAC) != 0;
    int half = e == 126 && (a & F32_FRAC) == 0;
    return away(mode, sign != 0, above_half, half, 0) ? sign | 0x3f800000u : sign;
  }
  int f = 150 - e;
  uint32_t unit = 1u << f;
  uint32_t frac = a & (unit - 1);
  if (frac == 0)
    return a;
  uint32_t halfway = unit >> 1;
  uint32_t truncated = a - frac;
  int odd = (a >> f) & 1;
  return away(mode, sign != 0, frac > halfway, frac == halfway, odd) ? truncated + unit
                                                                   : truncated;
}

EXPORT("f64.ceil") uint64_t f64_ceil(uint64_t a) { return round_integral64(a, AWAY_IF_POS); }
EXPORT("f64.floor") uint64_t f64_floor(uint64_t a) { return round_integral64(a, AWAY_IF_NEG); }
EXPORT("f64.trunc") uint64_t f64_trunc(uint64_t a) { return round_integral64(a, AWAY_NEVER); }
EXPORT("f64.nearest") uint64_t f64_nearest(uint64_t a) {
  return round_integral64(a, AWAY_IF_HALF);
}
EXPORT("f32.ceil") uint32_t f32_ceil(uint32_t a) { return round_integral32(a, AWAY_IF_POS); }
EXPORT("f32.floor") uint32_t f32_floor(uint32_t a) { return round_integral32(a, AWAY_IF_NEG); }
EXPORT("f32.trunc") uint32_t f32_trunc(uint32_t a) { return round_integral32(a, AWAY_NEVER); }
EXPORT("f32.nearest") uint32_t f32_nearest(uint32_t a) {
  return round_integral32(a, AWAY_IF_HALF);
}

/* ==== float -> integer ====
 *
 * The magnitude of trunc(a) as a u64, or TOO_BIG when it is 2^64 or more
 * (no float below 2^64 truncates to 2^64 - 1, so the value is free). */
#define TOO_BIG 0xffffffffffffffffull

HELPER uint64_t trunc_magnitude64(uint64_t a) {
  int e = exp64(a);
  if (e < 1023)
    return 0;
  if (e >= 1023 + 64)
    return TOO_BIG;
  uint64_t m = sig64(a);
  return e >= 1075 ? m << (e - 1075) : m >> (1075 - e);
}

HELPER uint64_t trunc_magnitude32(uint32_t a) {
  int e = exp32(a);
  if (e < 127)
    return 0;
  if (e >= 127 + 64)
    return TOO_BIG;
  uint64_t m = sig32(a);
  return e >= 150 ? m << (e - 150) : m >> (150 - e);
}

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
  if (negative ? mag > neg_limit : mag > pos_limit || mag == TOO_BIG) {
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

/* An integer n is n * 2^(1085 - 1085). */
HELPER uint64_t f64_from(uint64_t sign, uint64_t mag) {
  return mag == 0 ? 0 : pack64(sign, 1085, mag);
}
HELPER uint32_t f32_from(uint32_t sign, uint64_t mag) {
  return mag == 0 ? 0 : pack32_from64(sign, 1085, mag);
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
  return mag == 0 ? 0 : pack32(x < 0 ? F32_SIGN : 0, 157, mag);
}
EXPORT("f32.convert_i32_u") uint32_t f32_convert_i32_u(uint32_t x) {
  return x == 0 ? 0 : pack32(0, 157, x);
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
  if (exp32(a) == 0xff)
    return sign | F64_INF;
  if ((a << 1) == 0)
    return sign;
  /* sig * 2^(e - 150) = sig * 2^(e + 935 - 1085), exact */
  return pack64(sign, unbiased_exp32(a) + 935, sig32(a));
}

EXPORT("f32.demote_f64") uint32_t f32_demote_f64(uint64_t a) {
  uint32_t sign = (uint32_t)(a >> 32) & F32_SIGN;
  if (is_nan64(a))
    return sign | F32_INF | F32_QUIET | (uint32_t)((a & F64_FRAC) >> 29);
  if (exp64(a) == 0x7ff)
    return sign | F32_INF;
  if ((a << 1) == 0)
    return sign;
  /* sig * 2^(e - 1075) = sig * 2^((e + 10) - 1085) */
  return pack32_from64(sign, unbiased_exp64(a) + 10, sig64(a));
}

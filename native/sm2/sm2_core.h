/*
 * SM2 signing core (GB/T 32918.2): constant-time k·G on sm2p256v1 with a fixed-base table, and
 * r, s from e, k, d and (1 + d)^-1. Everything that touches k or d runs without branches or
 * table indexes that depend on them: 4×64-bit Montgomery arithmetic with masked final
 * subtractions, complete projective addition (Renes–Costello–Batina 2016, algorithm 1, no
 * exceptional cases), and a lookup that reads every table entry of a window. The hash, the
 * nonce and the DER encoding are done by the caller (native-sm2.ts). native/sm2/ct-check.c runs
 * this file under valgrind with k and d marked secret, so a secret-dependent branch is reported.
 *
 * Byte strings are 32-byte big-endian; limbs are little-endian uint64.
 */
#ifndef YIBAN_SM2_CORE_H
#define YIBAN_SM2_CORE_H

#include <stdint.h>
#include <string.h>

typedef uint64_t fe[4];
typedef unsigned __int128 u128;

static const fe SM2_P = {0xFFFFFFFFFFFFFFFFULL, 0xFFFFFFFF00000000ULL, 0xFFFFFFFFFFFFFFFFULL, 0xFFFFFFFEFFFFFFFFULL};
static const fe SM2_N = {0x53BBF40939D54123ULL, 0x7203DF6B21C6052BULL, 0xFFFFFFFFFFFFFFFFULL, 0xFFFFFFFEFFFFFFFFULL};
static const fe SM2_B = {0xDDBCBD414D940E93ULL, 0xF39789F515AB8F92ULL, 0x4D5A9E4BCF6509A7ULL, 0x28E9FA9E9D9F5E34ULL};
static const fe SM2_GX = {0x715A4589334C74C7ULL, 0x8FE30BBFF2660BE1ULL, 0x5F9904466A39C994ULL, 0x32C4AE2C1F198119ULL};
static const fe SM2_GY = {0x02DF32E52139F0A0ULL, 0xD0A9877CC62A4740ULL, 0x59BDCEE36B692153ULL, 0xBC3736A2F4F6779CULL};

/* A modulus with its Montgomery constants (R = 2^256). */
typedef struct {
  fe m;
  uint64_t m0inv; /* -m^-1 mod 2^64 */
  fe r1;          /* R mod m: 1 in Montgomery form */
  fe r2;          /* R^2 mod m */
} modulus;

static modulus MOD_P, MOD_N;
static fe B3_MONT; /* 3b, in Montgomery form mod p */

/* k·G sums one table point per 5-bit window of k, with signed digits in [-16, 16] (52 windows
 * cover 256 bits and the recoding's carry): no doubling at all. TABLE[j][i - 1] is i·32^j·G in
 * affine Montgomery coordinates, i in 1..16: 52 × 16 × 64 bytes = 52 KiB. */
#define WINDOWS 52
static fe TABLE[WINDOWS][16][2];

static inline uint64_t ct_is_zero64(uint64_t x) { /* all ones when x == 0 */
  return ((x | (0 - x)) >> 63) - 1;
}

static inline void fe_copy(fe r, const fe a) { memcpy(r, a, sizeof(fe)); }

/* r = mask ? a : b, with mask all ones or zero. */
static inline void fe_select(fe r, uint64_t mask, const fe a, const fe b) {
  for (int i = 0; i < 4; i++) r[i] = (a[i] & mask) | (b[i] & ~mask);
}

/* Carry chains: the x86-64 add-with-carry instructions where available (several times faster
 * than 128-bit arithmetic for a carry bit), portable C elsewhere. Both are branch-free. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <x86intrin.h>
static inline uint8_t addc64(uint8_t c, uint64_t a, uint64_t b, uint64_t *out) {
  unsigned long long r;
  c = _addcarry_u64(c, a, b, &r);
  *out = r;
  return c;
}
static inline uint8_t subb64(uint8_t c, uint64_t a, uint64_t b, uint64_t *out) {
  unsigned long long r;
  c = _subborrow_u64(c, a, b, &r);
  *out = r;
  return c;
}
#else
static inline uint8_t addc64(uint8_t c, uint64_t a, uint64_t b, uint64_t *out) {
  u128 s = (u128)a + b + c;
  *out = (uint64_t)s;
  return (uint8_t)(s >> 64);
}
static inline uint8_t subb64(uint8_t c, uint64_t a, uint64_t b, uint64_t *out) {
  u128 d = (u128)a - b - c;
  *out = (uint64_t)d;
  return (uint8_t)((d >> 64) & 1);
}
#endif

/* r = a - b over 4 limbs; returns the borrow (0 or 1). */
static inline uint64_t fe_sub_raw(fe r, const fe a, const fe b) {
  uint8_t c = subb64(0, a[0], b[0], &r[0]);
  c = subb64(c, a[1], b[1], &r[1]);
  c = subb64(c, a[2], b[2], &r[2]);
  c = subb64(c, a[3], b[3], &r[3]);
  return c;
}

/* r = a + b over 4 limbs; returns the carry (0 or 1). */
static inline uint64_t fe_add_raw(fe r, const fe a, const fe b) {
  uint8_t c = addc64(0, a[0], b[0], &r[0]);
  c = addc64(c, a[1], b[1], &r[1]);
  c = addc64(c, a[2], b[2], &r[2]);
  c = addc64(c, a[3], b[3], &r[3]);
  return c;
}

/* r = (a + b) mod m for a, b < m. */
static inline void mod_add(fe r, const fe a, const fe b, const modulus *mod) {
  fe s, d;
  uint64_t carry = fe_add_raw(s, a, b);
  uint64_t borrow = fe_sub_raw(d, s, mod->m);
  uint64_t keep_sum = 0 - ((carry ^ 1) & borrow); /* s < m: no carry and the subtraction borrowed */
  fe_select(r, keep_sum, s, d);
}

/* r = (a - b) mod m for a, b < m. */
static inline void mod_sub(fe r, const fe a, const fe b, const modulus *mod) {
  fe d, fix;
  uint64_t mask = 0 - fe_sub_raw(d, a, b);
  for (int i = 0; i < 4; i++) fix[i] = mod->m[i] & mask;
  fe_add_raw(r, d, fix);
}

/* r = x mod m for x < 2m (one masked subtraction). */
static inline void mod_reduce_once(fe r, const fe x, const modulus *mod) {
  fe d;
  uint64_t borrow = fe_sub_raw(d, x, mod->m);
  fe_select(r, 0 - borrow, x, d);
}

/* r = a·b·R^-1 mod m, a, b < m: the 512-bit product, then four word-by-word Montgomery
 * reductions, then one masked subtraction. (Of the portable forms tried, the one with the
 * fewest instructions under callgrind: about 350 per multiplication with gcc 12 -O3.) */
static inline void mont_mul(fe r, const fe a, const fe b, const modulus *mod) {
  const uint64_t *m = mod->m;
  uint64_t t[8];
  /* t = a·b, schoolbook, one row per limb of b */
  {
    u128 c = 0;
    uint64_t row[5];
    for (int j = 0; j < 4; j++) {
      c += (u128)a[j] * b[0];
      t[j] = (uint64_t)c;
      c >>= 64;
    }
    t[4] = (uint64_t)c;
    for (int i = 1; i < 4; i++) {
      c = 0;
      for (int j = 0; j < 4; j++) {
        c += (u128)a[j] * b[i];
        row[j] = (uint64_t)c;
        c >>= 64;
      }
      row[4] = (uint64_t)c;
      uint8_t k = addc64(0, t[i], row[0], &t[i]);
      k = addc64(k, t[i + 1], row[1], &t[i + 1]);
      k = addc64(k, t[i + 2], row[2], &t[i + 2]);
      k = addc64(k, t[i + 3], row[3], &t[i + 3]);
      t[i + 4] = row[4] + k; /* cannot overflow: the product fits in 512 bits */
    }
  }
  /* reduce: t += u·m·2^(64i), each u making the low word vanish */
  uint64_t top = 0;
  for (int i = 0; i < 4; i++) {
    uint64_t u = t[i] * mod->m0inv;
    u128 c = 0;
    uint64_t row[5];
    for (int j = 0; j < 4; j++) {
      c += (u128)u * m[j];
      row[j] = (uint64_t)c;
      c >>= 64;
    }
    row[4] = (uint64_t)c;
    uint8_t k = addc64(0, t[i], row[0], &t[i]);
    k = addc64(k, t[i + 1], row[1], &t[i + 1]);
    k = addc64(k, t[i + 2], row[2], &t[i + 2]);
    k = addc64(k, t[i + 3], row[3], &t[i + 3]);
    /* the fifth word plus the carry, rippling into the words above */
    k = addc64(k, t[i + 4], row[4], &t[i + 4]);
    for (int l = i + 5; l < 8; l++) k = addc64(k, t[l], 0, &t[l]);
    top += k;
  }
  /* result = t[4..7] + top·2^256 < 2m */
  fe lo = {t[4], t[5], t[6], t[7]}, d;
  uint64_t borrow = fe_sub_raw(d, lo, m);
  uint64_t keep_t = 0 - (borrow & (top ^ 1));
  fe_select(r, keep_t, lo, d);
}

static void modulus_init(modulus *mod, const fe m) {
  fe_copy(mod->m, m);
  uint64_t inv = 1; /* Newton: inv = m0^-1 mod 2^64 */
  for (int i = 0; i < 6; i++) inv *= 2 - m[0] * inv;
  mod->m0inv = 0 - inv;
  /* R mod m = 2^256 - m, since 2^255 < m < 2^256. */
  fe zero = {0, 0, 0, 0};
  fe_sub_raw(mod->r1, zero, m);
  /* R^2 mod m: double R mod m 256 times. */
  fe x;
  fe_copy(x, mod->r1);
  for (int i = 0; i < 256; i++) mod_add(x, x, x, mod);
  fe_copy(mod->r2, x);
}

static inline void to_mont(fe r, const fe a, const modulus *mod) { mont_mul(r, a, mod->r2, mod); }

static inline void from_mont(fe r, const fe a, const modulus *mod) {
  const fe one = {1, 0, 0, 0};
  mont_mul(r, a, one, mod);
}

/* r = a^(m-2) mod m in Montgomery form (Fermat), with 4-bit fixed windows: 256 squarings and
 * at most 78 multiplications. The exponent is public (branches on it are fine); a may be secret. */
static void mont_inv(fe r, const fe a, const modulus *mod) {
  fe e, acc, pow[16];
  const fe two = {2, 0, 0, 0};
  fe_sub_raw(e, mod->m, two);
  fe_copy(pow[0], mod->r1);
  fe_copy(pow[1], a);
  for (int i = 2; i < 16; i++) mont_mul(pow[i], pow[i - 1], a, mod);
  fe_copy(acc, mod->r1);
  for (int nibble = 63; nibble >= 0; nibble--) {
    for (int i = 0; i < 4; i++) mont_mul(acc, acc, acc, mod);
    unsigned digit = (unsigned)(e[nibble / 16] >> (4 * (nibble % 16))) & 15;
    if (digit) mont_mul(acc, acc, pow[digit], mod);
  }
  fe_copy(r, acc);
}

/* r = a·x for the curve's a = -3: -(x + x + x), additions instead of a multiplication. */
static inline void mul_a(fe r, const fe x) {
  static const fe zero = {0, 0, 0, 0};
  fe t;
  mod_add(t, x, x, &MOD_P);
  mod_add(t, t, x, &MOD_P);
  mod_sub(r, zero, t, &MOD_P);
}

typedef struct {
  fe x, y, z;
} point; /* projective (X : Y : Z), Montgomery form mod p */

/* Complete addition (RCB 2016 algorithm 1, with a·x as -3x): correct for all inputs, the
 * identity (0 : 1 : 0) and doubling included. */
static void point_add(point *out, const point *p1, const point *p2) {
  const modulus *F = &MOD_P;
  fe t0, t1, t2, t3, t4, t5, X3, Y3, Z3;
  mont_mul(t0, p1->x, p2->x, F);
  mont_mul(t1, p1->y, p2->y, F);
  mont_mul(t2, p1->z, p2->z, F);
  mod_add(t3, p1->x, p1->y, F);
  mod_add(t4, p2->x, p2->y, F);
  mont_mul(t3, t3, t4, F);
  mod_add(t4, t0, t1, F);
  mod_sub(t3, t3, t4, F);
  mod_add(t4, p1->x, p1->z, F);
  mod_add(t5, p2->x, p2->z, F);
  mont_mul(t4, t4, t5, F);
  mod_add(t5, t0, t2, F);
  mod_sub(t4, t4, t5, F);
  mod_add(t5, p1->y, p1->z, F);
  mod_add(X3, p2->y, p2->z, F);
  mont_mul(t5, t5, X3, F);
  mod_add(X3, t1, t2, F);
  mod_sub(t5, t5, X3, F);
  mul_a(Z3, t4);
  mont_mul(X3, B3_MONT, t2, F);
  mod_add(Z3, X3, Z3, F);
  mod_sub(X3, t1, Z3, F);
  mod_add(Z3, t1, Z3, F);
  mont_mul(Y3, X3, Z3, F);
  mod_add(t1, t0, t0, F);
  mod_add(t1, t1, t0, F);
  mul_a(t2, t2);
  mont_mul(t4, B3_MONT, t4, F);
  mod_add(t1, t1, t2, F);
  mod_sub(t2, t0, t2, F);
  mul_a(t2, t2);
  mod_add(t4, t4, t2, F);
  mont_mul(t0, t1, t4, F);
  mod_add(Y3, Y3, t0, F);
  mont_mul(t0, t5, t4, F);
  mont_mul(X3, t3, X3, F);
  mod_sub(X3, X3, t0, F);
  mont_mul(t0, t3, t1, F);
  mont_mul(Z3, t5, Z3, F);
  mod_add(Z3, Z3, t0, F);
  fe_copy(out->x, X3);
  fe_copy(out->y, Y3);
  fe_copy(out->z, Z3);
}

static void point_to_affine(fe x, fe y, const point *p) {
  fe zinv;
  mont_inv(zinv, p->z, &MOD_P);
  mont_mul(x, p->x, zinv, &MOD_P);
  mont_mul(y, p->y, zinv, &MOD_P);
}

/* Builds the constants and the table (about 10 ms; public data only). */
static void sm2_core_init(void) {
  modulus_init(&MOD_P, SM2_P);
  modulus_init(&MOD_N, SM2_N);
  fe b3;
  to_mont(b3, SM2_B, &MOD_P);
  mod_add(B3_MONT, b3, b3, &MOD_P);
  mod_add(B3_MONT, B3_MONT, b3, &MOD_P);

  point base; /* 32^j·G */
  to_mont(base.x, SM2_GX, &MOD_P);
  to_mont(base.y, SM2_GY, &MOD_P);
  fe_copy(base.z, MOD_P.r1);
  for (int j = 0; j < WINDOWS; j++) {
    point acc = base;
    for (int i = 1; i <= 16; i++) {
      if (i > 1) point_add(&acc, &acc, &base);
      point_to_affine(TABLE[j][i - 1][0], TABLE[j][i - 1][1], &acc);
    }
    point_add(&acc, &acc, &acc); /* 32·base */
    point_to_affine(base.x, base.y, &acc);
    fe_copy(base.z, MOD_P.r1);
  }
}

/* Bits pos..pos + width − 1 of k (public pos, width < 64; zero above bit 255). */
static inline uint64_t scalar_bits(const fe k, int pos, int width) {
  int limb = pos / 64, off = pos % 64;
  uint64_t w = limb < 4 ? k[limb] >> off : 0;
  if (off > 64 - width && limb + 1 < 4) w |= k[limb + 1] << (64 - off);
  return w & ((1ULL << width) - 1);
}

/* Bits 5j..5j+4 of k: the signing table's window j. */
static inline uint64_t window_bits(const fe k, int j) { return scalar_bits(k, 5 * j, 5); }

/* x of k·G, canonical (not Montgomery), for 0 < k < n. */
static void sm2_base_mul_x(fe x_out, const fe k) {
  static const fe zero = {0, 0, 0, 0};
  point acc;
  memset(&acc, 0, sizeof acc);
  fe_copy(acc.y, MOD_P.r1); /* the identity (0 : 1 : 0) */
  uint64_t carry = 0;
  for (int j = 0; j < WINDOWS; j++) {
    /* signed recoding without branches: w in 0..32; above 16 it becomes w - 32 and carries */
    uint64_t w = window_bits(k, j) + carry;
    uint64_t negative = (16 - w) >> 63; /* 1 when w > 16 */
    uint64_t neg_mask = 0 - negative;
    uint64_t digit = (w & ~neg_mask) | ((32 - w) & neg_mask);
    carry = negative;
    point q;
    memset(&q, 0, sizeof q);
    fe_copy(q.z, MOD_P.r1);
    for (uint64_t i = 1; i <= 16; i++) {
      uint64_t mask = ct_is_zero64(i ^ digit);
      for (int l = 0; l < 4; l++) {
        q.x[l] |= TABLE[j][i - 1][0][l] & mask;
        q.y[l] |= TABLE[j][i - 1][1][l] & mask;
      }
    }
    fe minus_y;
    mod_sub(minus_y, zero, q.y, &MOD_P);
    fe_select(q.y, neg_mask, minus_y, q.y);
    point sum;
    point_add(&sum, &acc, &q);
    uint64_t use_sum = ~ct_is_zero64(digit);
    fe_select(acc.x, use_sum, sum.x, acc.x);
    fe_select(acc.y, use_sum, sum.y, acc.y);
    fe_select(acc.z, use_sum, sum.z, acc.z);
  }
  fe x, y;
  point_to_affine(x, y, &acc);
  from_mont(x_out, x, &MOD_P);
}

static void fe_from_bytes(fe r, const uint8_t b[32]) {
  for (int i = 0; i < 4; i++) {
    uint64_t w = 0;
    for (int j = 0; j < 8; j++) w = (w << 8) | b[(3 - i) * 8 + j];
    r[i] = w;
  }
}

static void fe_to_bytes(uint8_t b[32], const fe a) {
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 8; j++) b[(3 - i) * 8 + j] = (uint8_t)(a[i] >> (56 - 8 * j));
}

/* all ones when a < m (constant time) */
static inline uint64_t fe_lt_mask(const fe a, const fe m) {
  fe d;
  return 0 - fe_sub_raw(d, a, m);
}

static inline uint64_t fe_is_zero_mask(const fe a) { return ct_is_zero64(a[0] | a[1] | a[2] | a[3]); }

/*
 * r = (e + x(k·G)) mod n, s = (1 + d)^-1 · (k − r·d) mod n. Returns 1, or 0 when k is out of
 * [1, n) or r = 0, r + k = n or s = 0 (the caller takes another k). The result flag is computed
 * without branches; only the caller branches on it.
 */
static int sm2_sign_core(uint8_t out_rs[64], const uint8_t d_bytes[32], const uint8_t inv_bytes[32], const uint8_t e_bytes[32],
                         const uint8_t k_bytes[32]) {
  fe d, inv, e, k, x1, r, s, t, rk, rd;
  fe_from_bytes(d, d_bytes);
  fe_from_bytes(inv, inv_bytes);
  fe_from_bytes(e, e_bytes);
  fe_from_bytes(k, k_bytes);
  uint64_t ok = fe_lt_mask(k, SM2_N) & ~fe_is_zero_mask(k);

  sm2_base_mul_x(x1, k);
  mod_reduce_once(x1, x1, &MOD_N); /* x1 < p < 2n */
  mod_reduce_once(e, e, &MOD_N);   /* e < 2^256 < 2n */
  mod_add(r, e, x1, &MOD_N);
  ok &= ~fe_is_zero_mask(r);
  uint64_t carry = fe_add_raw(rk, r, k); /* r + k = n? */
  fe diff;
  fe_sub_raw(diff, rk, SM2_N);
  ok &= ~(fe_is_zero_mask(diff) & ct_is_zero64(carry));

  to_mont(t, r, &MOD_N);
  mont_mul(rd, t, d, &MOD_N); /* r·d */
  mod_reduce_once(k, k, &MOD_N);
  mod_sub(t, k, rd, &MOD_N);
  to_mont(inv, inv, &MOD_N);
  mont_mul(s, inv, t, &MOD_N);
  ok &= ~fe_is_zero_mask(s);

  fe_to_bytes(out_rs, r);
  fe_to_bytes(out_rs + 32, s);
  return (int)(ok & 1);
}

/* (1 + d)^-1 mod n by Fermat, constant time in d; 0 < d < n - 1. */
static void sm2_key_inverse(uint8_t out[32], const uint8_t d_bytes[32]) {
  fe d, one = {1, 0, 0, 0}, t, tm, im, inv;
  fe_from_bytes(d, d_bytes);
  mod_add(t, d, one, &MOD_N);
  to_mont(tm, t, &MOD_N);
  mont_inv(im, tm, &MOD_N);
  from_mont(inv, im, &MOD_N);
  fe_to_bytes(out, inv);
}

#endif

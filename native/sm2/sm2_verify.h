/*
 * SM2 signature verification (GB/T 32918.2 §7): t = (r + s) mod n, (x1, y1) = s·G + t·P,
 * valid when (e + x1) mod n = r. Everything here is public (the key, the message's hash, the
 * signature), so it is not constant time: zero digits are skipped and the rare cases of an
 * addition (doubling, the identity) are branches.
 *
 * Both products are sums of table points, one per 7-bit signed window of the scalar (37 windows,
 * digits −63..64, zero digits skipped), with no doubling: s·G from a table built once per process
 * (VERIFY_G, on the first verification), t·P from the key's table, built once per key by
 * sm2_key_table and kept by the caller (37 × 64 affine points, 148 KiB). The tables are affine
 * (one inversion for the whole table, Montgomery's trick), so each step is a mixed addition in
 * Jacobian coordinates (8M + 3S) instead of a complete projective one (14M); and the check
 * x1 ≡ r − e (mod n) is made as X = c·Z² (mod p) without inverting Z. About 72 mixed additions
 * in all, against the complete additions and the inversion of the signing core's path.
 *
 * Byte strings are 32-byte big-endian. The caller checks that P is a point of the curve.
 */
#ifndef YIBAN_SM2_VERIFY_H
#define YIBAN_SM2_VERIFY_H

#include <pthread.h>
#include <stdlib.h>
#include "sm2_core.h"

#define VWINDOW_BITS 7
#define VWINDOWS 37 /* 7 × 37 = 259 bits: the 256 of a scalar and the recoding's carry */
#define VDIGITS 64  /* |digit| ≤ 64 */

typedef struct {
  fe x, y;
} affine; /* Montgomery form mod p */

#define KEY_TABLE_BYTES (VWINDOWS * VDIGITS * sizeof(affine))

/* Entry [j][i - 1] of the table of Q is i·2^(7j)·Q, affine; 0 when memory ran out. */
static int verify_table(affine *table, const point *q) {
  const int count = VWINDOWS * VDIGITS;
  point *scratch = malloc((size_t)count * sizeof(point));
  fe *prefix = malloc((size_t)count * sizeof(fe));
  if (!scratch || !prefix) {
    free(scratch);
    free(prefix);
    return 0;
  }
  point base = *q;
  for (int j = 0; j < VWINDOWS; j++) {
    point acc = base;
    for (int i = 1; i <= VDIGITS; i++) {
      if (i > 1) point_add(&acc, &acc, &base);
      scratch[j * VDIGITS + i - 1] = acc;
    }
    point_add(&base, &acc, &acc); /* 128·base */
  }
  /* Montgomery's trick: one inversion for every Z (none is zero: the curve's order n is a prime
   * that divides no i·2^(7j)). */
  fe_copy(prefix[0], scratch[0].z);
  for (int i = 1; i < count; i++) mont_mul(prefix[i], prefix[i - 1], scratch[i].z, &MOD_P);
  fe inv;
  mont_inv(inv, prefix[count - 1], &MOD_P);
  for (int i = count - 1; i >= 0; i--) {
    fe zinv;
    if (i > 0) {
      mont_mul(zinv, inv, prefix[i - 1], &MOD_P);
      mont_mul(inv, inv, scratch[i].z, &MOD_P);
    } else {
      fe_copy(zinv, inv);
    }
    mont_mul(table[i].x, scratch[i].x, zinv, &MOD_P);
    mont_mul(table[i].y, scratch[i].y, zinv, &MOD_P);
  }
  free(prefix);
  free(scratch);
  return 1;
}

static affine VERIFY_G[VWINDOWS * VDIGITS];

static void sm2_verify_init(void) {
  point g;
  to_mont(g.x, SM2_GX, &MOD_P);
  to_mont(g.y, SM2_GY, &MOD_P);
  fe_copy(g.z, MOD_P.r1);
  if (!verify_table(VERIFY_G, &g)) abort(); /* 300 KiB of scratch, once: without it nothing can be verified */
}

/* The key's table (KEY_TABLE_BYTES); 0 when memory ran out. */
static int sm2_key_table(affine *table, const uint8_t x_bytes[32], const uint8_t y_bytes[32]) {
  point q;
  fe x, y;
  fe_from_bytes(x, x_bytes);
  fe_from_bytes(y, y_bytes);
  to_mont(q.x, x, &MOD_P);
  to_mont(q.y, y, &MOD_P);
  fe_copy(q.z, MOD_P.r1);
  return verify_table(table, &q);
}

/* A Jacobian point (X : Y : Z), x = X/Z², y = Y/Z³; `infinity` for the identity. */
typedef struct {
  fe x, y, z;
  int infinity;
} jpoint;

static inline void fe_sqr(fe r, const fe a) { mont_mul(r, a, a, &MOD_P); }
static inline void fe_mul(fe r, const fe a, const fe b) { mont_mul(r, a, b, &MOD_P); }
static inline void fe_add(fe r, const fe a, const fe b) { mod_add(r, a, b, &MOD_P); }
static inline void fe_sub(fe r, const fe a, const fe b) { mod_sub(r, a, b, &MOD_P); }
static inline int fe_equal(const fe a, const fe b) { return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3])) == 0; }

/* p = 2p for a = −3 (dbl-2001-b: 3M + 5S). */
static void jpoint_double(jpoint *p) {
  if (p->infinity) return;
  fe delta, gamma, beta, alpha, t, u;
  fe_sqr(delta, p->z);
  fe_sqr(gamma, p->y);
  fe_mul(beta, p->x, gamma);
  fe_sub(t, p->x, delta);
  fe_add(u, p->x, delta);
  fe_mul(alpha, t, u);
  fe_add(t, alpha, alpha);
  fe_add(alpha, t, alpha); /* 3(X − δ)(X + δ) */
  /* Z3 = (Y + Z)² − γ − δ */
  fe_add(t, p->y, p->z);
  fe_sqr(t, t);
  fe_sub(t, t, gamma);
  fe_sub(p->z, t, delta);
  /* X3 = α² − 8β */
  fe beta4, beta8;
  fe_add(beta4, beta, beta);
  fe_add(beta4, beta4, beta4);
  fe_add(beta8, beta4, beta4);
  fe_sqr(t, alpha);
  fe_sub(p->x, t, beta8);
  /* Y3 = α(4β − X3) − 8γ² */
  fe_sub(t, beta4, p->x);
  fe_mul(t, alpha, t);
  fe_sqr(u, gamma);
  fe_add(u, u, u);
  fe_add(u, u, u);
  fe_add(u, u, u);
  fe_sub(p->y, t, u);
  if (fe_is_zero_mask(p->z)) p->infinity = 1; /* y was 0: a point of order 2 (none on this curve) */
}

/* p += (x2, y2), affine (madd-2004-hmv: 8M + 3S), with the cases a general formula misses. */
static void jpoint_add_affine(jpoint *p, const fe x2, const fe y2) {
  if (p->infinity) {
    fe_copy(p->x, x2);
    fe_copy(p->y, y2);
    fe_copy(p->z, MOD_P.r1);
    p->infinity = 0;
    return;
  }
  fe z1z1, u2, s2, h, r, hh, hhh, v, t;
  fe_sqr(z1z1, p->z);
  fe_mul(u2, x2, z1z1);
  fe_mul(s2, y2, p->z);
  fe_mul(s2, s2, z1z1);
  fe_sub(h, u2, p->x);
  fe_sub(r, s2, p->y);
  if (fe_is_zero_mask(h)) {
    if (fe_is_zero_mask(r)) jpoint_double(p); /* the same point */
    else p->infinity = 1;                      /* its negation */
    return;
  }
  fe_sqr(hh, h);
  fe_mul(hhh, h, hh);
  fe_mul(v, p->x, hh);
  /* X3 = r² − HHH − 2V */
  fe_sqr(t, r);
  fe_sub(t, t, hhh);
  fe_sub(t, t, v);
  fe_sub(t, t, v);
  /* Y3 = r(V − X3) − Y1·HHH */
  fe y3;
  fe_sub(v, v, t);
  fe_mul(v, r, v);
  fe_mul(y3, p->y, hhh);
  fe_sub(p->y, v, y3);
  fe_copy(p->x, t);
  fe_mul(p->z, p->z, h); /* Z3 = Z1·H */
}

/* acc += k·Q, Q's table given: signed 7-bit digits, zero digits skipped. */
static void vadd_multiple(jpoint *acc, const fe k, const affine *table) {
  uint64_t carry = 0;
  for (int j = 0; j < VWINDOWS; j++) {
    uint64_t w = scalar_bits(k, VWINDOW_BITS * j, VWINDOW_BITS) + carry;
    carry = w > VDIGITS;
    if (w == 0 || w == 2 * VDIGITS) continue;
    const affine *q = &table[j * VDIGITS + (w > VDIGITS ? 2 * VDIGITS - w : w) - 1];
    if (w > VDIGITS) {
      static const fe zero = {0, 0, 0, 0};
      fe minus_y;
      fe_sub(minus_y, zero, q->y);
      jpoint_add_affine(acc, q->x, minus_y);
    } else {
      jpoint_add_affine(acc, q->x, q->y);
    }
  }
}

static pthread_once_t verify_once = PTHREAD_ONCE_INIT;

/* 1 when (r, s) is a valid signature of e under the key whose table is given, else 0. */
static int sm2_verify_core(const affine *key_table, const uint8_t e_bytes[32], const uint8_t r_bytes[32], const uint8_t s_bytes[32]) {
  pthread_once(&verify_once, sm2_verify_init);
  fe e, r, s, t;
  fe_from_bytes(e, e_bytes);
  fe_from_bytes(r, r_bytes);
  fe_from_bytes(s, s_bytes);
  /* 1 ≤ r, s ≤ n − 1 */
  if (fe_is_zero_mask(r) || fe_is_zero_mask(s) || !fe_lt_mask(r, SM2_N) || !fe_lt_mask(s, SM2_N)) return 0;
  mod_add(t, r, s, &MOD_N);
  if (fe_is_zero_mask(t)) return 0;
  jpoint acc;
  memset(&acc, 0, sizeof acc);
  acc.infinity = 1;
  vadd_multiple(&acc, s, VERIFY_G);
  vadd_multiple(&acc, t, key_table);
  if (acc.infinity) return 0;
  /* (e + x1) mod n = r  ⇔  x1 ∈ {c, c + n} with c = (r − e) mod n (x1 < p < 2n), and x1 = X/Z². */
  fe c, cm, zz, cz;
  mod_reduce_once(e, e, &MOD_N); /* e < 2^256 < 2n */
  mod_sub(c, r, e, &MOD_N);
  fe_sqr(zz, acc.z);
  to_mont(cm, c, &MOD_P); /* c < n < p */
  fe_mul(cz, cm, zz);
  if (fe_equal(cz, acc.x)) return 1;
  fe cn;
  if (fe_add_raw(cn, c, SM2_N) == 0 && fe_lt_mask(cn, SM2_P)) {
    to_mont(cm, cn, &MOD_P);
    fe_mul(cz, cm, zz);
    if (fe_equal(cz, acc.x)) return 1;
  }
  return 0;
}

#endif

/*
 * SM2 signature verification (GB/T 32918.2 §7): t = (r + s) mod n, (x1, y1) = s·G + t·P,
 * valid when (e + x1) mod n = r. Everything here is public (the key, the message's hash, the
 * signature), so it is not constant time: zero digits are skipped.
 *
 * s·G uses the signing core's fixed-base table (sm2_core.h). t·P uses a table of the same shape
 * for the key, built once per key by sm2_key_table (52 windows × 16 points, projective, 78 KiB,
 * no inversion: about 830 additions), kept by the caller and passed in with every verification.
 * Then a verification is at most 104 complete additions and one inversion.
 *
 * Byte strings are 32-byte big-endian. The caller checks that P is a point of the curve.
 */
#ifndef YIBAN_SM2_VERIFY_H
#define YIBAN_SM2_VERIFY_H

#include "sm2_core.h"

#define KEY_TABLE_BYTES (WINDOWS * 16 * sizeof(point))

/* The key's table: entry [j][i - 1] is i·32^j·P, projective, Montgomery form. */
static void sm2_key_table(point *table, const uint8_t x_bytes[32], const uint8_t y_bytes[32]) {
  point base;
  fe x, y;
  fe_from_bytes(x, x_bytes);
  fe_from_bytes(y, y_bytes);
  to_mont(base.x, x, &MOD_P);
  to_mont(base.y, y, &MOD_P);
  fe_copy(base.z, MOD_P.r1);
  for (int j = 0; j < WINDOWS; j++) {
    point acc = base;
    for (int i = 1; i <= 16; i++) {
      if (i > 1) point_add(&acc, &acc, &base);
      table[j * 16 + i - 1] = acc;
    }
    point_add(&base, &acc, &acc); /* 32·base */
  }
}

/* acc += k·Q, with Q's table given as a lookup: signed 5-bit digits, zero digits skipped. */
static void add_multiple(point *acc, const fe k, const point *key_table) {
  static const fe zero = {0, 0, 0, 0};
  uint64_t carry = 0;
  for (int j = 0; j < WINDOWS; j++) {
    uint64_t w = window_bits(k, j) + carry;
    carry = w > 16;
    if (w == 0 || w == 32) continue;
    uint64_t digit = w > 16 ? 32 - w : w;
    point q;
    if (key_table) {
      q = key_table[j * 16 + digit - 1];
    } else {
      fe_copy(q.x, TABLE[j][digit - 1][0]);
      fe_copy(q.y, TABLE[j][digit - 1][1]);
      fe_copy(q.z, MOD_P.r1);
    }
    if (w > 16) mod_sub(q.y, zero, q.y, &MOD_P);
    point_add(acc, acc, &q);
  }
}

/* 1 when (r, s) is a valid signature of e under the key whose table is given, else 0. */
static int sm2_verify_core(const point *key_table, const uint8_t e_bytes[32], const uint8_t r_bytes[32], const uint8_t s_bytes[32]) {
  fe e, r, s, t, x, y;
  fe_from_bytes(e, e_bytes);
  fe_from_bytes(r, r_bytes);
  fe_from_bytes(s, s_bytes);
  /* 1 ≤ r, s ≤ n − 1 */
  if (fe_is_zero_mask(r) || fe_is_zero_mask(s) || !fe_lt_mask(r, SM2_N) || !fe_lt_mask(s, SM2_N)) return 0;
  mod_add(t, r, s, &MOD_N);
  if (fe_is_zero_mask(t)) return 0;
  point acc;
  memset(&acc, 0, sizeof acc);
  fe_copy(acc.y, MOD_P.r1); /* the identity (0 : 1 : 0) */
  add_multiple(&acc, s, NULL);
  add_multiple(&acc, t, key_table);
  if (fe_is_zero_mask(acc.z)) return 0;
  point_to_affine(x, y, &acc);
  from_mont(x, x, &MOD_P);
  mod_reduce_once(x, x, &MOD_N); /* x < p < 2n */
  mod_reduce_once(e, e, &MOD_N); /* e < 2^256 < 2n */
  fe sum, diff;
  mod_add(sum, e, x, &MOD_N);
  for (int i = 0; i < 4; i++) diff[i] = sum[i] ^ r[i];
  return fe_is_zero_mask(diff) ? 1 : 0;
}

#endif

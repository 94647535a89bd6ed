/*
 * Constant-time check of the SM2 signing core under valgrind (the "ctgrind" method): the secret
 * inputs d, (1 + d)^-1 and k are marked undefined, so memcheck reports every branch and every
 * memory address that depends on them. Expected: "ERROR SUMMARY: 0 errors". Built with
 * -DCT_CHECK_SELFTEST it adds one deliberate secret-dependent branch, which must be reported:
 * the check can fail. Run by src/modules/certificates/keys/native-sm2.test.ts when gcc and
 * valgrind are present.
 */
#include <stdio.h>
#include <valgrind/memcheck.h>
#include "sm2_core.h"

int main(void) {
  sm2_core_init();
  uint8_t d[32], inv[32], e[32], k[32], out[64];
  for (int i = 0; i < 32; i++) {
    d[i] = (uint8_t)(0x35 + 7 * i);
    e[i] = (uint8_t)(0x11 * i);
    k[i] = (uint8_t)(0x5a ^ (13 * i));
  }
  d[0] = 0x3f; /* below n */
  k[0] = 0x6c;
  sm2_key_inverse(inv, d);
  int ok_total = 0;
  for (int round = 0; round < 2; round++) {
    VALGRIND_MAKE_MEM_UNDEFINED(d, 32);
    VALGRIND_MAKE_MEM_UNDEFINED(inv, 32);
    VALGRIND_MAKE_MEM_UNDEFINED(k, 32);
#ifdef CT_CHECK_SELFTEST
    if (k[5] & 1) ok_total += 100;
#endif
    int ok = sm2_sign_core(out, d, inv, e, k);
    VALGRIND_MAKE_MEM_DEFINED(&ok, sizeof ok);
    VALGRIND_MAKE_MEM_DEFINED(out, 64);
    VALGRIND_MAKE_MEM_DEFINED(d, 32);
    VALGRIND_MAKE_MEM_DEFINED(k, 32);
    ok_total += ok;
    k[31] ^= 0x55;
  }
  /* The key inverse is constant time in d too. */
  VALGRIND_MAKE_MEM_UNDEFINED(d, 32);
  sm2_key_inverse(inv, d);
  VALGRIND_MAKE_MEM_DEFINED(inv, 32);
  printf("signatures %d r0=%02x\n", ok_total, out[0]);
  return 0;
}

/*
 * Node-API binding of the SM2 signing core (sm2_core.h), loaded by
 * src/modules/certificates/keys/native-sm2.ts. Functions take and return Uint8Arrays:
 *   baseMulX(k[32]) -> x of k·G[32]
 *   keyInverse(d[32]) -> (1 + d)^-1 mod n [32]
 *   sign(d[32], inverse[32], e[32], k[32], out[64]) -> true with r ‖ s in out, or false: take another k
 *   keyTable(x[32], y[32]) -> the verification table of the public key (x, y) (sm2_verify.h)
 *   verify(table, e[32], r[32], s[32]) -> whether (r, s) signs e under the table's key
 */
#include <node_api.h>
#include <pthread.h>
#include "sm2_core.h"
#include "sm2_verify.h"

/* The table is built on the first call, not when the module loads: a process that never signs
 * (a CLI command, a verifier) does not pay for it at start-up. */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static int bytes_arg(napi_env env, napi_value value, size_t want, uint8_t **data) {
  bool is_typed;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) goto bad;
  napi_typedarray_type type;
  size_t length, offset;
  void *raw;
  napi_value buffer;
  if (napi_get_typedarray_info(env, value, &type, &length, &raw, &buffer, &offset) != napi_ok) goto bad;
  if (type != napi_uint8_array || length != want) goto bad;
  *data = raw;
  return 1;
bad:
  napi_throw_type_error(env, "YIBAN_SM2_ARG", "expected a Uint8Array of the right length");
  return 0;
}

static napi_value new_bytes(napi_env env, const uint8_t *src, size_t length) {
  napi_value result;
  void *data;
  if (napi_create_buffer_copy(env, length, src, &data, &result) != napi_ok) return NULL;
  return result;
}

static napi_value base_mul_x(napi_env env, napi_callback_info info) {
  pthread_once(&init_once, sm2_core_init);
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *k_bytes;
  if (argc < 1 || !bytes_arg(env, argv[0], 32, &k_bytes)) return NULL;
  fe k, x;
  uint8_t out[32];
  fe_from_bytes(k, k_bytes);
  sm2_base_mul_x(x, k);
  fe_to_bytes(out, x);
  return new_bytes(env, out, 32);
}

static napi_value key_inverse(napi_env env, napi_callback_info info) {
  pthread_once(&init_once, sm2_core_init);
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *d_bytes;
  if (argc < 1 || !bytes_arg(env, argv[0], 32, &d_bytes)) return NULL;
  uint8_t out[32];
  sm2_key_inverse(out, d_bytes);
  return new_bytes(env, out, 32);
}

static napi_value sign(napi_env env, napi_callback_info info) {
  pthread_once(&init_once, sm2_core_init);
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *d, *inv, *e, *k, *out;
  if (argc < 5 || !bytes_arg(env, argv[0], 32, &d) || !bytes_arg(env, argv[1], 32, &inv) || !bytes_arg(env, argv[2], 32, &e) ||
      !bytes_arg(env, argv[3], 32, &k) || !bytes_arg(env, argv[4], 64, &out))
    return NULL;
  int ok = sm2_sign_core(out, d, inv, e, k);
  napi_value result;
  napi_get_boolean(env, ok == 1, &result);
  return result;
}

static napi_value key_table(napi_env env, napi_callback_info info) {
  pthread_once(&init_once, sm2_core_init);
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *x, *y;
  if (argc < 2 || !bytes_arg(env, argv[0], 32, &x) || !bytes_arg(env, argv[1], 32, &y)) return NULL;
  napi_value result;
  void *data;
  if (napi_create_buffer(env, KEY_TABLE_BYTES, &data, &result) != napi_ok) return NULL;
  if (!sm2_key_table((affine *)data, x, y)) {
    napi_throw_error(env, "YIBAN_SM2_MEMORY", "out of memory building an SM2 key table");
    return NULL;
  }
  return result;
}

static napi_value verify(napi_env env, napi_callback_info info) {
  pthread_once(&init_once, sm2_core_init);
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *table, *e, *r, *s;
  if (argc < 4 || !bytes_arg(env, argv[0], KEY_TABLE_BYTES, &table) || !bytes_arg(env, argv[1], 32, &e) ||
      !bytes_arg(env, argv[2], 32, &r) || !bytes_arg(env, argv[3], 32, &s))
    return NULL;
  int ok = sm2_verify_core((const affine *)table, e, r, s);
  napi_value result;
  napi_get_boolean(env, ok == 1, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"baseMulX", NULL, base_mul_x, NULL, NULL, NULL, napi_default, NULL},
      {"keyInverse", NULL, key_inverse, NULL, NULL, NULL, napi_default, NULL},
      {"sign", NULL, sign, NULL, NULL, NULL, napi_default, NULL},
      {"keyTable", NULL, key_table, NULL, NULL, NULL, napi_default, NULL},
      {"verify", NULL, verify, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

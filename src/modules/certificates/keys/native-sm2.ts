/**
 * Node-only speed-up of SM2 signing, in two tiers (the pure-TypeScript scheme in
 * src/verify/sm2.ts stays the reference and the browser path):
 *
 * 1. The project's native addon (native/sm2, built by `npm install` through node-gyp): the whole
 *    signing core in C — constant-time k·G with a fixed-base table and complete addition
 *    formulas, then r and s — about 4× cheaper than OpenSSL 3.0's k·G on this curve. The hash
 *    (SM3 of Z ‖ M, through node:crypto), the hedged nonce and the DER encoding are done here.
 * 2. Without the addon (no compiler at install, or YIBAN_NATIVE_SM2=off): x₁ of k·G through
 *    OpenSSL's constant-time point multiplication (`crypto.createECDH('SM2')`, whose setPrivateKey
 *    computes k·G); the rest of the scheme in src/verify/sm2.ts.
 *
 * Node's `crypto.sign` on SM2 keys uses the empty signer ID, which standard tools reject with
 * the default ID 1234567812345678, so it is not used.
 */
import { createECDH, getCurves, getHashes, hash, randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { createSigner, type Signer } from '../../../verify/signatures.ts';
import { decodePkcs8, encodeSpki, type KeyAlgorithm } from '../../../verify/keys.ts';
import {
  decodeSm2Signature,
  SM2_CURVE,
  sm2PublicKeyFromPrivate,
  sm2Z,
  type Sm2BaseMultiplyX,
  type Sm2Verifier,
} from '../../../verify/sm2.ts';
import { sm2PublicPoint } from '../../../verify/sm2-keys.ts';

export const hasNativeSm2 = getCurves().includes('SM2');

export interface Sm2Addon {
  baseMulX(k: Uint8Array): Uint8Array;
  keyInverse(d: Uint8Array): Uint8Array;
  sign(d: Uint8Array, inverse: Uint8Array, e: Uint8Array, k: Uint8Array, out: Uint8Array): boolean;
  /** Absent from an addon built before verification was added (a stale build/ folder). */
  keyTable?(x: Uint8Array, y: Uint8Array): Uint8Array;
  verify?(table: Uint8Array, e: Uint8Array, r: Uint8Array, s: Uint8Array): boolean;
}

function loadAddon(): Sm2Addon | undefined {
  if (process.env.YIBAN_NATIVE_SM2 === 'off') return undefined;
  try {
    const require = createRequire(import.meta.url);
    return require(new URL('../../../../build/Release/yiban_sm2.node', import.meta.url).pathname) as Sm2Addon;
  } catch {
    return undefined;
  }
}

/** The native signing core, when `npm install` could build it and SM3 is in node:crypto. */
export const sm2Addon: Sm2Addon | undefined = getHashes().includes('sm3') ? loadAddon() : undefined;

/** Which SM2 signer the seal signer uses, for logs and benchmarks. */
export const sealSm2Engine: 'addon' | 'openssl-kG' | 'typescript' = sm2Addon ? 'addon' : hasNativeSm2 ? 'openssl-kG' : 'typescript';

/** A scalar as 32 big-endian bytes, and back. */
const scalarBytes = (k: bigint): Buffer => Buffer.from(k.toString(16).padStart(64, '0'), 'hex');
const scalarOf = (bytes: Uint8Array): bigint => BigInt(`0x${Buffer.from(bytes).toString('hex')}`);

/** x₁ of k·G by OpenSSL; one ECDH object per signer (setPrivateKey replaces its key). */
export function createNativeSm2BaseX(): Sm2BaseMultiplyX {
  const ecdh = createECDH('SM2');
  return (k) => {
    ecdh.setPrivateKey(scalarBytes(k));
    const point = ecdh.getPublicKey(); // 04 ‖ x ‖ y
    if (point.length !== 65 || point[0] !== 4) throw new Error('unexpected point from OpenSSL');
    return scalarOf(point.subarray(1, 33));
  };
}

/** x₁ of k·G by the addon (for tests and callers that want only the point). */
export function createAddonSm2BaseX(addon: Sm2Addon): Sm2BaseMultiplyX {
  return (k) => scalarOf(addon.baseMulX(scalarBytes(k)));
}

/** DER INTEGER of a 32-byte big-endian unsigned value. */
function derInteger(bytes: Uint8Array): Buffer {
  let start = 0;
  while (start < 31 && bytes[start] === 0) start++;
  const pad = bytes[start]! >= 0x80 ? 1 : 0;
  const out = Buffer.alloc(2 + pad + 32 - start);
  out[0] = 0x02;
  out[1] = pad + 32 - start;
  out.set(bytes.subarray(start), 2 + pad);
  return out;
}

const NONCE_POOL_SIZE = 32 * 256;

/**
 * An SM2 signer on the addon: e = SM3(Z ‖ M) by node:crypto; k = SHA-256(d ‖ e ‖ 32 fresh random
 * bytes ‖ counter), a secret-prefixed hash as EdDSA derives its nonces (hedged: random as the
 * standard asks, and distinct per message even if the random source failed); r, s by the addon.
 * Same signatures as createSm2Signer with the default ID.
 */
export function createAddonSm2Signer(
  addon: Sm2Addon,
  privateKey: Uint8Array,
): { publicKey: Uint8Array; sign(message: Uint8Array): Uint8Array } {
  if (privateKey.length !== 32) throw new Error('an SM2 private key is 32 bytes');
  const d = Buffer.from(privateKey);
  const dValue = scalarOf(d);
  if (dValue < 1n || dValue > SM2_CURVE.n - 2n) throw new Error('SM2 private key out of range');
  const publicKey = sm2PublicKeyFromPrivate(privateKey);
  const z = sm2Z(publicKey);
  const inverse = Buffer.from(addon.keyInverse(d));
  const out = Buffer.alloc(64);
  const pool = Buffer.alloc(NONCE_POOL_SIZE);
  let poolOffset = NONCE_POOL_SIZE;
  // d ‖ e ‖ fresh ‖ counter, the nonce hash's input, rewritten in place for every signature.
  const nonceInput = Buffer.alloc(32 + 32 + 32 + 4);
  d.copy(nonceInput, 0);
  return {
    publicKey,
    sign(message) {
      const e = hash('sm3', Buffer.concat([z, message]), 'buffer');
      if (poolOffset === NONCE_POOL_SIZE) {
        randomFillSync(pool);
        poolOffset = 0;
      }
      e.copy(nonceInput, 32);
      pool.copy(nonceInput, 64, poolOffset, poolOffset + 32);
      poolOffset += 32;
      for (let attempt = 0; attempt < 64; attempt++) {
        nonceInput.writeUInt32BE(attempt, 96);
        const k = hash('sha256', nonceInput, 'buffer');
        if (addon.sign(d, inverse, e, k, out)) {
          nonceInput.fill(0, 32);
          const r = derInteger(out.subarray(0, 32));
          const s = derInteger(out.subarray(32));
          return Buffer.concat([Buffer.from([0x30, r.length + s.length]), r, s]);
        }
      }
      throw new Error('SM2 signing found no valid nonce in 64 attempts');
    },
  };
}

/**
 * An SM2 verifier for one public key on the addon (default ID): the key's table (148 KiB of
 * affine points, a few milliseconds) built once; then e = SM3(Z ‖ M) by node:crypto and s·G + t·P
 * in C (native/sm2/sm2_verify.h), several times faster than the TypeScript comb verifier. The key
 * must be a point of the curve (checked here). Null when the addon has no verification (built
 * before it was added).
 */
export function createAddonSm2Verifier(addon: Sm2Addon, publicKey: Uint8Array): Sm2Verifier | null {
  if (!addon.keyTable || !addon.verify) return null;
  const verify = addon.verify.bind(addon);
  const point = sm2PublicPoint(publicKey);
  if (point.is0()) throw new Error('SM2 public key is the point at infinity');
  const raw = point.toBytes(false);
  const table = addon.keyTable(raw.subarray(1, 33), raw.subarray(33, 65));
  const z = Buffer.from(sm2Z(point));
  return {
    verify(message, signature) {
      let r: bigint, s: bigint;
      try {
        ({ r, s } = decodeSm2Signature(signature));
      } catch {
        return false;
      }
      if (r < 1n || s < 1n || r >= SM2_CURVE.n || s >= SM2_CURVE.n) return false;
      const e = hash('sm3', Buffer.concat([z, message]), 'buffer');
      return verify(table, e, scalarBytes(r), scalarBytes(s));
    },
  };
}

/** createSigner, with the fastest constant-time SM2 path this process has. Same signatures, faster. */
export function createSealSigner(algorithm: KeyAlgorithm, privateKey: Uint8Array): Signer {
  if (algorithm === 'SM2' && sm2Addon) {
    const signer = createAddonSm2Signer(sm2Addon, privateKey.length === 32 ? privateKey : decodePkcs8(privateKey).key);
    return { algorithm, publicKeySpki: encodeSpki('SM2', signer.publicKey), sign: (m) => signer.sign(m) };
  }
  return createSigner(algorithm, privateKey, algorithm === 'SM2' && hasNativeSm2 ? { sm2BaseMultiplyX: createNativeSm2BaseX() } : {});
}

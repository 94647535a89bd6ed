/**
 * SM2 digital signatures (GB/T 32918.2-2016) on the recommended curve sm2p256v1
 * (GB/T 32918.5-2017), with SM3 and the default signer ID 1234567812345678 (GM/T 0009):
 *
 *   Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA),  e = SM3(Z ‖ M)
 *   (x1, y1) = k·G,  r = (e + x1) mod n,  s = (1 + d)⁻¹ · (k − r·d) mod n
 *
 * Key generation, signing and plain verification use @noble/curves' audited short-Weierstrass
 * code (signing its constant-time multiply, unless a native k·G is injected). Verification with
 * a precomputed key uses the fixed-base tables of sm2-comb.ts, property-tested against noble.
 * Signatures are DER `SEQUENCE { r INTEGER, s INTEGER }`, as OpenSSL and GM/T 0009 write them.
 * Keys, Z, e and the signature encoding are in sm2-keys.ts (re-exported here); this file signs and verifies.
 * Browser-safe: no Node imports.
 */
import { invert, mod } from '@noble/curves/abstract/modular.js';
import { bytesToNumberBE, concatBytes, createHmacDrbg, numberToBytesBE, randomBytes } from '@noble/curves/utils.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { SM2_CURVE } from './sm2-curve.ts';
import { baseCombTable, buildCombTable, combVerify, type CombTable } from './sm2-comb.ts';
import {
  decodeSm2Signature,
  encodeSm2Signature,
  messageScalar,
  privateScalar,
  Sm2Point,
  sm2PublicPoint,
  sm2Z,
  type Sm2Options,
} from './sm2-keys.ts';

export { SM2_CURVE };
export {
  decodeSm2Signature,
  encodeSm2Signature,
  sm2GenerateKeyPair,
  Sm2Point,
  sm2PublicKeyFromPrivate,
  sm2Z,
  type Sm2Options,
} from './sm2-keys.ts';

const { n: N } = SM2_CURVE;
// The generator without a table, for one-off verifications: s·G + t·P by plain double-and-add
// costs a few milliseconds, far less than building a table for one use (a key verifying many
// signatures gets comb tables through createSm2Verifier's `precompute`).
const G_UNCACHED = Sm2Point.fromAffine(Sm2Point.BASE.toAffine());

// k comes from HMAC-DRBG seeded with d, e and 32 fresh random bytes (RFC 6979 §3.6 with extra
// entropy): random like the standard asks, yet never weak even if the random source is.
const drbg = createHmacDrbg<Uint8Array>(32, 32, (key: Uint8Array, message: Uint8Array) => hmac(sha256, key, message));

export interface Sm2Signer {
  readonly publicKey: Uint8Array;
  /** Signs with a fresh k; returns the DER signature. */
  sign(message: Uint8Array): Uint8Array;
}

/**
 * x₁ of k·G for a secret k in [1, n): where the platform has a faster constant-time point
 * multiplication (OpenSSL in Node, see src/modules/certificates/keys/native-sm2.ts), a signer
 * can take it; the default is @noble/curves' constant-time multiply.
 */
export type Sm2BaseMultiplyX = (k: bigint) => bigint;

export interface Sm2SignerOptions extends Sm2Options {
  baseMultiplyX?: Sm2BaseMultiplyX;
}

const nobleBaseX: Sm2BaseMultiplyX = (k) => Sm2Point.BASE.multiply(k).x;

/** A signer that keeps Z and (1 + d)⁻¹, which are the same for every message of one key. */
export function createSm2Signer(privateKey: Uint8Array, options: Sm2SignerOptions = {}): Sm2Signer {
  const d = privateScalar(privateKey);
  const point = Sm2Point.BASE.multiply(d);
  const z = sm2Z(point, options.id);
  const inverse = invert(d + 1n, N);
  const dBytes = numberToBytesBE(d, 32);
  const baseX = options.baseMultiplyX ?? nobleBaseX;
  return {
    publicKey: point.toBytes(false),
    sign(message) {
      const e = messageScalar(z, message);
      const seed = concatBytes(dBytes, numberToBytesBE(mod(e, N), 32), randomBytes(32));
      return drbg(seed, (kBytes) => {
        const k = bytesToNumberBE(kBytes);
        if (k < 1n || k >= N) return undefined;
        return signWithK(d, inverse, e, k, baseX);
      });
    },
  };
}

function signWithK(d: bigint, inverse: bigint, e: bigint, k: bigint, baseX: Sm2BaseMultiplyX = nobleBaseX): Uint8Array | undefined {
  const x1 = baseX(k);
  const r = mod(e + x1, N);
  if (r === 0n || r + k === N) return undefined;
  const s = mod(inverse * (k - r * d), N);
  if (s === 0n) return undefined;
  return encodeSm2Signature(r, s);
}

export function sm2Sign(privateKey: Uint8Array, message: Uint8Array, options: Sm2Options = {}): Uint8Array {
  return createSm2Signer(privateKey, options).sign(message);
}

/**
 * Signs with a given k. Only for the known-answer test of the standard: a k that is not fresh
 * and secret gives the private key away.
 */
export function sm2SignWithFixedKForTest(
  privateKey: Uint8Array,
  message: Uint8Array,
  k: bigint,
  options: Sm2SignerOptions = {},
): Uint8Array {
  const d = privateScalar(privateKey);
  const z = sm2Z(Sm2Point.BASE.multiply(d), options.id);
  const sig = signWithK(d, invert(d + 1n, N), messageScalar(z, message), k, options.baseMultiplyX);
  if (!sig) throw new Error('k rejected');
  return sig;
}

export interface Sm2Verifier {
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/**
 * A verifier for one public key, with Z computed once. `precompute` also builds a fixed-base
 * table for the key (sm2-comb.ts): `true` = window 10 (~150 ms and ~1.6 MB once; then s·G + t·Q
 * is ≤ 48 mixed additions with the generator's window-12 table, over 10× faster than without),
 * or a window of 4–12. Worth it for a key that verifies many signatures. Without it,
 * verification is @noble/curves' mulAddUnsafe (the reference path).
 */
export function createSm2Verifier(publicKey: Uint8Array, options: Sm2Options & { precompute?: boolean | number } = {}): Sm2Verifier {
  const point = sm2PublicPoint(publicKey);
  const window = options.precompute === true ? 10 : options.precompute || 0;
  let table: CombTable | undefined;
  if (window) {
    if (!Number.isInteger(window) || window < 4 || window > 12) throw new Error('precompute window must be 4–12');
    if (point.is0()) throw new Error('SM2 public key is the point at infinity');
    const affine = point.toAffine();
    table = buildCombTable(affine.x, affine.y, window);
  }
  const z = sm2Z(point, options.id);
  return {
    verify(message, signature) {
      let r: bigint, s: bigint;
      try {
        ({ r, s } = decodeSm2Signature(signature));
      } catch {
        return false;
      }
      const e = messageScalar(z, message);
      if (table) return combVerify(baseCombTable(), table, e, r, s);
      const t = mod(r + s, N);
      if (t === 0n) return false;
      const sum = G_UNCACHED.multiplyUnsafe(s).add(point.multiplyUnsafe(t));
      if (sum.is0()) return false;
      return mod(e + sum.x, N) === r;
    },
  };
}

/** Verifies a DER signature; false (never a throw) for a bad key, signature or message. */
export function sm2Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, options: Sm2Options = {}): boolean {
  let verifier: Sm2Verifier;
  try {
    verifier = createSm2Verifier(publicKey, options);
  } catch {
    return false;
  }
  return verifier.verify(message, signature);
}

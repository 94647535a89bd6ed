import { createAddonSm2Verifier, createSealSigner, sm2Addon } from '../certificates/index.ts';
import { decodeSpki, publicKeyFromPem } from '../../verify/keys.ts';
import { baseCombTable } from '../../verify/sm2-comb.ts';
import { sm2PublicPoint } from '../../verify/sm2-keys.ts';
import { createSm2Verifier, sm2PublicKeyFromPrivate, type Sm2Verifier } from '../../verify/sm2.ts';

/**
 * The SM2 engines of the HTTP signatures (`alg` "sm2-sm3", http-signatures.ts): SM2 with SM3 and
 * the default distinguishing ID 1234567812345678 (GM/T 0009), DER `SEQUENCE { r, s }` values.
 *
 * Signing goes through the seal signer (the native addon when it was built, else OpenSSL's k·G,
 * else pure TypeScript), one per private key. Verification is on the hot path of settlements: the
 * addon's verifier when it was built (native-sm2.ts; a 148 KiB table per key), else a verifier with a precomputed table (src/verify/sm2.ts, ~150 ms and ~1.6 MB once per key, then
 * over 10× faster; with the generator's table, ~0.3 s and ~5 MB once per process, built with the
 * first key) is kept per public key, for at most VERIFIER_LIMIT keys, least recently used
 * dropped first. Both caches only ever hold the keys of trusted parties (keyFor decides).
 */

export interface Sm2Engine {
  /** Raw 65-byte public key, 04 ‖ x ‖ y. */
  publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

// Keyed by the private key's bytes object, so the secret is never copied into a cache key;
// a key object spread or passed around keeps its signer.
const signers = new WeakMap<Uint8Array, Sm2Engine>();

/** The signer of a raw 32-byte SM2 private key (cached per key); throws when the key is out of range. */
export function sm2SignerFor(privateKey: Uint8Array): Sm2Engine {
  const cached = signers.get(privateKey);
  if (cached) return cached;
  if (privateKey.length !== 32) throw new Error('an SM2 private key is 32 bytes');
  const seal = createSealSigner('SM2', privateKey);
  const engine: Sm2Engine = { publicKey: sm2PublicKeyFromPrivate(privateKey), sign: (m) => seal.sign(m) };
  signers.set(privateKey, engine);
  return engine;
}

const VERIFIER_LIMIT = 32;
const verifiers = new Map<string, Sm2Verifier>();

/**
 * The raw 65-byte public key (04 ‖ x ‖ y) of raw bytes (65 uncompressed or 33 compressed), SPKI
 * DER or a PEM "PUBLIC KEY"; throws when it is not an SM2 point on the curve.
 */
export function rawSm2PublicKey(publicKey: Uint8Array | string): Uint8Array {
  const bytes = typeof publicKey === 'string' ? publicKeyFromPem(publicKey) : publicKey;
  let raw = bytes;
  if (bytes.length !== 65 && bytes.length !== 33) {
    const spki = decodeSpki(bytes);
    if (spki.algorithm !== 'SM2') throw new Error(`an SM2 public key is needed, not ${spki.algorithm}`);
    raw = spki.key;
  }
  return sm2PublicPoint(raw).toBytes(false);
}

/** The precomputed verifier of a raw public key (cached); throws when the key is not a valid point. */
export function sm2VerifierFor(publicKey: Uint8Array): Sm2Verifier {
  const id = Buffer.from(publicKey).toString('hex');
  let verifier = verifiers.get(id);
  if (verifier) {
    verifiers.delete(id); // re-inserted below: Map order is the recency order
  } else {
    verifier = (sm2Addon && createAddonSm2Verifier(sm2Addon, publicKey)) ?? createSm2Verifier(publicKey, { precompute: true });
    if (!sm2Addon?.verify) baseCombTable(); // the generator's table (~0.3 s, once per process), built now rather than in the first request
    if (verifiers.size >= VERIFIER_LIMIT) verifiers.delete(verifiers.keys().next().value!);
  }
  verifiers.set(id, verifier);
  return verifier;
}

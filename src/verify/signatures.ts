/**
 * One signing interface over the two algorithms a seal key may use: SM2 with SM3 (the national
 * standard, default ID 1234567812345678, DER signature) and Ed25519 (RFC 8032, 64-byte
 * signature). Public keys travel as SPKI DER, private keys as the raw 32 bytes or PKCS#8 DER.
 * ECDSA P-256 with SHA-256 is also here, for the PDF signing certificate. Browser-safe.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { decodePkcs8, decodeSpki, encodePkcs8, encodeSpki, type KeyAlgorithm } from './keys.ts';
import { createSm2Signer, createSm2Verifier, sm2GenerateKeyPair, type Sm2BaseMultiplyX, type Sm2Verifier } from './sm2.ts';
import { bytesToHex, hexToBytes } from './tlog-bytes.ts';

export type SignatureAlgorithm = 'SM2' | 'Ed25519';
export const SIGNATURE_ALGORITHMS: readonly SignatureAlgorithm[] = ['SM2', 'Ed25519'];

export interface KeyPair {
  algorithm: KeyAlgorithm;
  /** Raw 32 bytes (SM2 scalar or Ed25519 seed). Keep secret. */
  privateKey: Uint8Array;
  publicKeySpki: Uint8Array;
}

export interface Signer {
  algorithm: KeyAlgorithm;
  publicKeySpki: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** Seal keys are SM2 or Ed25519; P-256 is there for the PDF signing certificate (ECDSA with SHA-256). */
export function generateKeyPair(algorithm: KeyAlgorithm): KeyPair {
  switch (algorithm) {
    case 'SM2': {
      const { privateKey, publicKey } = sm2GenerateKeyPair();
      return { algorithm, privateKey, publicKeySpki: encodeSpki('SM2', publicKey) };
    }
    case 'Ed25519': {
      const { secretKey, publicKey } = ed25519.keygen();
      return { algorithm, privateKey: secretKey, publicKeySpki: encodeSpki('Ed25519', publicKey) };
    }
    case 'P-256': {
      const { secretKey, publicKey } = p256.keygen();
      return { algorithm, privateKey: secretKey, publicKeySpki: encodeSpki('P-256', p256.Point.fromBytes(publicKey).toBytes(false)) };
    }
  }
}

/** PKCS#8 DER of a raw private key, as OpenSSL reads it (`-inkey key.pem`). */
export function privateKeyToPkcs8(algorithm: KeyAlgorithm, privateKey: Uint8Array): Uint8Array {
  const signer = createSigner(algorithm, privateKey);
  return encodePkcs8(algorithm, rawPrivateKey(algorithm, privateKey), decodeSpki(signer.publicKeySpki).key);
}

function rawPrivateKey(algorithm: KeyAlgorithm, privateKey: Uint8Array): Uint8Array {
  if (privateKey.length === 32) return privateKey;
  const decoded = decodePkcs8(privateKey);
  if (decoded.algorithm !== algorithm) throw new Error(`the private key is ${decoded.algorithm}, not ${algorithm}`);
  return decoded.key;
}

export interface SignerOptions {
  /** A faster constant-time k·G for SM2 signing (Node: native-sm2.ts); the signatures are the same scheme. */
  sm2BaseMultiplyX?: Sm2BaseMultiplyX;
}

/** A signer for a raw (32-byte) or PKCS#8 private key; the per-key work is done once. */
export function createSigner(algorithm: KeyAlgorithm, privateKey: Uint8Array, options: SignerOptions = {}): Signer {
  const raw = rawPrivateKey(algorithm, privateKey);
  switch (algorithm) {
    case 'SM2': {
      const signer = createSm2Signer(raw, options.sm2BaseMultiplyX ? { baseMultiplyX: options.sm2BaseMultiplyX } : {});
      return { algorithm, publicKeySpki: encodeSpki('SM2', signer.publicKey), sign: (m) => signer.sign(m) };
    }
    case 'Ed25519': {
      const seed = raw.slice();
      return { algorithm, publicKeySpki: encodeSpki('Ed25519', ed25519.getPublicKey(seed)), sign: (m) => ed25519.sign(m, seed) };
    }
    case 'P-256': {
      const secret = raw.slice();
      const publicKeySpki = encodeSpki('P-256', p256.getPublicKey(secret, false));
      // ECDSA with SHA-256, DER (r, s), k per RFC 6979 hedged with fresh randomness.
      return { algorithm, publicKeySpki, sign: (m) => p256.sign(m, secret, { format: 'der', extraEntropy: true }) };
    }
  }
}

export function sign(algorithm: KeyAlgorithm, privateKey: Uint8Array, message: Uint8Array): Uint8Array {
  return createSigner(algorithm, privateKey).sign(message);
}

export interface Verifier {
  algorithm: KeyAlgorithm;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/**
 * A verifier for an SPKI key, or undefined when the key is malformed or of another algorithm.
 * `precompute` builds a fixed-base table for an SM2 key (see createSm2Verifier: `true` ≈ 150 ms
 * and 1.6 MB for over 10× faster verification), worth it for a key that verifies many signatures.
 */
export function createVerifier(
  algorithm: KeyAlgorithm,
  publicKeySpki: Uint8Array,
  options: { precompute?: boolean | number } = {},
): Verifier | undefined {
  try {
    const { algorithm: actual, key } = decodeSpki(publicKeySpki);
    if (actual !== algorithm) return undefined;
    switch (actual) {
      case 'SM2': {
        const verifier: Sm2Verifier = createSm2Verifier(key, { precompute: options.precompute ?? false });
        return { algorithm, verify: (m, s) => verifier.verify(m, s) };
      }
      case 'Ed25519': {
        const pub = key.slice();
        ed25519.Point.fromBytes(pub);
        return { algorithm, verify: (m, s) => s.length === 64 && safe(() => ed25519.verify(s, m, pub, { zip215: false })) };
      }
      case 'P-256': {
        // ECDSA P-256 with SHA-256 and a DER signature (PDF signing certificates); OpenSSL does not force low-S.
        const pub = key.slice();
        p256.Point.fromBytes(pub).assertValidity();
        return { algorithm, verify: (m, s) => safe(() => p256.verify(s, m, pub, { format: 'der', lowS: false })) };
      }
    }
  } catch {
    return undefined;
  }
}

function safe(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}

// Verifiers for keys seen recently, so that a verifier of many certificates from a few issuers
// pays for key parsing, Z and the precomputed table once per key. Tables (~1.6 MB each) are kept
// for at most TABLE_LIMIT SM2 keys. When they are all taken, the least recently used table is
// given up only if it has not been used for TABLE_IDLE verifications; otherwise the new key stays
// with a plain verifier, so that a round-robin over many keys never rebuilds tables endlessly.
const CACHE_LIMIT = 256;
const TABLE_LIMIT = 16;
const TABLE_IDLE = 1000;
const cache = new Map<string, { verifier: Verifier | undefined; uses: number; table: boolean; lastUse: number }>();
let tables = 0;
let clock = 0;

/** Verifies `signature` over `message` with an SPKI key. Never throws: bad input is `false`. */
export function verify(algorithm: KeyAlgorithm, publicKeySpki: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const cacheKey = `${algorithm}:${bytesToHex(publicKeySpki)}`;
  clock++;
  let entry = cache.get(cacheKey);
  if (entry) {
    cache.delete(cacheKey);
    entry.uses++;
    // The table costs ~15 plain verifications; build it once a key has come back twice.
    if (entry.uses === 3 && algorithm === 'SM2' && entry.verifier && (tables < TABLE_LIMIT || dropIdleTable())) {
      entry.verifier = createVerifier(algorithm, publicKeySpki, { precompute: true });
      entry.table = entry.verifier !== undefined;
      if (entry.table) tables++;
    }
  } else {
    entry = { verifier: createVerifier(algorithm, publicKeySpki), uses: 1, table: false, lastUse: clock };
    if (cache.size >= CACHE_LIMIT) {
      const [oldestKey, oldest] = cache.entries().next().value!;
      if (oldest.table) tables--;
      cache.delete(oldestKey);
    }
  }
  entry.lastUse = clock;
  cache.set(cacheKey, entry);
  return entry.verifier ? entry.verifier.verify(message, signature) : false;
}

/** Gives the least recently used table back if it has been idle long enough; true if one was freed. */
function dropIdleTable(): boolean {
  for (const [key, entry] of cache) {
    if (!entry.table) continue;
    if (clock - entry.lastUse < TABLE_IDLE) return false;
    const algorithm = key.slice(0, key.indexOf(':')) as KeyAlgorithm;
    entry.verifier = createVerifier(algorithm, hexToBytes(key.slice(key.indexOf(':') + 1)));
    entry.table = false;
    entry.uses = 0;
    tables--;
    return true;
  }
  return false;
}

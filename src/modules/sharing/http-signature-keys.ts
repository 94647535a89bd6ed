import { readFileSync } from 'node:fs';
import { createHash, createPrivateKey, createPublicKey, hkdfSync, type KeyObject } from 'node:crypto';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import { encodeSpki, privateKeyFromPem, publicKeyToPem } from '../../verify/keys.ts';
import { SM2_CURVE } from '../../verify/sm2-curve.ts';
import { rawSm2PublicKey, sm2SignerFor, sm2VerifierFor } from './http-signature-sm2.ts';
import { SM2_SIGNATURE_ALG, SIGNATURE_ALG, type SignatureAlgorithm } from './http-signatures.ts';

/**
 * The keys of the HTTP signatures (http-signatures.ts): the platform's sharing key (Ed25519), key
 * ids, public keys; and SM2 keys (`alg` "sm2-sm3") for the parties that sign with SM2.
 */

/** An Ed25519 signing key (node:crypto); the platform's own and the departments' and the bank's. */
export interface SigningKey {
  keyId: string;
  privateKey: KeyObject;
}

/** An SM2 signing key: the raw 32-byte private key and its raw 65-byte public key (04 ‖ x ‖ y). */
export interface Sm2SigningKey {
  keyId: string;
  alg: typeof SM2_SIGNATURE_ALG;
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

/** An SM2 key held elsewhere (the key store's seal signer): only its signing function. */
export interface Sm2KeySigner {
  keyId: string;
  alg: typeof SM2_SIGNATURE_ALG;
  /** DER (r, s) with SM3 and the default ID. */
  sign(message: Uint8Array): Uint8Array;
}

/** What signRequest and signResponse take: an Ed25519 key as before, or an SM2 key (raw, or a signer). */
export type HttpSigningKey = SigningKey | Sm2SigningKey | Sm2KeySigner;

/** An SM2 public key to verify with (raw 65 bytes); made by sm2VerifyingKey. */
export interface Sm2VerifyingKey {
  alg: typeof SM2_SIGNATURE_ALG;
  publicKey: Uint8Array;
}

/** What keyFor returns: a node:crypto Ed25519 public key as before, or an SM2 key. */
export type VerifyingKey = KeyObject | Sm2VerifyingKey;

/** An SM2 signing key from its raw 32-byte private key; throws when the key is out of range. */
export function sm2SigningKey(keyId: string, privateKey: Uint8Array): Sm2SigningKey {
  const key = Uint8Array.from(privateKey);
  return { keyId, alg: SM2_SIGNATURE_ALG, privateKey: key, publicKey: sm2SignerFor(key).publicKey };
}

/**
 * An SM2 verifying key from raw bytes (65 uncompressed or 33 compressed), SPKI DER or a PEM
 * "PUBLIC KEY"; throws when it is not a point on the curve. Its precomputed verifier is built
 * here (once per key, ~150 ms), so that the first request does not pay for it.
 */
export function sm2VerifyingKey(publicKey: Uint8Array | string): Sm2VerifyingKey {
  const raw = rawSm2PublicKey(publicKey);
  sm2VerifierFor(raw);
  return { alg: SM2_SIGNATURE_ALG, publicKey: raw };
}

/** The `alg` a signing key signs with. */
export function algOfSigningKey(key: HttpSigningKey): SignatureAlgorithm {
  return 'alg' in key ? key.alg : SIGNATURE_ALG;
}

/** The `alg` a verifying key verifies, or null for a node:crypto key that is not Ed25519. */
export function algOfVerifyingKey(key: VerifyingKey): SignatureAlgorithm | null {
  if ('alg' in key) return key.alg;
  return key.asymmetricKeyType === 'ed25519' ? SIGNATURE_ALG : null;
}

/** A key id for an SM2 public key, as keyIdOf names Ed25519 keys: the prefix and 16 hex digits of the SHA-256 of its SPKI. */
export function sm2KeyIdOf(publicKey: Uint8Array, prefix = 'yiban-sharing'): string {
  return `${prefix}-${createHash('sha256')
    .update(encodeSpki('SM2', rawSm2PublicKey(publicKey)))
    .digest('hex')
    .slice(0, 16)}`;
}

/** Ed25519 from 32 seed bytes (PKCS#8 wrapping of RFC 8410). */
export function ed25519FromSeed(seed: Buffer): KeyObject {
  if (seed.length !== 32) throw new Error('an Ed25519 seed is 32 bytes');
  return createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
    format: 'der',
    type: 'pkcs8',
  });
}

/** The platform's sharing key when no key file is configured: derived from the master key, so every start signs with the same key. */
export function derivedSharingKey(masterKey: Buffer): SigningKey {
  const privateKey = ed25519FromSeed(
    Buffer.from(hkdfSync('sha256', masterKey, Buffer.from('yiban'), 'yiban/sharing/http-signature-ed25519/v1', 32)),
  );
  return { keyId: keyIdOf(createPublicKey(privateKey)), privateKey };
}

/**
 * The platform's SM2 sharing key (requests to a department registered with an SM2 key): derived
 * from the master key as the Ed25519 one is, under its own label. 48 bytes reduced mod n − 2, + 1,
 * as sm2GenerateKeyPair does, so the scalar is always in range.
 */
export function derivedSm2SharingKey(masterKey: Buffer): Sm2SigningKey {
  const bytes = new Uint8Array(hkdfSync('sha256', masterKey, Buffer.from('yiban'), 'yiban/sharing/http-signature-sm2/v1', 48));
  const privateKey = numberToBytesBE((bytesToNumberBE(bytes) % (SM2_CURVE.n - 2n)) + 1n, 32);
  const draft = sm2SigningKey('pending', privateKey);
  return { ...draft, keyId: sm2KeyIdOf(draft.publicKey) };
}

/**
 * A signing key from a PEM file, Ed25519 or SM2 as the key says: PKCS#8 "PRIVATE KEY" (what
 * `external-dept keygen` and `openssl genpkey` write), or for SM2 also SEC1 "EC PRIVATE KEY".
 * Its key id is derived from the key.
 */
export function loadSigningKey(file: string, prefix = 'yiban-sharing'): SigningKey | Sm2SigningKey {
  let decoded: ReturnType<typeof privateKeyFromPem> | null = null;
  try {
    decoded = privateKeyFromPem(readFileSync(file, 'utf8'));
  } catch {
    // not one this parser reads: loadSharingKey says what is needed
  }
  if (decoded?.algorithm !== 'SM2') return loadSharingKey(file, prefix);
  const draft = sm2SigningKey('pending', decoded.key);
  return { ...draft, keyId: sm2KeyIdOf(draft.publicKey, prefix) };
}

/**
 * The platform's SM2 sharing key from a PEM file (`YIBAN_SHARING_SM2_KEY_FILE`): PKCS#8 or SEC1, as
 * `openssl genpkey -algorithm SM2` or `external-dept keygen --key-alg sm2` writes it. Throws with a
 * message in both languages when the file holds another kind of key.
 */
export function loadSm2SharingKey(file: string): Sm2SigningKey {
  const key = loadSigningKey(file);
  if (!('alg' in key))
    throw new Error(
      `${file} 不是 SM2 私钥（YIBAN_SHARING_SM2_KEY_FILE 须为 SM2）/ is not an SM2 private key (YIBAN_SHARING_SM2_KEY_FILE needs one)`,
    );
  return key;
}

/**
 * A key a department registers (its SPKI, PEM or DER) as the signatures verify with: Ed25519 as a
 * node:crypto key, SM2 (id-ecPublicKey on sm2p256v1) as sm2VerifyingKey. Throws KeyNotPublic when
 * it is no public key, KeyNotSupported for any other algorithm (RSA, P-256…).
 */
export function verifyingKeyOf(publicKey: string | Uint8Array): VerifyingKey {
  let key: KeyObject;
  try {
    key =
      typeof publicKey === 'string'
        ? createPublicKey(publicKey)
        : createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' });
  } catch {
    throw new KeyNotPublic();
  }
  if (key.asymmetricKeyType === 'ed25519') return key;
  // node:crypto reads an SM2 key but names no type for it (asymmetricKeyType undefined): decode its SPKI.
  try {
    return sm2VerifyingKey(new Uint8Array(key.export({ format: 'der', type: 'spki' })));
  } catch {
    throw new KeyNotSupported();
  }
}

export class KeyNotPublic extends Error {
  constructor() {
    super('not a public key (SPKI PEM or DER)');
  }
}
class KeyNotSupported extends Error {
  constructor() {
    super('the key is neither Ed25519 nor SM2');
  }
}

/** The key id of a verifying key: keyIdOf for Ed25519, sm2KeyIdOf for SM2 (both name the SHA-256 of the SPKI). */
export function verifyingKeyIdOf(key: VerifyingKey, prefix = 'yiban-sharing'): string {
  return 'alg' in key ? sm2KeyIdOf(key.publicKey, prefix) : keyIdOf(key, prefix);
}

/** The SPKI PEM of a signing key's public key, Ed25519 or SM2. */
export function signingKeyPem(key: SigningKey | Sm2SigningKey): string {
  return 'alg' in key ? publicKeyToPem(encodeSpki('SM2', key.publicKey)) : publicKeyPem(key.privateKey);
}

/** A signing key from a PKCS#8 PEM file (Ed25519); its key id is derived from the key. */
export function loadSharingKey(file: string, prefix = 'yiban-sharing'): SigningKey {
  const privateKey = createPrivateKey(readFileSync(file, 'utf8'));
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${file}: an Ed25519 private key (PKCS#8 PEM) is needed`);
  return { keyId: keyIdOf(createPublicKey(privateKey), prefix), privateKey };
}

/** A key id that names the key: `yiban-sharing-` and 16 hex digits of the SHA-256 of its SPKI. */
export function keyIdOf(publicKey: KeyObject, prefix = 'yiban-sharing'): string {
  return `${prefix}-${createHash('sha256')
    .update(publicKey.export({ format: 'der', type: 'spki' }))
    .digest('hex')
    .slice(0, 16)}`;
}

export function publicKeyPem(key: KeyObject): string {
  return (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'pem', type: 'spki' }).toString();
}

import type { Db, Executor } from '../../../db/database.ts';
import type { KeyAlgorithm } from '../../../verify/keys.ts';
import type { SignatureAlgorithm } from '../../../verify/signatures.ts';
import type { KeyPurpose, KeyStatus } from './keys.tables.ts';

/** The key store's interface and the records it hands out (key-store.ts implements it). */

export interface KeySigner<A extends KeyAlgorithm = KeyAlgorithm> {
  keyId: string;
  algorithm: A;
  /** SubjectPublicKeyInfo DER. */
  publicKeySpki: Uint8Array;
  certificatePem: string;
  /** The issuers' certificates up to the root (leaf's issuer first); empty for a root. */
  chainPem: string;
  /** SM2: DER (r, s) with SM3 and ID 1234567812345678; Ed25519: 64 bytes; P-256: DER ECDSA-SHA256. */
  sign(message: Uint8Array): Uint8Array;
}

/** What is published about a key: everything but the private part. */
export interface PublicKeyRecord {
  keyId: string;
  owner: string;
  purpose: KeyPurpose;
  algorithm: KeyAlgorithm;
  status: KeyStatus;
  publicKeySpki: Uint8Array;
  publicKeyPem: string;
  certificatePem: string;
  chainPem: string;
  notBefore: Date;
  notAfter: Date;
}

export interface OrgForSeal {
  code: string;
  name: string;
  /** Unified social credit code (GB 32100), for departments and village committees that have one. */
  creditCode?: string;
  /** Administrative division code, used when there is no credit code. */
  divisionCode?: string;
}

export interface KeyOptions {
  /**
   * Run inside the caller's transaction. Needed on PGlite, where a query outside an open
   * transaction waits for it to end: call with `{ executor: tx }` from inside `db.transaction`.
   */
  executor?: Executor;
}

export interface KeyStore {
  /** The active platform root for `algorithm` (SM2 by default), created self-signed on first use. */
  ensurePlatformRoot(algorithm?: KeyAlgorithm, options?: KeyOptions): Promise<KeySigner>;
  /** The org's active seal key, created with its certificate under the root of the same algorithm. */
  ensureSealKey(org: OrgForSeal, algorithm?: SignatureAlgorithm, options?: KeyOptions): Promise<KeySigner<SignatureAlgorithm>>;
  /** The PDF signing key: ECDSA P-256 under the P-256 platform root, which PDF tools understand. */
  ensurePdfKey(options?: KeyOptions): Promise<KeySigner>;
  /** A signer for an active key; NOT_FOUND for an unknown key, KEY_RETIRED for a retired one. */
  getSigner(keyId: string, options?: KeyOptions): Promise<KeySigner>;
  /** Public data of any key, active or retired; null when unknown. */
  getPublicKey(keyId: string, options?: KeyOptions): Promise<PublicKeyRecord | null>;
  /** The pinned roots verifiers need: every root not yet expired, active or retired. */
  getTrustAnchors(options?: KeyOptions): Promise<PublicKeyRecord[]>;
  /** Public data of an owner's keys of one purpose, active first, then newest first (never creates one). */
  listKeys(owner: string, purpose: KeyPurpose, options?: KeyOptions): Promise<PublicKeyRecord[]>;
  /**
   * Cross-certifies another deployment's self-signed SM2 root under this deployment's SM2 root
   * (the national root of a federation hub): a CA certificate with the other root's subject and
   * key, issued by this root, valid no longer than either. Throws when the input is not a
   * self-signed SM2 CA certificate whose signature verifies.
   */
  crossCertify(rootCertificatePem: string): Promise<string>;
  /** Retires an active key and creates its successor (same owner, purpose, algorithm and subject). */
  rotate(keyId: string): Promise<KeySigner>;
}

export interface KeyStoreDeps {
  db: Db;
  masterKey: Buffer;
  clock?: () => Date;
}

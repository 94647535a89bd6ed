/**
 * The Yiban certificate document: a signed payload (RFC 8785 canonical JSON, the exact bytes
 * the seal signed) whose `fields` are salted SHA-256 digests, plus the disclosures — salt,
 * name, value — of the fields shown. Hiding a field removes its disclosure; the digests and
 * the signature stay valid (selective disclosure, as OpenAttestation does). Browser-safe.
 */
import canonicalize from 'canonicalize';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

export type SignatureAlgorithm = 'SM2' | 'Ed25519';

export interface SignedPayload {
  /** Format version. */
  v: 1;
  /** GB/T 36904 identifier. */
  id: string;
  /** Certificate type code, e.g. `residence`. */
  type: string;
  typeName: { zh: string; en: string };
  issuer: { code: string; name: string; creditCode: string };
  holder: { name: string; residentIdMasked: string };
  issuedAt: string;
  validUntil: string | null;
  status: { list: string; index: number };
  /** The seal key that signed, and its algorithm. */
  keyId: string;
  alg: SignatureAlgorithm;
  /** Sorted hex digests of the salted fields. */
  fields: string[];
}

export interface Disclosure {
  name: string;
  value: string;
  salt: string;
}

export interface CertificateDocument {
  /** The canonical JSON of the payload: exactly the bytes that were signed. */
  payload: string;
  /** DER (SM2) or raw (Ed25519) signature, base64. */
  signature: string;
  disclosures: Disclosure[];
}

type Serialize = (input: unknown) => string | undefined;
// The package is CommonJS typed as an ES default export: Node hands over the function itself,
// bundlers may wrap it in `{ default }`.
const serialize = ((canonicalize as unknown as { default?: Serialize }).default ?? canonicalize) as unknown as Serialize;

export function canonicalJson(value: unknown): string {
  const text = serialize(value);
  if (text === undefined) throw new TypeError('value cannot be canonicalised');
  return text;
}

export function fieldDigest(d: Disclosure): string {
  // For an array of strings, RFC 8785 is JSON.stringify (JCS serialises strings as ECMAScript
  // does, and arrays without whitespace); canonicalJson for anything else.
  const triple = [d.salt, d.name, d.value];
  const text = triple.every((x) => typeof x === 'string') ? JSON.stringify(triple) : canonicalJson(triple);
  return bytesToHex(sha256(utf8ToBytes(text)));
}

function payloadDigest(payload: string): string {
  return bytesToHex(sha256(utf8ToBytes(payload)));
}

/** The ledger leaf for an issuance: identifiers and digests only, never personal data. */
export function issuanceLeaf(payload: SignedPayload, payloadText: string): string {
  return canonicalJson({ kind: 'certificate.issued', id: payload.id, payload: payloadDigest(payloadText), at: payload.issuedAt });
}

export function parsePayload(text: string): SignedPayload | null {
  try {
    const value = JSON.parse(text) as Partial<SignedPayload>;
    if (
      value.v !== 1 ||
      typeof value.id !== 'string' ||
      typeof value.type !== 'string' ||
      typeof value.keyId !== 'string' ||
      (value.alg !== 'SM2' && value.alg !== 'Ed25519') ||
      !Array.isArray(value.fields) ||
      !value.fields.every((f) => typeof f === 'string') ||
      typeof value.issuedAt !== 'string' ||
      typeof value.issuer?.name !== 'string' ||
      typeof value.holder?.name !== 'string' ||
      typeof value.status?.index !== 'number' ||
      typeof value.status.list !== 'string'
    ) {
      return null;
    }
    return value as SignedPayload;
  } catch {
    return null;
  }
}

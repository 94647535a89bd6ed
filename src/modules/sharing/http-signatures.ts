/**
 * RFC 9421 HTTP Message Signatures as the platform and external departments use them (the
 * signature base of the profile's fixed components built by http-signature-base.ts; the general
 * library `http-message-signatures` is the reference the tests check it against), with the rules
 * of this profile kept here: which components must be covered, which parameters must be present,
 * the time window, the content digest (RFC 9530, sha-256) checked against the body, and the
 * response bound to its request's signature (`"signature";req;key="sig"`).
 *
 * Keys are Ed25519 (node:crypto, `alg` "ed25519") or SM2 (`alg` "sm2-sm3": SM2 with SM3 and the
 * default ID 1234567812345678, GM/T 0003/0009, DER signature value; not registered with IANA, a
 * private value of this profile, for the hospitals of medical insurance). A signature's `alg` must
 * be that of the key its keyid names. The label is always `sig`; other labels are ignored.
 *
 * This file holds the profile and the component canonicalisation (digest, structured fields);
 * keys are in http-signature-keys.ts, signing in http-signature-sign.ts, verifying in
 * http-signature-verify.ts, the SM2 engines (cached signers and verifiers) in http-signature-sm2.ts.
 */
import { createHash } from 'node:crypto';
import { isInnerList, parseDictionary, type Dictionary } from 'structured-headers';
import { byteMember, readByteMember } from './http-signature-fields.ts';

export const SIGNATURE_LABEL = 'sig';
/** The Ed25519 `alg` (IANA HTTP Signature Algorithms registry). */
export const SIGNATURE_ALG = 'ed25519';
/** SM2 with SM3, default ID, DER `SEQUENCE { r, s }`: not IANA-registered, this profile's own value. */
export const SM2_SIGNATURE_ALG = 'sm2-sm3';
export type SignatureAlgorithm = typeof SIGNATURE_ALG | typeof SM2_SIGNATURE_ALG;
export const SIGNATURE_ALGS: readonly SignatureAlgorithm[] = [SIGNATURE_ALG, SM2_SIGNATURE_ALG];
/** Covered components, in order. A request signature covers the body through content-digest. */
export const REQUEST_COMPONENTS = ['@method', '@target-uri', 'content-digest', 'content-type', 'idempotency-key'] as const;
export const RESPONSE_COMPONENTS = ['@status', 'content-digest', 'content-type', `"signature";req;key="${SIGNATURE_LABEL}"`] as const;
export const REQUEST_PARAMS = ['created', 'expires', 'nonce', 'keyid', 'alg'];
export const RESPONSE_PARAMS = ['created', 'expires', 'keyid', 'alg'];

export interface HttpMessage {
  headers: Record<string, string>;
  body: string;
}

/** Why a message failed verification: stable codes, sent back by the department and named in platform errors. */
export type SignatureFailure =
  | 'SIGNATURE_MISSING'
  | 'SIGNATURE_MALFORMED'
  | 'COMPONENTS_NOT_COVERED'
  | 'UNKNOWN_KEY'
  | 'ALGORITHM_NOT_ALLOWED'
  | 'SIGNATURE_EXPIRED'
  | 'SIGNATURE_FROM_FUTURE'
  | 'NONCE_MISSING'
  | 'DIGEST_MISMATCH'
  | 'SIGNATURE_INVALID';

export class SignatureError extends Error {
  constructor(
    readonly reason: SignatureFailure,
    message: string,
  ) {
    super(message);
    this.name = 'SignatureError';
  }
}

/** RFC 9530 Content-Digest with sha-256. */
export function contentDigest(body: string): string {
  return byteMember('sha-256', createHash('sha256').update(body, 'utf8').digest());
}

/** Throws DIGEST_MISMATCH unless the Content-Digest's sha-256 is that of the body. */
export function checkDigest(headers: Record<string, string>, body: string): void {
  const header = headerOf(headers, 'content-digest');
  const value = (header === undefined ? null : readByteMember(header, 'sha-256')) ?? parsedDigest(header);
  if (!value.equals(createHash('sha256').update(body, 'utf8').digest())) {
    throw new SignatureError('DIGEST_MISMATCH', 'the body does not match its Content-Digest');
  }
}

/** The sha-256 value of a Content-Digest not in the plain shape, through the general parser. */
function parsedDigest(header: string | undefined): Buffer {
  let dict: Dictionary;
  try {
    dict = parseDictionary(header ?? '');
  } catch {
    throw new SignatureError('DIGEST_MISMATCH', 'Content-Digest is not a structured dictionary');
  }
  const entry = dict.get('sha-256');
  // BareItem names the DOM's BufferSource, unknown to this Node-only program: read it as unknown.
  const value: unknown = entry && !isInnerList(entry) ? entry[0] : undefined;
  if (!(value instanceof ArrayBuffer)) throw new SignatureError('DIGEST_MISMATCH', 'Content-Digest has no sha-256 value');
  return Buffer.from(value);
}

function headerOf(headers: Record<string, string>, name: string): string | undefined {
  const direct = headers[name];
  if (direct !== undefined) return direct;
  const hit = Object.entries(headers).find(([k]) => k.toLowerCase() === name);
  return hit?.[1];
}

/**
 * The `sig` member of a Signature field as bytes: undefined when the field or the member is
 * absent or not a byte sequence, SIGNATURE_MALFORMED when the field is unparsable.
 */
export function signatureBytes(headers: Record<string, string>): Uint8Array | undefined {
  const field = headerOf(headers, 'signature');
  if (field === undefined) return undefined;
  const plain = readByteMember(field, SIGNATURE_LABEL);
  if (plain) return plain;
  const member = parseField(headers, 'signature').get(SIGNATURE_LABEL);
  const bytes: unknown = member && !isInnerList(member) ? member[0] : undefined;
  return bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : undefined;
}

/** A structured dictionary field (Signature, Signature-Input); empty when absent, SIGNATURE_MALFORMED when unparsable. */
export function parseField(headers: Record<string, string>, name: string): Dictionary {
  const value = headerOf(headers, name);
  if (value === undefined) return new Map();
  try {
    return parseDictionary(value);
  } catch {
    throw new SignatureError('SIGNATURE_MALFORMED', `${name} is not a structured dictionary`);
  }
}

/** Header names in lower case, repeated fields joined (as fetch does). */
export function lowerCase(headers: Record<string, string | string[]>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(', ') : v]));
}

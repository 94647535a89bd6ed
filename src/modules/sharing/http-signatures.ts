/**
 * RFC 9421 HTTP Message Signatures as the platform and external departments use them, on top of
 * `http-message-signatures` (signature base, Signature/Signature-Input fields) with the rules of
 * this profile kept here: which components must be covered, which parameters must be present,
 * the time window, the content digest (RFC 9530, sha-256) checked against the body, and the
 * response bound to its request's signature (`"signature";req;key="sig"`).
 *
 * Keys are Ed25519 (node:crypto). The label is always `sig`; other labels are ignored.
 */
import { readFileSync } from 'node:fs';
import { createHash, createPrivateKey, createPublicKey, hkdfSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { httpbis, type Request as SigRequest, type Response as SigResponse } from 'http-message-signatures';
import {
  Token,
  arrayBufferToBase64,
  isInnerList,
  parseDictionary,
  serializeDictionary,
  serializeItem,
  type Dictionary,
} from 'structured-headers';

export const SIGNATURE_LABEL = 'sig';
export const SIGNATURE_ALG = 'ed25519';
/** Covered components, in order. A request signature covers the body through content-digest. */
export const REQUEST_COMPONENTS = ['@method', '@target-uri', 'content-digest', 'content-type', 'idempotency-key'] as const;
export const RESPONSE_COMPONENTS = ['@status', 'content-digest', 'content-type', `"signature";req;key="${SIGNATURE_LABEL}"`] as const;
const REQUEST_PARAMS = ['created', 'expires', 'nonce', 'keyid', 'alg'];
const RESPONSE_PARAMS = ['created', 'expires', 'keyid', 'alg'];

export interface SigningKey {
  keyId: string;
  privateKey: KeyObject;
}

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
  return serializeDictionary(new Map([['sha-256', [createHash('sha256').update(body, 'utf8').digest(), new Map()]]]));
}

function checkDigest(headers: Record<string, string>, body: string): void {
  const header = headerOf(headers, 'content-digest');
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
  if (arrayBufferToBase64(value) !== createHash('sha256').update(body, 'utf8').digest('base64')) {
    throw new SignatureError('DIGEST_MISMATCH', 'the body does not match its Content-Digest');
  }
}

function headerOf(headers: Record<string, string>, name: string): string | undefined {
  const hit = Object.entries(headers).find(([k]) => k.toLowerCase() === name);
  return hit?.[1];
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

function signer(key: SigningKey) {
  return { id: key.keyId, alg: SIGNATURE_ALG, sign: (data: Buffer) => Promise.resolve(sign(null, data, key.privateKey)) };
}

export interface SignedRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Signs a JSON POST: content-digest over the body, a fresh nonce, created and expires `ttlSeconds` apart. */
export async function signRequest(
  key: SigningKey,
  input: { url: string; body: string; idempotencyKey: string; now?: Date; ttlSeconds?: number },
): Promise<SignedRequest> {
  const now = input.now ?? new Date();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'content-digest': contentDigest(input.body),
    'idempotency-key': input.idempotencyKey,
  };
  const signed = await httpbis.signMessage(
    {
      key: signer(key),
      name: SIGNATURE_LABEL,
      fields: [...REQUEST_COMPONENTS],
      params: REQUEST_PARAMS,
      paramValues: {
        created: now,
        expires: new Date(now.getTime() + (input.ttlSeconds ?? 60) * 1000),
        nonce: randomBytes(16).toString('base64url'),
      },
    },
    { method: 'POST', url: input.url, headers },
  );
  return { url: input.url, headers: lowerCase(signed.headers), body: input.body };
}

/** Signs a JSON response to a verified request, covering the request's own signature. */
export async function signResponse(
  key: SigningKey,
  request: { url: string; headers: Record<string, string> },
  response: { status: number; body: string; now?: Date; ttlSeconds?: number },
): Promise<Record<string, string>> {
  const now = response.now ?? new Date();
  const headers: Record<string, string> = { 'content-type': 'application/json', 'content-digest': contentDigest(response.body) };
  const signed = await httpbis.signMessage(
    {
      key: signer(key),
      name: SIGNATURE_LABEL,
      fields: [...RESPONSE_COMPONENTS],
      params: RESPONSE_PARAMS,
      paramValues: { created: now, expires: new Date(now.getTime() + (response.ttlSeconds ?? 60) * 1000) },
    },
    { status: response.status, headers },
    sigRequestOf(request),
  );
  return lowerCase(signed.headers);
}

export interface SignatureParams {
  keyid: string;
  alg: string;
  created: number;
  expires: number;
  nonce?: string;
}

export interface VerifyOptions {
  /** The public key for a key id, or null when the key is not known. */
  keyFor: (keyId: string) => KeyObject | null;
  now?: Date;
  /** Largest allowed age of `created` and span from `created` to `expires`. */
  windowSeconds: number;
  /** Tolerated clock difference for a `created` in the future. */
  skewSeconds?: number;
}

/** Verifies a request the department received; returns the signature's parameters (nonce, keyid). */
export async function verifyRequest(
  message: { method: string; url: string; headers: Record<string, string>; body: string },
  options: VerifyOptions,
): Promise<SignatureParams & { nonce: string }> {
  const params = await verifySigned(REQUEST_COMPONENTS, options, message.headers, message.body, (cfg, only) =>
    httpbis.verifyMessage(cfg, { method: message.method, url: message.url, headers: only }),
  );
  if (!params.nonce) throw new SignatureError('NONCE_MISSING', 'the signature has no nonce');
  return { ...params, nonce: params.nonce };
}

/** Verifies a department's response against the signed request it answers. */
export async function verifyResponse(
  request: { url: string; headers: Record<string, string> },
  response: { status: number; headers: Record<string, string>; body: string },
  options: VerifyOptions,
): Promise<SignatureParams> {
  return verifySigned(RESPONSE_COMPONENTS, options, response.headers, response.body, (cfg, only) =>
    httpbis.verifyMessage(cfg, { status: response.status, headers: only } satisfies SigResponse, sigRequestOf(request)),
  );
}

type VerifyConfig = Parameters<typeof httpbis.verifyMessage>[0];

async function verifySigned(
  components: readonly string[],
  options: VerifyOptions,
  headers: Record<string, string>,
  body: string,
  run: (config: VerifyConfig, headersWithOnlyOurLabel: Record<string, string>) => Promise<boolean | null>,
): Promise<SignatureParams> {
  const inputs = parseField(headers, 'signature-input');
  const signatures = parseField(headers, 'signature');
  const input = inputs.get(SIGNATURE_LABEL);
  const signature = signatures.get(SIGNATURE_LABEL);
  if (!input || !signature) throw new SignatureError('SIGNATURE_MISSING', `no "${SIGNATURE_LABEL}" signature`);
  if (!isInnerList(input) || isInnerList(signature) || !(signature[0] instanceof ArrayBuffer)) {
    throw new SignatureError('SIGNATURE_MALFORMED', 'Signature-Input or Signature has the wrong shape');
  }
  const covered = input[0].map((item) => serializeItem(item));
  const expected = components.map((c) => (c.startsWith('"') ? c : `"${c}"`));
  if (covered.length !== expected.length || expected.some((c, i) => covered[i] !== c)) {
    throw new SignatureError('COMPONENTS_NOT_COVERED', `the signature must cover exactly ${components.join(' ')}`);
  }
  const param = (name: string): unknown => input[1].get(name);
  const keyid = param('keyid');
  const alg = param('alg');
  const created = param('created');
  const expires = param('expires');
  const nonce = param('nonce');
  if (
    typeof keyid !== 'string' ||
    typeof created !== 'number' ||
    typeof expires !== 'number' ||
    (nonce !== undefined && typeof nonce !== 'string')
  ) {
    throw new SignatureError('SIGNATURE_MALFORMED', 'keyid, created and expires are required');
  }
  if ((alg instanceof Token ? alg.toString() : alg) !== SIGNATURE_ALG)
    throw new SignatureError('ALGORITHM_NOT_ALLOWED', `alg must be "${SIGNATURE_ALG}"`);
  const publicKey = options.keyFor(keyid);
  if (!publicKey) throw new SignatureError('UNKNOWN_KEY', `unknown key "${keyid}"`);
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const skew = options.skewSeconds ?? 5;
  if (created > now + skew) throw new SignatureError('SIGNATURE_FROM_FUTURE', 'created is in the future');
  if (now - created > options.windowSeconds || expires - created > options.windowSeconds) {
    throw new SignatureError('SIGNATURE_EXPIRED', `created is more than ${options.windowSeconds} s old, or expires too late`);
  }
  if (expires <= now) throw new SignatureError('SIGNATURE_EXPIRED', 'the signature has expired');
  checkDigest(headers, body);

  // The library checks the times against the real clock; ours (above) may be injected.
  const only = {
    ...withoutSignatureFields(headers),
    'signature-input': serializeDictionary(new Map([[SIGNATURE_LABEL, input]])),
    signature: serializeDictionary(new Map([[SIGNATURE_LABEL, signature]])),
  };
  let ok: boolean | null;
  try {
    ok = await run(
      {
        keyLookup: () =>
          Promise.resolve({ id: keyid, algs: [SIGNATURE_ALG], verify: (data, sig) => Promise.resolve(verify(null, data, publicKey, sig)) }),
        tolerance: 366 * 86_400,
      },
      only,
    );
  } catch (error) {
    throw new SignatureError('SIGNATURE_MALFORMED', (error as Error).message);
  }
  if (ok !== true) throw new SignatureError('SIGNATURE_INVALID', 'the signature does not verify');
  return { keyid, alg: SIGNATURE_ALG, created, expires, ...(nonce !== undefined ? { nonce } : {}) };
}

function parseField(headers: Record<string, string>, name: string): Dictionary {
  const value = headerOf(headers, name);
  if (value === undefined) return new Map();
  try {
    return parseDictionary(value);
  } catch {
    throw new SignatureError('SIGNATURE_MALFORMED', `${name} is not a structured dictionary`);
  }
}

function withoutSignatureFields(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !['signature', 'signature-input'].includes(k.toLowerCase())));
}

function lowerCase(headers: Record<string, string | string[]>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(', ') : v]));
}

function sigRequestOf(request: { url: string; headers: Record<string, string> }): SigRequest {
  return { method: 'POST', url: request.url, headers: request.headers };
}

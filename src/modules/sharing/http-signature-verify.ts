import { verify } from 'node:crypto';
import { Token, isInnerList, serializeItem, serializeList } from 'structured-headers';
import { componentItem, coveredList, signatureBase, type BaseContext, type Component } from './http-signature-base.ts';
import { readByteMember, readPlainInput } from './http-signature-fields.ts';
import { algOfVerifyingKey, type VerifyingKey } from './http-signature-keys.ts';
import { sm2VerifierFor } from './http-signature-sm2.ts';
import {
  REQUEST_COMPONENTS,
  RESPONSE_COMPONENTS,
  SIGNATURE_ALGS,
  SIGNATURE_LABEL,
  type SignatureAlgorithm,
  SignatureError,
  checkDigest,
  lowerCase,
  parseField,
  signatureBytes,
} from './http-signatures.ts';

/** Verifying under the profile of http-signatures.ts: every rule checked, each failure with its stable reason code. */

export interface SignatureParams {
  keyid: string;
  alg: SignatureAlgorithm;
  created: number;
  expires: number;
  nonce?: string;
}

export interface VerifyOptions {
  /**
   * The public key for a key id, or null when the key is not known: a node:crypto Ed25519 key, or
   * an SM2 key from sm2VerifyingKey. The signature's `alg` must be the key's.
   */
  keyFor: (keyId: string) => VerifyingKey | null;
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
  const headers = lowerCase(message.headers);
  const params = await verifySigned(REQUEST_ITEMS, options, headers, message.body, { method: message.method, url: message.url, headers });
  if (!params.nonce) throw new SignatureError('NONCE_MISSING', 'the signature has no nonce');
  return { ...params, nonce: params.nonce };
}

/** Verifies a department's response against the signed request it answers. */
export async function verifyResponse(
  request: { url: string; headers: Record<string, string> },
  response: { status: number; headers: Record<string, string>; body: string },
  options: VerifyOptions,
): Promise<SignatureParams> {
  const headers = lowerCase(response.headers);
  const bytes = signatureBytes(request.headers);
  return verifySigned(RESPONSE_ITEMS, options, headers, response.body, {
    status: response.status,
    headers,
    ...(bytes ? { requestSignature: bytes } : {}),
  });
}

const REQUEST_ITEMS = REQUEST_COMPONENTS.map(componentItem);
const RESPONSE_ITEMS = RESPONSE_COMPONENTS.map(componentItem);

/**
 * Signature-Input and Signature in the plain shape the profile writes (http-signature-fields.ts):
 * exactly the profile's components, the `sig` member alone; null for anything else, which the
 * general parser then reads.
 */
function plainSignature(components: readonly Component[], headers: Record<string, string>) {
  const inputField = headers['signature-input'];
  const signatureField = headers.signature;
  if (inputField === undefined || signatureField === undefined) return null;
  const input = readPlainInput(inputField, SIGNATURE_LABEL, coveredList(components));
  const value = input && readByteMember(signatureField, SIGNATURE_LABEL);
  return input && value ? { serialized: input.serialized, param: (name: string): unknown => input.params.get(name), value } : null;
}

/** Signature-Input and Signature through the general structured-field parser, with the profile's checks of their shape. */
function parsedSignature(components: readonly Component[], headers: Record<string, string>) {
  const inputs = parseField(headers, 'signature-input');
  const signatures = parseField(headers, 'signature');
  const input = inputs.get(SIGNATURE_LABEL);
  const signature = signatures.get(SIGNATURE_LABEL);
  if (!input || !signature) throw new SignatureError('SIGNATURE_MISSING', `no "${SIGNATURE_LABEL}" signature`);
  if (!isInnerList(input) || isInnerList(signature) || !(signature[0] instanceof ArrayBuffer)) {
    throw new SignatureError('SIGNATURE_MALFORMED', 'Signature-Input or Signature has the wrong shape');
  }
  const covered = input[0].map((item) => serializeItem(item));
  const expected = components.map((c) => serializeItem([c[0], c[1]]));
  if (covered.length !== expected.length || expected.some((c, i) => covered[i] !== c)) {
    throw new SignatureError('COMPONENTS_NOT_COVERED', `the signature must cover exactly ${expected.join(' ')}`);
  }
  return { serialized: serializeList([input]), param: (name: string): unknown => input[1].get(name), value: Buffer.from(signature[0]) };
}

async function verifySigned(
  components: readonly Component[],
  options: VerifyOptions,
  headers: Record<string, string>,
  body: string,
  context: BaseContext,
): Promise<SignatureParams> {
  const { serialized, param, value } = plainSignature(components, headers) ?? parsedSignature(components, headers);
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
  const algName = alg instanceof Token ? alg.toString() : alg;
  const signedAlg = SIGNATURE_ALGS.find((a) => a === algName);
  if (!signedAlg) throw new SignatureError('ALGORITHM_NOT_ALLOWED', `alg must be one of ${SIGNATURE_ALGS.map((a) => `"${a}"`).join(', ')}`);
  const publicKey = options.keyFor(keyid);
  if (!publicKey) throw new SignatureError('UNKNOWN_KEY', `unknown key "${keyid}"`);
  const keyAlg = algOfVerifyingKey(publicKey);
  if (keyAlg !== signedAlg) {
    throw new SignatureError(
      'ALGORITHM_NOT_ALLOWED',
      `key "${keyid}" is ${keyAlg ? `"${keyAlg}"` : 'of no allowed algorithm'}, not "${signedAlg}"`,
    );
  }
  const check = verifierOf(publicKey);
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const skew = options.skewSeconds ?? 5;
  if (created > now + skew) throw new SignatureError('SIGNATURE_FROM_FUTURE', 'created is in the future');
  if (now - created > options.windowSeconds || expires - created > options.windowSeconds) {
    throw new SignatureError('SIGNATURE_EXPIRED', `created is more than ${options.windowSeconds} s old, or expires too late`);
  }
  if (expires <= now) throw new SignatureError('SIGNATURE_EXPIRED', 'the signature has expired');
  checkDigest(headers, body);

  // The base is rebuilt from the components the profile requires (checked above, in order) and
  // the parameters as received (http-signature-base.ts); the times were checked on our clock.
  const base = signatureBase(components, serialized, context);
  const ok = check(base, value);
  if (ok !== true) throw new SignatureError('SIGNATURE_INVALID', 'the signature does not verify');
  return { keyid, alg: signedAlg, created, expires, ...(nonce !== undefined ? { nonce } : {}) };
}

/** The check of a signature value over a signature base, for a key whose algorithm is known. */
function verifierOf(key: VerifyingKey): (data: Buffer, signature: Buffer) => boolean {
  if ('alg' in key) {
    const sm2 = sm2VerifierFor(key.publicKey);
    return (data, signature) => sm2.verify(data, signature);
  }
  return (data, signature) => verify(null, data, key, signature);
}

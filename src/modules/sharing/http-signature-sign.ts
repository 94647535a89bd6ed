import { sign } from 'node:crypto';
import type { BareItem } from 'structured-headers';
import { randomText } from '../../core/random.ts';
import { componentItem, signatureBase, signatureParams, type BaseContext, type Component } from './http-signature-base.ts';
import { byteMember } from './http-signature-fields.ts';
import { algOfSigningKey, type HttpSigningKey } from './http-signature-keys.ts';
import { sm2SignerFor } from './http-signature-sm2.ts';
import {
  REQUEST_COMPONENTS,
  REQUEST_PARAMS,
  RESPONSE_COMPONENTS,
  RESPONSE_PARAMS,
  SIGNATURE_LABEL,
  contentDigest,
  signatureBytes,
} from './http-signatures.ts';

/** Signing under the profile of http-signatures.ts: the platform's requests, a department's responses. */

function signer(key: HttpSigningKey) {
  if ('sign' in key) return { id: key.keyId, alg: key.alg, sign: (data: Buffer) => Promise.resolve(Buffer.from(key.sign(data))) };
  if ('alg' in key) {
    const sm2 = sm2SignerFor(key.privateKey);
    return { id: key.keyId, alg: key.alg, sign: (data: Buffer) => Promise.resolve(Buffer.from(sm2.sign(data))) };
  }
  return { id: key.keyId, alg: algOfSigningKey(key), sign: (data: Buffer) => Promise.resolve(sign(null, data, key.privateKey)) };
}

export interface SignedRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

const REQUEST_ITEMS = REQUEST_COMPONENTS.map(componentItem);
const RESPONSE_ITEMS = RESPONSE_COMPONENTS.map(componentItem);

/**
 * Adds the `sig` signature to `headers` (lower-case names): the parameters in the profile's order
 * (REQUEST_PARAMS / RESPONSE_PARAMS: created, expires, nonce when given, keyid, alg), the base as
 * http-signature-base.ts builds it.
 */
async function addSignature(
  key: HttpSigningKey,
  components: readonly Component[],
  names: readonly string[],
  values: Record<string, BareItem>,
  context: BaseContext,
): Promise<Record<string, string>> {
  const s = signer(key);
  const all: Record<string, BareItem> = { ...values, keyid: s.id, alg: s.alg };
  const params = new Map(names.flatMap((name) => (all[name] === undefined ? [] : [[name, all[name]] as const])));
  const serialized = signatureParams(components, params);
  const value = await s.sign(signatureBase(components, serialized, context));
  return {
    ...context.headers,
    'signature-input': `${SIGNATURE_LABEL}=${serialized}`,
    signature: byteMember(SIGNATURE_LABEL, value),
  };
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

/** Signs a JSON POST: content-digest over the body, a fresh nonce, created and expires `ttlSeconds` apart. */
export async function signRequest(
  key: HttpSigningKey,
  input: { url: string; body: string; idempotencyKey: string; now?: Date; ttlSeconds?: number },
): Promise<SignedRequest> {
  const now = input.now ?? new Date();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'content-digest': contentDigest(input.body),
    'idempotency-key': input.idempotencyKey,
  };
  const signed = await addSignature(
    key,
    REQUEST_ITEMS,
    REQUEST_PARAMS,
    {
      created: seconds(now),
      expires: seconds(now) + (input.ttlSeconds ?? 60),
      nonce: randomText(16, 'base64url'),
    },
    { method: 'POST', url: input.url, headers },
  );
  return { url: input.url, headers: signed, body: input.body };
}

/** Signs a JSON response to a verified request, covering the request's own signature. */
export async function signResponse(
  key: HttpSigningKey,
  request: { url: string; headers: Record<string, string> },
  response: { status: number; body: string; now?: Date; ttlSeconds?: number },
): Promise<Record<string, string>> {
  const now = response.now ?? new Date();
  const headers: Record<string, string> = { 'content-type': 'application/json', 'content-digest': contentDigest(response.body) };
  const requestSignature = signatureBytes(request.headers);
  if (!requestSignature) throw new Error('the request has no "sig" signature to answer');
  return addSignature(
    key,
    RESPONSE_ITEMS,
    RESPONSE_PARAMS,
    { created: seconds(now), expires: seconds(now) + (response.ttlSeconds ?? 60) },
    { status: response.status, headers, requestSignature },
  );
}

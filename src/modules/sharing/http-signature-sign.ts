import { randomBytes, sign } from 'node:crypto';
import { httpbis } from 'http-message-signatures';
import { algOfSigningKey, type HttpSigningKey } from './http-signature-keys.ts';
import { sm2SignerFor } from './http-signature-sm2.ts';
import {
  REQUEST_COMPONENTS,
  REQUEST_PARAMS,
  RESPONSE_COMPONENTS,
  RESPONSE_PARAMS,
  SIGNATURE_LABEL,
  contentDigest,
  lowerCase,
  sigRequestOf,
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
  key: HttpSigningKey,
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

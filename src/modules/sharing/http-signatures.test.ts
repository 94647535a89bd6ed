import { createPrivateKey, createPublicKey, sign, verify as verifyEd } from 'node:crypto';
import fc from 'fast-check';
import { httpbis } from 'http-message-signatures';
import { describe, expect, it } from 'vitest';
import { newSigningKey } from '../../../test/external-department.ts';
import { derivedSharingKey } from './http-signature-keys.ts';
import { signRequest, signResponse } from './http-signature-sign.ts';
import { verifyRequest, verifyResponse } from './http-signature-verify.ts';
import { SignatureError, contentDigest } from './http-signatures.ts';

/** RFC 9421 appendix B.1.4: test-key-ed25519. */
const RFC_ED25519 = createPrivateKey(
  '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----\n',
);

async function reason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'VERIFIED';
  } catch (error) {
    if (error instanceof SignatureError) return error.reason;
    throw error;
  }
}

describe('RFC 9421 / RFC 9530 profile', () => {
  it('reproduces RFC 9421 B.2.6 (Ed25519) with the library it is built on', async () => {
    // Ed25519 is deterministic: the same base and key give the RFC's signature byte for byte.
    const signed = await httpbis.signMessage(
      {
        key: { id: 'test-key-ed25519', sign: (d) => Promise.resolve(sign(null, d, RFC_ED25519)) },
        name: 'sig-b26',
        fields: ['date', '@method', '@path', '@authority', 'content-type', 'content-length'],
        params: ['created', 'keyid'],
        paramValues: { created: new Date(1618884473000) },
      },
      {
        method: 'POST',
        url: 'https://example.com/foo?param=Value&Pet=dog',
        headers: { Date: 'Tue, 20 Apr 2021 02:07:55 GMT', 'Content-Type': 'application/json', 'Content-Length': '18' },
      },
    );
    expect((signed.headers as Record<string, string>).Signature).toBe(
      'sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:',
    );
  });

  it('computes Content-Digest as RFC 9530 section 2 does', () => {
    expect(contentDigest('{"hello": "world"}')).toBe('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:');
  });

  const platform = newSigningKey();
  const department = newSigningKey('dept');
  const url = 'http://127.0.0.1:8080/v1/datasets/health.birth_record/query';
  const opts = (key = platform) => ({
    keyFor: (id: string) => (id === key.keyId ? createPublicKey(key.privateKey) : null),
    windowSeconds: 300,
  });

  it('verifies a round trip and refuses any change to the body, the URL or the key', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 200 }),
        fc.string({ minLength: 1, maxLength: 5 }).filter((s) => s.trim() !== ''),
        async (body, extra) => {
          const signed = await signRequest(platform, { url, body, idempotencyKey: 'request-id-000000001' });
          const msg = { method: 'POST', url, headers: signed.headers, body };
          expect((await verifyRequest(msg, opts())).keyid).toBe(platform.keyId);
          expect(await reason(verifyRequest({ ...msg, body: body + extra }, opts()))).toBe('DIGEST_MISMATCH');
          expect(await reason(verifyRequest({ ...msg, url: `${url}${extra}` }, opts()))).toBe('SIGNATURE_INVALID');
          expect(await reason(verifyRequest(msg, opts(department)))).toBe('UNKNOWN_KEY');
        },
      ),
      { numRuns: 25 },
    );
  });

  it('enforces the window, the nonce and the covered components', async () => {
    const body = '{}';
    const now = new Date('2026-12-01T00:00:00Z');
    const signed = await signRequest(platform, { url, body, idempotencyKey: 'request-id-000000001', now });
    const msg = { method: 'POST', url, headers: signed.headers, body };
    expect(await reason(verifyRequest(msg, { ...opts(), now }))).toBe('VERIFIED');
    expect(await reason(verifyRequest(msg, { ...opts(), now: new Date(now.getTime() + 61_000) }))).toBe('SIGNATURE_EXPIRED');
    expect(await reason(verifyRequest(msg, { ...opts(), now: new Date(now.getTime() - 60_000) }))).toBe('SIGNATURE_FROM_FUTURE');
    const narrowed = { ...signed.headers, 'signature-input': signed.headers['signature-input']!.replace(' "idempotency-key"', '') };
    expect(await reason(verifyRequest({ ...msg, headers: narrowed }, { ...opts(), now }))).toBe('COMPONENTS_NOT_COVERED');
    const noNonce = { ...signed.headers, 'signature-input': signed.headers['signature-input']!.replace(/;nonce="[^"]+"/, '') };
    expect(await reason(verifyRequest({ ...msg, headers: noNonce }, { ...opts(), now }))).toBe('SIGNATURE_INVALID');
    const { signature: _s, ...unsigned } = signed.headers;
    expect(await reason(verifyRequest({ ...msg, headers: unsigned }, { ...opts(), now }))).toBe('SIGNATURE_MISSING');
  });

  it('binds a response to the request it answers', async () => {
    const a = await signRequest(platform, { url, body: '{"a":1}', idempotencyKey: 'request-id-00000000a' });
    const b = await signRequest(platform, { url, body: '{"b":2}', idempotencyKey: 'request-id-00000000b' });
    const answer = '{"data":null}';
    const headers = await signResponse(department, a, { status: 200, body: answer });
    expect(await reason(verifyResponse(a, { status: 200, headers, body: answer }, opts(department)))).toBe('VERIFIED');
    expect(await reason(verifyResponse(b, { status: 200, headers, body: answer }, opts(department)))).toBe('SIGNATURE_INVALID');
    expect(await reason(verifyResponse(a, { status: 201, headers, body: answer }, opts(department)))).toBe('SIGNATURE_INVALID');
    expect(await reason(verifyResponse(a, { status: 200, headers, body: answer }, opts(platform)))).toBe('UNKNOWN_KEY');
  });

  it('builds the same signature base as the library, which accepts our signatures and whose signatures we accept', async () => {
    const library = (key: typeof platform) => ({
      keyLookup: () =>
        Promise.resolve({
          id: key.keyId,
          verify: (d: Buffer, sig: Buffer) => Promise.resolve(verifyEd(null, d, createPublicKey(key.privateKey), sig)),
        }),
    });
    const body = '{"人":"张伟","n":1}';
    const ours = await signRequest(platform, { url, body, idempotencyKey: 'request-id-00000000c' });
    expect(await httpbis.verifyMessage(library(platform), { method: 'POST', url, headers: ours.headers })).toBe(true);
    const tampered = { ...ours.headers, 'idempotency-key': 'request-id-00000000d' };
    expect(await httpbis.verifyMessage(library(platform), { method: 'POST', url, headers: tampered })).toBe(false);
    const answer = '{"data":[1,2]}';
    const response = await signResponse(department, ours, { status: 200, body: answer });
    expect(
      await httpbis.verifyMessage(library(department), { status: 200, headers: response }, { method: 'POST', url, headers: ours.headers }),
    ).toBe(true);

    const now = new Date();
    const theirs = await httpbis.signMessage(
      {
        key: { id: platform.keyId, alg: 'ed25519', sign: (d) => Promise.resolve(sign(null, d, platform.privateKey)) },
        name: 'sig',
        fields: ['@method', '@target-uri', 'content-digest', 'content-type', 'idempotency-key'],
        params: ['created', 'expires', 'nonce', 'keyid', 'alg'],
        paramValues: { created: now, expires: new Date(now.getTime() + 60_000), nonce: 'n0nce-from-the-library' },
      },
      {
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', 'content-digest': contentDigest(body), 'idempotency-key': 'request-id-00000000e' },
      },
    );
    const theirHeaders = theirs.headers as Record<string, string>;
    expect((await verifyRequest({ method: 'POST', url, headers: theirHeaders, body }, opts())).nonce).toBe('n0nce-from-the-library');
    const theirAnswer = await httpbis.signMessage(
      {
        key: { id: department.keyId, alg: 'ed25519', sign: (d) => Promise.resolve(sign(null, d, department.privateKey)) },
        name: 'sig',
        fields: ['@status', 'content-digest', 'content-type', '"signature";req;key="sig"'],
        params: ['created', 'expires', 'keyid', 'alg'],
        paramValues: { created: now, expires: new Date(now.getTime() + 60_000) },
      },
      { status: 200, headers: { 'content-type': 'application/json', 'content-digest': contentDigest(answer) } },
      { method: 'POST', url, headers: theirHeaders },
    );
    const answerHeaders = theirAnswer.headers as Record<string, string>;
    expect(
      await reason(verifyResponse({ url, headers: theirHeaders }, { status: 200, headers: answerHeaders, body: answer }, opts(department))),
    ).toBe('VERIFIED');
    expect(await reason(verifyResponse(ours, { status: 200, headers: answerHeaders, body: answer }, opts(department)))).toBe(
      'SIGNATURE_INVALID',
    );
  });

  it('derives the same platform key from the same master key', () => {
    const master = Buffer.alloc(32, 7);
    expect(derivedSharingKey(master).keyId).toBe(derivedSharingKey(master).keyId);
    expect(derivedSharingKey(master).keyId).not.toBe(derivedSharingKey(Buffer.alloc(32, 8)).keyId);
  });
});

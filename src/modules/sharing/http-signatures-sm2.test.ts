import { createPublicKey } from 'node:crypto';
import fc from 'fast-check';
import { httpbis } from 'http-message-signatures';
import { parseDictionary } from 'structured-headers';
import { describe, expect, it } from 'vitest';
import { newSigningKey } from '../../../test/external-department.ts';
import { opensslDir } from '../../../test/openssl.ts';
import { encodePkcs8, encodeSpki, privateKeyToPem, publicKeyToPem } from '../../verify/keys.ts';
import { sm2GenerateKeyPair, sm2Verify } from '../../verify/sm2.ts';
import { sm2KeyIdOf, sm2SigningKey, sm2VerifyingKey, type Sm2SigningKey, type VerifyingKey } from './http-signature-keys.ts';
import { signRequest, signResponse } from './http-signature-sign.ts';
import { verifyRequest, verifyResponse } from './http-signature-verify.ts';
import { SignatureError } from './http-signatures.ts';

async function reason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'VERIFIED';
  } catch (error) {
    if (error instanceof SignatureError) return error.reason;
    throw error;
  }
}

function newSm2Key(prefix = 'hospital'): Sm2SigningKey {
  const { privateKey, publicKey } = sm2GenerateKeyPair();
  return sm2SigningKey(sm2KeyIdOf(publicKey, prefix), privateKey);
}

/** The signature base and value of a message's `sig` signature, as the library rebuilds them from the wire. */
async function baseOf(message: { method: string; url: string; headers: Record<string, string> }): Promise<{ base: Buffer; sig: Buffer }> {
  let captured: { base: Buffer; sig: Buffer } | undefined;
  await httpbis.verifyMessage(
    {
      keyLookup: () =>
        Promise.resolve({
          id: 'x',
          verify: (base: Buffer, sig: Buffer) => {
            captured = { base, sig };
            return Promise.resolve(true);
          },
        }),
    },
    message,
  );
  if (!captured) throw new Error('no signature base');
  return captured;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

describe('RFC 9421 profile with SM2 (alg "sm2-sm3")', () => {
  const hospital = newSm2Key();
  const platform = newSm2Key('yiban-sharing');
  const stranger = newSm2Key();
  const ed = newSigningKey('dept');
  const keys = new Map<string, VerifyingKey>([
    [hospital.keyId, sm2VerifyingKey(hospital.publicKey)],
    [platform.keyId, sm2VerifyingKey(publicKeyToPem(encodeSpki('SM2', platform.publicKey)))],
    [ed.keyId, createPublicKey(ed.privateKey)],
  ]);
  const opts = { keyFor: (id: string) => keys.get(id) ?? null, windowSeconds: 300 };
  const url = 'http://127.0.0.1:8080/v1/settlements/window';

  it('verifies a request round trip and refuses any change to the body, headers, method, URL or key', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 200 }),
        fc.string({ minLength: 1, maxLength: 5 }).filter((s) => s.trim() !== ''),
        async (body, extra) => {
          const signed = await signRequest(hospital, { url, body, idempotencyKey: 'settle-000000000001' });
          const msg = { method: 'POST', url, headers: signed.headers, body };
          expect(signed.headers['signature-input']).toContain(`;keyid="${hospital.keyId}";alg="sm2-sm3"`);
          expect(await verifyRequest(msg, opts)).toMatchObject({ keyid: hospital.keyId, alg: 'sm2-sm3' });
          expect(await reason(verifyRequest({ ...msg, body: body + extra }, opts))).toBe('DIGEST_MISMATCH');
          expect(await reason(verifyRequest({ ...msg, url: `${url}${extra}` }, opts))).toBe('SIGNATURE_INVALID');
          expect(await reason(verifyRequest({ ...msg, method: 'PUT' }, opts))).toBe('SIGNATURE_INVALID');
          const headers = { ...msg.headers, 'idempotency-key': `${msg.headers['idempotency-key']}${extra}` };
          expect(await reason(verifyRequest({ ...msg, headers }, opts))).toBe('SIGNATURE_INVALID');
        },
      ),
      { numRuns: 15 },
    );
  });

  it('refuses a changed content-type, a forged digest, another key and an unknown key', async () => {
    const body = '{"amountFen":12345}';
    const signed = await signRequest(hospital, { url, body, idempotencyKey: 'settle-000000000002' });
    const msg = { method: 'POST', url, headers: signed.headers, body };
    expect(await reason(verifyRequest({ ...msg, headers: { ...msg.headers, 'content-type': 'text/plain' } }, opts))).toBe(
      'SIGNATURE_INVALID',
    );
    // A body with a matching new digest: the digest is covered, so the signature fails.
    const other = '{"amountFen":99999}';
    const forged = (await signRequest(stranger, { url, body: other, idempotencyKey: 'settle-000000000002' })).headers['content-digest']!;
    expect(await reason(verifyRequest({ ...msg, body: other, headers: { ...msg.headers, 'content-digest': forged } }, opts))).toBe(
      'SIGNATURE_INVALID',
    );
    // The same key id, another key's signature: wrong key.
    const byStranger = await signRequest({ ...stranger, keyId: hospital.keyId }, { url, body, idempotencyKey: 'settle-000000000002' });
    expect(await reason(verifyRequest({ ...msg, headers: byStranger.headers }, opts))).toBe('SIGNATURE_INVALID');
    // The key id mapped to another SM2 key.
    const wrongKey = { ...opts, keyFor: (id: string) => (id === hospital.keyId ? sm2VerifyingKey(stranger.publicKey) : null) };
    expect(await reason(verifyRequest(msg, wrongKey))).toBe('SIGNATURE_INVALID');
    const strangerSigned = await signRequest(stranger, { url, body, idempotencyKey: 'settle-000000000002' });
    expect(await reason(verifyRequest({ ...msg, headers: strangerSigned.headers }, opts))).toBe('UNKNOWN_KEY');
  });

  it('binds an SM2 response to its request, also across algorithms', async () => {
    const a = await signRequest(ed, { url, body: '{"a":1}', idempotencyKey: 'request-id-00000000a' });
    const b = await signRequest(ed, { url, body: '{"b":2}', idempotencyKey: 'request-id-00000000b' });
    const answer = '{"accepted":true}';
    const headers = await signResponse(platform, a, { status: 200, body: answer });
    expect(await verifyResponse(a, { status: 200, headers, body: answer }, opts)).toMatchObject({ keyid: platform.keyId, alg: 'sm2-sm3' });
    expect(await reason(verifyResponse(b, { status: 200, headers, body: answer }, opts))).toBe('SIGNATURE_INVALID');
    expect(await reason(verifyResponse(a, { status: 201, headers, body: answer }, opts))).toBe('SIGNATURE_INVALID');
    expect(await reason(verifyResponse(a, { status: 200, headers, body: `${answer} ` }, opts))).toBe('DIGEST_MISMATCH');
    // And an Ed25519 response still verifies next to SM2 keys, with its alg.
    const edHeaders = await signResponse(ed, a, { status: 200, body: answer });
    expect(await verifyResponse(a, { status: 200, headers: edHeaders, body: answer }, opts)).toMatchObject({ alg: 'ed25519' });
  });

  it('refuses an alg that does not match the key, and an unknown alg', async () => {
    const body = '{}';
    const sm2Signed = await signRequest(hospital, { url, body, idempotencyKey: 'settle-000000000003' });
    const asEd = (h: Record<string, string>) => ({
      ...h,
      'signature-input': h['signature-input']!.replace('alg="sm2-sm3"', 'alg="ed25519"'),
    });
    expect(await reason(verifyRequest({ method: 'POST', url, headers: asEd(sm2Signed.headers), body }, opts))).toBe(
      'ALGORITHM_NOT_ALLOWED',
    );
    // An Ed25519 key id presented with alg sm2-sm3 (here an Ed25519 signature relabelled).
    const edSigned = await signRequest(ed, { url, body, idempotencyKey: 'settle-000000000003' });
    expect(edSigned.headers['signature-input']).toContain('alg="ed25519"');
    const asSm2 = {
      ...edSigned.headers,
      'signature-input': edSigned.headers['signature-input']!.replace('alg="ed25519"', 'alg="sm2-sm3"'),
    };
    expect(await reason(verifyRequest({ method: 'POST', url, headers: asSm2, body }, opts))).toBe('ALGORITHM_NOT_ALLOWED');
    // An Ed25519 key id with a real SM2 signature under alg sm2-sm3.
    const edIdSm2 = await signRequest({ ...hospital, keyId: ed.keyId }, { url, body, idempotencyKey: 'settle-000000000003' });
    expect(await reason(verifyRequest({ method: 'POST', url, headers: edIdSm2.headers, body }, opts))).toBe('ALGORITHM_NOT_ALLOWED');
    const other = {
      ...sm2Signed.headers,
      'signature-input': sm2Signed.headers['signature-input']!.replace('alg="sm2-sm3"', 'alg="ecdsa-p256-sha256"'),
    };
    expect(await reason(verifyRequest({ method: 'POST', url, headers: other, body }, opts))).toBe('ALGORITHM_NOT_ALLOWED');
    // The Ed25519 path is unchanged.
    expect(await verifyRequest({ method: 'POST', url, headers: edSigned.headers, body }, opts)).toMatchObject({ alg: 'ed25519' });
  });

  it('refuses keys that are not SM2 points', () => {
    expect(() => sm2VerifyingKey(new Uint8Array(65).fill(4))).toThrow();
    expect(() => sm2VerifyingKey(encodeSpki('Ed25519', new Uint8Array(32).fill(1)))).toThrow(/SM2/);
    expect(() => sm2SigningKey('k', new Uint8Array(32))).toThrow(/range/);
  });

  it('OpenSSL 3 verifies our signature base, and we verify OpenSSL’s', async () => {
    const dir = opensslDir();
    try {
      dir.write('pub.pem', publicKeyToPem(encodeSpki('SM2', hospital.publicKey)));
      dir.write('priv.pem', privateKeyToPem(encodePkcs8('SM2', hospital.privateKey, hospital.publicKey)));
      const body = '{"patient":"张伟","amountFen":4200}';
      const signed = await signRequest(hospital, { url, body, idempotencyKey: 'settle-000000000004' });
      const msg = { method: 'POST', url, headers: signed.headers, body };
      const { base, sig } = await baseOf(msg);
      expect(base.toString('utf8')).toMatch(/^"@method": POST\n"@target-uri": http:\/\/127\.0\.0\.1:8080\/v1\/settlements\/window\n/);
      expect(base.toString('utf8')).toMatch(
        /\n"@signature-params": \(.*\);created=\d+;expires=\d+;nonce="[^"]+";keyid="[^"]+";alg="sm2-sm3"$/,
      );
      dir.write('base', base);
      dir.write('ours.sig', sig);
      const pkeyutl = (...args: string[]) => [
        'pkeyutl',
        '-rawin',
        '-digest',
        'sm3',
        '-pkeyopt',
        'distid:1234567812345678',
        '-in',
        'base',
        ...args,
      ];
      expect(dir.run(pkeyutl('-verify', '-pubin', '-inkey', 'pub.pem', '-sigfile', 'ours.sig'))).toContain(
        'Signature Verified Successfully',
      );
      dir.write('tampered', Buffer.concat([base, Buffer.from(' ')]));
      const tampered = ['pkeyutl', '-verify', '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-in', 'tampered'];
      expect(dir.tryRun([...tampered, '-pubin', '-inkey', 'pub.pem', '-sigfile', 'ours.sig']).status).not.toBe(0);

      // OpenSSL signs the same base; its value in the Signature field verifies with our verifier.
      dir.run(pkeyutl('-sign', '-inkey', 'priv.pem', '-out', 'openssl.sig'));
      const theirs = dir.read('openssl.sig');
      expect(theirs.equals(sig)).toBe(false);
      expect(sm2Verify(hospital.publicKey, base, theirs)).toBe(true);
      const headers = { ...signed.headers, signature: `sig=:${b64(theirs)}:` };
      expect(parseDictionary(headers.signature).has('sig')).toBe(true);
      expect(await verifyRequest({ ...msg, headers }, opts)).toMatchObject({ keyid: hospital.keyId, alg: 'sm2-sm3' });
      expect(await reason(verifyRequest({ ...msg, headers, url: `${url}/` }, opts))).toBe('SIGNATURE_INVALID');
    } finally {
      dir.remove();
    }
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasOpenssl, opensslDir } from '../../../../test/openssl.ts';
import { fromHex } from '../../../verify/der.ts';
import { publicKeyToPem } from '../../../verify/keys.ts';
import { createSigner, createVerifier, generateKeyPair } from '../../../verify/signatures.ts';
import { decodeSm2Signature, SM2_CURVE, Sm2Point, sm2SignWithFixedKForTest } from '../../../verify/sm2.ts';
import { createNativeSm2BaseX, createSealSigner, hasNativeSm2 } from './native-sm2.ts';

const { n: N } = SM2_CURVE;
const utf8 = (s: string) => new TextEncoder().encode(s);

describe.skipIf(!hasNativeSm2)('native k·G for SM2 signing (node:crypto ECDH on the SM2 curve)', () => {
  const baseX = createNativeSm2BaseX();

  it('gives the same x₁ as @noble/curves for random and boundary k', () => {
    fc.assert(
      fc.property(fc.oneof(fc.bigInt({ min: 1n, max: N - 1n }), fc.constantFrom(1n, 2n, 255n, 256n, N - 1n, N - 2n)), (k) => baseX(k) === Sm2Point.BASE.multiply(k).x),
      { numRuns: 200 },
    );
  });

  it('reproduces the GM/T 0003.5 Annex A signature', () => {
    const signature = sm2SignWithFixedKForTest(
      fromHex('3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8'),
      utf8('message digest'),
      0x59276e27d506861a16680f3ad9c02dccef3cc1fa3cdbe4ce6d54b80deac1bc21n,
      { baseMultiplyX: baseX },
    );
    expect(decodeSm2Signature(signature)).toEqual({
      r: 0xf5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3n,
      s: 0xb1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aan,
    });
  });

  it('the seal signer signs SM2 that the pure-JS verifier accepts, for any message, and not for another', () => {
    const keys = generateKeyPair('SM2');
    const signer = createSealSigner('SM2', keys.privateKey);
    expect(signer.publicKeySpki).toEqual(createSigner('SM2', keys.privateKey).publicKeySpki);
    const verifier = createVerifier('SM2', keys.publicKeySpki)!;
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const message = utf8(text);
        const signature = signer.sign(message);
        return verifier.verify(message, signature) && !verifier.verify(utf8(text + '.'), signature);
      }),
      { numRuns: 50 },
    );
  });

  it('leaves Ed25519 keys to the pure-JS signer', () => {
    const keys = generateKeyPair('Ed25519');
    const message = utf8('checkpoint');
    expect(createSealSigner('Ed25519', keys.privateKey).sign(message)).toEqual(createSigner('Ed25519', keys.privateKey).sign(message));
  });

  it.skipIf(!hasOpenssl)('its signatures verify in OpenSSL (SM2 with SM3, default ID)', () => {
    const keys = generateKeyPair('SM2');
    const signer = createSealSigner('SM2', keys.privateKey);
    const dir = opensslDir();
    try {
      dir.write('pub.pem', publicKeyToPem(keys.publicKeySpki));
      for (let i = 0; i < 3; i++) {
        const message = utf8(`{"id":"1.2.156.3005.2.${i}","name":"张伟"}`);
        dir.write('msg', message);
        dir.write('sig', signer.sign(message));
        const out = dir.run(['pkeyutl', '-verify', '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-pubin', '-inkey', 'pub.pem', '-in', 'msg', '-sigfile', 'sig']);
        expect(out).toContain('Signature Verified Successfully');
      }
      dir.write('msg', utf8('tampered'));
      expect(dir.tryRun(['pkeyutl', '-verify', '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-pubin', '-inkey', 'pub.pem', '-in', 'msg', '-sigfile', 'sig']).status).not.toBe(0);
    } finally {
      dir.remove();
    }
  });
});

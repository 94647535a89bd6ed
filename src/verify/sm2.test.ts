import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { opensslDir } from '../../test/openssl.ts';
import { pemEncode } from './der.ts';
import { bytesToHex, hexToBytes } from './tlog-bytes.ts';
import { encodeSpki } from './keys.ts';
import {
  createSm2Signer,
  createSm2Verifier,
  decodeSm2Signature,
  encodeSm2Signature,
  SM2_CURVE,
  sm2GenerateKeyPair,
  sm2PublicKeyFromPrivate,
  sm2Sign,
  sm2SignWithFixedKForTest,
  sm2Verify,
  sm2Z,
} from './sm2.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);

/**
 * GM/T 0003.5-2012 (= GB/T 32918.5-2017) Annex A, the signature example on the recommended
 * curve with the default ID 1234567812345678; OpenSSL carries the same vector in
 * test/sm2_internal_test.c. The test below also has OpenSSL verify it independently.
 */
const ANNEX_A = {
  privateKey: '3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8',
  publicKey:
    '04' +
    '09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020' +
    'ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13',
  z: 'b2e14c5c79c6df5b85f4fe7ed8db7a262b9da7e07ccb0ea9f4747b8ccda8a4f3',
  message: 'message digest',
  k: 0x59276e27d506861a16680f3ad9c02dccef3cc1fa3cdbe4ce6d54b80deac1bc21n,
  r: 0xf5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3n,
  s: 0xb1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aan,
};

describe('SM2 (GB/T 32918)', () => {
  it('reproduces the GM/T 0003.5 Annex A example: public key, Z, and (r, s) for the given k', () => {
    const d = hexToBytes(ANNEX_A.privateKey);
    expect(bytesToHex(sm2PublicKeyFromPrivate(d))).toBe(ANNEX_A.publicKey);
    expect(bytesToHex(sm2Z(hexToBytes(ANNEX_A.publicKey)))).toBe(ANNEX_A.z);
    const signature = sm2SignWithFixedKForTest(d, utf8(ANNEX_A.message), ANNEX_A.k);
    expect(decodeSm2Signature(signature)).toEqual({ r: ANNEX_A.r, s: ANNEX_A.s });
    expect(sm2Verify(hexToBytes(ANNEX_A.publicKey), utf8(ANNEX_A.message), signature)).toBe(true);
    expect(sm2Verify(hexToBytes(ANNEX_A.publicKey), utf8('message digesT'), signature)).toBe(false);
  });

  it('the Annex A signature verifies in OpenSSL too (independent check of the vector)', () => {
    const dir = opensslDir();
    try {
      dir.write('pub.pem', pemEncode('PUBLIC KEY', encodeSpki('SM2', hexToBytes(ANNEX_A.publicKey))));
      dir.write('msg', ANNEX_A.message);
      dir.write('sig', encodeSm2Signature(ANNEX_A.r, ANNEX_A.s));
      const out = dir.run([
        'pkeyutl',
        '-verify',
        '-rawin',
        '-digest',
        'sm3',
        '-pkeyopt',
        'distid:1234567812345678',
        '-pubin',
        '-inkey',
        'pub.pem',
        '-in',
        'msg',
        '-sigfile',
        'sig',
      ]);
      expect(out).toContain('Signature Verified Successfully');
    } finally {
      dir.remove();
    }
  });

  it('uses the curve of GB/T 32918.5: G is on y² = x³ + ax + b and n·G is the identity', () => {
    const { p, a, b, Gx, Gy } = SM2_CURVE;
    expect((Gy * Gy - (Gx ** 3n + a * Gx + b)) % p).toBe(0n);
    const kp = sm2GenerateKeyPair();
    expect(kp.privateKey).toHaveLength(32);
    expect(kp.publicKey).toHaveLength(65);
  });

  it('signs and verifies; signatures are randomised', () => {
    const { privateKey, publicKey } = sm2GenerateKeyPair();
    const signer = createSm2Signer(privateKey);
    expect(bytesToHex(signer.publicKey)).toBe(bytesToHex(publicKey));
    const message = utf8('居住证明 · 塔元庄村');
    const one = signer.sign(message);
    const two = signer.sign(message);
    expect(bytesToHex(one)).not.toBe(bytesToHex(two));
    const verifier = createSm2Verifier(publicKey);
    const precomputed = createSm2Verifier(publicKey, { precompute: true });
    for (const sig of [one, two]) {
      expect(verifier.verify(message, sig)).toBe(true);
      expect(precomputed.verify(message, sig)).toBe(true);
    }
    // Another signer ID is another Z: the signature does not carry over.
    expect(sm2Verify(publicKey, message, one, { id: 'ALICE123@YAHOO.COM' })).toBe(false);
    expect(sm2Verify(publicKey, message, sm2Sign(privateKey, message, { id: 'ALICE123@YAHOO.COM' }), { id: 'ALICE123@YAHOO.COM' })).toBe(
      true,
    );
  });

  it('rejects out-of-range private keys and off-curve public keys', () => {
    expect(() => sm2PublicKeyFromPrivate(new Uint8Array(32))).toThrow();
    expect(() => sm2PublicKeyFromPrivate(hexToBytes((SM2_CURVE.n - 1n).toString(16)))).toThrow();
    const off = hexToBytes(ANNEX_A.publicKey);
    off[64]! ^= 1;
    expect(sm2Verify(off, utf8('x'), encodeSm2Signature(1n, 1n))).toBe(false);
    expect(() => createSm2Verifier(off)).toThrow();
  });

  it('accepts only strict DER signatures with 1 ≤ r, s < n', () => {
    const { n } = SM2_CURVE;
    expect(() => decodeSm2Signature(encodeSm2Signature(0n, 1n))).toThrow();
    expect(() => decodeSm2Signature(encodeSm2Signature(1n, n))).toThrow();
    // r = 1 with a superfluous leading zero byte.
    expect(() => decodeSm2Signature(hexToBytes('300702020001020101'))).toThrow();
    // Long-form length where the short form fits.
    expect(() => decodeSm2Signature(hexToBytes('308106020101020101'))).toThrow();
    expect(() => decodeSm2Signature(hexToBytes('3006020101020101' + '00'))).toThrow();
    expect(decodeSm2Signature(hexToBytes('3006020101020101'))).toEqual({ r: 1n, s: 1n });
  });

  describe('tampering never verifies', () => {
    const { privateKey, publicKey } = sm2GenerateKeyPair();
    const signer = createSm2Signer(privateKey);
    const verifier = createSm2Verifier(publicKey, { precompute: true });
    const message = utf8('{"type":"residence","name":"张三","village":"塔元庄村"}');
    const signature = signer.sign(message);
    const flip = (bytes: Uint8Array, bit: number) => {
      const copy = bytes.slice();
      copy[bit >> 3]! ^= 1 << (bit & 7);
      return copy;
    };

    it('any flipped bit in the message', () => {
      fc.assert(
        fc.property(fc.nat(message.length * 8 - 1), (bit) => !verifier.verify(flip(message, bit), signature)),
        { numRuns: 60 },
      );
    });
    it('any flipped bit in the signature', () => {
      fc.assert(
        fc.property(fc.nat(signature.length * 8 - 1), (bit) => !verifier.verify(message, flip(signature, bit))),
        { numRuns: 60 },
      );
    });
    it('any flipped bit in the public key', () => {
      fc.assert(
        fc.property(fc.integer({ min: 8, max: 65 * 8 - 1 }), (bit) => !sm2Verify(flip(publicKey, bit), message, signature)),
        { numRuns: 40 },
      );
    });
    it('truncated or extended signatures', () => {
      expect(verifier.verify(message, signature.subarray(0, signature.length - 1))).toBe(false);
      expect(verifier.verify(message, Uint8Array.of(...signature, 0))).toBe(false);
      expect(verifier.verify(message, new Uint8Array())).toBe(false);
      expect(verifier.verify(message, signature)).toBe(true);
    });
  });
});

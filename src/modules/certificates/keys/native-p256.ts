/**
 * ECDSA P-256 through Node's OpenSSL for the server's PDF signing key: about 0.05 ms per
 * signature where the portable signer of src/verify (pure JS, kept for browsers) takes about
 * 2 ms. Same output: DER (r, s) over SHA-256 of the message; k is OpenSSL's (random, not
 * RFC 6979), which verifiers cannot tell apart.
 */
import { createECDH, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { createSigner, type Signer } from '../../../verify/signatures.ts';

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

/** A P-256 signer for a raw (32-byte) or PKCS#8 private key, checked against the portable one. */
export function createNativeP256Signer(privateKey: Uint8Array): Signer {
  const portable = createSigner('P-256', privateKey);
  let key: KeyObject;
  try {
    if (privateKey.length === 32) {
      const ecdh = createECDH('prime256v1');
      ecdh.setPrivateKey(privateKey);
      const point = ecdh.getPublicKey(); // 04 ‖ x ‖ y
      key = createPrivateKey({
        key: { kty: 'EC', crv: 'P-256', d: b64url(privateKey), x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33)) },
        format: 'jwk',
      });
    } else {
      key = createPrivateKey({ key: Buffer.from(privateKey), format: 'der', type: 'pkcs8' });
    }
  } catch {
    return portable;
  }
  // Only when OpenSSL sees the very key the portable signer does.
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  if (!spki.equals(portable.publicKeySpki)) return portable;
  return {
    algorithm: 'P-256',
    publicKeySpki: portable.publicKeySpki,
    sign: (message) => new Uint8Array(sign('sha256', message, { key, dsaEncoding: 'der' })),
  };
}

/**
 * Node-only speed-up of SM2 signing: k·G through OpenSSL's constant-time point multiplication
 * (`crypto.createECDH('SM2')`, whose setPrivateKey computes the public point k·G). The SM2
 * scheme itself — Z, e, k from the hedged DRBG, r and s — stays in src/verify/sm2.ts; only x₁
 * of k·G comes from here. Node's `crypto.sign` on SM2 keys is ECDSA, so it is not used. When
 * the running Node lacks the SM2 curve, the pure-JS path is used.
 */
import { createECDH, getCurves } from 'node:crypto';
import { createSigner, type Signer } from '../../../verify/signatures.ts';
import type { KeyAlgorithm } from '../../../verify/keys.ts';
import type { Sm2BaseMultiplyX } from '../../../verify/sm2.ts';

export const hasNativeSm2 = getCurves().includes('SM2');

/** x₁ of k·G by OpenSSL; one ECDH object per signer (setPrivateKey replaces its key). */
export function createNativeSm2BaseX(): Sm2BaseMultiplyX {
  const ecdh = createECDH('SM2');
  return (k) => {
    ecdh.setPrivateKey(Buffer.from(k.toString(16).padStart(64, '0'), 'hex'));
    const point = ecdh.getPublicKey(); // 04 ‖ x ‖ y
    if (point.length !== 65 || point[0] !== 4) throw new Error('unexpected point from OpenSSL');
    return BigInt(`0x${point.subarray(1, 33).toString('hex')}`);
  };
}

/** createSigner, with native k·G for SM2 keys when Node has the curve. Same signatures, faster. */
export function createSealSigner(algorithm: KeyAlgorithm, privateKey: Uint8Array): Signer {
  return createSigner(algorithm, privateKey, algorithm === 'SM2' && hasNativeSm2 ? { sm2BaseMultiplyX: createNativeSm2BaseX() } : {});
}

import { readFileSync } from 'node:fs';
import { createHash, createPrivateKey, createPublicKey, hkdfSync, type KeyObject } from 'node:crypto';

/** The Ed25519 keys of the HTTP signatures (http-signatures.ts): the platform's sharing key, key ids, public keys. */

export interface SigningKey {
  keyId: string;
  privateKey: KeyObject;
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

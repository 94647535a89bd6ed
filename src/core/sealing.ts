import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Data at rest under keys derived from the master key: HKDF-SHA256 with one label per use, so
 * that one leaked derived key says nothing about another, and AES-256-GCM with associated data
 * that binds a ciphertext to its row (a value moved to another row does not decrypt).
 */
const HKDF_SALT = Buffer.from('yiban');
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function deriveKey(masterKey: Buffer, info: string): Buffer {
  if (masterKey.length !== 32) throw new Error('the master key must be 32 bytes');
  return Buffer.from(hkdfSync('sha256', masterKey, HKDF_SALT, info, 32));
}

/**
 * base64 of (12-byte random IV ‖ ciphertext ‖ 16-byte tag). `iv`: 12 fresh random bytes drawn
 * by the caller (one draw for many values), never used twice under one key.
 */
export function sealBytes(key: Buffer, plaintext: Uint8Array, aad?: string, iv: Uint8Array = randomBytes(IV_BYTES)): string {
  if (iv.length !== IV_BYTES) throw new Error('the IV must be 12 bytes');
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  if (aad !== undefined) cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64');
}

/** Throws on a wrong key, a changed ciphertext or other associated data. */
export function openBytes(key: Buffer, stored: string, aad?: string): Buffer {
  const raw = Buffer.from(stored, 'base64');
  if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('ciphertext is too short');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
  if (aad !== undefined) decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
}

export const sealText = (key: Buffer, plaintext: string, aad?: string, iv?: Uint8Array): string =>
  sealBytes(key, Buffer.from(plaintext, 'utf8'), aad, iv);
export const SEAL_IV_BYTES = IV_BYTES;
export const openText = (key: Buffer, stored: string, aad?: string): string => openBytes(key, stored, aad).toString('utf8');

const FINGERPRINT_INFO = 'yiban/master-key/fingerprint-hmac-sha256/v1';
const FINGERPRINT_LABEL = 'yiban master key fingerprint';

/**
 * What the database records of the master key: an HMAC of a constant label under a key derived
 * for this purpose only. It tells keys apart; it is neither the key, nor any key the platform
 * encrypts or hashes with, nor a plain hash of the key (which other tools may use as its id).
 */
export function masterKeyFingerprint(masterKey: Buffer): string {
  return createHmac('sha256', deriveKey(masterKey, FINGERPRINT_INFO)).update(FINGERPRINT_LABEL, 'utf8').digest('hex');
}

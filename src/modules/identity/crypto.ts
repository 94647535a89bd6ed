import { createHash, createHmac, randomBytes } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify, type Options as Argon2Options } from '@node-rs/argon2';
import { deriveKey, masterKeyFingerprint, openText, sealText } from '../../core/sealing.ts';

/**
 * Resident ID numbers at rest: AES-256-GCM for the stored copy, HMAC-SHA256 for the lookup
 * column. Both keys are derived from the master key with HKDF under distinct labels, so that
 * one leaked derived key says nothing about the other.
 */
export interface ResidentIdVault {
  /** base64 of (12-byte random IV ‖ ciphertext ‖ 16-byte tag). */
  encrypt(residentId: string): string;
  decrypt(stored: string): string;
  /** Hex HMAC of the normalised ID: equal IDs give equal hashes, without revealing them. */
  lookupHash(residentId: string): string;
  /** The master key's fingerprint (core/sealing.ts), stored with every resident row. */
  keyFingerprint: string;
}

const ENCRYPTION_INFO = 'yiban/resident-id/aes-256-gcm/v1';
const LOOKUP_INFO = 'yiban/resident-id/lookup-hmac-sha256/v1';

/** The HMAC key of kiosk one-time codes: six digits are too few for a plain hash to hide them. */
export function deriveKioskCodeKey(masterKey: Buffer): Buffer {
  if (masterKey.length !== 32) throw new Error('the master key must be 32 bytes');
  return deriveKey(masterKey, 'yiban/kiosk-code/hmac-sha256/v1');
}

export function createResidentIdVault(masterKey: Buffer): ResidentIdVault {
  const encryptionKey = deriveKey(masterKey, ENCRYPTION_INFO);
  const lookupKey = deriveKey(masterKey, LOOKUP_INFO);
  return {
    encrypt: (residentId) => sealText(encryptionKey, residentId),
    decrypt: (stored) => openText(encryptionKey, stored),
    lookupHash: (residentId) => createHmac('sha256', lookupKey).update(residentId, 'utf8').digest('hex'),
    keyFingerprint: masterKeyFingerprint(masterKey),
  };
}

// Passwords: argon2id with the OWASP minimum (m=19 MiB, t=2, p=1).
const ARGON2: Argon2Options = {
  // `Algorithm` is an ambient const enum, which isolatedModules cannot read: 2 is Argon2id.
  algorithm: 2,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
};
export const MAX_PASSWORD_LENGTH = 128;

export function hashPassword(password: string): Promise<string> {
  return argon2Hash(password, ARGON2);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await argon2Verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;
/** Spends the time of one real verification, so that an unknown account answers as slowly as a wrong password. */
export async function verifyDummyPassword(password: string): Promise<void> {
  dummyHash ??= hashPassword(randomBytes(16).toString('base64'));
  await verifyPassword(await dummyHash, password);
}

/** A session token (32 random bytes, base64url) and the SHA-256 hex kept in the database. */
export function newSessionToken(): { token: string; tokenHash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, tokenHash: hashSessionToken(token) };
}

export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify, type Options as Argon2Options } from '@node-rs/argon2';
import { AppError } from '../../core/errors.ts';

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
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_SALT = Buffer.from('yiban');
const ENCRYPTION_INFO = 'yiban/resident-id/aes-256-gcm/v1';
const LOOKUP_INFO = 'yiban/resident-id/lookup-hmac-sha256/v1';

function deriveKey(masterKey: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, HKDF_SALT, info, 32));
}

/** The HMAC key of kiosk one-time codes: six digits are too few for a plain hash to hide them. */
export function deriveKioskCodeKey(masterKey: Buffer): Buffer {
  if (masterKey.length !== 32) throw new Error('the master key must be 32 bytes');
  return deriveKey(masterKey, 'yiban/kiosk-code/hmac-sha256/v1');
}

export function createResidentIdVault(masterKey: Buffer): ResidentIdVault {
  if (masterKey.length !== 32) throw new Error('the master key must be 32 bytes');
  const encryptionKey = deriveKey(masterKey, ENCRYPTION_INFO);
  const lookupKey = deriveKey(masterKey, LOOKUP_INFO);
  return {
    encrypt(residentId) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv);
      const body = Buffer.concat([cipher.update(residentId, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64');
    },
    decrypt(stored) {
      const raw = Buffer.from(stored, 'base64');
      if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('resident ID ciphertext is too short');
      const decipher = createDecipheriv('aes-256-gcm', encryptionKey, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    },
    lookupHash(residentId) {
      return createHmac('sha256', lookupKey).update(residentId, 'utf8').digest('hex');
    },
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

/** At least 8 characters, with at least one letter and one digit. */
export function checkPasswordPolicy(password: string): void {
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new AppError('VALIDATION_FAILED', {
      detail: { zh: `密码最多 ${MAX_PASSWORD_LENGTH} 个字符`, en: `the password may have at most ${MAX_PASSWORD_LENGTH} characters` },
    });
  }
  if ([...password].length < 8 || !/\p{L}/u.test(password) || !/\p{Nd}/u.test(password)) {
    throw new AppError('WEAK_PASSWORD');
  }
}

/** A session token (32 random bytes, base64url) and the SHA-256 hex kept in the database. */
export function newSessionToken(): { token: string; tokenHash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, tokenHash: hashSessionToken(token) };
}

export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

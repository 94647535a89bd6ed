import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { eq } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { equalBytes } from '../../verify/tlog-bytes.ts';
import { ed25519Signer, type NoteSigner } from '../../verify/signed-note.ts';
import { ledgerKeys } from './ledger.tables.ts';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_SALT = Buffer.from('yiban');
const KEY_INFO = 'yiban/ledger/log-key/aes-256-gcm/v1';

function wrappingKey(masterKey: Buffer): Buffer {
  if (masterKey.length !== 32) throw new Error('the master key must be 32 bytes');
  return Buffer.from(hkdfSync('sha256', masterKey, HKDF_SALT, KEY_INFO, 32));
}

/** base64(IV ‖ ciphertext ‖ tag); the key name is authenticated data, so a row cannot be moved to another name. */
export function encryptSeed(masterKey: Buffer, name: string, seed: Uint8Array): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', wrappingKey(masterKey), iv);
  cipher.setAAD(Buffer.from(name, 'utf8'));
  const body = Buffer.concat([cipher.update(seed), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64');
}

export function decryptSeed(masterKey: Buffer, name: string, stored: string): Uint8Array {
  const raw = Buffer.from(stored, 'base64');
  if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('ledger key ciphertext is too short');
  const decipher = createDecipheriv('aes-256-gcm', wrappingKey(masterKey), raw.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(name, 'utf8'));
  decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
  return new Uint8Array(Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]));
}

/**
 * The seed for a key name: created on first use (several processes may race; the first insert
 * wins and everyone reads it back), then decrypted with the master key.
 */
export async function loadOrCreateSeed(db: Executor, masterKey: Buffer, name: string): Promise<Uint8Array> {
  const seed = randomBytes(32);
  await db
    .insert(ledgerKeys)
    .values({ name, publicKey: ed25519.getPublicKey(seed), secretKeyEncrypted: encryptSeed(masterKey, name, seed) })
    .onConflictDoNothing();
  const [row] = await db.select().from(ledgerKeys).where(eq(ledgerKeys.name, name));
  if (!row) throw new Error(`ledger key ${name} vanished`);
  let stored: Uint8Array;
  try {
    stored = decryptSeed(masterKey, name, row.secretKeyEncrypted);
  } catch {
    throw new Error(`the ledger key ${name} cannot be decrypted: is YIBAN_MASTER_KEY the one it was created with?`);
  }
  if (!equalBytes(ed25519.getPublicKey(stored), row.publicKey)) throw new Error(`the ledger key ${name} does not match its public key`);
  return stored;
}

/** The log's signer for a key name (its origin). */
export async function loadOrCreateLogSigner(db: Executor, masterKey: Buffer, name: string): Promise<NoteSigner> {
  return ed25519Signer(name, await loadOrCreateSeed(db, masterKey, name));
}

/** Master key rotation: every log key's seed decrypted under `from` and encrypted under `to`, in the caller's transaction. */
export async function rekeyLogKeys(tx: Executor, from: Buffer, to: Buffer): Promise<number> {
  const rows = await tx.select({ name: ledgerKeys.name, stored: ledgerKeys.secretKeyEncrypted }).from(ledgerKeys).for('update');
  for (const row of rows) {
    const seed = decryptSeed(from, row.name, row.stored);
    await tx
      .update(ledgerKeys)
      .set({ secretKeyEncrypted: encryptSeed(to, row.name, seed) })
      .where(eq(ledgerKeys.name, row.name));
    seed.fill(0);
  }
  return rows.length;
}

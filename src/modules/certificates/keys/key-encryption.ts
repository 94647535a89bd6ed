/**
 * Private keys at rest: AES-256-GCM under a key derived from the master key, with the key id as
 * associated data (a ciphertext moved to another row does not decrypt).
 */
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { deriveKey, openBytes, sealBytes } from '../../../core/sealing.ts';
import type { Executor } from '../../../db/database.ts';
import { signingKeys } from './keys.tables.ts';

const ENCRYPTION_INFO = 'yiban/signing-keys/aes-256-gcm/v1';

/** The key id: the first 16 bytes of SHA-256 over the SPKI, hex. */
export function keyIdOf(spki: Uint8Array): string {
  return createHash('sha256').update(spki).digest('hex').slice(0, 32);
}

/** Encrypts and decrypts the private keys of `signing_keys` under `masterKey`. */
export function keyCipher(masterKey: Buffer) {
  const encryptionKey = deriveKey(masterKey, ENCRYPTION_INFO);
  return {
    encrypt: (keyId: string, privateKey: Uint8Array): string => sealBytes(encryptionKey, privateKey, keyId),
    decrypt: (keyId: string, stored: string): Uint8Array => new Uint8Array(openBytes(encryptionKey, stored, keyId)),
  };
}

/** Whether a stored private key opens with `masterKey` ('none' when no key is stored yet). */
export async function probeSigningKeys(db: Executor, masterKey: Buffer): Promise<'none' | 'ok' | 'wrong'> {
  const [row] = await db.select({ id: signingKeys.id, stored: signingKeys.encryptedPrivateKey }).from(signingKeys).limit(1);
  if (!row) return 'none';
  try {
    openBytes(deriveKey(masterKey, ENCRYPTION_INFO), row.stored, row.id);
    return 'ok';
  } catch {
    return 'wrong';
  }
}

/** Master key rotation: every private key decrypted under `from` and encrypted again under `to`, in the caller's transaction. */
export async function rekeySigningKeys(tx: Executor, from: Buffer, to: Buffer): Promise<number> {
  const [oldKey, newKey] = [deriveKey(from, ENCRYPTION_INFO), deriveKey(to, ENCRYPTION_INFO)];
  const rows = await tx.select({ id: signingKeys.id, stored: signingKeys.encryptedPrivateKey }).from(signingKeys).for('update');
  for (const row of rows) {
    const privateKey = openBytes(oldKey, row.stored, row.id);
    await tx
      .update(signingKeys)
      .set({ encryptedPrivateKey: sealBytes(newKey, privateKey, row.id) })
      .where(eq(signingKeys.id, row.id));
    privateKey.fill(0);
  }
  return rows.length;
}

import { sql } from 'drizzle-orm';
import { AppError } from '../../core/errors.ts';
import { masterKeyFingerprint } from '../../core/sealing.ts';
import type { Db, Executor } from '../../db/database.ts';
import { createResidentIdVault } from './crypto.ts';
import { residents } from './identity.tables.ts';
import { masterKey } from './master-key.tables.ts';

/** Whether data already stored opens with a key: 'none' when there is nothing to try. */
export type MasterKeyProbe = () => Promise<'none' | 'ok' | 'wrong'>;

/** The first 16 hex digits: enough to tell keys apart in a message. */
const short = (fingerprint: string) => fingerprint.slice(0, 16);

export function masterKeyMismatch(expected: string, actual: string): AppError {
  return new AppError('MASTER_KEY_MISMATCH', { expected: short(expected), actual: short(actual) });
}

/**
 * Run by every process that opens the database (server and CLI), after migrations and before
 * anything reads or writes encrypted data. A database that records another key's fingerprint
 * is refused. One that records none takes this key's, unless data written before fingerprints
 * existed does not open with it (`probes`). Residents from before fingerprints get this one.
 */
export async function ensureMasterKey(db: Db, key: Buffer, probes: readonly MasterKeyProbe[] = []): Promise<void> {
  const fingerprint = masterKeyFingerprint(key);
  const recorded = await recordedFingerprint(db);
  if (recorded === null) {
    for (const probe of probes) {
      if ((await probe()) === 'wrong') throw masterKeyMismatch('(unrecorded)', fingerprint);
    }
    await db.insert(masterKey).values({ fingerprint }).onConflictDoNothing();
    // Two first starts with different keys: the one whose insert lost is refused here.
    const now = await recordedFingerprint(db);
    if (now !== fingerprint) throw masterKeyMismatch(now ?? '(none)', fingerprint);
  } else if (recorded !== fingerprint) {
    throw masterKeyMismatch(recorded, fingerprint);
  }
  await adoptOlderResidents(db, fingerprint);
}

export async function recordedFingerprint(db: Db): Promise<string | null> {
  const [row] = await db.select({ fingerprint: masterKey.fingerprint }).from(masterKey);
  return row?.fingerprint ?? null;
}

/** Idempotent: rows from before migration 0005 get the fingerprint, then the column becomes NOT NULL. */
async function adoptOlderResidents(db: Db, fingerprint: string): Promise<void> {
  const { rows } = await db.execute<{ nullable: string }>(
    sql`select is_nullable as nullable from information_schema.columns where table_schema = current_schema() and table_name = 'residents' and column_name = 'key_fingerprint'`,
  );
  if (rows[0]?.nullable !== 'YES') return;
  await db.transaction(async (tx) => {
    await tx.execute(sql`update residents set key_fingerprint = ${fingerprint} where key_fingerprint is null`);
    await tx.execute(sql`alter table residents alter column key_fingerprint set not null`);
  });
}

/** Whether a stored resident ID opens with `key`. */
export function residentsProbe(db: Db, key: Buffer): MasterKeyProbe {
  return async () => {
    const [row] = await db.select({ cipher: residents.residentIdCipher }).from(residents).limit(1);
    if (!row) return 'none';
    try {
      createResidentIdVault(key).decrypt(row.cipher);
      return 'ok';
    } catch {
      return 'wrong';
    }
  };
}

/**
 * Master key rotation, in the caller's transaction: every resident's ID number decrypted under
 * `from`, encrypted and hashed again under `to`. Returns the clear numbers (for other keyed
 * hashes of them; never log them).
 */
export async function rekeyResidents(tx: Executor, from: Buffer, to: Buffer): Promise<string[]> {
  const [oldVault, newVault] = [createResidentIdVault(from), createResidentIdVault(to)];
  const rows = await tx.select({ accountId: residents.accountId, cipher: residents.residentIdCipher }).from(residents).for('update');
  if (rows.length === 0) return [];
  const ids = rows.map((r) => oldVault.decrypt(r.cipher));
  const changed = rows.map((r, i) => ({ account_id: r.accountId, cipher: newVault.encrypt(ids[i]!), hash: newVault.lookupHash(ids[i]!) }));
  await tx.execute(sql`
    update residents r set resident_id_cipher = v.cipher, resident_id_hash = v.hash
    from json_to_recordset(${JSON.stringify(changed)}::json) as v(account_id uuid, cipher text, hash text)
    where r.account_id = v.account_id`);
  return ids;
}

/**
 * For a running server: calls `onMismatch` once the recorded fingerprint is no longer this key's
 * (a rotation ran while it was up, against the instructions), so that it stops instead of writing
 * data under a key the database no longer uses. Returns the stop function.
 */
export function watchMasterKey(
  db: Db,
  key: Buffer,
  options: { intervalMs: number; onMismatch: (error: AppError) => void; onError?: (error: unknown) => void },
): () => void {
  const fingerprint = masterKeyFingerprint(key);
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void recordedFingerprint(db)
      .then((recorded) => {
        if (recorded !== fingerprint) {
          clearInterval(timer);
          options.onMismatch(masterKeyMismatch(recorded ?? '(none)', fingerprint));
        }
      }, options.onError)
      .finally(() => {
        busy = false;
      });
  }, options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

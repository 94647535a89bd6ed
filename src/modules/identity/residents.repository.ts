import { eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { queryPrepared, type PreparedStatement } from '../../db/prepared.ts';
import { accounts, residents } from './identity.tables.ts';
import { masterKey } from './master-key.tables.ts';

/**
 * Residents and their encrypted ID numbers.
 * Every function takes the executor, so that callers choose the transaction.
 */

export async function residentHashExists(ex: Executor, hash: string): Promise<boolean> {
  const rows = await ex.select({ id: residents.accountId }).from(residents).where(eq(residents.residentIdHash, hash));
  return rows.length > 0;
}

/** Records the master key's fingerprint unless one is recorded already (then nothing changes). */
export async function claimMasterKey(ex: Executor, fingerprint: string): Promise<void> {
  await ex.insert(masterKey).values({ fingerprint }).onConflictDoNothing();
}

export async function insertResident(ex: Executor, values: typeof residents.$inferInsert): Promise<void> {
  await ex.insert(residents).values(values);
}

const residentColumns = {
  accountId: residents.accountId,
  name: accounts.name,
  status: accounts.status,
  residentIdMasked: residents.residentIdMasked,
  phone: residents.phone,
  birthDate: residents.birthDate,
  gender: residents.gender,
  addressCode: residents.addressCode,
  homeOrgCode: residents.homeOrgCode,
};

export async function getResident(ex: Executor, by: { accountId: string } | { hash: string }) {
  const [row] = await ex
    .select(residentColumns)
    .from(residents)
    .innerJoin(accounts, eq(accounts.id, residents.accountId))
    .where('hash' in by ? eq(residents.residentIdHash, by.hash) : eq(residents.accountId, by.accountId));
  return row ?? null;
}

/** What kiosk login needs of a resident: where to send the code, and whether the account may log in. */
export async function findKioskResident(ex: Executor, residentIdHash: string) {
  const [row] = await ex
    .select({
      accountId: residents.accountId,
      name: accounts.name,
      residentIdMasked: residents.residentIdMasked,
      phone: residents.phone,
      status: accounts.status,
      lockedUntil: accounts.lockedUntil,
    })
    .from(residents)
    .innerJoin(accounts, eq(accounts.id, residents.accountId))
    .where(eq(residents.residentIdHash, residentIdHash));
  return row ?? null;
}

const RESIDENT_CIPHER: PreparedStatement = {
  name: 'identity_resident_cipher',
  text: 'select resident_id_cipher as cipher from residents where account_id = $1',
};

/** Prepared: every data exchange reads it. */
export async function getResidentCipher(ex: Executor, accountId: string): Promise<string | null> {
  const [row] = await queryPrepared<{ cipher: string }>(ex, RESIDENT_CIPHER, [accountId]);
  return row?.cipher ?? null;
}

/** Name, masked and encrypted ID number of many residents at once (certificate issuance in batches). */
export async function getHolders(ex: Executor, accountIds: readonly string[]) {
  if (accountIds.length === 0) return [];
  return ex
    .select({
      accountId: residents.accountId,
      name: accounts.name,
      residentIdMasked: residents.residentIdMasked,
      cipher: residents.residentIdCipher,
    })
    .from(residents)
    .innerJoin(accounts, eq(accounts.id, residents.accountId))
    .where(sql`${residents.accountId} = any(${sql.param([...accountIds])}::uuid[])`);
}

export async function setHomeOrg(ex: Executor, accountId: string, homeOrgCode: string): Promise<void> {
  await ex.update(residents).set({ homeOrgCode }).where(eq(residents.accountId, accountId));
}

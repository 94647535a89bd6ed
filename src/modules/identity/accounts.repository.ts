import { asc, eq } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { accounts, identityAudit, residents, staff, type AccountKind, type AccountStatus } from './identity.tables.ts';

/**
 * Accounts (residents' and staff's alike), their passwords and the audit trail.
 * Every function takes the executor, so that callers choose the transaction.
 */

export interface LoginCandidate {
  id: string;
  kind: AccountKind;
  name: string;
  passwordHash: string;
  status: AccountStatus;
  lockedUntil: Date | null;
}

const candidateColumns = {
  id: accounts.id,
  kind: accounts.kind,
  name: accounts.name,
  passwordHash: accounts.passwordHash,
  status: accounts.status,
  lockedUntil: accounts.lockedUntil,
};

export function findResidentCandidates(ex: Executor, by: { hash: string } | { phone: string }): Promise<LoginCandidate[]> {
  return ex
    .select(candidateColumns)
    .from(residents)
    .innerJoin(accounts, eq(accounts.id, residents.accountId))
    .where('hash' in by ? eq(residents.residentIdHash, by.hash) : eq(residents.phone, by.phone))
    .orderBy(asc(accounts.createdAt))
    .limit(5);
}

export function findStaffCandidates(ex: Executor, username: string): Promise<LoginCandidate[]> {
  return ex.select(candidateColumns).from(staff).innerJoin(accounts, eq(accounts.id, staff.accountId)).where(eq(staff.username, username));
}

export async function resetLoginFailures(ex: Executor, accountId: string): Promise<void> {
  await ex.update(accounts).set({ failedLogins: 0, lockedUntil: null }).where(eq(accounts.id, accountId));
}

export async function insertAccount(
  ex: Executor,
  values: { kind: AccountKind; name: string; passwordHash: string; createdAt: Date },
): Promise<string> {
  const [row] = await ex.insert(accounts).values(values).returning({ id: accounts.id });
  if (!row) throw new Error('insert into accounts returned nothing');
  return row.id;
}

export async function getAccount(ex: Executor, id: string) {
  const [row] = await ex
    .select({ id: accounts.id, kind: accounts.kind, name: accounts.name, status: accounts.status })
    .from(accounts)
    .where(eq(accounts.id, id));
  return row ?? null;
}

export async function setAccountStatus(ex: Executor, id: string, status: AccountStatus): Promise<void> {
  await ex
    .update(accounts)
    .set(status === 'active' ? { status, failedLogins: 0, lockedUntil: null } : { status })
    .where(eq(accounts.id, id));
}

export async function insertAudit(
  ex: Executor,
  rows: { accountId: string; actorId: string | null; action: string; detail?: Record<string, unknown>; at: Date }[],
): Promise<void> {
  if (rows.length > 0) await ex.insert(identityAudit).values(rows);
}

export async function getPasswordState(ex: Executor, accountId: string) {
  const [row] = await ex
    .select({
      passwordHash: accounts.passwordHash,
      lockedUntil: accounts.lockedUntil,
      status: accounts.status,
      kind: accounts.kind,
      name: accounts.name,
    })
    .from(accounts)
    .where(eq(accounts.id, accountId));
  return row ?? null;
}

export async function setPasswordHash(ex: Executor, accountId: string, passwordHash: string): Promise<void> {
  await ex.update(accounts).set({ passwordHash, failedLogins: 0, lockedUntil: null }).where(eq(accounts.id, accountId));
}

import { and, asc, desc, eq, gt, inArray, isNull, lt, ne, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Db, Executor } from '../../db/database.ts';
import { queryPrepared, type PreparedStatement } from '../../db/prepared.ts';
import { encodeSessionChange, SESSION_CHANGES_CHANNEL, type SessionChange } from './session-cache.ts';
import {
  accounts,
  bootstrapTokens,
  delegations,
  identityAudit,
  residents,
  sessions,
  staff,
  staffRoles,
  type AccountKind,
  type AccountStatus,
  type StaffRole,
} from './identity.tables.ts';
import { masterKey } from './master-key.tables.ts';

/** Queries of the identity module. Every function takes the executor, so that callers choose the transaction. */

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

// Sessions

export async function insertSession(
  ex: Executor,
  values: { tokenHash: string; accountId: string; channel: string; createdAt: Date; expiresAt: Date },
): Promise<void> {
  await ex.insert(sessions).values(values);
}

export async function revokeSession(ex: Executor, tokenHash: string, at: Date): Promise<string | null> {
  const [row] = await ex
    .update(sessions)
    .set({ revokedAt: at })
    .where(and(eq(sessions.tokenHash, tokenHash), isNull(sessions.revokedAt)))
    .returning({ accountId: sessions.accountId });
  return row?.accountId ?? null;
}

/** Tells other app processes to drop their cached copies (session-cache.ts); delivered on commit. */
export async function announceSessionChange(ex: Executor, change: SessionChange): Promise<void> {
  await ex.execute(sql`select pg_notify(${SESSION_CHANGES_CHANNEL}, ${encodeSessionChange(change)})`);
}

/** Ends the account's open sessions (all, or all but `keepTokenHash`); returns how many. */
export async function revokeAccountSessions(ex: Executor, accountId: string, at: Date, keepTokenHash?: string): Promise<number> {
  const rows = await ex
    .update(sessions)
    .set({ revokedAt: at })
    .where(
      and(
        eq(sessions.accountId, accountId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, at),
        keepTokenHash === undefined ? undefined : ne(sessions.tokenHash, keepTokenHash),
      ),
    )
    .returning({ tokenHash: sessions.tokenHash });
  return rows.length;
}

export type SessionRow = {
  account_id: string;
  kind: AccountKind;
  name: string;
  channel: string;
  /** When the session ends (the server's text for timestamptz). */
  expires_at: string;
  /** A resident's registered home (village code); null for staff and residents without one. */
  home_org_code: string | null;
  roles: { role: StaffRole; orgCode: string; orgPath: string }[];
  /** The newest active delegation from `onBehalfOf` to this account, when asked for. */
  delegation: { id: string; scopes: string[] } | null;
};

/**
 * Everything `authenticate` needs in one round trip: the live session (primary key), the
 * account, its roles (unique index on account_id, role, org_code), a resident's home and, when
 * a resident is named, the delegation (index on helper_id, resident_id). It runs on every
 * request, so it is a named prepared statement.
 */
const FIND_SESSION: PreparedStatement = {
  name: 'identity_find_session_v1',
  text: `
    select s.account_id, a.kind, a.name, s.channel, s.expires_at,
      (select r.home_org_code from residents r where r.account_id = a.id) as home_org_code,
      coalesce((select json_agg(json_build_object('role', r.role, 'orgCode', r.org_code, 'orgPath', r.org_path))
                from staff_roles r where r.account_id = a.id), '[]'::json) as roles,
      (select json_build_object('id', d.id, 'scopes', d.scopes)
         from delegations d join accounts ra on ra.id = d.resident_id
        where $3::uuid is not null and d.helper_id = a.id and d.resident_id = $3::uuid
          and d.revoked_at is null and d.valid_from <= $2::timestamptz and d.valid_until > $2::timestamptz
          and ra.status = 'active'
        order by d.created_at desc limit 1) as delegation
    from sessions s join accounts a on a.id = s.account_id
    where s.token_hash = $1::text and s.revoked_at is null and s.expires_at > $2::timestamptz and a.status = 'active'`,
};

export async function findSession(db: Db, tokenHash: string, now: Date, onBehalfOf: string | null): Promise<SessionRow | null> {
  const rows = await queryPrepared<SessionRow>(db, FIND_SESSION, [tokenHash, now.toISOString(), onBehalfOf]);
  return rows[0] ?? null;
}

// Residents

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

// Staff

export async function insertStaff(ex: Executor, accountId: string, username: string): Promise<void> {
  await ex.insert(staff).values({ accountId, username });
}

export async function findStaffByUsername(ex: Executor, username: string) {
  const [row] = await ex
    .select({ id: accounts.id, name: accounts.name, status: accounts.status })
    .from(staff)
    .innerJoin(accounts, eq(accounts.id, staff.accountId))
    .where(eq(staff.username, username));
  return row ?? null;
}

export async function getStaff(ex: Executor, accountId: string) {
  const [row] = await ex
    .select({ id: accounts.id, username: staff.username, name: accounts.name, status: accounts.status, createdAt: accounts.createdAt })
    .from(staff)
    .innerJoin(accounts, eq(accounts.id, staff.accountId))
    .where(eq(staff.accountId, accountId));
  return row ?? null;
}

export function getRoles(ex: Executor, accountIds: string[]) {
  if (accountIds.length === 0) return Promise.resolve([]);
  return ex
    .select({ accountId: staffRoles.accountId, role: staffRoles.role, orgCode: staffRoles.orgCode, orgPath: staffRoles.orgPath })
    .from(staffRoles)
    .where(inArray(staffRoles.accountId, accountIds))
    .orderBy(asc(staffRoles.orgPath), asc(staffRoles.role));
}

/** Adds roles; a role the account already holds is left as it is. */
export async function insertRoles(
  ex: Executor,
  rows: { accountId: string; role: StaffRole; orgCode: string; orgPath: string; createdAt: Date }[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const inserted = await ex.insert(staffRoles).values(rows).onConflictDoNothing().returning({ id: staffRoles.id });
  return inserted.length;
}

export async function deleteRole(ex: Executor, accountId: string, role: StaffRole, orgCode: string): Promise<boolean> {
  const deleted = await ex
    .delete(staffRoles)
    .where(and(eq(staffRoles.accountId, accountId), eq(staffRoles.role, role), eq(staffRoles.orgCode, orgCode)))
    .returning({ id: staffRoles.id });
  return deleted.length > 0;
}

/** Staff with a role at the node `orgPath` or below, by username. */
export function listStaffUnder(ex: Executor, orgPath: string, afterUsername: string | null, limit: number) {
  const under = ex
    .select({ one: sql`1` })
    .from(staffRoles)
    .where(
      and(
        eq(staffRoles.accountId, staff.accountId),
        or(eq(staffRoles.orgPath, orgPath), sql`${staffRoles.orgPath} like ${escapeLike(orgPath) + '.%'}`),
      ),
    );
  return ex
    .select({ id: accounts.id, username: staff.username, name: accounts.name, status: accounts.status, createdAt: accounts.createdAt })
    .from(staff)
    .innerJoin(accounts, eq(accounts.id, staff.accountId))
    .where(and(sql`exists (${under})`, afterUsername === null ? undefined : gt(staff.username, afterUsername)))
    .orderBy(asc(staff.username))
    .limit(limit);
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => '\\' + c);
}

// Delegations

export async function insertDelegation(ex: Executor, values: typeof delegations.$inferInsert): Promise<string> {
  const [row] = await ex.insert(delegations).values(values).returning({ id: delegations.id });
  if (!row) throw new Error('insert into delegations returned nothing');
  return row.id;
}

/** Revokes the pair's delegations that are still in force; returns their ids. */
export async function revokeActiveDelegations(ex: Executor, residentId: string, helperId: string, at: Date): Promise<string[]> {
  const rows = await ex
    .update(delegations)
    .set({ revokedAt: at })
    .where(
      and(
        eq(delegations.helperId, helperId),
        eq(delegations.residentId, residentId),
        isNull(delegations.revokedAt),
        gt(delegations.validUntil, at),
      ),
    )
    .returning({ id: delegations.id });
  return rows.map((r) => r.id);
}

export async function revokeDelegation(ex: Executor, id: string, at: Date): Promise<boolean> {
  const rows = await ex
    .update(delegations)
    .set({ revokedAt: at })
    .where(and(eq(delegations.id, id), isNull(delegations.revokedAt)))
    .returning({ id: delegations.id });
  return rows.length > 0;
}

export interface DelegationRow {
  id: string;
  residentId: string;
  residentName: string;
  residentIdMasked: string;
  helperId: string;
  helperName: string;
  helperUsername: string;
  scopes: string[];
  validFrom: Date;
  validUntil: Date;
  revokedAt: Date | null;
}

const helperAccounts = alias(accounts, 'helper_account');

export async function listDelegations(
  ex: Executor,
  by: { id: string } | { residentId: string } | { helperId: string; activeAt: Date },
): Promise<DelegationRow[]> {
  const filter =
    'id' in by
      ? eq(delegations.id, by.id)
      : 'residentId' in by
        ? eq(delegations.residentId, by.residentId)
        : and(
            eq(delegations.helperId, by.helperId),
            isNull(delegations.revokedAt),
            gt(delegations.validUntil, by.activeAt),
            sql`${delegations.validFrom} <= ${by.activeAt.toISOString()}::timestamptz`,
          );
  return ex
    .select({
      id: delegations.id,
      residentId: delegations.residentId,
      residentName: accounts.name,
      residentIdMasked: residents.residentIdMasked,
      helperId: delegations.helperId,
      helperName: helperAccounts.name,
      helperUsername: staff.username,
      scopes: delegations.scopes,
      validFrom: delegations.validFrom,
      validUntil: delegations.validUntil,
      revokedAt: delegations.revokedAt,
    })
    .from(delegations)
    .innerJoin(accounts, eq(accounts.id, delegations.residentId))
    .innerJoin(residents, eq(residents.accountId, delegations.residentId))
    .innerJoin(staff, eq(staff.accountId, delegations.helperId))
    .innerJoin(helperAccounts, eq(helperAccounts.id, delegations.helperId))
    .where(filter)
    .orderBy(desc(delegations.createdAt), desc(delegations.id))
    .limit(200);
}

// Passwords and the first administrator

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

/** Whether an active account holds the platform administrator role. */
export async function platformAdminExists(ex: Executor): Promise<boolean> {
  const [row] = await ex
    .select({ id: staffRoles.accountId })
    .from(staffRoles)
    .innerJoin(accounts, eq(accounts.id, staffRoles.accountId))
    .where(and(eq(staffRoles.role, 'platform_admin'), eq(accounts.status, 'active')))
    .limit(1);
  return row !== undefined;
}

/** One live bootstrap token at a time: a new one replaces the others. */
export async function replaceBootstrapToken(ex: Executor, values: { tokenHash: string; createdAt: Date; expiresAt: Date }): Promise<void> {
  await ex.delete(bootstrapTokens).where(isNull(bootstrapTokens.usedAt));
  await ex.insert(bootstrapTokens).values(values);
}

export async function bootstrapTokenIsLive(ex: Executor, tokenHash: string, at: Date): Promise<boolean> {
  const [row] = await ex
    .select({ tokenHash: bootstrapTokens.tokenHash })
    .from(bootstrapTokens)
    .where(and(eq(bootstrapTokens.tokenHash, tokenHash), isNull(bootstrapTokens.usedAt), gt(bootstrapTokens.expiresAt, at)));
  return row !== undefined;
}

/** Marks the token used if it is live; true when this call burnt it (so two uses give one admin). */
export async function burnBootstrapToken(ex: Executor, tokenHash: string, at: Date): Promise<boolean> {
  const rows = await ex
    .update(bootstrapTokens)
    .set({ usedAt: at })
    .where(and(eq(bootstrapTokens.tokenHash, tokenHash), isNull(bootstrapTokens.usedAt), gt(bootstrapTokens.expiresAt, at)))
    .returning({ tokenHash: bootstrapTokens.tokenHash });
  return rows.length === 1;
}

export async function deleteExpiredBootstrapTokens(ex: Executor, at: Date): Promise<void> {
  await ex.delete(bootstrapTokens).where(and(isNull(bootstrapTokens.usedAt), lt(bootstrapTokens.expiresAt, at)));
}

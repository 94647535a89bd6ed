import { and, asc, eq, gt, inArray, or, sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { accounts, staff, staffRoles, type StaffRole } from './identity.tables.ts';

/**
 * Staff accounts and their roles.
 * Every function takes the executor, so that callers choose the transaction.
 */

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

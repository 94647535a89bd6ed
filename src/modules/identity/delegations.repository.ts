import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Executor } from '../../db/database.ts';
import { accounts, delegations, residents, staff } from './identity.tables.ts';

/**
 * Helpers' delegations from residents.
 * Every function takes the executor, so that callers choose the transaction.
 */

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

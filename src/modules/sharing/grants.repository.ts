import { and, desc, eq, gt, isNull, or } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { sharingGrants } from './sharing.tables.ts';

/** Grants: a consumer's standing permission to read fields of a dataset for a purpose. */

export type GrantRow = typeof sharingGrants.$inferSelect;

export async function insertGrant(db: Executor, row: typeof sharingGrants.$inferInsert): Promise<GrantRow> {
  const [inserted] = await db.insert(sharingGrants).values(row).returning();
  return inserted!;
}

export async function findGrant(db: Executor, id: string, forUpdate = false): Promise<GrantRow | undefined> {
  const query = db.select().from(sharingGrants).where(eq(sharingGrants.id, id));
  const [row] = forUpdate ? await query.for('update') : await query;
  return row;
}

/** Moves a pending grant to its decision; undefined when it was not pending. */
export async function decideGrant(
  db: Executor,
  id: string,
  decision: { status: 'active' | 'refused'; decidedBy: string; decidedAt: Date; decisionNote: string | null },
): Promise<GrantRow | undefined> {
  const [row] = await db
    .update(sharingGrants)
    .set(decision)
    .where(and(eq(sharingGrants.id, id), eq(sharingGrants.status, 'pending_approval')))
    .returning();
  return row;
}

/** Grants waiting for a supervisor, oldest first. */
export async function pendingGrants(db: Executor): Promise<GrantRow[]> {
  return db
    .select()
    .from(sharingGrants)
    .where(eq(sharingGrants.status, 'pending_approval'))
    .orderBy(sharingGrants.createdAt, sharingGrants.id)
    .limit(500);
}

export async function revokeGrant(db: Executor, id: string, at: Date): Promise<GrantRow | undefined> {
  const [row] = await db
    .update(sharingGrants)
    .set({ revokedAt: at })
    .where(and(eq(sharingGrants.id, id), isNull(sharingGrants.revokedAt)))
    .returning();
  return row;
}

/** Grants an org gave or received, newest first. */
export async function listGrantsOf(db: Executor, orgCode: string): Promise<GrantRow[]> {
  return db
    .select()
    .from(sharingGrants)
    .where(or(eq(sharingGrants.providerOrgCode, orgCode), eq(sharingGrants.consumerOrgCode, orgCode)))
    .orderBy(desc(sharingGrants.createdAt), desc(sharingGrants.id))
    .limit(500);
}

/** The consumer's unrevoked, unexpired grants on a dataset, newest first. */
export async function liveGrants(db: Executor, input: { consumerOrgCode: string; datasetCode: string; at: Date }): Promise<GrantRow[]> {
  return db
    .select()
    .from(sharingGrants)
    .where(
      and(
        eq(sharingGrants.consumerOrgCode, input.consumerOrgCode),
        eq(sharingGrants.datasetCode, input.datasetCode),
        isNull(sharingGrants.revokedAt),
        eq(sharingGrants.status, 'active'),
        gt(sharingGrants.validUntil, input.at),
      ),
    )
    .orderBy(desc(sharingGrants.createdAt), desc(sharingGrants.id));
}

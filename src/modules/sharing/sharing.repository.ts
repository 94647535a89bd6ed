import { and, asc, desc, eq, gt, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { sharingDatasets, sharingExchanges, sharingGrants, sharingRecords, type ExchangeStatus } from './sharing.tables.ts';

export type DatasetRow = typeof sharingDatasets.$inferSelect;
export type GrantRow = typeof sharingGrants.$inferSelect;
export type ExchangeRow = typeof sharingExchanges.$inferSelect;

export async function upsertDataset(db: Executor, row: typeof sharingDatasets.$inferInsert): Promise<void> {
  await db
    .insert(sharingDatasets)
    .values(row)
    .onConflictDoUpdate({
      target: sharingDatasets.code,
      set: {
        providerOrgCode: row.providerOrgCode,
        nameZh: row.nameZh,
        nameEn: row.nameEn,
        fields: row.fields,
        legalBasis: row.legalBasis,
        provider: row.provider,
        updatedAt: sql`now()`,
      },
    });
}

export async function findDataset(db: Executor, code: string): Promise<DatasetRow | undefined> {
  const [row] = await db.select().from(sharingDatasets).where(eq(sharingDatasets.code, code));
  return row;
}

export async function listDatasets(db: Executor, providerOrgCode?: string): Promise<DatasetRow[]> {
  return db
    .select()
    .from(sharingDatasets)
    .where(providerOrgCode ? eq(sharingDatasets.providerOrgCode, providerOrgCode) : undefined)
    .orderBy(asc(sharingDatasets.code));
}

export async function findDatasets(db: Executor, codes: string[]): Promise<DatasetRow[]> {
  if (codes.length === 0) return [];
  return db.select().from(sharingDatasets).where(inArray(sharingDatasets.code, codes));
}

export async function upsertRecord(
  db: Executor,
  row: { datasetCode: string; subjectKey: string; data: Record<string, string> },
): Promise<void> {
  await db
    .insert(sharingRecords)
    .values(row)
    .onConflictDoUpdate({
      target: [sharingRecords.datasetCode, sharingRecords.subjectKey],
      set: { data: row.data, updatedAt: sql`now()` },
    });
}

export async function findRecord(db: Executor, datasetCode: string, subjectKey: string): Promise<Record<string, string> | undefined> {
  const [row] = await db
    .select({ data: sharingRecords.data })
    .from(sharingRecords)
    .where(and(eq(sharingRecords.datasetCode, datasetCode), eq(sharingRecords.subjectKey, subjectKey)));
  return row?.data;
}

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

/** Inserts the exchange unless the consumer already used its request key; null when it had. */
export async function insertExchange(db: Executor, row: typeof sharingExchanges.$inferInsert): Promise<ExchangeRow | null> {
  const [inserted] = await db.insert(sharingExchanges).values(row).onConflictDoNothing().returning();
  return inserted ?? null;
}

export async function findExchangeByKey(
  db: Executor,
  consumerOrgCode: string,
  requestKey: string,
  lock = false,
): Promise<ExchangeRow | undefined> {
  const query = db
    .select()
    .from(sharingExchanges)
    .where(and(eq(sharingExchanges.consumerOrgCode, consumerOrgCode), eq(sharingExchanges.requestKey, requestKey)));
  const [row] = lock ? await query.for('update') : await query;
  return row;
}

export async function findExchange(db: Executor, id: string, lock = false): Promise<ExchangeRow | undefined> {
  const query = db.select().from(sharingExchanges).where(eq(sharingExchanges.id, id));
  const [row] = lock ? await query.for('update') : await query;
  return row;
}

export async function updateExchange(
  db: Executor,
  id: string,
  changes: Partial<typeof sharingExchanges.$inferInsert>,
): Promise<ExchangeRow> {
  const [row] = await db.update(sharingExchanges).set(changes).where(eq(sharingExchanges.id, id)).returning();
  return row!;
}

/** A resident's exchanges, newest first, in keyset pages of (created_at, id). */
export async function listExchangesAbout(
  db: Executor,
  input: { subjectId: string; statuses?: readonly ExchangeStatus[]; before?: { createdAt: Date; id: string }; limit: number },
): Promise<ExchangeRow[]> {
  const { before } = input;
  return db
    .select()
    .from(sharingExchanges)
    .where(
      and(
        eq(sharingExchanges.subjectId, input.subjectId),
        input.statuses ? inArray(sharingExchanges.status, [...input.statuses]) : undefined,
        before
          ? or(
              lt(sharingExchanges.createdAt, before.createdAt),
              and(eq(sharingExchanges.createdAt, before.createdAt), lt(sharingExchanges.id, before.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(sharingExchanges.createdAt), desc(sharingExchanges.id))
    .limit(input.limit);
}

import { and, desc, eq, inArray, lt, or } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { sharingExchanges, type ExchangeStatus } from './sharing.tables.ts';

/** Exchanges as drizzle reads and updates them; the request path's prepared statements are in exchange-requests.repository.ts. */

export type ExchangeRow = typeof sharingExchanges.$inferSelect;

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

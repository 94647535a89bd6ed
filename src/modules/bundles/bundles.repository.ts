import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { bundles } from './bundles.tables.ts';

export type BundleRow = typeof bundles.$inferSelect;

/** Inserts the bundle unless the applicant's idempotency key is taken; null then. */
export async function insertBundle(db: Executor, row: typeof bundles.$inferInsert): Promise<BundleRow | null> {
  const [inserted] = await db.insert(bundles).values(row).onConflictDoNothing().returning();
  return inserted ?? null;
}

export async function findBundle(db: Executor, id: string): Promise<BundleRow | undefined> {
  const [row] = await db.select().from(bundles).where(eq(bundles.id, id));
  return row;
}

export async function findBundleByKey(db: Executor, applicantId: string, key: string): Promise<BundleRow | undefined> {
  const [row] = await db
    .select()
    .from(bundles)
    .where(and(eq(bundles.applicantId, applicantId), eq(bundles.idempotencyKey, key)));
  return row;
}

export async function updateBundle(
  db: Executor,
  id: string,
  patch: Partial<Pick<BundleRow, 'form' | 'provenance' | 'cases' | 'stage'>> & { updatedAt: Date },
): Promise<BundleRow> {
  const [row] = await db.update(bundles).set(patch).where(eq(bundles.id, id)).returning();
  if (!row) throw new Error(`bundle ${id} vanished`);
  return row;
}

export async function listBundlesOf(db: Executor, applicantId: string, limit: number): Promise<BundleRow[]> {
  return db
    .select()
    .from(bundles)
    .where(eq(bundles.applicantId, applicantId))
    .orderBy(desc(bundles.createdAt), desc(bundles.id))
    .limit(limit);
}

/** Marks the bundle completed unless it is already; whether this call did. */
export async function markBundleCompleted(db: Executor, id: string, at: Date): Promise<boolean> {
  const rows = await db
    .update(bundles)
    .set({ completedAt: at })
    .where(and(eq(bundles.id, id), isNull(bundles.completedAt)))
    .returning({ id: bundles.id });
  return rows.length > 0;
}

/** The bundles one of whose tasks is the case. */
export async function findBundlesByCase(db: Executor, caseId: string): Promise<BundleRow[]> {
  return db
    .select()
    .from(bundles)
    .where(sql`jsonb_path_query_array(${bundles.cases}, '$.*') @> to_jsonb(${caseId}::text)`);
}

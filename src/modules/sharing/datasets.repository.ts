import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { sharingDatasets, sharingRecords } from './sharing.tables.ts';

/** The data catalogue and the internal adapter's records. */

export type DatasetRow = typeof sharingDatasets.$inferSelect;

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

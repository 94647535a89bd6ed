/** Queries of Yiban as a witness: the logs it witnesses (compare-and-swap on the size) and its findings. */
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { witnessFindings, witnessLogs } from './witness.tables.ts';

export type WitnessLogRow = typeof witnessLogs.$inferSelect;
export type WitnessFindingRow = typeof witnessFindings.$inferSelect;

export async function findWitnessLog(db: Executor, origin: string): Promise<WitnessLogRow | undefined> {
  const [row] = await db.select().from(witnessLogs).where(eq(witnessLogs.origin, origin));
  return row;
}

export async function listWitnessLogs(db: Executor): Promise<WitnessLogRow[]> {
  return db.select().from(witnessLogs).orderBy(asc(witnessLogs.origin));
}

export async function insertWitnessLog(
  db: Executor,
  row: { origin: string; vkey: string; rootHash: Uint8Array; url: string | null },
): Promise<boolean> {
  const inserted = await db.insert(witnessLogs).values(row).onConflictDoNothing().returning({ origin: witnessLogs.origin });
  return inserted.length === 1;
}

export async function deleteWitnessLog(db: Executor, origin: string): Promise<boolean> {
  const deleted = await db.delete(witnessLogs).where(eq(witnessLogs.origin, origin)).returning({ origin: witnessLogs.origin });
  return deleted.length === 1;
}

/**
 * Advances a log from (oldSize, oldRoot) to the new checkpoint in one conditional update: false
 * when another request moved it first (the caller answers 409 with the size now stored).
 */
export async function advanceWitnessLog(
  db: Executor,
  input: { origin: string; oldSize: number; oldRoot: Uint8Array; size: number; rootHash: Uint8Array; note: string },
): Promise<boolean> {
  const oldRoot = Buffer.from(input.oldRoot);
  const updated = await db
    .update(witnessLogs)
    .set({ size: input.size, rootHash: input.rootHash, note: input.note, updatedAt: sql`now()` })
    .where(and(eq(witnessLogs.origin, input.origin), eq(witnessLogs.size, input.oldSize), sql`${witnessLogs.rootHash} = ${oldRoot}`))
    .returning({ origin: witnessLogs.origin });
  return updated.length === 1;
}

/** Records a finding once per pair of notes; true when it is new. */
export async function insertFinding(
  db: Executor,
  row: {
    origin: string;
    kind: string;
    heldNote: string;
    otherNote: string;
    source: string;
    proof: string | null;
    detail: string;
    evidenceDigest: string;
  },
): Promise<boolean> {
  const inserted = await db.insert(witnessFindings).values(row).onConflictDoNothing().returning({ id: witnessFindings.id });
  return inserted.length === 1;
}

export async function listFindings(db: Executor, limit: number): Promise<WitnessFindingRow[]> {
  return db.select().from(witnessFindings).orderBy(desc(witnessFindings.id)).limit(limit);
}

/** The registered witnesses and the cosignatures they submitted. */
import { asc, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { ledgerCosignatures, ledgerWitnesses } from './ledger.tables.ts';

export type WitnessRow = typeof ledgerWitnesses.$inferSelect;

export async function cosignatureLines(db: Executor, size: number): Promise<string[]> {
  const rows = await db
    .select({ signature: ledgerCosignatures.signature })
    .from(ledgerCosignatures)
    .where(eq(ledgerCosignatures.size, size))
    .orderBy(asc(ledgerCosignatures.witness));
  return rows.map((r) => r.signature);
}

/** Stores a cosignature, keeping the newest per witness and size; false when an equal or newer one is there. */
export async function upsertCosignature(
  db: Executor,
  row: { size: number; witness: string; signature: string; cosignedAt: number },
): Promise<boolean> {
  const stored = await db
    .insert(ledgerCosignatures)
    .values(row)
    .onConflictDoUpdate({
      target: [ledgerCosignatures.size, ledgerCosignatures.witness],
      set: { signature: sql`excluded.signature`, cosignedAt: sql`excluded.cosigned_at`, createdAt: sql`now()` },
      setWhere: sql`${ledgerCosignatures.cosignedAt} < excluded.cosigned_at`,
    })
    .returning({ size: ledgerCosignatures.size });
  return stored.length === 1;
}

export async function listWitnesses(db: Executor): Promise<WitnessRow[]> {
  return db.select().from(ledgerWitnesses).orderBy(asc(ledgerWitnesses.name));
}

export async function insertWitness(db: Executor, row: { name: string; vkey: string }): Promise<boolean> {
  const inserted = await db.insert(ledgerWitnesses).values(row).onConflictDoNothing().returning({ name: ledgerWitnesses.name });
  return inserted.length === 1;
}

export async function deleteWitness(db: Executor, name: string): Promise<boolean> {
  const deleted = await db.delete(ledgerWitnesses).where(eq(ledgerWitnesses.name, name)).returning({ name: ledgerWitnesses.name });
  return deleted.length === 1;
}

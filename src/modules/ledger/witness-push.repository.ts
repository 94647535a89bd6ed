/** Where the log pushes its checkpoints (C2SP tlog-witness), and each witness's retry state. */
import { and, asc, eq, lte, sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { ledgerWitnesses } from './ledger.tables.ts';
import { ledgerWitnessPushes } from './witness.tables.ts';

export type PushTarget = typeof ledgerWitnessPushes.$inferSelect & { vkey: string };

export async function upsertPushTarget(db: Executor, row: { witness: string; url: string }): Promise<void> {
  await db
    .insert(ledgerWitnessPushes)
    .values(row)
    .onConflictDoUpdate({
      target: ledgerWitnessPushes.witness,
      set: { url: row.url, failures: 0, nextAttemptAt: sql`now()`, lastError: null },
    });
}

/** The targets due now (not backing off), with the witness's vkey. */
export async function duePushTargets(db: Executor, now: Date): Promise<PushTarget[]> {
  const rows = await db
    .select({ push: ledgerWitnessPushes, vkey: ledgerWitnesses.vkey })
    .from(ledgerWitnessPushes)
    .innerJoin(ledgerWitnesses, eq(ledgerWitnesses.name, ledgerWitnessPushes.witness))
    .where(lte(ledgerWitnessPushes.nextAttemptAt, now))
    .orderBy(asc(ledgerWitnessPushes.witness));
  return rows.map((r) => ({ ...r.push, vkey: r.vkey }));
}

export async function listPushTargets(db: Executor): Promise<(typeof ledgerWitnessPushes.$inferSelect)[]> {
  return db.select().from(ledgerWitnessPushes).orderBy(asc(ledgerWitnessPushes.witness));
}

export async function recordPushSuccess(db: Executor, witness: string, knownSize: number): Promise<void> {
  await db
    .update(ledgerWitnessPushes)
    .set({ knownSize, failures: 0, lastError: null, updatedAt: sql`now()` })
    .where(eq(ledgerWitnessPushes.witness, witness));
}

/** One more failure: the next attempt waits 2^failures seconds, at most `maxBackoffMs`. */
export async function recordPushFailure(
  db: Executor,
  input: { witness: string; error: string; knownSize?: number; now: Date; maxBackoffMs: number },
): Promise<void> {
  await db
    .update(ledgerWitnessPushes)
    .set({
      failures: sql`${ledgerWitnessPushes.failures} + 1`,
      lastError: input.error.slice(0, 1000),
      nextAttemptAt: sql`${input.now.toISOString()}::timestamptz + least(power(2, ${ledgerWitnessPushes.failures}) * interval '1 second', ${input.maxBackoffMs} * interval '1 millisecond')`,
      ...(input.knownSize === undefined ? {} : { knownSize: input.knownSize }),
      updatedAt: sql`now()`,
    })
    .where(and(eq(ledgerWitnessPushes.witness, input.witness)));
}

import { and, count, desc, eq, like, lt, or, sql, sum, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { sharingPayments } from './sharing.tables.ts';

/** Payment instructions as drizzle reads and writes them (payments.ts). */

export type PaymentRow = typeof sharingPayments.$inferSelect;

/** Inserts the instruction unless its id is known already (the primary key decides, not a read first); null when it was. */
export async function insertPayment(db: Executor, row: typeof sharingPayments.$inferInsert): Promise<PaymentRow | null> {
  const [inserted] = await db.insert(sharingPayments).values(row).onConflictDoNothing().returning();
  return inserted ?? null;
}

/** Inserts the instructions whose ids are new; the rows inserted. */
export async function insertPayments(db: Executor, rows: (typeof sharingPayments.$inferInsert)[]): Promise<PaymentRow[]> {
  if (rows.length === 0) return [];
  return db.insert(sharingPayments).values(rows).onConflictDoNothing().returning();
}

/** Marks pending instructions accepted, with the bank's reference and the leaf, in one statement. */
export async function acceptPayments(
  db: Executor,
  rows: readonly { instructionId: string; bankReference: string; acceptedAt: Date; ledgerEntryId: number }[],
): Promise<void> {
  await db.execute(sql`
    update ${sharingPayments} set status = 'accepted', bank_reference = v.ref, accepted_at = v.at, ledger_entry_id = v.leaf, last_error = null
      from unnest(${sql.param(rows.map((r) => r.instructionId))}::uuid[], ${sql.param(rows.map((r) => r.bankReference))}::text[],
                  ${sql.param(rows.map((r) => r.acceptedAt.toISOString()))}::timestamptz[], ${sql.param(rows.map((r) => r.ledgerEntryId))}::bigint[])
           as v(id, ref, at, leaf)
     where ${sharingPayments.instructionId} = v.id and ${sharingPayments.status} = 'pending'`);
}

export async function findPayment(db: Executor, instructionId: string, lock = false): Promise<PaymentRow | undefined> {
  const query = db.select().from(sharingPayments).where(eq(sharingPayments.instructionId, instructionId));
  const [row] = lock ? await query.for('update') : await query;
  return row;
}

/** Counts one more attempt at the bank (before it is made, so a crash mid-send still counts it). */
export async function countAttempt(db: Executor, instructionId: string): Promise<void> {
  await db
    .update(sharingPayments)
    .set({ attempts: sql`${sharingPayments.attempts} + 1` })
    .where(eq(sharingPayments.instructionId, instructionId));
}

export async function updatePayment(
  db: Executor,
  instructionId: string,
  changes: Partial<typeof sharingPayments.$inferInsert>,
): Promise<PaymentRow> {
  const [row] = await db.update(sharingPayments).set(changes).where(eq(sharingPayments.instructionId, instructionId)).returning();
  return row!;
}

/**
 * Which payers a list reads: one payer, or the org paths the caller's grants reach (a path
 * itself, and below it for a subtree grant); `null` reaches every payer.
 */
export type PayerScope = { orgCode: string } | { paths: { path: string; subtree: boolean }[] } | null;

function scopeWhere(scope: PayerScope): SQL | undefined {
  if (scope === null) return undefined;
  if ('orgCode' in scope) return eq(sharingPayments.payerOrgCode, scope.orgCode);
  return or(
    ...scope.paths.map(({ path, subtree }) =>
      subtree
        ? or(eq(sharingPayments.payerOrgPath, path), like(sharingPayments.payerOrgPath, `${path}.%`))
        : eq(sharingPayments.payerOrgPath, path),
    ),
  );
}

/** Instructions in scope, newest first, in keyset pages of (created_at, instruction_id). */
export async function listPayments(
  db: Executor,
  input: { scope: PayerScope; before?: { createdAt: Date; instructionId: string }; limit: number },
): Promise<PaymentRow[]> {
  const { before } = input;
  return db
    .select()
    .from(sharingPayments)
    .where(
      and(
        scopeWhere(input.scope),
        before
          ? or(
              lt(sharingPayments.createdAt, before.createdAt),
              and(eq(sharingPayments.createdAt, before.createdAt), lt(sharingPayments.instructionId, before.instructionId)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(sharingPayments.createdAt), desc(sharingPayments.instructionId))
    .limit(input.limit);
}

/** Instructions sent, accepted, and the amount accepted, in scope. */
export async function paymentFigures(db: Executor, scope: PayerScope): Promise<{ sent: number; accepted: number; amountFen: number }> {
  const [row] = await db
    .select({
      sent: count(),
      accepted: sql<number>`count(*) filter (where ${sharingPayments.status} = 'accepted')`.mapWith(Number),
      amountFen: sum(sql`case when ${sharingPayments.status} = 'accepted' then ${sharingPayments.amountFen} else 0 end`).mapWith(Number),
    })
    .from(sharingPayments)
    .where(scopeWhere(scope));
  return { sent: row?.sent ?? 0, accepted: row?.accepted ?? 0, amountFen: row?.amountFen ?? 0 };
}

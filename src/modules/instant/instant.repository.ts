import { and, asc, eq } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { ruleDecisions } from './instant.tables.ts';

export type RuleDecisionRow = typeof ruleDecisions.$inferSelect;

/** Writes the decision unless one of the same case and rule version exists; the one stored either way. */
export async function storeDecision(db: Executor, row: Omit<typeof ruleDecisions.$inferInsert, 'id'>): Promise<RuleDecisionRow> {
  await db.insert(ruleDecisions).values(row).onConflictDoNothing();
  const stored = await findDecision(db, row.caseId, row.ruleCode, row.version);
  if (!stored) throw new Error(`case ${row.caseId}: the rule decision vanished after its insert`);
  return stored;
}

export async function findDecision(db: Executor, caseId: string, ruleCode: string, version: number): Promise<RuleDecisionRow | undefined> {
  const [row] = await db
    .select()
    .from(ruleDecisions)
    .where(and(eq(ruleDecisions.caseId, caseId), eq(ruleDecisions.ruleCode, ruleCode), eq(ruleDecisions.version, version)));
  return row;
}

export async function decisionsOfCase(db: Executor, caseId: string): Promise<RuleDecisionRow[]> {
  return db.select().from(ruleDecisions).where(eq(ruleDecisions.caseId, caseId)).orderBy(asc(ruleDecisions.createdAt));
}

import { and, asc, desc, eq, max } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { ruleVersions } from './rules.tables.ts';

export type RuleVersionRow = typeof ruleVersions.$inferSelect;
export type NewRuleVersion = typeof ruleVersions.$inferInsert;

export async function versionsOf(db: Executor, ruleCode: string): Promise<RuleVersionRow[]> {
  return db.select().from(ruleVersions).where(eq(ruleVersions.ruleCode, ruleCode)).orderBy(asc(ruleVersions.version));
}

export async function findVersion(db: Executor, ruleCode: string, version: number): Promise<RuleVersionRow | null> {
  const [row] = await db
    .select()
    .from(ruleVersions)
    .where(and(eq(ruleVersions.ruleCode, ruleCode), eq(ruleVersions.version, version)));
  return row ?? null;
}

export async function activeVersion(db: Executor, ruleCode: string): Promise<RuleVersionRow | null> {
  const [row] = await db
    .select()
    .from(ruleVersions)
    .where(and(eq(ruleVersions.ruleCode, ruleCode), eq(ruleVersions.status, 'active')));
  return row ?? null;
}

export async function nextVersion(db: Executor, ruleCode: string): Promise<number> {
  const [row] = await db
    .select({ v: max(ruleVersions.version) })
    .from(ruleVersions)
    .where(eq(ruleVersions.ruleCode, ruleCode));
  return (row?.v ?? 0) + 1;
}

export async function insertVersion(db: Executor, row: NewRuleVersion): Promise<RuleVersionRow> {
  const [inserted] = await db.insert(ruleVersions).values(row).returning();
  return inserted!;
}

/** The newest version of every rule (the console's list; there are tens of rules, not thousands). */
export async function latestVersions(db: Executor): Promise<RuleVersionRow[]> {
  const rows = await db.select().from(ruleVersions).orderBy(asc(ruleVersions.ruleCode), desc(ruleVersions.version));
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.ruleCode) && seen.add(r.ruleCode));
}

export async function retire(db: Executor, id: string, at: Date): Promise<void> {
  await db.update(ruleVersions).set({ status: 'retired', retiredAt: at }).where(eq(ruleVersions.id, id));
}

export async function activate(db: Executor, id: string, set: { by: string; at: Date; reason: string }): Promise<RuleVersionRow> {
  const [row] = await db
    .update(ruleVersions)
    .set({ status: 'active', activatedBy: set.by, activatedAt: set.at, activationReason: set.reason })
    .where(and(eq(ruleVersions.id, id), eq(ruleVersions.status, 'draft')))
    .returning();
  return row!;
}

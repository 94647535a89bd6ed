import { and, asc, desc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { queryPrepared, type PreparedStatement } from '../../db/prepared.ts';
import {
  rectifications,
  ratingAppeals,
  ratingCallbacks,
  ratingEncounters,
  ratingPolicies,
  ratings,
  type RectificationState,
} from './ratings.tables.ts';

export type RatingRow = typeof ratings.$inferSelect;
export type EncounterRow = typeof ratingEncounters.$inferSelect;
export type RectificationRow = typeof rectifications.$inferSelect;
export type CallbackRow = typeof ratingCallbacks.$inferSelect;
export type AppealRow = typeof ratingAppeals.$inferSelect;

/** The org and everything below it. */
const inSubtree = (column: typeof ratings.orgPath | typeof rectifications.orgPath, path: string) =>
  or(eq(column, path), sql`${column} like ${path.replace(/[\\%_]/g, (c) => `\\${c}`) + '.%'}`)!;

/** The working days of the policy with the longest path covering `orgPath`, or null when none does. */
export async function policyDaysFor(ex: Executor, orgPath: string): Promise<number | null> {
  const [row] = await ex
    .select({ workingDays: ratingPolicies.workingDays })
    .from(ratingPolicies)
    .where(sql`${ratingPolicies.orgPath} = ${orgPath} or ${orgPath} like ${ratingPolicies.orgPath} || '.%'`)
    .orderBy(desc(sql`length(${ratingPolicies.orgPath})`))
    .limit(1);
  return row?.workingDays ?? null;
}

export async function upsertPolicy(ex: Executor, row: typeof ratingPolicies.$inferInsert): Promise<void> {
  const { orgPath: _path, ...rest } = row;
  await ex.insert(ratingPolicies).values(row).onConflictDoUpdate({ target: ratingPolicies.orgPath, set: rest });
}

/** The rating row, naming its ledger entry (the ledger's `appendWithInsert` queues the leaf in the same statement). */
const RATING_INSERT = `insert into ratings (id, case_id, encounter_id, channel, level, indicators, comment, account_id, rater_salt, org_code,
    org_path, service_code, rated_at, ledger_entry_id)
  values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, ENTRY_ID)
  on conflict do nothing returning ledger_entry_id as entry_id`;

/**
 * The rating row, its change to the counts (`counted`: the insert of `countedSql`, written only
 * when the row is) and its leaf in one statement (the ledger's `appendWithStatement`): none of the
 * three when the case or encounter was rated already.
 */
export function ratingStatement(counted: string) {
  return (entryId: string) => ({
    name: 'ratings_insert_counted',
    ctes: `inserted as (${RATING_INSERT.replace('ENTRY_ID', entryId)}), counted as (${counted})`,
    select: 'select id from queued',
  });
}

/** ratingStatement's values before the event's, in its order. */
export function ratingInsertValues(row: Omit<RatingRow, 'ledgerEntryId'>): unknown[] {
  return [
    row.id,
    row.caseId,
    row.encounterId,
    row.channel,
    row.level,
    JSON.stringify(row.indicators),
    row.comment,
    row.accountId,
    row.raterSalt,
    row.orgCode,
    row.orgPath,
    row.serviceCode,
    row.ratedAt.toISOString(),
  ];
}

const ENCOUNTER_BY_TOKEN: PreparedStatement = {
  name: 'rating_encounter_by_token',
  text: `select id, token, channel, org_code, org_path, service_code, account_id, case_id, opened_by, opened_at, expires_at
    from rating_encounters where token = $1`,
};

/** An encounter by its token (prepared: every pad and SMS rating reads one). */
export async function encounterByToken(ex: Executor, token: string): Promise<EncounterRow | undefined> {
  const [r] = await queryPrepared<{
    id: string;
    token: string;
    channel: EncounterRow['channel'];
    org_code: string;
    org_path: string;
    service_code: string;
    account_id: string | null;
    case_id: string | null;
    opened_by: string;
    opened_at: string;
    expires_at: string;
  }>(ex, ENCOUNTER_BY_TOKEN, [token]);
  return r
    ? {
        id: r.id,
        token: r.token,
        channel: r.channel,
        orgCode: r.org_code,
        orgPath: r.org_path,
        serviceCode: r.service_code,
        accountId: r.account_id,
        caseId: r.case_id,
        openedBy: r.opened_by,
        openedAt: new Date(r.opened_at),
        expiresAt: new Date(r.expires_at),
      }
    : undefined;
}

/** Inserts the rating unless its case or encounter was rated already; null then. */
export async function insertRating(ex: Executor, row: typeof ratings.$inferInsert): Promise<RatingRow | null> {
  const [inserted] = await ex.insert(ratings).values(row).onConflictDoNothing().returning();
  return inserted ?? null;
}

export async function findRating(ex: Executor, id: string): Promise<RatingRow | undefined> {
  const [row] = await ex.select().from(ratings).where(eq(ratings.id, id));
  return row;
}

export async function ratingOfCase(ex: Executor, caseId: string): Promise<RatingRow | undefined> {
  const [row] = await ex.select().from(ratings).where(eq(ratings.caseId, caseId));
  return row;
}

export async function ratingOfEncounter(ex: Executor, encounterId: string): Promise<RatingRow | undefined> {
  const [row] = await ex.select().from(ratings).where(eq(ratings.encounterId, encounterId));
  return row;
}

export async function ratingsOfAccount(ex: Executor, accountId: string): Promise<RatingRow[]> {
  return ex.select().from(ratings).where(eq(ratings.accountId, accountId)).orderBy(desc(ratings.ratedAt), desc(ratings.id)).limit(200);
}

export async function ratingsPage(
  ex: Executor,
  query: { path: string; badOnly: boolean; before?: { at: Date; id: string } | undefined; limit: number },
): Promise<RatingRow[]> {
  const conditions = [inSubtree(ratings.orgPath, query.path)];
  if (query.badOnly) conditions.push(sql`${ratings.level} <= 2`);
  if (query.before)
    conditions.push(or(lt(ratings.ratedAt, query.before.at), and(eq(ratings.ratedAt, query.before.at), lt(ratings.id, query.before.id)))!);
  return ex
    .select()
    .from(ratings)
    .where(and(...conditions))
    .orderBy(desc(ratings.ratedAt), desc(ratings.id))
    .limit(query.limit);
}

export async function insertEncounter(ex: Executor, row: typeof ratingEncounters.$inferInsert): Promise<EncounterRow> {
  const [inserted] = await ex.insert(ratingEncounters).values(row).returning();
  return inserted!;
}

export async function insertRectification(ex: Executor, row: typeof rectifications.$inferInsert): Promise<RectificationRow> {
  const [inserted] = await ex.insert(rectifications).values(row).returning();
  return inserted!;
}

export async function findRectification(ex: Executor, id: string): Promise<RectificationRow | undefined> {
  const [row] = await ex.select().from(rectifications).where(eq(rectifications.id, id));
  return row;
}

/** The task, locked for the rest of the transaction (one step at a time). */
export async function lockRectification(ex: Executor, id: string): Promise<RectificationRow | undefined> {
  const [row] = await ex.select().from(rectifications).where(eq(rectifications.id, id)).for('update');
  return row;
}

export async function updateRectification(ex: Executor, id: string, set: Partial<typeof rectifications.$inferInsert>): Promise<void> {
  await ex.update(rectifications).set(set).where(eq(rectifications.id, id));
}

/** Open tasks whose deadline (a China date) is before `today`: overdue. */
export async function overdueOpen(ex: Executor, today: string, limit: number): Promise<RectificationRow[]> {
  return ex
    .select()
    .from(rectifications)
    .where(and(eq(rectifications.state, 'open' satisfies RectificationState), lt(rectifications.deadline, today)))
    .orderBy(asc(rectifications.deadline), asc(rectifications.id))
    .limit(limit);
}

export async function rectificationsOf(ex: Executor, ratingIds: readonly string[]): Promise<RectificationRow[]> {
  if (ratingIds.length === 0) return [];
  return ex
    .select()
    .from(rectifications)
    .where(inArray(rectifications.ratingId, [...ratingIds]));
}

export async function insertCallback(ex: Executor, row: typeof ratingCallbacks.$inferInsert): Promise<CallbackRow> {
  const [inserted] = await ex.insert(ratingCallbacks).values(row).returning();
  return inserted!;
}

export async function callbacksOf(ex: Executor, ratingIds: readonly string[]): Promise<CallbackRow[]> {
  if (ratingIds.length === 0) return [];
  return ex
    .select()
    .from(ratingCallbacks)
    .where(inArray(ratingCallbacks.ratingId, [...ratingIds]))
    .orderBy(asc(ratingCallbacks.calledAt));
}

/** Inserts the appeal unless the rating has one; null then. */
export async function insertAppeal(ex: Executor, row: typeof ratingAppeals.$inferInsert): Promise<AppealRow | null> {
  const [inserted] = await ex.insert(ratingAppeals).values(row).onConflictDoNothing().returning();
  return inserted ?? null;
}

export async function lockAppeal(ex: Executor, id: string): Promise<AppealRow | undefined> {
  const [row] = await ex.select().from(ratingAppeals).where(eq(ratingAppeals.id, id)).for('update');
  return row;
}

export async function findAppeal(ex: Executor, id: string): Promise<AppealRow | undefined> {
  const [row] = await ex.select().from(ratingAppeals).where(eq(ratingAppeals.id, id));
  return row;
}

export async function updateAppeal(ex: Executor, id: string, set: Partial<typeof ratingAppeals.$inferInsert>): Promise<void> {
  await ex.update(ratingAppeals).set(set).where(eq(ratingAppeals.id, id));
}

export async function appealsOf(ex: Executor, ratingIds: readonly string[]): Promise<AppealRow[]> {
  if (ratingIds.length === 0) return [];
  return ex
    .select()
    .from(ratingAppeals)
    .where(inArray(ratingAppeals.ratingId, [...ratingIds]));
}

// The correlated subqueries name `ratings.id` in full: drizzle writes a column of the only table unqualified, which would bind to the subquery's own `id`.
/** The figures of an org's subtree: ratings by level, bad ones overturned, real-name bad ones called back, tasks by state. */
export async function figuresOf(ex: Executor, path: string, today: string) {
  const [r] = await ex
    .select({
      ratings: sql<number>`count(*)::int`,
      good: sql<number>`count(*) filter (where ${ratings.level} >= 4)::int`,
      bad: sql<number>`count(*) filter (where ${ratings.level} <= 2)::int`,
      badOverturned: sql<number>`count(*) filter (where ${ratings.level} <= 2 and exists (select 1 from ${ratingAppeals} a where a.rating_id = ratings.id and a.decision = 'overturned'))::int`,
      realNameBad: sql<number>`count(*) filter (where ${ratings.level} <= 2 and ${ratings.accountId} is not null)::int`,
      calledBack: sql<number>`count(*) filter (where ${ratings.level} <= 2 and ${ratings.accountId} is not null and exists (select 1 from ${ratingCallbacks} c where c.rating_id = ratings.id))::int`,
    })
    .from(ratings)
    .where(inSubtree(ratings.orgPath, path));
  const [t] = await ex
    .select({
      open: sql<number>`count(*) filter (where ${rectifications.state} in ('open','escalated'))::int`,
      overdue: sql<number>`count(*) filter (where ${rectifications.state} in ('open','escalated') and ${rectifications.deadline} < ${today})::int`,
      escalated: sql<number>`count(*) filter (where ${rectifications.escalatedAt} is not null)::int`,
      rectified: sql<number>`count(*) filter (where ${rectifications.repliedAt} is not null)::int`,
      rectifiedOnTime: sql<number>`count(*) filter (where ${rectifications.repliedAt} is not null and (${rectifications.repliedAt} at time zone 'UTC' + interval '8 hours')::date <= ${rectifications.deadline})::int`,
    })
    .from(rectifications)
    .where(inSubtree(rectifications.orgPath, path));
  return { ...r!, ...t! };
}

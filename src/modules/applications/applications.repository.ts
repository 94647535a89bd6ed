import { and, asc, desc, eq, like, lt, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { queryPrepared, type PreparedStatement } from '../../db/prepared.ts';
import { caseDecisions, caseEvents, cases, OPEN_CASE, type CaseState } from './applications.tables.ts';
import { toCaseRow, type RawCaseRow } from './case-rows.ts';

export type CaseRow = typeof cases.$inferSelect;
export type CaseEventRow = typeof caseEvents.$inferSelect;
export type NewCaseEvent = typeof caseEvents.$inferInsert;

export async function insertCase(db: Executor, row: typeof cases.$inferInsert): Promise<CaseRow> {
  const [inserted] = await db.insert(cases).values(row).returning();
  return inserted!;
}

/** Every approval and case view reads one case by id first: named, parsed and planned once per connection. */
const FIND_CASE: PreparedStatement = {
  name: 'applications_find_case_v2',
  text: `
    select id, seq::text as seq, service_code, applicant_id, org_code, org_path, state, channel, form, helper_id,
      submitted_at, due_date, decided_at, completed_at, return_reason, sla_started_at, sla_paused_at, sla_paused_days,
      version, created_at, updated_at
    from cases where id = $1::uuid`,
};

export async function findCase(db: Executor, id: string): Promise<CaseRow | undefined> {
  const [row] = await queryPrepared<RawCaseRow>(db, FIND_CASE, [id]);
  return row ? toCaseRow(row) : undefined;
}

const FIND_CASE_REF: PreparedStatement = {
  name: 'applications_find_case_ref',
  text: 'select id, org_code, org_path, applicant_id from cases where id = $1',
};

/** The case's org and applicant only (prepared): what another module's access check needs. */
export async function findCaseRef(
  db: Executor,
  id: string,
): Promise<Pick<CaseRow, 'id' | 'orgCode' | 'orgPath' | 'applicantId'> | undefined> {
  const [row] = await queryPrepared<{ id: string; org_code: string; org_path: string; applicant_id: string }>(db, FIND_CASE_REF, [id]);
  return row && { id: row.id, orgCode: row.org_code, orgPath: row.org_path, applicantId: row.applicant_id };
}

const FIND_CASES: PreparedStatement = {
  name: 'applications_find_cases_v2',
  text: `
    select id, seq::text as seq, service_code, applicant_id, org_code, org_path, state, channel, form, helper_id,
      submitted_at, due_date, decided_at, completed_at, return_reason, sla_started_at, sla_paused_at, sla_paused_days,
      version, created_at, updated_at
    from cases where id = any($1::uuid[])`,
};

/** `findCase` for many ids at once (approvals arriving together, batches, a bundle's cases), one named statement. */
export async function findCases(db: Executor, ids: readonly string[]): Promise<CaseRow[]> {
  if (ids.length === 0) return [];
  return (await queryPrepared<RawCaseRow>(db, FIND_CASES, [ids])).map(toCaseRow);
}

/** Reads the case and locks its row until the transaction ends: concurrent deciders queue here. */
export async function lockCase(db: Executor, id: string): Promise<CaseRow | undefined> {
  const [row] = await db.select().from(cases).where(eq(cases.id, id)).for('update');
  return row;
}

// Batches pass ids as one array parameter (`= any($1::uuid[])`), not one parameter each.
const idIn = (ids: readonly string[]) => sql`${cases.id} = any(${sql.param([...ids])}::uuid[])`;

/**
 * Locks many cases until the transaction ends, in id order: two batches over overlapping
 * cases then queue on the first case they share instead of deadlocking.
 */
export async function lockCases(db: Executor, ids: readonly string[]): Promise<{ id: string; state: CaseState; version: number }[]> {
  if (ids.length === 0) return [];
  return db
    .select({ id: cases.id, state: cases.state, version: cases.version })
    .from(cases)
    .where(idIn(ids))
    .orderBy(asc(cases.id))
    .for('update');
}

/** The same change to many cases, in one statement. */
export async function updateCases(
  db: Executor,
  ids: readonly string[],
  changes: Partial<typeof cases.$inferInsert>,
): Promise<{ id: string; state: CaseState; version: number; updatedAt: Date }[]> {
  if (ids.length === 0) return [];
  return db
    .update(cases)
    .set({ ...changes, updatedAt: sql`now()`, version: sql`${cases.version} + 1` })
    .where(idIn(ids))
    .returning({ id: cases.id, state: cases.state, version: cases.version, updatedAt: cases.updatedAt });
}

/** Many events in one statement, one array parameter per column. */
export async function insertEventsMany(db: Executor, events: readonly NewCaseEvent[]): Promise<void> {
  if (events.length === 0) return;
  const col = <T>(pick: (e: NewCaseEvent) => T) => sql.param(events.map(pick));
  await db.execute(sql`
    insert into ${caseEvents} (case_id, action, from_state, to_state, actor_id, on_behalf_of, channel, reason)
    select * from unnest(${col((e) => e.caseId)}::uuid[], ${col((e) => e.action)}::text[], ${col((e) => e.fromState ?? null)}::text[],
                         ${col((e) => e.toState)}::text[], ${col((e) => e.actorId)}::uuid[], ${col((e) => e.onBehalfOf ?? null)}::uuid[],
                         ${col((e) => e.channel)}::text[], ${col((e) => e.reason ?? null)}::text[])`);
}

export async function updateCase(db: Executor, id: string, changes: Partial<typeof cases.$inferInsert>): Promise<CaseRow> {
  const [row] = await db
    .update(cases)
    .set({ ...changes, updatedAt: sql`now()`, version: sql`${cases.version} + 1` })
    .where(eq(cases.id, id))
    .returning();
  return row!;
}

export async function insertEvents(db: Executor, events: NewCaseEvent[]): Promise<void> {
  if (events.length > 0) await db.insert(caseEvents).values(events);
}

export async function listEvents(db: Executor, caseId: string): Promise<CaseEventRow[]> {
  return db.select().from(caseEvents).where(eq(caseEvents.caseId, caseId)).orderBy(asc(caseEvents.id));
}

/** Inserts the decision; false when the case already has one (the primary key refuses a second). */
export async function insertDecision(db: Executor, row: typeof caseDecisions.$inferInsert): Promise<boolean> {
  const inserted = await db.insert(caseDecisions).values(row).onConflictDoNothing().returning({ caseId: caseDecisions.caseId });
  return inserted.length === 1;
}

/** Inserts many decisions; returns the cases that got theirs (the primary key refuses a second). */
export async function insertDecisions(
  db: Executor,
  rows: readonly { caseId: string; decision: 'approved' | 'rejected'; decidedBy: string; reason: string | null }[],
): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const col = <T>(pick: (r: (typeof rows)[number]) => T) => sql.param(rows.map(pick));
  const { rows: inserted } = await db.execute<{ case_id: string }>(sql`
    insert into ${caseDecisions} (case_id, decision, decided_by, reason)
    select * from unnest(${col((r) => r.caseId)}::uuid[], ${col((r) => r.decision)}::text[], ${col((r) => r.decidedBy)}::uuid[], ${col((r) => r.reason)}::text[])
    on conflict do nothing
    returning case_id`);
  return new Set(inserted.map((r) => r.case_id));
}

export { findIdempotencyKey, submitCase, type NewSubmission } from './submissions.repository.ts';

export interface QueueQuery {
  orgCode?: string;
  /** Subtree: cases under the org at `depth` (0 = province) with this code. */
  subtree?: { depth: number; code: string; path: string };
  /** One state, or every open state (the partial indexes serve that case). */
  state?: CaseState;
  serviceCode?: string;
  /** Only cases due before this date (overdue). */
  dueBefore?: string;
  after?: { dueDate: string; id: string };
  limit: number;
}

/** A staff queue page in (due date, id) order, by keyset. */
export async function queryQueue(db: Executor, q: QueueQuery): Promise<CaseRow[]> {
  return buildQueueQuery(db, q);
}

/** The queue query itself, also for EXPLAIN in the benchmark. */
export function buildQueueQuery(db: Executor, q: QueueQuery) {
  const conditions: SQL[] = q.state ? [eq(cases.state, q.state), sql`${cases.dueDate} is not null`] : [OPEN_CASE];
  if (q.orgCode) conditions.push(eq(cases.orgCode, q.orgCode));
  if (q.subtree) {
    conditions.push(
      q.state
        ? like(cases.orgPath, `${q.subtree.path}%`)
        : sql`split_part(${cases.orgPath}, '.', ${sql.raw(String(q.subtree.depth + 1))}) = ${q.subtree.code}`,
    );
  }
  if (q.serviceCode) conditions.push(eq(cases.serviceCode, q.serviceCode));
  if (q.dueBefore) conditions.push(lt(cases.dueDate, q.dueBefore));
  // A row comparison lets the index seek straight to the page instead of scanning an OR.
  if (q.after) conditions.push(sql`(${cases.dueDate}, ${cases.id}) > (${q.after.dueDate}, ${q.after.id})`);
  return db
    .select()
    .from(cases)
    .where(and(...conditions))
    .orderBy(asc(cases.dueDate), asc(cases.id))
    .limit(q.limit);
}

/** A resident's cases, newest first, by keyset on the case number. */
export async function queryApplicantCases(db: Executor, q: { applicantId: string; beforeSeq?: number; limit: number }): Promise<CaseRow[]> {
  const conditions: SQL[] = [eq(cases.applicantId, q.applicantId)];
  if (q.beforeSeq !== undefined) conditions.push(lt(cases.seq, q.beforeSeq));
  return db
    .select()
    .from(cases)
    .where(and(...conditions))
    .orderBy(desc(cases.seq))
    .limit(q.limit);
}

export interface OpenCounts {
  /** The child's code: the next field of the path below the node ('' for cases at the node itself). */
  child: string;
  open: number;
  overdue: number;
}

/**
 * Open and overdue cases below the node with path `path`, grouped by the child of the node they
 * lie under. One index-only range scan of cases_path_queue_idx (path prefix, then state and due
 * date, all in the index), so it needs no heap visit for rows the visibility map covers.
 */
export async function countOpenBelow(db: Executor, path: string, today: string): Promise<OpenCounts[]> {
  const childField = path.split('.').length + 1;
  const rows = await db
    .select({
      child: sql<string>`split_part(${cases.orgPath}, '.', ${sql.raw(String(childField))})`,
      open: sql<number>`count(*)::int`,
      overdue: sql<number>`(count(*) filter (where ${cases.dueDate} < ${today}))::int`,
    })
    .from(cases)
    .where(and(like(cases.orgPath, `${path}.%`), OPEN_CASE))
    .groupBy(sql`1`);
  return rows.map((r) => ({ child: r.child, open: Number(r.open), overdue: Number(r.overdue) }));
}

/** Open and overdue cases handled at one org (a village or a department). */
export async function countOpenAt(db: Executor, orgCode: string, today: string): Promise<{ open: number; overdue: number }> {
  const [row] = await db
    .select({ open: sql<number>`count(*)::int`, overdue: sql<number>`(count(*) filter (where ${cases.dueDate} < ${today}))::int` })
    .from(cases)
    .where(and(eq(cases.orgCode, orgCode), OPEN_CASE));
  return { open: Number(row?.open ?? 0), overdue: Number(row?.overdue ?? 0) };
}

export interface HelperActRow {
  caseId: string;
  seq: number;
  serviceCode: string;
  action: string;
  fromState: string | null;
  toState: string;
  actorId: string;
  channel: string;
  at: Date;
}

/** What helpers did on a resident's cases while acting for them, newest first. */
export async function listHelperActs(db: Executor, residentId: string, limit: number): Promise<HelperActRow[]> {
  return db
    .select({
      caseId: caseEvents.caseId,
      seq: cases.seq,
      serviceCode: cases.serviceCode,
      action: caseEvents.action,
      fromState: caseEvents.fromState,
      toState: caseEvents.toState,
      actorId: caseEvents.actorId,
      channel: caseEvents.channel,
      at: caseEvents.at,
    })
    .from(caseEvents)
    .innerJoin(cases, eq(cases.id, caseEvents.caseId))
    .where(and(eq(cases.applicantId, residentId), eq(caseEvents.onBehalfOf, residentId)))
    .orderBy(desc(caseEvents.id))
    .limit(limit);
}

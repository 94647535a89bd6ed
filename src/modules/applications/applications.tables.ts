import { sql } from 'drizzle-orm';
import { bigserial, check, date, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const CASE_STATES = ['draft', 'submitted', 'accepted', 'in_review', 'returned', 'approved', 'rejected', 'completed'] as const;
export type CaseState = (typeof CASE_STATES)[number];

/** The open states, as literal SQL so that the partial indexes match the queries that use it. */
export const OPEN_CASE = sql.raw(`state in ('submitted','accepted','in_review') and due_date is not null`);

/** 办件: one application being handled. */
export const cases = pgTable(
  'cases',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Monotonic number: the human case number (办件编号) and the order of a resident's cases. */
    seq: bigserial('seq', { mode: 'number' }).notNull().unique(),
    serviceCode: text('service_code').notNull(),
    applicantId: uuid('applicant_id').notNull(),
    /** The org that handles the case, and its path for subtree queues. */
    orgCode: text('org_code').notNull(),
    orgPath: text('org_path').notNull(),
    state: text('state').$type<CaseState>().notNull(),
    channel: text('channel').notNull(),
    form: jsonb('form').$type<Record<string, string>>().notNull(),
    /** The helper who created it on the resident's behalf, if any. */
    helperId: uuid('helper_id'),
    submittedAt: timestamp('submitted_at', { withTimezone: true }),
    dueDate: date('due_date'),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    returnReason: text('return_reason'),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Open queues (the staff's daily view) read partial indexes in (due date, id) order: one for an
    // org's own queue, one per level of the tree for administrators' subtrees.
    index('cases_open_org_idx').on(t.orgCode, t.dueDate, t.id).where(OPEN_CASE),
    ...[1, 2, 3, 4].map((part) =>
      index(`cases_open_l${part}_idx`)
        .on(sql`split_part(${t.orgPath}, '.', ${sql.raw(String(part))})`, t.dueDate, t.id)
        .where(OPEN_CASE),
    ),
    index('cases_queue_idx').on(t.orgCode, t.state, t.dueDate, t.id),
    index('cases_path_queue_idx').using('btree', t.orgPath.op('text_pattern_ops'), t.state, t.dueDate, t.id),
    index('cases_applicant_idx').on(t.applicantId, t.seq),
    check(
      'cases_state_check',
      sql`${t.state} in ('draft','submitted','accepted','in_review','returned','approved','rejected','completed')`,
    ),
  ],
);

/** Every transition of a case: who, when, through which channel, why. Written with the change. */
export const caseEvents = pgTable(
  'case_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    action: text('action').notNull(),
    fromState: text('from_state'),
    toState: text('to_state').notNull(),
    actorId: uuid('actor_id').notNull(),
    /** The resident a helper acted for; both identities are kept. */
    onBehalfOf: uuid('on_behalf_of'),
    channel: text('channel').notNull(),
    reason: text('reason'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('case_events_case_idx').on(t.caseId, t.id)],
);

/** At most one decision per case, enforced by the primary key. */
export const caseDecisions = pgTable('case_decisions', {
  caseId: uuid('case_id')
    .primaryKey()
    .references(() => cases.id),
  decision: text('decision').$type<'approved' | 'rejected'>().notNull(),
  decidedBy: uuid('decided_by').notNull(),
  reason: text('reason'),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
});

/** Submissions by Idempotency-Key: the same key and body give the first result. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    principalId: uuid('principal_id').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    caseId: uuid('case_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.principalId, t.key] })],
);

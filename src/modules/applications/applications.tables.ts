import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  check,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';

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
    /**
     * The SLA clock (sla-clock.ts): the first submission (null for cases from before the clock:
     * `submitted_at` then), the pause in progress while the case is returned for correction, and
     * the working days paused so far, by which `due_date` has moved.
     */
    slaStartedAt: timestamp('sla_started_at', { withTimezone: true }),
    slaPausedAt: timestamp('sla_paused_at', { withTimezone: true }),
    slaPausedDays: integer('sla_paused_days').notNull().default(0),
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
    // The hourly escalation sweep (sla-escalation.ts) reads open cases by due date across the tree.
    index('cases_open_due_idx').on(t.dueDate, t.id).where(OPEN_CASE),
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

/**
 * One step of an escalation ladder (督办阶梯): it fires once the day `offset` working days from
 * the case's due date has ended (−1: on the due day itself; 0: when the case becomes overdue; N:
 * N working days later), and goes to the org `levelsUp` levels above the handling org (0: the
 * handling org itself, a reminder to its handlers).
 */
export interface LadderStep {
  offset: number;
  levelsUp: number;
}

/**
 * A jurisdiction's escalation ladder: it applies to the cases handled at the org and below it,
 * unless an org nearer the case has its own (the longest path wins). Without one the default
 * ladder applies (sla-ladders.ts).
 */
export const slaLadders = pgTable('sla_ladders', {
  orgCode: text('org_code').primaryKey(),
  orgPath: text('org_path').notNull().unique(),
  steps: jsonb('steps').$type<LadderStep[]>().notNull(),
  updatedBy: uuid('updated_by').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Each escalation step taken on a case, once: the unique key refuses a second row for the same
 * step, so two sweeps running at once record it once. Written with its `escalate` case event.
 */
export const caseEscalations = pgTable(
  'case_escalations',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    /** 1-based, in the order of the ladder. */
    step: integer('step').notNull(),
    offsetDays: integer('offset_days').notNull(),
    levelsUp: integer('levels_up').notNull(),
    /** The org notified: the handling org (a reminder) or one above it. */
    toOrgCode: text('to_org_code').notNull(),
    /** The due date the step was counted from. */
    dueDate: date('due_date').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('case_escalations_case_step_key').on(t.caseId, t.step), index('case_escalations_to_idx').on(t.toOrgCode, t.id)],
);

/**
 * 催办 seen: which staff account has seen which escalation step (sla-reminders.ts). A step is
 * addressed to an org, not a person; each of the org's staff marks it seen for themselves, so a
 * colleague who joins later still finds it new, and nobody's click hides it from the others.
 */
export const slaReminderReads = pgTable(
  'sla_reminder_reads',
  {
    escalationId: bigint('escalation_id', { mode: 'number' })
      .notNull()
      .references(() => caseEscalations.id),
    accountId: uuid('account_id').notNull(),
    seenAt: timestamp('seen_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.escalationId] })],
);

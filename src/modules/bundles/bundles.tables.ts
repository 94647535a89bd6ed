import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';

/** Where a prefilled value came from: the dataset field and the exchange (its ledger leaf) that fetched it. */
export interface FieldProvenance {
  dataset: string;
  field: string;
  exchangeId: string;
}

/**
 * One started life-event bundle (一件事): the parent's merged form, where each value came from,
 * and the case of each task. The tasks' states live in their cases.
 */
export const bundles = pgTable(
  'bundles',
  {
    id: uuid('id').primaryKey(),
    code: text('code').notNull(),
    applicantId: uuid('applicant_id').notNull(),
    idempotencyKey: text('idempotency_key'),
    requestHash: text('request_hash').notNull(),
    /** The values the parent typed. */
    typed: jsonb('typed').$type<Record<string, string>>().notNull(),
    /** The merged form once prefilled: typed and fetched values. */
    form: jsonb('form').$type<Record<string, string>>().notNull().default({}),
    provenance: jsonb('provenance').$type<Record<string, FieldProvenance>>().notNull().default({}),
    /** Task key → case id. */
    cases: jsonb('cases').$type<Record<string, string>>().notNull().default({}),
    /** How far the start got: `created` → `cases` → `prefilled`; a retry resumes from here. */
    stage: text('stage').$type<'created' | 'cases' | 'prefilled'>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    /** When every task's case was completed: set once, with the bundle.completed event, by the case.decided handler. */
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [
    unique('bundles_idempotency_uq').on(t.applicantId, t.idempotencyKey),
    index('bundles_applicant_idx').on(t.applicantId, t.createdAt),
    // The bundles of a decided case (the case.decided handler): its id among the task cases' ids.
    index('bundles_case_ids_idx').using('gin', sql`jsonb_path_query_array(${t.cases}, '$.*')`),
  ],
);

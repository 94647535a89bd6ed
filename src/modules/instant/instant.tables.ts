import { bigint, integer, jsonb, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import type { CaseRuleDecision } from '../applications/index.ts';

/** A stored trace: the rule's own (rules/evaluate.ts) and the datasets the engine could not read for the case. */
export type StoredTrace = Omit<CaseRuleDecision, 'outcome' | 'decidedAt'>;

/**
 * 秒批 decisions: what an instant-approval rule version decided on a submitted case, with its
 * trace (inputs by reference and digest, the clauses not met, what was missing). One per case and
 * rule version, written by the first run of the `case.submitted` handler; a retry finds it.
 */
export const ruleDecisions = pgTable(
  'rule_decisions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseId: uuid('case_id').notNull(),
    ruleCode: text('rule_code').notNull(),
    version: integer('version').notNull(),
    /** The rule version's hash, as its ledger leaf has it. */
    hash: text('hash').notNull(),
    outcome: text('outcome').$type<CaseRuleDecision['outcome']>().notNull(),
    trace: jsonb('trace').$type<StoredTrace>().notNull(),
    /** The `case.submitted` event the decision answered. */
    eventId: bigint('event_id', { mode: 'number' }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  // Also the index of a case's decisions (its leading column).
  (t) => [unique('rule_decisions_case_version').on(t.caseId, t.ruleCode, t.version)],
);

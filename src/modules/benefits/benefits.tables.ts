import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';

/** 免申即享 (grant: paid with no application and no confirmation), 免申即办 (process: the department's case opened and completed for the resident), or confirm (the resident confirms once, the Estonian way). */
export type BenefitMode = 'grant' | 'process' | 'confirm';

/** What starts an assessment: an event (a certificate of a type issued to the subject), or a date the rule names (a daily sweep). */
export type BenefitTrigger = { kind: 'certificate'; certificateType: string } | { kind: 'date' };

/** How often the benefit pays: once, or each month or year from the grant until it stops. */
export type BenefitSchedule = 'once' | 'monthly' | 'yearly';

/**
 * 待遇目录: a benefit as catalogue data. Its rule (rules module) decides who is eligible and the
 * amount; its payer is the department whose grants the rule reads and which pays.
 */
export const benefits = pgTable('benefits', {
  code: text('code').primaryKey(),
  nameZh: text('name_zh').notNull(),
  nameEn: text('name_en').notNull(),
  mode: text('mode').$type<BenefitMode>().notNull(),
  trigger: jsonb('trigger').$type<BenefitTrigger>().notNull(),
  ruleCode: text('rule_code').notNull(),
  payerOrgCode: text('payer_org_code').notNull(),
  /** process mode: the catalogue item of the department's case. */
  serviceCode: text('service_code'),
  /** The item a resident asks a person's review through. */
  reviewServiceCode: text('review_service_code').notNull(),
  schedule: text('schedule').$type<BenefitSchedule>().notNull(),
  /** A rule input whose value tells one grant from the next for the same person (a birth's certificate number); none: one grant per person. */
  instanceInput: text('instance_input'),
  active: boolean('active').notNull().default(true),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
});

export type BenefitGrantStatus =
  /** confirm mode: eligible, waiting for the resident's yes. */
  | 'offered'
  | 'granted'
  | 'declined'
  | 'opted_out'
  /** Paid no more: a death registration, or the resident's opt-out after the grant. */
  | 'stopped'
  /** The rule said no (or could not decide): kept, so the resident sees why and can ask a person. */
  | 'refused';

/** What the engine stores with a decision: the rule's trace and the datasets it could not read. */
export interface GrantTrace {
  rule: string;
  version: number;
  hash: string;
  on: string;
  inputs: { name: string; dataset: string; field: string; digest: string | null }[];
  failed: { id: string; zh: string; en: string }[];
  missing: string[];
  unavailable: { dataset: string; reason: { zh: string; en: string } }[];
}

/**
 * 待遇决定: one assessment of one person for one benefit (and instance), whatever it decided.
 * Unique by benefit, subject and instance: a retried trigger finds it.
 */
export const benefitGrants = pgTable(
  'benefit_grants',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    benefitCode: text('benefit_code')
      .notNull()
      .references(() => benefits.code),
    /** The keyed digest the datasets key the person by. */
    subjectKey: text('subject_key').notNull(),
    instance: text('instance').notNull().default(''),
    /** The resident's account, when they have one (their inbox); payments need none. */
    accountId: uuid('account_id'),
    payeeMasked: text('payee_masked').notNull(),
    status: text('status').$type<BenefitGrantStatus>().notNull(),
    outcome: text('outcome').$type<'eligible' | 'ineligible' | 'undetermined'>().notNull(),
    amountFen: bigint('amount_fen', { mode: 'number' }),
    ruleVersion: integer('rule_version').notNull(),
    ruleHash: text('rule_hash').notNull(),
    trace: jsonb('trace').$type<GrantTrace>().notNull(),
    /** The outbox event that triggered it; null for a date sweep. */
    triggerEventId: bigint('trigger_event_id', { mode: 'number' }),
    /** When the fact that triggered it happened (the event's time, the sweep's day). */
    triggeredAt: timestamp('triggered_at', { withTimezone: true }).notNull(),
    decidedAt: timestamp('decided_at', { withTimezone: true }).notNull(),
    respondedAt: timestamp('responded_at', { withTimezone: true }),
    stoppedAt: timestamp('stopped_at', { withTimezone: true }),
    stopReason: text('stop_reason'),
    /** process mode: the department's case, opened and completed for the resident. */
    caseId: uuid('case_id'),
    /** The case a person reviews the decision in, when the resident asked. */
    reviewCaseId: uuid('review_case_id'),
    ledgerEntryId: bigint('ledger_entry_id', { mode: 'number' }).notNull(),
  },
  (t) => [
    unique('benefit_grants_subject').on(t.benefitCode, t.subjectKey, t.instance),
    index('benefit_grants_account').on(t.accountId),
    index('benefit_grants_subject_key').on(t.subjectKey),
    index('benefit_grants_status').on(t.benefitCode, t.status),
  ],
);

/** refused: the bank said no for good (a closed account), a person follows it up; held: no account is known for the payee yet (paid when they register). */
export type BenefitPaymentStatus = 'pending' | 'sent' | 'cancelled' | 'refused' | 'held';

/**
 * 支付指令: one payment of a grant for one period ('once', '2026-12', '2026'). Its id is the
 * instruction id the bank dedups by; unique by grant and period, so a retry never pays twice.
 */
export const benefitPayments = pgTable(
  'benefit_payments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    grantId: uuid('grant_id')
      .notNull()
      .references(() => benefitGrants.id),
    period: text('period').notNull(),
    amountFen: bigint('amount_fen', { mode: 'number' }).notNull(),
    status: text('status').$type<BenefitPaymentStatus>().notNull(),
    bankReference: text('bank_reference'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [unique('benefit_payments_period').on(t.grantId, t.period), index('benefit_payments_status').on(t.status)],
);

/** 不再享受: the resident's opt-out of a benefit; no grant is made again until they take it back. */
export const benefitOptOuts = pgTable(
  'benefit_opt_outs',
  {
    subjectKey: text('subject_key').notNull(),
    benefitCode: text('benefit_code')
      .notNull()
      .references(() => benefits.code),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.subjectKey, t.benefitCode] })],
);

/**
 * The residents the benefits know by their keyed subject: written when a resident registers (the
 * `resident.registered` event) or a certificate is issued to them. A sweep finds people by subject
 * key only (the datasets hold no ID number); this says which of them have an account, so that they
 * are told and paid. No ID number is kept here.
 */
export const benefitSubjects = pgTable('benefit_subjects', {
  subjectKey: text('subject_key').primaryKey(),
  accountId: uuid('account_id').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
});

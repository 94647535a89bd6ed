import { sql } from 'drizzle-orm';
import { bigint, check, date, index, integer, jsonb, pgTable, smallint, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';

/** Where a rating was given: the app, a kiosk, the window's pad page, an SMS link, or through a helper. */
export type RatingChannel = 'app' | 'kiosk' | 'window' | 'sms' | 'helper';

/** Where an encounter (一次一评) took place: at a window, at a kiosk, or with a helper. */
export type EncounterChannel = 'window' | 'kiosk' | 'helper';

/** 整改: open (waiting for the org's reply), escalated (overdue, the org above sees it), rectified (replied), closed (re-rated or the rating overturned). */
export type RectificationState = 'open' | 'escalated' | 'rectified' | 'closed';

/** The resident's re-rating of a rectification: 满意 / 基本满意 / 不满意. */
export type Rerating = 'satisfied' | 'basically_satisfied' | 'dissatisfied';

export type CallbackOutcome = 'reached' | 'not_reached';

/** A supervisor's decision on an appeal, about the rating: it stands (upheld) or is set aside (overturned); both stay on record. */
export type AppealDecision = 'upheld' | 'overturned';

/**
 * 整改时限: the working days a responsible org has to rectify a bad rating, per jurisdiction. The
 * policy of the longest path that is a prefix of (or equal to) the org's path applies.
 */
export const ratingPolicies = pgTable('rating_policies', {
  /** An org subtree: the dot-joined path of its root (e.g. `13.1301`). */
  orgPath: text('org_path').primaryKey(),
  workingDays: integer('working_days').notNull(),
  /** Where the rule comes from (a local document), for the console. */
  basis: text('basis'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
});

/**
 * 一次一评: a service encounter at a window, a kiosk or with a helper, opened by the staff member
 * who served; the resident rates it once by its short token (the window's pad page, an SMS link).
 */
export const ratingEncounters = pgTable(
  'rating_encounters',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    token: text('token').notNull().unique(),
    channel: text('channel').$type<EncounterChannel>().notNull(),
    orgCode: text('org_code').notNull(),
    orgPath: text('org_path').notNull(),
    serviceCode: text('service_code').notNull(),
    /** The resident served, when known: the rating is then real-name. */
    accountId: uuid('account_id'),
    /** The case handled in the encounter, if any (the case can still be rated once on its own: 一事一评). */
    caseId: uuid('case_id'),
    openedBy: uuid('opened_by').notNull(),
    openedAt: timestamp('opened_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [check('rating_encounters_channel_check', sql`${t.channel} in ('window','kiosk','helper')`)],
);

/**
 * 好差评: one resident's rating of one completed case (unique by case: 一事一评) or one encounter
 * (unique by encounter: 一次一评). Written only when someone rates: no default rating exists.
 */
export const ratings = pgTable(
  'ratings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseId: uuid('case_id').unique(),
    encounterId: uuid('encounter_id')
      .unique()
      .references(() => ratingEncounters.id),
    channel: text('channel').$type<RatingChannel>().notNull(),
    /** 5 非常满意 … 1 非常不满意; 1 and 2 are bad ratings (差评). */
    level: smallint('level').notNull(),
    /** The channel's sub-indicators the resident scored (each 1..5); the ones skipped are absent. */
    indicators: jsonb('indicators').$type<Record<string, number>>().notNull(),
    comment: text('comment'),
    /** The rater's account (real-name); null for an anonymous pad rating of an encounter with no named resident. */
    accountId: uuid('account_id'),
    /** The salt of the rater digest in the rating's ledger leaf (kept here, never published). */
    raterSalt: text('rater_salt').notNull(),
    orgCode: text('org_code').notNull(),
    orgPath: text('org_path').notNull(),
    serviceCode: text('service_code').notNull(),
    ratedAt: timestamp('rated_at', { withTimezone: true }).notNull(),
    ledgerEntryId: bigint('ledger_entry_id', { mode: 'number' }).notNull(),
  },
  (t) => [
    check('ratings_level_check', sql`${t.level} between 1 and 5`),
    check('ratings_subject_check', sql`(${t.caseId} is null) <> (${t.encounterId} is null)`),
    check('ratings_channel_check', sql`${t.channel} in ('app','kiosk','window','sms','helper')`),
    index('ratings_org_path_idx').using('btree', t.orgPath.op('text_pattern_ops'), t.ratedAt),
    index('ratings_account_idx').on(t.accountId, t.ratedAt),
  ],
);

/** 整改: the task a bad rating opens for the responsible org, with its deadline in working days. */
export const rectifications = pgTable(
  'rectifications',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ratingId: uuid('rating_id')
      .notNull()
      .unique()
      .references(() => ratings.id),
    orgCode: text('org_code').notNull(),
    orgPath: text('org_path').notNull(),
    workingDays: integer('working_days').notNull(),
    openedAt: timestamp('opened_at', { withTimezone: true }).notNull(),
    /** The last day (China time) the reply is on time. */
    deadline: date('deadline').notNull(),
    state: text('state').$type<RectificationState>().notNull(),
    /** Overdue: the org above it was told (once). */
    escalatedToCode: text('escalated_to_code'),
    escalatedAt: timestamp('escalated_at', { withTimezone: true }),
    reply: text('reply'),
    repliedBy: uuid('replied_by'),
    repliedAt: timestamp('replied_at', { withTimezone: true }),
    rerating: text('rerating').$type<Rerating>(),
    reratedAt: timestamp('rerated_at', { withTimezone: true }),
    closedAt: timestamp('closed_at', { withTimezone: true }),
  },
  (t) => [
    check('rectifications_state_check', sql`${t.state} in ('open','escalated','rectified','closed')`),
    index('rectifications_due_idx').on(t.state, t.deadline),
    index('rectifications_org_path_idx').using('btree', t.orgPath.op('text_pattern_ops'), t.state),
  ],
);

/** 回访: a call to the resident about a bad rating, recorded by the org (every real-name bad rating gets one). */
export const ratingCallbacks = pgTable(
  'rating_callbacks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ratingId: uuid('rating_id')
      .notNull()
      .references(() => ratings.id),
    calledBy: uuid('called_by').notNull(),
    calledAt: timestamp('called_at', { withTimezone: true }).notNull(),
    outcome: text('outcome').$type<CallbackOutcome>().notNull(),
    note: text('note'),
  },
  (t) => [
    index('rating_callbacks_rating_idx').on(t.ratingId),
    check('rating_callbacks_outcome_check', sql`${t.outcome} in ('reached','not_reached')`),
  ],
);

/** 申诉: the responsible org's appeal against a rating it believes mistaken or malicious; one per rating, decided by a supervisor. */
export const ratingAppeals = pgTable(
  'rating_appeals',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ratingId: uuid('rating_id')
      .notNull()
      .references(() => ratings.id),
    orgCode: text('org_code').notNull(),
    reason: text('reason').notNull(),
    filedBy: uuid('filed_by').notNull(),
    filedAt: timestamp('filed_at', { withTimezone: true }).notNull(),
    decision: text('decision').$type<AppealDecision>(),
    decisionNote: text('decision_note'),
    decidedBy: uuid('decided_by'),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
  },
  (t) => [unique('rating_appeals_rating').on(t.ratingId)],
);

/**
 * What each rating step changes in the 好差评 counts, waiting to be added to the dashboards'
 * aggregates (the rating's org path, service and day, and the counts it adds, negative when a
 * rating is set aside on appeal). Written in the step's own statement or transaction, so a count
 * changes exactly when the step is recorded; the dashboards' roll-up takes rows oldest first and
 * deletes them in the transaction that adds them (each counted once). A queue of its own rather
 * than one outbox event per rating: one insert per step here, and one delete per step in a batch
 * there, instead of the worker's claim, marks and completion per event.
 */
export const ratingCountDeltas = pgTable('rating_count_deltas', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
  ratingId: uuid('rating_id').notNull(),
  orgPath: text('org_path').notNull(),
  serviceCode: text('service_code').notNull(),
  /** The rating's day (China date): the figures' period is the rating's. */
  day: date('day').notNull(),
  /** The counts it adds, by the names of `RatingCounts`. */
  add: jsonb('add').$type<Record<string, number>>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

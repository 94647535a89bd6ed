import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { CompactSettlement } from './settlement.ts';

/**
 * 跨省异地就医结算 at the place of insurance: a settlement another province's node asked this node
 * to compute (`insurance.settle`, cross-province.ts) under this node's policy, on the lines the
 * place of treatment classified and priced with its catalogue. Its parts are in the person's
 * year's totals here (the cap holds across provinces); `insurance.cancel` takes them back and
 * marks it cancelled. Keyed by the settle message's id (one per message, whatever the retries);
 * one settled row per encounter of the place of treatment.
 */
export const insuranceRemoteSettlements = pgTable(
  'insurance_remote_settlements',
  {
    /** The `insurance.settle` message's id. */
    ref: uuid('ref').primaryKey(),
    /** The place of treatment's node (member id), its encounter and institution. */
    fromMember: text('from_member').notNull(),
    mdtrtId: text('mdtrt_id').notNull(),
    institutionCode: text('institution_code').notNull(),
    treatmentRegion: text('treatment_region').notNull(),
    psnNo: text('psn_no').notNull(),
    year: integer('year').notNull(),
    status: text('status').$type<'settled' | 'cancelled'>().notNull(),
    policyVersion: text('policy_version').notNull(),
    totalFen: bigint('total_fen', { mode: 'number' }).notNull(),
    deductibleFen: bigint('deductible_fen', { mode: 'number' }).notNull(),
    hifpPayFen: bigint('hifp_pay_fen', { mode: 'number' }).notNull(),
    acctPayFen: bigint('acct_pay_fen', { mode: 'number' }).notNull(),
    cashPayFen: bigint('cash_pay_fen', { mode: 'number' }).notNull(),
    countsStay: boolean('counts_stay').notNull(),
    result: jsonb('result').$type<CompactSettlement>().notNull(),
    settledAt: timestamp('settled_at', { withTimezone: true }).notNull(),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
    /** The `insurance.cancel` message that took it back. */
    cancelRef: uuid('cancel_ref'),
  },
  (t) => [
    index('insurance_remote_settlements_psn').on(t.psnNo, t.year),
    uniqueIndex('insurance_remote_settlements_open')
      .on(t.fromMember, t.mdtrtId)
      .where(sql`${t.status} = 'settled'`),
    check('insurance_remote_settlements_status_check', sql`${t.status} in ('settled','cancelled')`),
  ],
);

/**
 * At the place of treatment: a settlement this node asked another province's node to make
 * (`insurance.settle`), recorded in its own short transaction before the call and marked
 * `settled` in the transaction of this node's settlement. One still `pending` long after the
 * hospital's last try (cross-province-orphans.ts) was settled at the place of insurance, or not,
 * but never here: its msgid is answered INSURANCE_SETTLEMENT_ABANDONED (`abandoning`) and the
 * place of insurance asked to cancel it (`abandoned` once it answered).
 */
export const insuranceRemoteIntents = pgTable(
  'insurance_remote_intents',
  {
    /** The `insurance.settle` call's id (derived from the institution and the msgid: a retry is the same intent). */
    callId: uuid('call_id').primaryKey(),
    kind: text('kind').$type<'settle'>().notNull(),
    institutionCode: text('institution_code').notNull(),
    msgid: text('msgid').notNull(),
    /** The window's request digest: the msgid's final answer is stored under it (a retry of it gets that answer). */
    requestDigest: text('request_digest').notNull(),
    mdtrtId: text('mdtrt_id').notNull(),
    /** The place of insurance (its division). */
    region: text('region').notNull(),
    /** `refused`: the place of insurance answered the settle with a refusal, so holds no settlement of it (a retry reopens it). */
    state: text('state').$type<'pending' | 'settled' | 'refused' | 'abandoning' | 'abandoned'>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    /** The last try of the hospital (pending), or the last change of state. */
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('insurance_remote_intents_open')
      .on(t.updatedAt)
      .where(sql`${t.state} in ('pending','abandoning')`),
    check('insurance_remote_intents_state_check', sql`${t.state} in ('pending','settled','refused','abandoning','abandoned')`),
    check('insurance_remote_intents_kind_check', sql`${t.kind} in ('settle')`),
  ],
);

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

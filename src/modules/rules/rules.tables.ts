import { sql } from 'drizzle-orm';
import { bigint, check, date, index, integer, jsonb, pgTable, text, timestamp, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { RuleBody } from './rule-language.ts';

/** A rule's legal basis, as its document reads: the title and the article cited. */
export interface RuleLegalBasis {
  titleZh: string;
  titleEn: string;
  articleZh: string;
  articleEn: string;
}

/**
 * 规则版本: an eligibility or instant-approval rule as data. A version is proposed (draft), then
 * switched on (active) by an authorised officer other than its author; switching on another
 * version retires it. Versions never change once written; each one's hash is a ledger leaf.
 */
export const ruleVersions = pgTable(
  'rule_versions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ruleCode: text('rule_code').notNull(),
    version: integer('version').notNull(),
    nameZh: text('name_zh').notNull(),
    nameEn: text('name_en').notNull(),
    /** The department that applies the rule: its grants are what the rule may read. */
    orgCode: text('org_code').notNull(),
    /** The purpose its data use is granted for (a grant's purpose code). */
    purpose: text('purpose').notNull(),
    body: jsonb('body').$type<RuleBody>().notNull(),
    legalBasis: jsonb('legal_basis').$type<RuleLegalBasis>().notNull(),
    effectiveFrom: date('effective_from', { mode: 'string' }).notNull(),
    effectiveTo: date('effective_to', { mode: 'string' }),
    /** SHA-256 of the version's canonical JSON: what the ledger leaf and every decision's trace name. */
    hash: text('hash').notNull(),
    status: text('status').$type<'draft' | 'active' | 'retired'>().notNull(),
    proposedBy: uuid('proposed_by').notNull(),
    proposedAt: timestamp('proposed_at', { withTimezone: true }).notNull(),
    reason: text('reason').notNull(),
    activatedBy: uuid('activated_by'),
    activatedAt: timestamp('activated_at', { withTimezone: true }),
    activationReason: text('activation_reason'),
    retiredAt: timestamp('retired_at', { withTimezone: true }),
    ledgerEntryId: bigint('ledger_entry_id', { mode: 'number' }).notNull(),
  },
  (t) => [
    unique('rule_versions_code_version').on(t.ruleCode, t.version),
    index('rule_versions_org_idx').on(t.orgCode),
    // One version of a rule is in force at a time.
    uniqueIndex('rule_versions_one_active')
      .on(t.ruleCode)
      .where(sql`${t.status} = 'active'`),
    check('rule_versions_status', sql`${t.status} in ('draft', 'active', 'retired')`),
  ],
);

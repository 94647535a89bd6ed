import { AppError, notFound } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import { chinaDate } from '../../core/values.ts';
import type { Executor } from '../../db/database.ts';
import { isUniqueViolation } from '../../db/pg-errors.ts';
import type { Principal } from '../identity/index.ts';
import { ruleDataProblems } from '../sharing/index.ts';
import { compileRule, type RuleBody } from './rule-language.ts';
import * as repo from './rules.repository.ts';
import { digestOf, RULE_VERSION_ENTRY, versionHash, versionView, type RulesContext } from './rules-context.ts';
import type { ProposeRuleInput, RuleVersionView } from './rules.schemas.ts';

/** Which fields of which dataset a rule body reads. */
export function datasetNeeds(body: RuleBody): Map<string, string[]> {
  const needs = new Map<string, string[]>();
  for (const i of body.inputs) needs.set(i.dataset, [...new Set([...(needs.get(i.dataset) ?? []), i.field])]);
  return needs;
}

/** Refuses a rule that reads data its org holds no law-based grant for (RULE_INPUT_NOT_GRANTED, naming the first dataset). */
export async function assertRuleData(db: Executor, rule: { orgCode: string; purpose: string; body: RuleBody }, at: Date): Promise<void> {
  const problems = await ruleDataProblems(db, { consumerOrgCode: rule.orgCode, purpose: rule.purpose, needs: datasetNeeds(rule.body), at });
  const first = problems[0];
  if (first) throw new AppError('RULE_INPUT_NOT_GRANTED', { dataset: first.dataset, problem: message(`rules.data.${first.problem}`) });
}

/** Proposing and switching on rule versions: console actions by authorised officers, each with who and why, each a ledger leaf. */
export function createRuleProposals(ctx: RulesContext) {
  const { db, clock } = ctx;

  return {
    /**
     * A new version of a rule (its first, or the next): refused when an expression does not parse or
     * type-check, when it cites no legal basis, or when it reads a dataset the org holds no
     * law-based grant for. Written as a draft; nothing decides with it until it is switched on.
     */
    async propose(principal: Principal, ruleCode: string, input: ProposeRuleInput): Promise<RuleVersionView> {
      const org = await ctx.requireOrg(principal, input.orgCode, 'rule.manage', 'org');
      const reason = input.reason.trim();
      if (!reason) throw new AppError('VALIDATION_FAILED', { detail: message('rules.reasonRequired') });
      const basis = input.legalBasis;
      if (!basis.titleZh.trim() || !basis.articleZh.trim()) throw new AppError('RULE_LEGAL_BASIS_REQUIRED');
      const effectiveTo = input.effectiveTo ?? null;
      if (effectiveTo !== null && effectiveTo < input.effectiveFrom) {
        throw new AppError('VALIDATION_FAILED', { detail: message('rules.effectiveDates') });
      }
      compileRule(input.body);
      await assertRuleData(db, { orgCode: org.code, purpose: input.purpose, body: input.body }, clock());
      const existing = await repo.versionsOf(db, ruleCode);
      if (existing.length > 0 && existing[0]!.orgCode !== org.code) throw new AppError('ALREADY_EXISTS', { what: 'rule' });
      const at = clock();
      try {
        return await db.transaction(async (tx) => {
          const version = await repo.nextVersion(tx, ruleCode);
          const fields = {
            ruleCode,
            version,
            orgCode: org.code,
            purpose: input.purpose,
            body: input.body,
            legalBasis: input.legalBasis,
            effectiveFrom: input.effectiveFrom,
            effectiveTo,
          };
          const hash = versionHash(fields);
          const leaf = {
            rule: ruleCode,
            version,
            hash,
            event: 'proposed',
            by: principal.accountId,
            reason: digestOf(reason),
            at: at.toISOString(),
          };
          const ledgerEntryId = await ctx.appendLeaf(tx, RULE_VERSION_ENTRY, leaf);
          const row = await repo.insertVersion(tx, {
            ...fields,
            nameZh: input.nameZh.trim(),
            nameEn: input.nameEn.trim(),
            hash,
            status: 'draft',
            proposedBy: principal.accountId,
            proposedAt: at,
            reason,
            ledgerEntryId,
          });
          return versionView(row);
        });
      } catch (error) {
        // Two proposals of the same rule at once: one takes the number, the other is told to try again.
        if (isUniqueViolation(error)) throw new AppError('CONFLICT', { detail: message('rules.concurrentChange') });
        throw error;
      }
    },

    /**
     * Switches a draft on, by an officer other than its author (four eyes), with why; the version in
     * force until now is retired in the same transaction, and the switch is a ledger leaf.
     */
    async activate(principal: Principal, ruleCode: string, version: number, reasonInput: string): Promise<RuleVersionView> {
      const row = await repo.findVersion(db, ruleCode, version);
      if (!row) throw notFound('rule');
      await ctx.requireOrg(principal, row.orgCode, 'rule.manage');
      if (row.status !== 'draft') throw new AppError('RULE_NOT_DRAFT', { status: row.status });
      if (row.proposedBy === principal.accountId) throw new AppError('SELF_APPROVAL');
      const reason = reasonInput.trim();
      if (!reason) throw new AppError('VALIDATION_FAILED', { detail: message('rules.reasonRequired') });
      if (row.effectiveTo !== null && row.effectiveTo < chinaDate(clock()))
        throw new AppError('VALIDATION_FAILED', { detail: message('rules.expired') });
      // The grants may have ended since the proposal.
      await assertRuleData(db, row, clock());
      const at = clock();
      try {
        return await db.transaction(async (tx) => {
          const current = await repo.activeVersion(tx, ruleCode);
          if (current) await repo.retire(tx, current.id, at);
          const active = await repo.activate(tx, row.id, { by: principal.accountId, at, reason });
          if (!active) throw new AppError('RULE_NOT_DRAFT', { status: 'changed' });
          const leaf = {
            rule: ruleCode,
            version,
            hash: row.hash,
            event: 'activated',
            retires: current?.version ?? null,
            by: principal.accountId,
            reason: digestOf(reason),
            at: at.toISOString(),
          };
          await ctx.appendLeaf(tx, RULE_VERSION_ENTRY, leaf);
          return versionView(active);
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError('CONFLICT', { detail: message('rules.concurrentChange') });
        throw error;
      }
    },
  };
}

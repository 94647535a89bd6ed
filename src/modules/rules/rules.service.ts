import { notFound } from '../../core/errors.ts';
import { chinaDate } from '../../core/values.ts';
import { can, type Principal } from '../identity/index.ts';
import { createDryRun } from './dry-run.ts';
import { createSweep } from './sweep.ts';
import { evaluateRule, type RuleDecision, type SubjectRecords } from './evaluate.ts';
import { createRuleProposals, datasetNeeds } from './proposals.ts';
import * as repo from './rules.repository.ts';
import { createRulesContext, versionView, type RulesDeps } from './rules-context.ts';
import type { ProposeRuleInput, RuleVersionView, RuleView } from './rules.schemas.ts';
import type { RuleLegalBasis } from './rules.tables.ts';

export type RulesService = ReturnType<typeof createRulesService>;

/**
 * Rules as data (规则即数据): eligibility and instant-approval rules in CEL, versioned, dated, citing
 * their legal basis, reading only granted data; proposed and switched on by officers (proposals.ts),
 * tried on the population first (dry-run.ts), and applied with a stored trace (evaluate.ts).
 */
export function createRulesService(deps: RulesDeps) {
  const ctx = createRulesContext(deps);
  const { db, clock } = ctx;
  const proposals = createRuleProposals(ctx);

  /** The version switched on, if its dates cover `on`. */
  async function inForce(code: string, on: string) {
    const row = await repo.activeVersion(db, code);
    if (!row || row.effectiveFrom > on || (row.effectiveTo !== null && row.effectiveTo < on)) return null;
    return row;
  }

  return {
    /** The rules of the orgs the caller may see, newest version of each. */
    async listRules(principal: Principal): Promise<RuleVersionView[]> {
      const out: RuleVersionView[] = [];
      for (const row of await repo.latestVersions(db)) {
        const org = await deps.orgs.getOrg(row.orgCode);
        if (org && can(principal, 'rule.view', { orgPath: org.path })) out.push(versionView(row));
      }
      return out;
    },

    /** One rule with every version (drafts, the one in force, retired ones). */
    async getRule(principal: Principal, code: string): Promise<RuleView> {
      const versions = await repo.versionsOf(db, code);
      if (versions.length === 0) throw notFound('rule');
      await ctx.requireOrg(principal, versions[0]!.orgCode, 'rule.view');
      return { code, versions: versions.map(versionView) };
    },

    propose: (principal: Principal, code: string, input: ProposeRuleInput) => proposals.propose(principal, code, input),
    activate: (principal: Principal, code: string, version: number, reason: string) => proposals.activate(principal, code, version, reason),
    dryRun: createDryRun(ctx),
    /** Population sweeps with the version in force (sweep.ts): a count, and the eligible subjects page by page. */
    sweep: createSweep(ctx),

    /**
     * What the version in force on that date reads (datasets and their fields), for which purpose, and
     * since when it is switched on: what an engine requests through exchanges before it decides. Null
     * when none is in force.
     */
    async activeInputs(
      code: string,
      at = clock(),
    ): Promise<{ version: number; purpose: string; needs: Map<string, string[]>; activatedAt: Date | null } | null> {
      const row = await inForce(code, chinaDate(at));
      if (!row) return null;
      return { version: row.version, purpose: row.purpose, needs: datasetNeeds(row.body), activatedAt: row.activatedAt };
    },

    /** A version's names and legal basis, for the engines that show a decision to the resident (internal: no access check; nothing personal). */
    async basisOf(code: string, version: number): Promise<{ nameZh: string; nameEn: string; legalBasis: RuleLegalBasis } | null> {
      const row = (await repo.versionsOf(db, code)).find((v) => v.version === version);
      return row ? { nameZh: row.nameZh, nameEn: row.nameEn, legalBasis: row.legalBasis } : null;
    },

    /**
     * The version in force on that date, read once, with what it reads and a function that decides
     * a subject with it: what an engine deciding several subjects or benefits at once uses instead
     * of `activeInputs` and `decideWith` (one query, not two). Null when none is in force.
     */
    async inForce(code: string, at = clock()) {
      const on = chinaDate(at);
      const row = await inForce(code, on);
      if (!row) return null;
      const compiled = ctx.compiledOf(row);
      const ref = { rule: row.ruleCode, version: row.version, hash: row.hash };
      return {
        version: row.version,
        purpose: row.purpose,
        needs: datasetNeeds(row.body),
        activatedAt: row.activatedAt,
        decide: (subjectKey: string, records: SubjectRecords): RuleDecision => evaluateRule(compiled, ref, records, on, subjectKey),
      };
    },

    /**
     * Applies the version in force to one subject's records (for the engines that decide without an
     * application: 秒批 and benefits, acting as the system). Null when no version is in force on that
     * date. The caller stores the decision's trace with what it decides.
     */
    async decideWith(code: string, subjectKey: string, records: SubjectRecords, at = clock()): Promise<RuleDecision | null> {
      const on = chinaDate(at);
      const row = await inForce(code, on);
      if (!row) return null;
      return evaluateRule(ctx.compiledOf(row), { rule: row.ruleCode, version: row.version, hash: row.hash }, records, on, subjectKey);
    },
  };
}

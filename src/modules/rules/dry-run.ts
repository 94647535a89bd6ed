import { createHash } from 'node:crypto';
import { notFound } from '../../core/errors.ts';
import { chinaDate } from '../../core/values.ts';
import type { Principal } from '../identity/index.ts';
import { decide, type SubjectRecords } from './evaluate.ts';
import { populationPages } from './population.ts';
import { assertRuleData, datasetNeeds } from './proposals.ts';
import * as repo from './rules.repository.ts';
import { RULE_DRY_RUN_ENTRY, type RulesContext } from './rules-context.ts';
import type { DryRunResult } from './rules.schemas.ts';

const PAGE = 2000;
const SAMPLE = 10;

/** A short, one-way reference to a person for the sample: no ID number, no name. */
const subjectRef = (subjectKey: string) => createHash('sha256').update(`yiban/rules/sample/${subjectKey}`).digest('hex').slice(0, 12);

/**
 * 试运行: who a version would grant today, and who it adds or removes against the version in force,
 * as counts, the clauses that refuse, and a small sample of references (no personal data), before
 * it is switched on. The population is everyone with a record in the first input's dataset; each
 * dataset is read under the rule's grants, and the read is one ledger leaf.
 */
export function createDryRun(ctx: RulesContext) {
  const { db, clock } = ctx;

  return async function dryRun(principal: Principal, ruleCode: string, version: number): Promise<DryRunResult> {
    const row = await repo.findVersion(db, ruleCode, version);
    if (!row) throw notFound('rule');
    await ctx.requireOrg(principal, row.orgCode, 'rule.manage');
    const active = await repo.activeVersion(db, ruleCode);
    const baseline = active && active.id !== row.id ? active : null;
    const candidate = ctx.compiledOf(row);
    const before = baseline ? ctx.compiledOf(baseline) : null;
    const needs = datasetNeeds(row.body);
    for (const [code, fields] of baseline ? datasetNeeds(baseline.body) : [])
      needs.set(code, [...new Set([...(needs.get(code) ?? []), ...fields])]);
    await assertRuleData(db, row, clock());
    if (baseline) await assertRuleData(db, baseline, clock());

    const on = chinaDate(clock());
    const result = { population: 0, eligible: 0, eligibleBefore: before ? 0 : null, added: 0, removed: 0, undetermined: 0 };
    const failedBy = new Map<string, number>();
    const sample: DryRunResult['sample'] = { added: [], removed: [] };
    for await (const page of populationPages(db, [...needs.keys()], PAGE)) {
      for (const { subjectKey, records } of page) tally(subjectKey, records);
    }

    function tally(subjectKey: string, records: SubjectRecords) {
      result.population++;
      const now = decide(candidate, records, on);
      const then = before ? decide(before, records, on) : null;
      if (now.outcome === 'eligible') result.eligible++;
      if (now.outcome === 'undetermined') result.undetermined++;
      if (now.failed) failedBy.set(now.failed, (failedBy.get(now.failed) ?? 0) + 1);
      if (!then) return;
      if (then.outcome === 'eligible') result.eligibleBefore!++;
      if (now.outcome === 'eligible' && then.outcome !== 'eligible') {
        result.added++;
        if (sample.added.length < SAMPLE) sample.added.push({ subject: subjectRef(subjectKey), failed: then.failed });
      } else if (now.outcome !== 'eligible' && then.outcome === 'eligible') {
        result.removed++;
        if (sample.removed.length < SAMPLE) sample.removed.push({ subject: subjectRef(subjectKey), failed: now.failed });
      }
    }

    const at = clock();
    const ledgerEntryId = await db.transaction((tx) =>
      ctx.appendLeaf(tx, RULE_DRY_RUN_ENTRY, {
        rule: ruleCode,
        version,
        hash: row.hash,
        baseline: baseline?.version ?? null,
        datasets: [...needs.keys()].sort(),
        population: result.population,
        by: principal.accountId,
        at: at.toISOString(),
      }),
    );
    return {
      rule: ruleCode,
      version,
      baseline: baseline?.version ?? null,
      on,
      ...result,
      failedBy: [...failedBy].map(([clause, count]) => ({ clause, count })).sort((a, b) => b.count - a.count),
      sample,
      ledgerEntryId,
    };
  };
}

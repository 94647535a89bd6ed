import { sql, type SQL } from 'drizzle-orm';
import { chinaDate } from '../../core/values.ts';
import { sweepAll, sweepCount, sweepPage } from '../sharing/index.ts';
import { decide } from './evaluate.ts';
import { populationPages } from './population.ts';
import { assertRuleData } from './proposals.ts';
import type { CompiledRule } from './rule-language.ts';
import * as repo from './rules.repository.ts';
import type { RulesContext } from './rules-context.ts';
import { ruleToSql, sweepDatasets } from './to-sql.ts';

const PAGE = 5000;
/** Up to this many eligible, one query answers them all (scanned in parallel); beyond, windows of the population. */
const ONE_QUERY = 100_000;

/** How a sweep ran: in the database (the rule compiled to SQL) or in batches here (a rule SQL cannot express). */
export type SweepPath = 'sql' | 'batch';

/**
 * Population sweeps (免申即享 by date, e.g. everyone turning 80): who the rule in force makes
 * eligible today, set-wise. The rule runs as one SQL predicate where it compiles (to-sql.ts), or is
 * evaluated in batches of records otherwise; the same people either way. Reads under the rule's
 * grants (checked first), as the system, for the engines that act without an application.
 */
export function createSweep(ctx: RulesContext) {
  const { db, clock } = ctx;

  async function load(code: string, at: Date) {
    const row = await repo.activeVersion(db, code);
    const on = chinaDate(at);
    if (!row || row.effectiveFrom > on || (row.effectiveTo !== null && row.effectiveTo < on)) return null;
    await assertRuleData(db, row, at);
    const compiled = ctx.compiledOf(row);
    const datasets = sweepDatasets(row.body);
    // Whether the rule compiles to SQL does not depend on the query it goes into.
    const inSql = ruleToSql(compiled, on, () => sql`null`) !== null;
    const predicate = (dataOf: (dataset: string) => SQL) => ruleToSql(compiled, on, dataOf)!;
    return { row, on, compiled, datasets, inSql, predicate };
  }

  /** Evaluates pages of the population here: for rules SQL cannot express. */
  async function* batches(compiled: CompiledRule, datasets: string[], on: string): AsyncGenerator<string[]> {
    for await (const page of populationPages(db, datasets, PAGE)) {
      const eligible = page.filter((p) => decide(compiled, p.records, on).outcome === 'eligible').map((p) => p.subjectKey);
      if (eligible.length > 0) yield eligible;
    }
  }

  return {
    /** How many the rule in force makes eligible today; null when no version is in force. */
    async countEligible(code: string, at = clock()): Promise<{ count: number; path: SweepPath } | null> {
      const loaded = await load(code, at);
      if (!loaded) return null;
      if (loaded.inSql) {
        try {
          const count = await sweepCount(db, { datasets: loaded.datasets, predicate: loaded.predicate });
          return { count, path: 'sql' };
        } catch {
          // An arithmetic overflow (or the like) in the database: the batch path says the same, row by row.
        }
      }
      let count = 0;
      for await (const keys of batches(loaded.compiled, loaded.datasets, loaded.on)) count += keys.length;
      return { count, path: 'batch' };
    },

    /** The eligible subjects' keys, page by page in key order (the engines grant to each). */
    async *eligible(code: string, at = clock(), window = PAGE): AsyncGenerator<string[]> {
      const loaded = await load(code, at);
      if (!loaded) return;
      if (!loaded.inSql) {
        yield* batches(loaded.compiled, loaded.datasets, loaded.on);
        return;
      }
      // One scan answers a small set (a birthday rule: a few hundred of ten million); a large one goes in windows.
      const few = await sweepAll(db, { datasets: loaded.datasets, predicate: loaded.predicate, limit: ONE_QUERY + 1 });
      if (few.length <= ONE_QUERY) {
        for (let i = 0; i < few.length; i += window) yield few.slice(i, i + window);
        return;
      }
      for (let after: string | null = null; ;) {
        const { keys, next } = await sweepPage(db, { datasets: loaded.datasets, predicate: loaded.predicate, afterKey: after, window });
        if (keys.length > 0) yield keys;
        if (next === null) return;
        after = next;
      }
    },
  };
}

import type { Executor } from '../../db/database.ts';
import { recordsOf, recordsPage } from '../sharing/index.ts';
import type { SubjectRecords } from './evaluate.ts';

/**
 * The population a rule reads, a page at a time in subject-key order: everyone with a record in the
 * first dataset, with their records in the others (absent where they have none). The dry run and
 * the batch sweep read it this way.
 */
export async function* populationPages(
  db: Executor,
  datasets: readonly string[],
  pageSize: number,
): AsyncGenerator<{ subjectKey: string; records: SubjectRecords }[]> {
  const [population, ...others] = datasets;
  if (population === undefined) return;
  for (let after: string | null = null; ;) {
    const page = await recordsPage(db, population, after, pageSize);
    if (page.length === 0) return;
    after = page.at(-1)!.subjectKey;
    const keys = page.map((r) => r.subjectKey);
    const more = await Promise.all(others.map(async (d) => [d, await recordsOf(db, d, keys)] as const));
    yield page.map(({ subjectKey, data }) => {
      const records: Record<string, Readonly<Record<string, string>> | undefined> = { [population]: data };
      for (const [d, byKey] of more) records[d] = byKey.get(subjectKey);
      return { subjectKey, records };
    });
  }
}

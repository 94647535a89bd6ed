import { and, asc, eq, gt, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { sharingDatasets, sharingGrants, sharingRecords } from './sharing.tables.ts';

/**
 * What the rules engine may read of the data catalogue, under the same grants as any exchange: a
 * rule acts with no application, so each dataset it reads needs a live grant to the rule's org,
 * for the rule's purpose, covering the fields, that waives consent by law (a citable legal basis).
 */
export type RuleDataProblem = 'no_dataset' | 'no_grant' | 'consent_required' | 'external';

export async function ruleDataProblems(
  db: Executor,
  input: { consumerOrgCode: string; purpose: string; needs: ReadonlyMap<string, readonly string[]>; at: Date },
): Promise<{ dataset: string; problem: RuleDataProblem }[]> {
  const codes = [...input.needs.keys()];
  if (codes.length === 0) return [];
  const datasets = await db
    .select({ code: sharingDatasets.code, fields: sharingDatasets.fields, provider: sharingDatasets.provider })
    .from(sharingDatasets)
    .where(inArray(sharingDatasets.code, codes));
  const grants = await db
    .select({ dataset: sharingGrants.datasetCode, fields: sharingGrants.fields, consentRequired: sharingGrants.consentRequired })
    .from(sharingGrants)
    .where(
      and(
        eq(sharingGrants.consumerOrgCode, input.consumerOrgCode),
        inArray(sharingGrants.datasetCode, codes),
        eq(sharingGrants.purpose, input.purpose),
        eq(sharingGrants.status, 'active'),
        isNull(sharingGrants.revokedAt),
        gt(sharingGrants.validUntil, input.at),
      ),
    );
  const problems: { dataset: string; problem: RuleDataProblem }[] = [];
  for (const [code, fields] of input.needs) {
    const dataset = datasets.find((d) => d.code === code);
    const covering = grants.filter((g) => g.dataset === code && fields.every((f) => g.fields.includes(f)));
    if (!dataset || !fields.every((f) => dataset.fields.some((df) => df.name === f)))
      problems.push({ dataset: code, problem: 'no_dataset' });
    else if (dataset.provider.kind !== 'internal') problems.push({ dataset: code, problem: 'external' });
    else if (covering.length === 0) problems.push({ dataset: code, problem: 'no_grant' });
    else if (covering.every((g) => g.consentRequired)) problems.push({ dataset: code, problem: 'consent_required' });
  }
  return problems;
}

/** One page of an internal dataset's records in subject-key order (a population sweep reads them all this way). */
export async function recordsPage(
  db: Executor,
  datasetCode: string,
  afterKey: string | null,
  limit: number,
): Promise<{ subjectKey: string; data: Record<string, string> }[]> {
  return db
    .select({ subjectKey: sharingRecords.subjectKey, data: sharingRecords.data })
    .from(sharingRecords)
    .where(
      and(eq(sharingRecords.datasetCode, datasetCode), afterKey === null ? undefined : sql`${sharingRecords.subjectKey} > ${afterKey}`),
    )
    .orderBy(asc(sharingRecords.subjectKey))
    .limit(limit);
}

/** The records of these subjects in a dataset, by subject key (the other datasets a rule reads, for a page). */
export async function recordsOf(
  db: Executor,
  datasetCode: string,
  subjectKeys: readonly string[],
): Promise<Map<string, Record<string, string>>> {
  if (subjectKeys.length === 0) return new Map();
  const rows = await db
    .select({ subjectKey: sharingRecords.subjectKey, data: sharingRecords.data })
    .from(sharingRecords)
    .where(and(eq(sharingRecords.datasetCode, datasetCode), inArray(sharingRecords.subjectKey, [...subjectKeys])));
  return new Map(rows.map((r) => [r.subjectKey, r.data]));
}

/**
 * A population sweep: the subjects whose records, across `datasets` (the first is the population;
 * the others joined by subject key, absent where a subject has none), satisfy a predicate built on
 * each dataset's jsonb record. One window of the population at a time, in key order after
 * `afterKey` (a primary-key range read of `window` records, whatever the predicate selects, so
 * that each window costs the same): the eligible keys in it, and the key to go on from (null when
 * the population is done). Internal datasets only (the caller has checked the grants).
 */
export async function sweepPage(
  db: Executor,
  input: { datasets: readonly string[]; predicate: (dataOf: (dataset: string) => SQL) => SQL; afterKey: string | null; window: number },
): Promise<{ keys: string[]; next: string | null }> {
  const [population, ...others] = input.datasets;
  const after = input.afterKey === null ? sql`` : sql` and subject_key > ${input.afterKey}`;
  const alias = new Map(input.datasets.map((d, i) => [d, sql.raw(`r${i}`)]));
  const joins = others.map((d, i) => {
    const r = sql.raw(`r${i + 1}`);
    return sql` left join ${sharingRecords} ${r} on ${r}.dataset_code = ${d} and ${r}.subject_key = r0.subject_key`;
  });
  const { rows } = await db.execute<{ last: string | null; n: string | number; keys: string[] | null }>(sql`
    select max(r0.subject_key) as last, count(*) as n,
      array_agg(r0.subject_key order by r0.subject_key) filter (where ${input.predicate((d) => sql`${alias.get(d)!}.data`)}) as keys
    from (select subject_key, data from ${sharingRecords} where dataset_code = ${population}${after}
          order by subject_key limit ${input.window}) r0${sql.join(joins, sql``)}`);
  const row = rows[0];
  const read = Number(row?.n ?? 0);
  return { keys: row?.keys ?? [], next: read < input.window ? null : (row?.last ?? null) };
}

/**
 * The matching subjects' keys in key order, in one query (the database may scan in parallel), at
 * most `limit` of them: for small answers (a caller seeing `limit` keys goes on in windows instead).
 */
export async function sweepAll(
  db: Executor,
  input: { datasets: readonly string[]; predicate: (dataOf: (dataset: string) => SQL) => SQL; limit: number },
): Promise<string[]> {
  const { from, where } = sweepFrom(input.datasets, input.predicate);
  const { rows } = await db.execute<{ subject_key: string }>(
    sql`select r0.subject_key from ${from} where ${where} order by r0.subject_key limit ${input.limit}`,
  );
  return rows.map((r) => r.subject_key);
}

export async function sweepCount(
  db: Executor,
  input: { datasets: readonly string[]; predicate: (dataOf: (dataset: string) => SQL) => SQL },
): Promise<number> {
  const { from, where } = sweepFrom(input.datasets, input.predicate);
  const { rows } = await db.execute<{ n: string | number }>(sql`select count(*) as n from ${from} where ${where}`);
  return Number(rows[0]?.n ?? 0);
}

function sweepFrom(datasets: readonly string[], predicate: (dataOf: (dataset: string) => SQL) => SQL) {
  const alias = new Map(datasets.map((d, i) => [d, sql.raw(`r${i}`)]));
  const joins = datasets
    .slice(1)
    .map(
      (d, i) =>
        sql` left join ${sharingRecords} ${sql.raw(`r${i + 1}`)} on ${sql.raw(`r${i + 1}`)}.dataset_code = ${d} and ${sql.raw(`r${i + 1}`)}.subject_key = r0.subject_key`,
    );
  const from = sql`${sharingRecords} r0${sql.join(joins, sql``)}`;
  const where = sql`r0.dataset_code = ${datasets[0]} and ${predicate((d) => sql`${alias.get(d)!}.data`)}`;
  return { from, where };
}

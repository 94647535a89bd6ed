/**
 * Population sweep (issue 13's floor: a birthday-style rule over 10 M residents on PostgreSQL in
 * < 60 s, evaluated set-wise). N household-register records are generated in the database; the
 * rule 高龄津贴 (aged 80 or over, registered in the province) runs
 *
 * - compiled to SQL (src/modules/rules/to-sql.ts): the count, and the eligible subjects' keys read
 *   page by page (as an engine granting to each would), and
 * - the baseline in the same run: the batch path (records read in pages, `decide` per record in
 *   this process: what a rule SQL cannot express gets), over the first `--baseline-n` records and
 *   extrapolated to N (labelled as such).
 *
 *   npx tsx bench/rules-sweep.ts [--n 10000000] [--baseline-n 1000000] [--keep]
 *
 * Exits 1 when the birthday rule's sweep (count + keys) of N takes 60 s or more.
 */
import { sql } from 'drizzle-orm';
import { openDatabase } from '../src/db/database.ts';
import { decide } from '../src/modules/rules/evaluate.ts';
import { compileRule, type RuleBody } from '../src/modules/rules/rule-language.ts';
import { ruleToSql, sweepDatasets } from '../src/modules/rules/to-sql.ts';
import { recordsPage, sweepAll, sweepCount, sweepPage } from '../src/modules/sharing/index.ts';
import { createBenchDatabase } from './support/databases.ts';
import { loadLine } from './support/machine.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg('--n', 10_000_000);
const BASELINE_N = Math.min(N, arg('--baseline-n', 1_000_000));
const REGISTER = 'ps.household_register';
const ON = '2026-12-05';
/** The floor's rule: a birthday rule (高龄津贴 on the 80th birthday, registered in the province). */
const birthday: RuleBody = {
  inputs: [
    { name: 'birthDate', dataset: REGISTER, field: 'birthDate', type: 'date' },
    { name: 'address', dataset: REGISTER, field: 'address', type: 'string' },
  ],
  params: [],
  clauses: [
    {
      id: 'birthday80',
      expr: 'anniversary(birthDate, today) && yearsBetween(birthDate, today) == 80',
      zh: '今天满 80 周岁',
      en: 'Turns 80 today',
    },
    { id: 'inProvince', expr: 'address.startsWith("河北省")', zh: '户籍在本省', en: 'Registered in the province' },
  ],
  amount: null,
};
/** A rule whose answer is a fifth of everyone (everyone aged 80 or over): read in windows of the population. */
const body: RuleBody = {
  inputs: [
    { name: 'birthDate', dataset: REGISTER, field: 'birthDate', type: 'date' },
    { name: 'address', dataset: REGISTER, field: 'address', type: 'string' },
  ],
  params: [{ name: 'monthlyFen', values: [{ from: '2024-01-01', value: 10000 }] }],
  clauses: [
    { id: 'aged80', expr: 'yearsBetween(birthDate, today) >= 80', zh: '年满 80 周岁', en: 'Aged 80 or over' },
    { id: 'inProvince', expr: 'address.startsWith("河北省")', zh: '户籍在本省', en: 'Registered in the province' },
  ],
  amount: 'monthlyFen',
};

const seconds = (from: number) => (performance.now() - from) / 1000;

const target = await createBenchDatabase('postgres', 'sweep');
const database = await openDatabase({ engine: 'postgres', url: target.databaseUrl! });
try {
  console.log(`# rules sweep: ${N.toLocaleString('en')} residents on PostgreSQL — ${loadLine()}`);
  await database.migrate();
  const { db } = database;
  await db.execute(sql`insert into sharing_datasets (code, provider_org_code, name_zh, name_en, fields, legal_basis, provider)
    values (${REGISTER}, 'bench', '户籍信息', 'Household register', '[]'::jsonb, '《中华人民共和国户口登记条例》', '{"kind":"internal"}'::jsonb)`);
  let t = performance.now();
  // Birth dates over 100 years, one in ten registered outside the province; keys as the HMACs are (hex).
  for (let from = 1; from <= N; from += 1_000_000) {
    const to = Math.min(N, from + 999_999);
    await db.execute(sql`insert into sharing_records (dataset_code, subject_key, data)
      select ${REGISTER}, md5(i::text), jsonb_build_object(
        'name', '居民', 'birthDate', to_char(date '1926-01-01' + (i * 7919 % 36500)::int, 'YYYY-MM-DD'),
        'address', case when i % 10 = 0 then '广西壮族自治区南宁市' else '河北省石家庄市正定县' end)
      from generate_series(${from}::bigint, ${to}::bigint) i`);
  }
  await db.execute(sql`analyze sharing_records`);
  console.log(`generated ${N.toLocaleString('en')} records in ${seconds(t).toFixed(1)} s (not part of the sweep)`);

  const birthdayRule = compileRule(birthday);
  const birthdayPredicate = (dataOf: Parameters<typeof ruleToSql>[2]) => ruleToSql(birthdayRule, ON, dataOf)!;
  // What rules.sweep.eligible does for a small answer: one query (scanned in parallel), the keys in order.
  t = performance.now();
  const turningKeys = await sweepAll(db, { datasets: [REGISTER], predicate: birthdayPredicate, limit: 100_001 });
  const birthdaySeconds = seconds(t);
  // The check, outside the timing: the count says the same.
  const turning = await sweepCount(db, { datasets: [REGISTER], predicate: birthdayPredicate });
  console.log(
    `birthday rule (turns 80 today): ${turningKeys.length.toLocaleString('en')} of ${N.toLocaleString('en')}, every key, in ${birthdaySeconds.toFixed(1)} s (the floor: < 60 s); the count agrees (${turning.toLocaleString('en')})`,
  );
  if (turningKeys.length !== turning) throw new Error('the birthday keys are not the count');

  const compiled = compileRule(body);
  const datasets = sweepDatasets(body);
  const predicate = (dataOf: Parameters<typeof ruleToSql>[2]) => ruleToSql(compiled, ON, dataOf)!;

  t = performance.now();
  const count = await sweepCount(db, { datasets, predicate });
  const countSeconds = seconds(t);
  t = performance.now();
  let listed = 0;
  for (let after: string | null = null; ;) {
    const { keys, next } = await sweepPage(db, { datasets, predicate, afterKey: after, window: 100_000 });
    listed += keys.length;
    if (next === null) break;
    after = next;
  }
  const listSeconds = seconds(t);
  console.log(
    `SQL sweep: count ${count.toLocaleString('en')} eligible in ${countSeconds.toFixed(1)} s; keys of all ${listed.toLocaleString('en')} in windows of 100,000 records, in ${listSeconds.toFixed(1)} s`,
  );

  t = performance.now();
  let batchEligible = 0;
  let read = 0;
  for (let after: string | null = null; read < BASELINE_N;) {
    const page = await recordsPage(db, REGISTER, after, Math.min(20_000, BASELINE_N - read));
    if (page.length === 0) break;
    read += page.length;
    after = page.at(-1)!.subjectKey;
    for (const r of page) if (decide(compiled, { [REGISTER]: r.data }, ON).outcome === 'eligible') batchEligible++;
  }
  const batchSeconds = seconds(t);
  const batchForN = (batchSeconds / read) * N;
  console.log(
    `baseline, batch path in this process: ${read.toLocaleString('en')} records in ${batchSeconds.toFixed(1)} s (${batchEligible.toLocaleString('en')} eligible) → ${batchForN.toFixed(0)} s for ${N.toLocaleString('en')} (extrapolated)`,
  );

  console.log(
    `\nbirthday rule over ${N.toLocaleString('en')}: ${birthdaySeconds.toFixed(1)} s (floor < 60 s); the batch path over the same population: ${batchForN.toFixed(0)} s (extrapolated), ${(batchForN / birthdaySeconds).toFixed(1)}× as long`,
  );
  console.log(
    `80-or-over rule (a fifth of everyone): count ${countSeconds.toFixed(1)} s, every key in windows ${listSeconds.toFixed(1)} s`,
  );
  if (listed !== count) throw new Error(`the keys listed (${listed}) are not the count (${count})`);
  const ok = birthdaySeconds < 60;
  console.log(ok ? 'PASS' : 'FAIL');
  process.exitCode = ok ? 0 : 1;
} finally {
  await database.close();
  if (!process.argv.includes('--keep')) await target.drop();
}

/**
 * Bulk benchmark data on PostgreSQL: the Hebei division tree, N residents and M cases, made by
 * the server itself (`INSERT … SELECT … FROM generate_series`) in batches, so that ten million
 * rows take minutes, not hours. Meant for a throwaway database; `yiban seed bench` will call
 * seedBenchData.
 *
 *   npx tsx bench/seed-bench-data.ts --residents 10000000 --cases 1000000 --database-url postgres://…/yiban_bench_x
 *
 * Residents carry placeholder cipher and hash values (unique, derived from the serial) since
 * nobody logs in as them; ids derive from the serial too, so a rerun inserts only what is missing.
 * Cases go to Hebei's villages with a power-law skew (village i of a shuffled list gets a
 * share ∝ (i+1)^(1/skew) − i^(1/skew)): with skew 2 and a million cases the busiest village has
 * about 4,500 cases, the tenth about 700, the median about 14. States spread over the whole
 * machine (40 % open), due dates over ±60 days from today (submission times are capped at now,
 * so far-off due dates are not realistic time limits; the queue only orders by them).
 * Each case's applicant is a generated resident, not necessarily one living in that village.
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import pg from 'pg';
import { createServices } from '../src/app.ts';
import { openDatabase } from '../src/db/database.ts';
import { SEED_SERVICE_ITEMS } from '../src/modules/catalog/catalog.seed.ts';
import { ensureDemoDepartments } from '../src/modules/orgs/orgs.service.ts';

export interface SeedBenchDataOptions {
  databaseUrl: string;
  residents: number;
  cases: number;
  residentBatch?: number;
  caseBatch?: number;
  /** Power of the village skew; 1 is uniform. */
  skew?: number;
  /** Seed of PostgreSQL's random(), for repeatable data. */
  randomSeed?: number;
  onProgress?: (stage: 'divisions' | 'residents' | 'cases', done: number, total: number) => void;
  log?: (line: string) => void;
}

export interface SeedBenchDataResult {
  villages: number;
  residents: number;
  cases: number;
  seconds: { divisions: number; residents: number; cases: number; analyze: number; total: number };
}

/** Case states and their shares: 1 % draft, 40 % open (submitted, accepted, in review), the rest settled. */
const STATE_SHARES: [string, number][] = [
  ['draft', 0.01],
  ['submitted', 0.2],
  ['accepted', 0.1],
  ['in_review', 0.1],
  ['returned', 0.04],
  ['approved', 0.1],
  ['rejected', 0.05],
  ['completed', 0.4],
];

const FORM = JSON.stringify({ address: '河北省（压测数据）', residentSince: '2015-05-01', purpose: 'school' });

export async function seedBenchData(options: SeedBenchDataOptions): Promise<SeedBenchDataResult> {
  const log = options.log ?? (() => undefined);
  const progress = options.onProgress ?? (() => undefined);
  const residentBatch = options.residentBatch ?? 500_000;
  const caseBatch = options.caseBatch ?? 200_000;
  const skew = options.skew ?? 2;
  const started = performance.now();
  const seconds = { divisions: 0, residents: 0, cases: 0, analyze: 0, total: 0 };

  const database = await openDatabase({ engine: 'postgres', url: options.databaseUrl, poolSize: 4 });
  try {
    await database.migrate();
    // The services load what the app itself would: divisions, departments, catalogue.
    const services = createServices(database, { masterKey: randomBytes(32) });
    const t = performance.now();
    await services.orgsAdmin.loadDivisions({ scope: 'hebei', onProgress: (done, total) => progress('divisions', done, total) });
    await ensureDemoDepartments(database.db);
    await services.catalogAdmin.upsertItems(SEED_SERVICE_ITEMS);
    seconds.divisions = (performance.now() - t) / 1000;
  } finally {
    await database.close();
  }

  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    // Losing the last batches in a crash is fine for generated data; waiting for each flush is not.
    await client.query('SET synchronous_commit = off');
    await client.query('SELECT setseed($1)', [options.randomSeed ?? 0.42]);
    // Skips the per-row foreign-key trigger of residents → accounts (40 % of a residents batch):
    // each batch inserts the accounts first, so the references hold. Needs a superuser; without
    // one the checks simply run.
    await client.query('SET session_replication_role = replica').catch(() => log('not a superuser: foreign-key checks stay on (slower)'));
    await client.query('DROP TABLE IF EXISTS bench_villages');
    // Villages in a shuffled but fixed order (by md5 of the code), so the busy ones are spread over Hebei.
    await client.query(`
      CREATE TEMP TABLE bench_villages AS
      SELECT (row_number() OVER (ORDER BY md5(code)))::int AS n, code, path
      FROM orgs WHERE level = 'village' AND code LIKE '13%'`);
    await client.query('ALTER TABLE bench_villages ADD PRIMARY KEY (n)');
    const villages = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM bench_villages')).rows[0]!.n);
    if (villages === 0) throw new Error('no Hebei villages loaded');
    log(`divisions: ${villages.toLocaleString('en')} Hebei villages, ${seconds.divisions.toFixed(1)} s`);

    let t = performance.now();
    progress('residents', 0, options.residents);
    for (let from = 1; from <= options.residents; from += residentBatch) {
      const to = Math.min(options.residents, from + residentBatch - 1);
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO accounts (id, kind, name, password_hash, status, created_at)
         SELECT ${accountId('g')}, 'resident', '压测居民' || g, '!bench-placeholder: no login',
                'active', now() - (g % 1000) * interval '1 day'
         FROM generate_series($1::bigint, $2::bigint) g
         ON CONFLICT DO NOTHING`,
        [from, to],
      );
      await client.query(
        `INSERT INTO residents (account_id, resident_id_cipher, resident_id_hash, resident_id_masked, phone,
                                birth_date, gender, address_code, home_org_code)
         SELECT ${accountId('g')},
                'bench-placeholder:' || g,
                ${orderedHex('g', 'yiban-bench-resident')},
                substr(v.code, 1, 6) || '********' || lpad((g % 10000)::text, 4, '0'),
                '1' || (3000000000 + g)::text,
                date '1940-01-01' + (g % 25000)::int,
                CASE WHEN g % 2 = 0 THEN 'female' ELSE 'male' END,
                substr(v.code, 1, 6),
                v.code
         FROM generate_series($1::bigint, $2::bigint) g
         JOIN bench_villages v ON v.n = 1 + (g % $3)
         ON CONFLICT DO NOTHING`,
        [from, to, villages],
      );
      await client.query('COMMIT');
      progress('residents', to, options.residents);
    }
    seconds.residents = (performance.now() - t) / 1000;

    const villageItems = SEED_SERVICE_ITEMS.filter((i) => i.handlerLevel === 'village').map((i) => i.code);
    const stateCase = stateCaseSql();
    t = performance.now();
    progress('cases', 0, options.cases);
    for (let from = 1; from <= options.cases; from += caseBatch) {
      const to = Math.min(options.cases, from + caseBatch - 1);
      await client.query(
        `INSERT INTO cases (id, service_code, applicant_id, org_code, org_path, state, channel, form,
                            submitted_at, due_date, decided_at, completed_at, created_at, updated_at)
         SELECT ${orderedHex('s.g', 'yiban-bench-case')}::uuid,
                ($4::text[])[1 + (s.g % cardinality($4::text[]))],
                ${accountId('(1 + (s.g * 7919) % $5)')},
                v.code, v.path, s.state,
                CASE s.g % 10 WHEN 0 THEN 'kiosk' WHEN 1 THEN 'helper' ELSE 'app' END,
                $6::jsonb,
                s.submitted_at,
                CASE WHEN s.state = 'draft' THEN NULL ELSE s.due END,
                CASE WHEN s.state IN ('approved', 'rejected', 'completed') THEN least(s.submitted_at + interval '3 days', now()) END,
                CASE WHEN s.state = 'completed' THEN least(s.submitted_at + interval '4 days', now()) END,
                coalesce(s.submitted_at, now()),
                coalesce(s.submitted_at, now())
         FROM (
           SELECT r.g, r.r1, r.due, ${stateCase} AS state,
                  CASE WHEN r.r2 < ${STATE_SHARES[0]![1]} THEN NULL
                       ELSE least(((r.due - 14) + time '09:30')::timestamptz, now() - interval '1 hour') END AS submitted_at
           FROM (SELECT g, random() AS r1, random() AS r2, current_date + floor(random() * 121 - 60)::int AS due
                 FROM generate_series($1::bigint, $2::bigint) g) r
         ) s
         JOIN bench_villages v ON v.n = 1 + least($3 - 1, floor($3 * power(s.r1, $7))::int)
         ON CONFLICT DO NOTHING`,
        [from, to, villages, villageItems, options.residents > 0 ? options.residents : 1, FORM, skew],
      );
      progress('cases', to, options.cases);
    }
    seconds.cases = (performance.now() - t) / 1000;

    t = performance.now();
    await client.query('ANALYZE accounts, residents, cases');
    seconds.analyze = (performance.now() - t) / 1000;
    const counts = await client.query<{ residents: string; cases: string }>(
      'SELECT (SELECT count(*) FROM residents) AS residents, (SELECT count(*) FROM cases) AS cases',
    );
    seconds.total = (performance.now() - started) / 1000;
    return { villages, residents: Number(counts.rows[0]!.residents), cases: Number(counts.rows[0]!.cases), seconds };
  } finally {
    await client.end();
  }
}

/**
 * 32 hex digits unique to serial `g`: g in the first 12 (as a UUIDv7 puts its timestamp there),
 * md5 of the serial after. Ids and lookup hashes in serial order make each batch append to the
 * right edge of the primary-key and unique indexes; with fully random md5 keys the inserts land
 * all over indexes larger than shared_buffers, and 10M residents took 16 minutes instead of a
 * few (measured on the 2-core machine of bench/RESULTS.md).
 */
function orderedHex(g: string, salt: string): string {
  return `(lpad(to_hex(${g}), 12, '0') || substr(md5('${salt}:' || ${g}), 13))`;
}

function accountId(g: string): string {
  return `${orderedHex(g, 'yiban-bench-account')}::uuid`;
}

/** `CASE WHEN r.r2 < 0.01 THEN 'draft' WHEN r.r2 < 0.21 THEN 'submitted' … END` from STATE_SHARES. */
function stateCaseSql(): string {
  let cumulative = 0;
  const whens = STATE_SHARES.slice(0, -1).map(([state, share]) => {
    cumulative += share;
    return `WHEN r.r2 < ${cumulative.toFixed(4)} THEN '${state}'`;
  });
  return `CASE ${whens.join(' ')} ELSE '${STATE_SHARES.at(-1)![0]}' END`;
}

/** Plain progress lines: a stage's count, its share, the rate since the stage began. */
export function progressPrinter(write: (line: string) => void = (l) => process.stderr.write(l + '\n')) {
  const stageStart = new Map<string, number>();
  const lastShown = new Map<string, number>();
  return (stage: string, done: number, total: number) => {
    if (!stageStart.has(stage)) stageStart.set(stage, performance.now());
    const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
    if (stage === 'divisions' && percent - (lastShown.get(stage) ?? -100) < 25 && done < total) return;
    lastShown.set(stage, percent);
    const elapsed = (performance.now() - stageStart.get(stage)!) / 1000;
    const rate = elapsed > 0 ? Math.round(done / elapsed).toLocaleString('en') : '-';
    write(
      `  ${stage}: ${done.toLocaleString('en')} / ${total.toLocaleString('en')} (${percent}%), ${elapsed.toFixed(0)} s, ${rate} rows/s`,
    );
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const program = new Command('seed-bench-data')
    .description('bulk benchmark data on PostgreSQL: Hebei divisions, residents, cases')
    .option('--residents <n>', 'residents', (v) => Number(v), 10_000_000)
    .option('--cases <n>', 'cases', (v) => Number(v), 1_000_000)
    .option('--database-url <url>', 'target database (default DATABASE_URL)', process.env.DATABASE_URL)
    .option('--skew <power>', 'village skew power, 1 = uniform', (v) => Number(v), 2)
    .parse(process.argv);
  const opts = program.opts<{ residents: number; cases: number; databaseUrl?: string; skew: number }>();
  if (!opts.databaseUrl) throw new Error('give --database-url or set DATABASE_URL');
  const result = await seedBenchData({
    databaseUrl: opts.databaseUrl,
    residents: opts.residents,
    cases: opts.cases,
    skew: opts.skew,
    onProgress: progressPrinter(),
    log: (line) => console.log(line),
  });
  console.log(
    `seeded ${result.residents.toLocaleString('en')} residents and ${result.cases.toLocaleString('en')} cases over ${result.villages.toLocaleString('en')} villages ` +
      `in ${result.seconds.total.toFixed(0)} s (divisions ${result.seconds.divisions.toFixed(0)} s, residents ${result.seconds.residents.toFixed(0)} s, ` +
      `cases ${result.seconds.cases.toFixed(0)} s, analyze ${result.seconds.analyze.toFixed(0)} s)`,
  );
}

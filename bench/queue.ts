/**
 * The staff queue (GET /api/queue → applications.queue → queryQueue) on PostgreSQL with bulk
 * data: a busy village reviewer's queue (first page, and every page following `next`), the
 * county and city administrators' subtree queues, the overdue filter. Requests go one at a
 * time over HTTP to the app in a child process, with real staff sessions; then the SQL of
 * each query is run under EXPLAIN (ANALYZE, BUFFERS). Floor: p99 < 50 ms.
 *
 *   npx tsx bench/queue.ts [--residents 1000000 --cases 200000] [--requests 500] [--keep]
 *   npx tsx bench/queue.ts --database-url postgres://…/yiban_bench_queue_x   (already seeded)
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import pg from 'pg';
import { createServices } from '../src/app.ts';
import { openDatabase, type Db } from '../src/db/database.ts';
import { buildQueueQuery, type QueueQuery } from '../src/modules/applications/applications.repository.ts';
import { chinaDate } from '../src/modules/catalog/working-days.ts';
import type { StaffRole } from '../src/modules/identity/identity.tables.ts';
import { createBenchDatabase, DEFAULT_SERVER_URL, type BenchDatabase } from './support/databases.ts';
import { backendPids, CpuMeter } from './support/cpu.ts';
import { createHttpClient, type HttpClient } from './support/http.ts';
import { startServer, type BenchServer } from './support/server.ts';
import { loadLine } from './support/machine.ts';
import { ms, summarise, table, verdict, type LatencySummary } from './support/stats.ts';
import { progressPrinter, seedBenchData } from './seed-bench-data.ts';

export const QUEUE_P99_FLOOR_MS = 50;
const PAGE = 50;
const STAFF_PASSWORD = 'Bench-staff-passw0rd';

export interface QueueBenchOptions {
  /** An already seeded database; without it a fresh one is created, seeded and dropped. */
  databaseUrl?: string;
  residents: number;
  cases: number;
  requests: number;
  keep: boolean;
  serverUrl: string;
  log: (line: string) => void;
}

interface Target {
  level: 'village' | 'county' | 'city';
  code: string;
  name: string;
  path: string;
  openCases: number;
  allCases: number;
}

interface Scenario {
  name: string;
  target: Target;
  token: string;
  overdue: boolean;
  /** Follow `next` page after page (back to page 1 at the end) instead of asking for page 1 again. */
  walk: boolean;
  /** The repository's query for this scenario, for EXPLAIN. */
  query: QueueQuery;
}

export interface ScenarioResult {
  name: string;
  latency: LatencySummary;
  /** CPU milliseconds per request: app server process and the PostgreSQL backends of its database. */
  cpu: { server: number; db: number };
  deepestPage: number;
  rowsFirstPage: number;
  pass: boolean;
  plan: PlanSummary;
}

export interface PlanSummary {
  text: string;
  indexes: string[];
  seqScan: boolean;
  sort: string | null;
  executionMs: number;
  buffers: string;
}

export async function benchQueue(options: QueueBenchOptions): Promise<ScenarioResult[]> {
  const { log } = options;
  let created: BenchDatabase | undefined;
  let databaseUrl = options.databaseUrl;
  if (!databaseUrl) {
    created = await createBenchDatabase('postgres', 'queue', options.serverUrl);
    databaseUrl = created.databaseUrl!;
    log(
      `\n[queue] database ${created.label}: seeding ${options.residents.toLocaleString('en')} residents, ${options.cases.toLocaleString('en')} cases`,
    );
    const seeded = await seedBenchData({
      databaseUrl,
      residents: options.residents,
      cases: options.cases,
      onProgress: progressPrinter((line) => log(line)),
    });
    log(
      `  seeded in ${seeded.seconds.total.toFixed(0)} s (divisions ${seeded.seconds.divisions.toFixed(0)} s, residents ${seeded.seconds.residents.toFixed(0)} s, ` +
        `cases ${seeded.seconds.cases.toFixed(0)} s, analyze ${seeded.seconds.analyze.toFixed(0)} s)`,
    );
  }
  const masterKey = randomBytes(32);
  const database = await openDatabase({ engine: 'postgres', url: databaseUrl, poolSize: 4 });
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  let server: BenchServer | undefined;
  let client: HttpClient | undefined;
  try {
    await database.migrate();
    const services = createServices(database, { masterKey });
    const sizes = await admin.query<{ cases: string; residents: string; size: string }>(
      `SELECT (SELECT count(*) FROM cases) AS cases, (SELECT count(*) FROM residents) AS residents,
              pg_size_pretty(pg_database_size(current_database())) AS size`,
    );
    log(
      `  data: ${Number(sizes.rows[0]!.residents).toLocaleString('en')} residents, ${Number(sizes.rows[0]!.cases).toLocaleString('en')} cases, database ${sizes.rows[0]!.size}`,
    );
    const village = await busiest(admin, 'village');
    const county = await busiest(admin, 'county');
    const city = await busiest(admin, 'city');
    for (const t of [village, county, city]) {
      log(`  ${t.level}: ${t.name} ${t.code}, ${t.openCases.toLocaleString('en')} open cases of ${t.allCases.toLocaleString('en')}`);
    }

    const login = async (role: StaffRole, target: Target) => {
      const username = `bench-${role.replace('_', '-')}-${target.code}`.slice(0, 32);
      await services.identityAdmin.ensureStaff({
        username,
        name: `压测${target.name}`,
        password: STAFF_PASSWORD,
        roles: [{ role, orgCode: target.code }],
      });
      return (await services.identity.login({ kind: 'staff', username, password: STAFF_PASSWORD, channel: 'web' })).token;
    };
    const reviewer = await login('village_reviewer', village);
    const countyAdmin = await login('county_admin', county);
    const cityAdmin = await login('city_admin', city);

    const today = chinaDate(new Date());
    const own = (t: Target): QueueQuery => ({ orgCode: t.code, limit: PAGE });
    const subtree = (t: Target): QueueQuery => ({
      subtree: { depth: t.path.split('.').length - 1, code: t.code, path: t.path },
      limit: PAGE,
    });
    const scenarios: Scenario[] = [
      { name: 'village reviewer, page 1', target: village, token: reviewer, overdue: false, walk: false, query: own(village) },
      { name: 'village reviewer, all pages by next', target: village, token: reviewer, overdue: false, walk: true, query: own(village) },
      {
        name: 'village reviewer, overdue',
        target: village,
        token: reviewer,
        overdue: true,
        walk: false,
        query: { ...own(village), dueBefore: today },
      },
      { name: 'county admin subtree, page 1', target: county, token: countyAdmin, overdue: false, walk: false, query: subtree(county) },
      {
        name: 'county admin subtree, pages by next',
        target: county,
        token: countyAdmin,
        overdue: false,
        walk: true,
        query: subtree(county),
      },
      {
        name: 'county admin subtree, overdue',
        target: county,
        token: countyAdmin,
        overdue: true,
        walk: false,
        query: { ...subtree(county), dueBefore: today },
      },
      { name: 'city admin subtree, page 1', target: city, token: cityAdmin, overdue: false, walk: false, query: subtree(city) },
    ];

    server = await startServer({ databaseUrl, dataDir: created?.dataDir ?? '/tmp', masterKey });
    client = createHttpClient(server.origin, 4);
    const results: ScenarioResult[] = [];
    const dbName = new URL(databaseUrl).pathname.slice(1);
    const serverPid = server.pid;
    const meters = { server: new CpuMeter(() => Promise.resolve([serverPid])), db: new CpuMeter(() => backendPids(databaseUrl, dbName)) };
    for (const scenario of scenarios) {
      const measured = await measure(client, scenario, options.requests, meters);
      const plan = await explain(
        admin,
        database.db,
        measured.deepestCursor ? { ...scenario.query, after: measured.deepestCursor } : scenario.query,
      );
      results.push({
        name: scenario.name,
        latency: measured.latency,
        cpu: measured.cpu,
        deepestPage: measured.deepestPage,
        rowsFirstPage: measured.rowsFirstPage,
        pass: measured.latency.p99 < QUEUE_P99_FLOOR_MS,
        plan,
      });
      log(`  ${scenario.name}: p50 ${ms(measured.latency.p50)} ms, p99 ${ms(measured.latency.p99)} ms; ${loadLine()}`);
    }
    printReport(results, log);
    return results;
  } finally {
    client?.close();
    await server?.stop();
    await admin.end();
    await database.close();
    if (created && !options.keep) await created.drop();
    else if (created) log(`  kept ${created.label} (--keep): drop it with DROP DATABASE ${created.label}`);
  }
}

export async function busiest(admin: pg.Client, level: Target['level']): Promise<Target> {
  // org_path is province.city.county.township.village: the level's code is one field of it.
  const field = { city: 2, county: 3, village: 5 }[level];
  const { rows } = await admin.query<{ code: string; open: string }>(
    `SELECT split_part(org_path, '.', ${field}) AS code, count(*) AS open FROM cases
     WHERE state IN ('submitted', 'accepted', 'in_review') AND org_path LIKE '13.%'
     GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1`,
  );
  const top = rows[0];
  if (!top) throw new Error('no open cases: seed the database first');
  const org = await admin.query<{ name: string; path: string }>('SELECT name, path FROM orgs WHERE code = $1', [top.code]);
  const path = org.rows[0]!.path;
  const all = await admin.query<{ n: string }>(
    level === 'village'
      ? 'SELECT count(*) AS n FROM cases WHERE org_code = $1'
      : `SELECT count(*) AS n FROM cases WHERE org_path LIKE $1 || '.%'`,
    [level === 'village' ? top.code : path],
  );
  return { level, code: top.code, name: org.rows[0]!.name, path, openCases: Number(top.open), allCases: Number(all.rows[0]!.n) };
}

async function measure(
  client: HttpClient,
  scenario: Scenario,
  requests: number,
  meters: { server: CpuMeter; db: CpuMeter },
): Promise<{
  latency: LatencySummary;
  cpu: { server: number; db: number };
  deepestPage: number;
  rowsFirstPage: number;
  deepestCursor?: { dueDate: string; id: string };
}> {
  const warmup = Math.min(50, Math.ceil(requests / 10));
  const latencies: number[] = [];
  let cursor: string | null = null;
  let page = 1;
  let deepestPage = 1;
  let deepestCursor: string | null = null;
  let rowsFirstPage = 0;
  for (let i = 0; i < warmup + requests; i++) {
    if (i === warmup) {
      await meters.server.start();
      await meters.db.start();
    }
    const params = new URLSearchParams({ orgCode: scenario.target.code });
    if (scenario.overdue) params.set('overdue', 'true');
    if (scenario.walk && cursor) params.set('after', cursor);
    const response = await client.request({
      method: 'GET',
      path: `/api/queue?${params.toString()}`,
      headers: { authorization: `Bearer ${scenario.token}` },
    });
    if (response.status !== 200) throw new Error(`${scenario.name}: HTTP ${response.status} ${response.body.slice(0, 300)}`);
    if (i >= warmup) latencies.push(response.ms);
    const body = JSON.parse(response.body) as { items: unknown[]; next: string | null };
    if (page === 1) rowsFirstPage = body.items.length;
    if (scenario.walk) {
      if (page > deepestPage) {
        deepestPage = page;
        deepestCursor = cursor;
      }
      cursor = body.next;
      page = cursor ? page + 1 : 1;
    }
  }
  const cpu = { server: (await meters.server.stop()) / requests, db: (await meters.db.stop()) / requests };
  const decoded = deepestCursor ? (JSON.parse(Buffer.from(deepestCursor, 'base64url').toString('utf8')) as [string, string]) : undefined;
  return {
    latency: summarise(latencies),
    cpu,
    deepestPage,
    rowsFirstPage,
    ...(decoded ? { deepestCursor: { dueDate: decoded[0], id: decoded[1] } } : {}),
  };
}

/** The SQL that applications.repository.ts runs for a queue page. */
export function queueSql(db: Db, q: QueueQuery): { sql: string; params: unknown[] } {
  return buildQueueQuery(db, q).toSQL();
}

async function explain(admin: pg.Client, db: Db, q: QueueQuery): Promise<PlanSummary> {
  const query = queueSql(db, q);
  const { rows } = await admin.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${query.sql}`, query.params);
  const lines = rows.map((r) => r['QUERY PLAN']);
  const text = lines.join('\n');
  const indexes = [
    ...new Set([...text.matchAll(/(?:Index(?: Only)? Scan(?: Backward)? using|Bitmap Index Scan on) (\w+)/g)].map((m) => m[1]!)),
  ];
  const topBuffers =
    lines
      .find((l) => l.includes('Buffers:'))
      ?.trim()
      .replace('Buffers: ', '') ?? '';
  return {
    text: `-- params: ${JSON.stringify(query.params)}\n${query.sql}\n${text}`,
    indexes,
    seqScan: /Seq Scan on cases/.test(text),
    sort: /Sort Method: ([^\n]+)/.exec(text)?.[1]?.trim() ?? null,
    executionMs: Number(/Execution Time: ([\d.]+) ms/.exec(text)?.[1] ?? NaN),
    buffers: topBuffers,
  };
}

function printReport(results: ScenarioResult[], log: (line: string) => void): void {
  log(`\nStaff queue, GET /api/queue, ${PAGE} per page, requests one at a time (floor p99 < ${QUEUE_P99_FLOOR_MS} ms)`);
  log(
    table([
      ['scenario', 'n', 'deepest page', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'floor', 'CPU ms/req app', 'CPU ms/req db'],
      ...results.map((r) => [
        r.name,
        r.latency.count,
        r.deepestPage,
        ms(r.latency.p50),
        ms(r.latency.p90),
        ms(r.latency.p99),
        ms(r.latency.max),
        verdict(r.pass),
        ms(r.cpu.server),
        ms(r.cpu.db),
      ]),
    ]),
  );
  log('\nEXPLAIN (ANALYZE, BUFFERS) of the SQL behind each scenario (walks: at the deepest page reached)');
  log(
    table([
      ['scenario', 'indexes', 'seq scan', 'sort', 'exec ms', 'buffers'],
      ...results.map((r) => [
        r.name,
        r.plan.indexes.join(', ') || '-',
        r.plan.seqScan ? 'yes' : 'no',
        r.plan.sort ?? '-',
        ms(r.plan.executionMs),
        r.plan.buffers,
      ]),
    ]),
  );
  for (const r of results) log(`\n--- ${r.name}\n${r.plan.text}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const program = new Command('queue')
    .option('--database-url <url>', 'an already seeded database (kept)')
    .option('--residents <n>', 'residents to seed', (v) => Number(v), 1_000_000)
    .option('--cases <n>', 'cases to seed', (v) => Number(v), 200_000)
    .option('--requests <n>', 'measured requests per scenario', (v) => Number(v), 500)
    .option('--keep', 'keep the seeded database', false)
    .option('--server-url <url>', 'PostgreSQL server to create the database on', DEFAULT_SERVER_URL)
    .parse(process.argv);
  const opts = program.opts<{
    databaseUrl?: string;
    residents: number;
    cases: number;
    requests: number;
    keep: boolean;
    serverUrl: string;
  }>();
  const results = await benchQueue({ ...opts, log: (line) => console.log(line) });
  if (results.some((r) => !r.pass)) process.exitCode = 1;
}

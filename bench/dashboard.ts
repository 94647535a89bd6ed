/**
 * Issue 15's dashboard benchmark on PostgreSQL: "Dashboard for a province with 10 M cases: p99 <
 * 100 ms per view, fresh within one minute of the events it counts (maintained incrementally,
 * not by scanning all cases per view)."
 *
 * 1. The aggregate (dashboards' `dashboard_counts`) is filled in bulk with a year of N cases'
 *    worth of counts over the province's villages (power-law skew, as seed-bench-data.ts spreads
 *    cases), rolled up to every ancestor level exactly as the outbox handler writes it: the
 *    cases themselves are not created (the view never reads them).
 * 2. Views: C concurrent users (a province supervisor, a city, county and township
 *    administrator, a village reviewer, each at the busiest org of its level) ask
 *    GET /api/dashboards/:code over HTTP (the real app in its own process), a 30-day period and
 *    one of a year; p99 per level and overall.
 * 3. Freshness: cases submitted through the applications service here, counted by the outbox
 *    worker here (as `yiban serve` runs it: 100 ms idle poll), and the time until the village's
 *    view over HTTP shows each.
 *
 *   npx tsx bench/dashboard.ts                                  small: 石家庄 (prefix 1301), 200 k cases
 *   npx tsx bench/dashboard.ts --scope hebei --cases 10000000   the issue's size (the whole province)
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import pg from 'pg';
import { createServices } from '../src/app.ts';
import { openDatabase } from '../src/db/database.ts';
import { SEED_SERVICE_ITEMS } from '../src/modules/catalog/index.ts';
import { makeResidentId } from '../src/modules/identity/index.ts';
import type { StaffRole } from '../src/modules/identity/identity.tables.ts';
import { busiestOrg, fillDashboardAggregate } from './support/dashboard-aggregate.ts';
import { createBenchDatabase, DEFAULT_SERVER_URL } from './support/databases.ts';
import { backendPids, CpuMeter } from './support/cpu.ts';
import { createHttpClient } from './support/http.ts';
import { loadLine } from './support/machine.ts';
import { startServer } from './support/server.ts';
import { ms, summarise, table, verdict } from './support/stats.ts';

const VIEW_BUDGET_MS = 100;
const FRESH_BUDGET_MS = 60_000;
const PASSWORD = 'Bench-staff-passw0rd';

const program = new Command('dashboard')
  .option('--scope <scope>', 'divisions: hebei, or a code prefix such as 1301', '1301')
  .option('--cases <n>', "cases' worth of counts", (v) => Number(v), 200_000)
  .option('--batch <n>', 'cases per generating statement', (v) => Number(v), 1_000_000)
  .option('--users <n>', 'concurrent users', (v) => Number(v), 16)
  .option('--requests <n>', 'measured views', (v) => Number(v), 2_000)
  .option('--fresh <n>', 'cases submitted for the freshness measurement', (v) => Number(v), 20)
  .option('--server-url <url>', 'PostgreSQL server', DEFAULT_SERVER_URL)
  .option('--keep', 'keep the database', false)
  .parse(process.argv);
const opts = program.opts<{
  scope: string;
  cases: number;
  batch: number;
  users: number;
  requests: number;
  fresh: number;
  serverUrl: string;
  keep: boolean;
}>();
const log = (line: string) => console.log(line);

const created = await createBenchDatabase('postgres', 'dashboard', opts.serverUrl);
const databaseUrl = created.databaseUrl!;
const masterKey = randomBytes(32);
const database = await openDatabase({ engine: 'postgres', url: databaseUrl, poolSize: 4 });
const admin = new pg.Client({ connectionString: databaseUrl });
await admin.connect();
let failed = false;
try {
  await database.migrate();
  const services = createServices(database, { masterKey });
  let t = performance.now();
  await services.orgsAdmin.loadDivisions({ scope: opts.scope === 'hebei' ? 'hebei' : { prefix: opts.scope } });
  await services.catalogAdmin.upsertItems(SEED_SERVICE_ITEMS);
  log(`[dashboard] divisions (${opts.scope}) and catalogue: ${((performance.now() - t) / 1000).toFixed(1)} s`);

  // ---- 1. the aggregate, in bulk ----
  t = performance.now();
  const villages = await fillDashboardAggregate(admin, {
    cases: opts.cases,
    batch: opts.batch,
    serviceCodes: SEED_SERVICE_ITEMS.map((i) => i.code),
  });
  const rows = Number((await admin.query<{ n: string }>('SELECT count(*) AS n FROM dashboard_counts')).rows[0]!.n);
  const size = (await admin.query<{ s: string }>(`SELECT pg_size_pretty(pg_total_relation_size('dashboard_counts')) AS s`)).rows[0]!.s;
  log(
    `[dashboard] ${opts.cases.toLocaleString('en')} cases' worth over ${villages.toLocaleString('en')} villages: ${rows.toLocaleString('en')} aggregate rows (${size}), ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );

  // ---- 2. views under concurrent users ----
  const roles: [string, StaffRole][] = [
    ['province', 'supervisor'],
    ['city', 'city_admin'],
    ['county', 'county_admin'],
    ['township', 'township_admin'],
    ['village', 'village_reviewer'],
  ];
  const scenarios: { level: string; code: string; token: string }[] = [];
  for (const [level, role] of roles) {
    const code = await busiestOrg(admin, level);
    const username = `bench-dash-${level}`;
    await services.identityAdmin.ensureStaff({ username, name: `压测${level}`, password: PASSWORD, roles: [{ role, orgCode: code }] });
    scenarios.push({
      level,
      code,
      token: (await services.identity.login({ kind: 'staff', username, password: PASSWORD, channel: 'web' })).token,
    });
  }
  const server = await startServer({ databaseUrl, dataDir: created.dataDir, masterKey });
  const client = createHttpClient(server.origin, opts.users);
  const stopWorker = services.events.start({ intervalMs: 100, pipelines: 2, batchSize: 16 });
  try {
    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    const yearAgo = new Date(Date.now() + 8 * 3_600_000 - 364 * 86_400_000).toISOString().slice(0, 10);
    const view = async (s: (typeof scenarios)[number], year: boolean) => {
      const q = year ? `?from=${yearAgo}&to=${today}` : '';
      const r = await client.request({
        method: 'GET',
        path: `/api/dashboards/${s.code}${q}`,
        headers: { authorization: `Bearer ${s.token}` },
      });
      if (r.status !== 200) throw new Error(`GET /api/dashboards/${s.code}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
      return r;
    };
    for (const s of scenarios) for (let i = 0; i < 5; i++) await view(s, i % 2 === 0);
    const times = new Map<string, number[]>();
    let next = 0;
    // CPU per view: the server process, and the PostgreSQL backends of the bench database (the generator's own is left out).
    const serverCpu = new CpuMeter(() => Promise.resolve([server.pid]));
    const pgCpu = new CpuMeter(() => backendPids(opts.serverUrl, new URL(databaseUrl).pathname.slice(1)));
    await Promise.all([serverCpu.start(), pgCpu.start()]);
    const started = performance.now();
    await Promise.all(
      Array.from({ length: opts.users }, async () => {
        while (next < opts.requests) {
          const i = next++;
          const s = scenarios[i % scenarios.length]!;
          const year = i % 4 === 3;
          const r = await view(s, year);
          const key = `${s.level}${year ? ' (year)' : ' (30 days)'}`;
          (times.get(key) ?? times.set(key, []).get(key)!).push(r.ms);
        }
      }),
    );
    const wall = (performance.now() - started) / 1000;
    const [serverMs, pgMs] = await Promise.all([serverCpu.stop(), pgCpu.stop()]);
    const all = summarise([...times.values()].flat());
    log(
      `\nViews: ${opts.requests} GET /api/dashboards/:code from ${opts.users} concurrent users, ${(opts.requests / wall).toFixed(0)} views/s; ` +
        `CPU per view: server ${(serverMs / opts.requests).toFixed(2)} ms, PostgreSQL ${(pgMs / opts.requests).toFixed(2)} ms`,
    );
    log(
      table([
        ['view', 'count', 'p50 ms', 'p99 ms', 'max ms'],
        ...[...times.entries()].sort().map(([k, v]) => {
          const s = summarise(v);
          return [k, s.count, ms(s.p50), ms(s.p99), ms(s.max)];
        }),
        ['all', all.count, ms(all.p50), ms(all.p99), ms(all.max)],
      ]),
    );
    const viewsPass = all.p99 < VIEW_BUDGET_MS;
    log(`p99 ${ms(all.p99)} ms, budget < ${VIEW_BUDGET_MS} ms: ${verdict(viewsPass)}`);

    // ---- 3. freshness ----
    const village = scenarios.find((s) => s.level === 'village')!;
    const residentId = makeResidentId(village.code.slice(0, 6), '1990-05-01', Math.floor(Math.random() * 1000));
    await services.identity.registerResident({
      name: '压测居民',
      residentId,
      phone: `139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`,
      password: PASSWORD,
      homeOrgCode: village.code,
    });
    const { token } = await services.identity.login({
      kind: 'resident',
      residentIdOrPhone: residentId,
      password: PASSWORD,
      channel: 'app',
    });
    const resident = (await services.identity.authenticate(token))!;
    const submittedToday = async () => {
      const r = await client.request({
        method: 'GET',
        path: `/api/dashboards/${village.code}?from=${today}&to=${today}`,
        headers: { authorization: `Bearer ${village.token}` },
      });
      return (JSON.parse(r.body) as { figures: { submitted: number } }).figures.submitted;
    };
    const lags: number[] = [];
    for (let i = 0; i < opts.fresh; i++) {
      const before = await submittedToday();
      await services.applications.submit(resident, {
        serviceCode: 'cert.residence',
        form: { address: '河北省（压测数据）', residentSince: '2015-05-01', purpose: 'school' },
      });
      const at = performance.now();
      while ((await submittedToday()) <= before) {
        if (performance.now() - at > FRESH_BUDGET_MS * 2) throw new Error('the submitted case never showed on the dashboard');
      }
      lags.push(performance.now() - at);
    }
    const fresh = summarise(lags);
    const freshPass = fresh.max < FRESH_BUDGET_MS;
    log(
      `\nFreshness: ${opts.fresh} cases submitted, from the commit to the village's view showing it (outbox worker, 100 ms idle poll): p50 ${ms(fresh.p50)} ms, max ${ms(fresh.max)} ms; budget < ${FRESH_BUDGET_MS / 1000} s: ${verdict(freshPass)}`,
    );
    log(`\n${loadLine()}`);
    failed = !viewsPass || !freshPass;
  } finally {
    await stopWorker();
    client.close();
    await server.stop();
  }
} finally {
  await admin.end();
  await database.close();
  if (!opts.keep) await created.drop();
}
process.exit(failed ? 1 : 0);

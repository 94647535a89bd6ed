/**
 * What one dashboard view costs in CPU, per level, in one process with no concurrency: the view
 * through the app's HTTP stack (fastify inject: auth, route, service, serialisation; no socket)
 * and the service call alone, on a PostgreSQL database whose aggregate holds N cases' worth (as
 * bench/dashboard.ts fills it). CPU is process.cpuUsage (user + system) of this process, and the
 * PostgreSQL backends' CPU from /proc, divided by the views: steadier than latency on a shared
 * machine. `--profile FILE` writes a V8 CPU profile of the inject loop and prints self time by
 * function and by module.
 *
 *   npx tsx bench/dashboard-cpu.ts --cases 100000 --views 200
 *   npx tsx bench/dashboard-cpu.ts --database-url postgres://…/yiban_bench_dashcpu_… --views 500 --profile /tmp/dash.cpuprofile
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import pg from 'pg';
import { SEED_SERVICE_ITEMS } from '../src/modules/catalog/index.ts';
import type { StaffRole } from '../src/modules/identity/identity.tables.ts';
import { buildApp, openPlatform } from '../src/platform.ts';
import { backendPids, CpuMeter } from './support/cpu.ts';
import { busiestOrg, fillDashboardAggregate } from './support/dashboard-aggregate.ts';
import { benchConfig, createBenchDatabase, DEFAULT_SERVER_URL } from './support/databases.ts';
import { loadLine } from './support/machine.ts';
import { type CpuProfile, printBreakdown } from './support/profile-modules.ts';
import { table } from './support/stats.ts';

const PASSWORD = 'Bench-staff-passw0rd';
const program = new Command('dashboard-cpu')
  .option('--scope <prefix>', 'division code prefix', '1301')
  .option('--cases <n>', "cases' worth of counts", (v) => Number(v), 100_000)
  .option('--views <n>', 'measured views per level and kind', (v) => Number(v), 200)
  .option('--server-url <url>', 'PostgreSQL server', DEFAULT_SERVER_URL)
  .option('--database-url <url>', 'reuse a database this script filled before (kept with --keep)')
  .option('--keep', 'keep the database (its URL is printed)', false)
  .option('--profile <file>', 'write a CPU profile of the HTTP views')
  .parse(process.argv);
const opts = program.opts<{
  scope: string;
  cases: number;
  views: number;
  serverUrl: string;
  databaseUrl?: string;
  keep: boolean;
  profile?: string;
}>();

const masterKey = Buffer.alloc(32, 7);
const created = opts.databaseUrl ? null : await createBenchDatabase('postgres', 'dashcpu', opts.serverUrl);
const databaseUrl = opts.databaseUrl ?? created!.databaseUrl!;
const dataDir = created?.dataDir ?? `/tmp/yiban-dashcpu-${randomBytes(3).toString('hex')}`;
const platform = await openPlatform(benchConfig({ databaseUrl, dataDir }, masterKey));
const { services } = platform;
const admin = new pg.Client({ connectionString: databaseUrl });
await admin.connect();
try {
  if (!opts.databaseUrl) {
    const t = performance.now();
    await services.orgsAdmin.loadDivisions({ scope: { prefix: opts.scope } });
    await services.catalogAdmin.upsertItems(SEED_SERVICE_ITEMS);
    await fillDashboardAggregate(admin, { cases: opts.cases, batch: 1_000_000, serviceCodes: SEED_SERVICE_ITEMS.map((i) => i.code) });
    console.log(
      `[dashboard-cpu] filled ${opts.cases.toLocaleString('en')} cases' worth in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
  }
  const rows = Number((await admin.query<{ n: string }>('SELECT count(*) AS n FROM dashboard_counts')).rows[0]!.n);
  console.log(`[dashboard-cpu] ${databaseUrl}: ${rows.toLocaleString('en')} aggregate rows`);

  const roles: [string, StaffRole][] = [
    ['province', 'supervisor'],
    ['city', 'city_admin'],
    ['county', 'county_admin'],
    ['township', 'township_admin'],
    ['village', 'village_reviewer'],
  ];
  const app = await buildApp(platform, { logLevel: 'silent' });
  const levels = [];
  for (const [level, role] of roles) {
    const code = level === 'province' ? opts.scope.slice(0, 2) : await busiestOrg(admin, level);
    const username = `bench-dashcpu-${level}`;
    await services.identityAdmin.ensureStaff({ username, name: `压测${level}`, password: PASSWORD, roles: [{ role, orgCode: code }] });
    const { token } = await services.identity.login({ kind: 'staff', username, password: PASSWORD, channel: 'web' });
    levels.push({ level, code, token, principal: (await services.identity.authenticate(token))! });
  }
  const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
  const yearAgo = new Date(Date.now() + 8 * 3_600_000 - 364 * 86_400_000).toISOString().slice(0, 10);
  const periods = [
    { name: '30 days', query: {} as { from?: string; to?: string }, qs: '' },
    { name: 'year', query: { from: yearAgo, to: today }, qs: `?from=${yearAgo}&to=${today}` },
  ];
  const pg_ = new CpuMeter(() => backendPids(opts.serverUrl, new URL(databaseUrl).pathname.slice(1)));

  /** Node CPU (ms) and PostgreSQL CPU (ms) per call, and bytes of the last answer. */
  async function measure(n: number, call: () => Promise<number>) {
    for (let i = 0; i < 10; i++) await call();
    await pg_.start();
    const node = process.cpuUsage();
    const t = performance.now();
    let bytes = 0;
    for (let i = 0; i < n; i++) bytes = await call();
    const wall = performance.now() - t;
    const used = process.cpuUsage(node);
    return { node: (used.user + used.system) / 1000 / n, pg: (await pg_.stop()) / n, wall: wall / n, bytes };
  }

  const out: (string | number)[][] = [['view', 'HTTP: node CPU ms', 'PG CPU ms', 'wall ms', 'bytes', 'service only: node CPU ms']];
  let session: Session | undefined;
  for (const l of levels) {
    for (const p of periods) {
      if (opts.profile && !session) {
        session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
      }
      const http = await measure(opts.views, async () => {
        const r = await app.inject({
          method: 'GET',
          url: `/api/dashboards/${l.code}${p.qs}`,
          headers: { authorization: `Bearer ${l.token}` },
        });
        if (r.statusCode !== 200) throw new Error(`HTTP ${r.statusCode}: ${r.body.slice(0, 200)}`);
        return r.rawPayload.length;
      });
      const svc = await measure(opts.views, async () => {
        await services.dashboards.view(l.principal, l.code, p.query);
        return 0;
      });
      out.push([
        `${l.level} ${l.code} (${p.name})`,
        http.node.toFixed(2),
        http.pg.toFixed(2),
        http.wall.toFixed(2),
        http.bytes,
        svc.node.toFixed(2),
      ]);
    }
  }
  console.log(table(out));
  console.log(loadLine());
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(opts.profile!, JSON.stringify(profile));
    const units = levels.length * periods.length * (opts.views * 2 + 20);
    printBreakdown(profile as unknown as CpuProfile, units, 'view');
    printSelfTime(profile as unknown as CpuProfile, units);
  }
  await app.close();
} finally {
  await admin.end();
  await platform.close();
  if (created && !opts.keep) await created.drop();
  else if (created) console.log(`[dashboard-cpu] kept: --database-url ${databaseUrl}`);
}

/** Self time by function (name and file:line), top 25, per view. */
function printSelfTime(profile: CpuProfile, units: number): void {
  const self = new Map<string, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  profile.samples.forEach((id, i) => {
    const f = byId.get(id)!.callFrame as { functionName: string; url: string; lineNumber?: number };
    if (f.functionName === '(idle)') return;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|src)\//, '$1/')}:${(f.lineNumber ?? 0) + 1}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`  self time by function (${(total / units).toFixed(2)} ms/view sampled):`);
  for (const [k, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25))
    console.log(`    ${((100 * ms) / total).toFixed(1).padStart(5)} %  ${(ms / units).toFixed(3)} ms  ${k}`);
}

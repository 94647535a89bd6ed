/**
 * Single approvals at scale (issue 11): the platform's HTTP server on PostgreSQL (forked, as
 * `serve` runs it), 50 reviewers of 塔元庄村 each approving one case per request in a loop
 * (`POST /api/cases/:id/actions {"action":"approve"}`, no batch endpoint); each approval issues
 * its certificate with its ledger leaf. Reported: approvals/s, p50/p99 latency, the server's
 * CPU and the PostgreSQL backends' CPU per approval, and OpenAttestation `wrapDocuments`/s over
 * documents with the same fields in the same run (bench/issuance.ts's baseline), and the ratio.
 * Afterwards: certificates = issuance leaves = status slots = completed cases = approvals
 * answered 200, nothing lost or duplicated.
 *
 * Floors: ≥ 0.3× wrapDocuments/s in the same run, p99 < 100 ms.
 *
 *   npx tsx bench/approvals.ts [--reviewers 50] [--seconds 15] [--warm 500] [--cases 30000] [--server-url …]
 *
 * Profile the server: BENCH_SERVER_NODE_FLAGS="--cpu-prof --cpu-prof-dir=prof" npx tsx bench/approvals.ts
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { openPlatform } from '../src/platform.ts';
import { backendPids, CpuMeter, processCpuMs } from './support/cpu.ts';
import { benchConfig, createBenchDatabase, DEFAULT_SERVER_URL } from './support/databases.ts';
import { createLightClient } from './support/http.ts';
import { loadLine } from './support/machine.ts';
import { startServer } from './support/server.ts';
import { ms, summarise } from './support/stats.ts';
import { benchOpenAttestation, consistent, equivalentDocuments, PASSWORD, seed } from './issuance.ts';

export interface ApprovalsBenchOptions {
  reviewers: number;
  seconds: number;
  warm: number;
  cases: number;
  oaDocs: number;
  serverUrl: string;
  log: (line: string) => void;
}

export interface ApprovalsReport {
  approvals: number;
  rate: number;
  p50: number;
  p99: number;
  cpuMs: { app: number; db: number };
  wrapRate: number;
  ratio: number;
  consistent: boolean;
  pass: boolean;
}

export async function benchApprovals(options: ApprovalsBenchOptions): Promise<ApprovalsReport> {
  const { log } = options;
  const database = await createBenchDatabase('postgres', 'approvals', options.serverUrl);
  const masterKey = randomBytes(32);
  const config = benchConfig(database, masterKey);
  log(`[single approvals over HTTP, PostgreSQL] ${database.label}; ${loadLine()}`);
  try {
    let platform = await openPlatform(config);
    const total = options.warm + options.cases;
    const t = performance.now();
    const seeded = await seed(platform, total, options.reviewers);
    // Sessions made through the service: the login route's rate limit is not what is measured.
    const tokens: string[] = [];
    for (const username of seeded.usernames) {
      const { token } = await platform.services.identity.login({ kind: 'staff', username, password: PASSWORD, channel: 'web' });
      tokens.push(token);
    }
    log(`  seeded ${total} submitted cases and ${tokens.length} reviewers in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    await platform.close();

    const commitsBefore = await commits(options.serverUrl, database.label);
    const server = await startServer({ databaseUrl: database.databaseUrl, dataDir: database.dataDir, masterKey });
    // The raw-socket client: node:http's would take a large share of the two cores from the server.
    const client = createLightClient(server.origin, options.reviewers);
    const statuses = new Map<number, number>();
    const errors = new Map<string, number>();
    let cursor = 0;
    const ids = seeded.ids;
    const approve = async (token: string, id: string) => {
      const sent = performance.now();
      const r = await client.request({
        method: 'POST',
        path: `/api/cases/${id}/actions`,
        headers: { authorization: `Bearer ${token}`, 'x-auth-mode': 'bearer' },
        body: '{"action":"approve"}',
      });
      const ms = performance.now() - sent;
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status !== 200) {
        const body = r.errorBody ?? '';
        const code = (/"code":"([A-Z_]+)"/.exec(body) ?? [])[1] ?? body.slice(0, 80);
        errors.set(code, (errors.get(code) ?? 0) + 1);
      }
      return { status: r.status, ms };
    };
    /** Every reviewer approves one case per request, the next in the shared queue, until `until` says stop. */
    const loop = async (limit: number, until: number, latencies: number[]) => {
      let ok = 0;
      await Promise.all(
        tokens.map(async (token) => {
          while (cursor < limit && performance.now() < until) {
            const r = await approve(token, ids[cursor++]!);
            latencies.push(r.ms);
            if (r.status === 200) ok++;
          }
        }),
      );
      return ok;
    };

    const warmOk = await loop(options.warm, Infinity, []);
    log(`  warm-up: ${warmOk}/${options.warm} approved`);
    const meter = new CpuMeter(() => backendPids(options.serverUrl, database.label));
    await meter.start();
    const appBefore = processCpuMs(server.pid)!;
    const latencies: number[] = [];
    const clientCpu = process.cpuUsage();
    const started = performance.now();
    const ok = await loop(total, started + options.seconds * 1000, latencies);
    const seconds = (performance.now() - started) / 1000;
    const appMs = processCpuMs(server.pid)! - appBefore;
    const dbMs = await meter.stop();
    const clientUsed = process.cpuUsage(clientCpu);
    const load = loadLine();
    client.close();
    await server.stop();

    // Every backend reports its counts when it disconnects: after the server stopped, they are all in.
    const serverCommits = (await commits(options.serverUrl, database.label)) - commitsBefore;
    const lat = summarise(latencies);
    const rate = ok / seconds;
    const cpuMs = { app: appMs / ok, db: dbMs / ok };
    log(
      `  ${options.reviewers} reviewers, one case per request: ${ok}/${latencies.length} approved in ${seconds.toFixed(2)} s = ${rate.toFixed(0)}/s; ` +
        `latency p50 ${ms(lat.p50)} ms, p99 ${ms(lat.p99)} ms, max ${ms(lat.max)} ms`,
    );
    log(
      `  CPU ms per approval: server ${cpuMs.app.toFixed(2)} + PostgreSQL ${cpuMs.db.toFixed(2)} = ${(cpuMs.app + cpuMs.db).toFixed(2)} (/proc utime+stime); ` +
        `the load generator (this process) ${((clientUsed.user + clientUsed.system) / 1000 / ok).toFixed(2)}`,
    );
    log(
      `  statuses ${[...statuses].map(([s, n]) => `${s}×${n}`).join(', ')}${errors.size ? `; errors ${[...errors].map(([c, n]) => `${c}×${n}`).join(', ')}` : ''}`,
    );
    log(
      `  PostgreSQL transactions committed over the server's life (start-up, sequencer and warm-up included): ${serverCommits}, ` +
        `${(serverCommits / (warmOk + ok)).toFixed(2)} per approval`,
    );
    log(`    ${load}`);

    platform = await openPlatform(config);
    const check = await consistent(platform);
    const answered = warmOk + ok;
    const { rows } = await platform.database.db.execute<{ dup: number }>(
      sql`select (select count(*) from (select case_id from certificates group by case_id having count(*) > 1) d)::int as dup`,
    );
    const completed = Number((check.line.match(/completed cases (\d+)/) ?? [])[1]);
    const same = check.ok && completed === answered && rows[0]!.dup === 0;
    log(
      `  check: ${check.line}; approvals answered 200: ${answered}; cases with two certificates: ${rows[0]!.dup} → ${same ? 'OK' : 'MISMATCH'}`,
    );

    const docs = await equivalentDocuments(platform, options.oaDocs);
    await platform.close();
    const runs: { rate: number; cpuMsPerDoc: number }[] = [];
    for (let i = 0; i < 3; i++) runs.push(await benchOpenAttestation(docs));
    const wraps = runs.map((r) => r.rate);
    const wrapRate = Math.max(...wraps);
    const wrapCpu = Math.min(...runs.map((r) => r.cpuMsPerDoc));
    log(
      `  OpenAttestation wrapDocuments, ${docs.length} equivalent documents, one core, same run: ${wraps.map((w) => w.toFixed(0)).join(' / ')}/s (best ${wrapRate.toFixed(0)}/s)`,
    );
    // The steadier figure on a busy machine: what each costs in CPU, whoever else runs.
    const perApproval = cpuMs.app + cpuMs.db + (clientUsed.user + clientUsed.system) / 1000 / ok;
    log(
      `  by CPU: ${(1000 / perApproval).toFixed(0)} approvals per CPU-second (server + PostgreSQL + load generator, ${perApproval.toFixed(2)} ms each) ` +
        `against ${(1000 / wrapCpu).toFixed(0)} wrapped documents per CPU-second (${wrapCpu.toFixed(3)} ms each) = ${(wrapCpu / perApproval).toFixed(2)}×`,
    );
    const ratio = rate / wrapRate;
    const pass = ratio >= 0.3 && lat.p99 < 100 && same;
    log(
      `approvals: ${rate.toFixed(0)}/s against wrapDocuments ${wrapRate.toFixed(0)}/s = ${ratio.toFixed(2)}× (floor 0.3×: ${ratio >= 0.3 ? 'PASS' : 'FAIL'}); ` +
        `p99 ${ms(lat.p99)} ms (floor < 100 ms: ${lat.p99 < 100 ? 'PASS' : 'FAIL'}); check ${same ? 'OK' : 'MISMATCH'}`,
    );
    log(loadLine());
    return { approvals: ok, rate, p50: lat.p50, p99: lat.p99, cpuMs, wrapRate, ratio, consistent: same, pass };
  } finally {
    await database.drop();
  }
}

async function commits(serverUrl: string, database: string): Promise<number> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>('select xact_commit::text as n from pg_stat_database where datname = $1', [
      database,
    ]);
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const program = new Command('approvals')
    .option('--reviewers <n>', 'reviewer sessions, each approving one case per request', (v) => Number(v), 50)
    .option('--seconds <n>', 'length of the measured run', (v) => Number(v), 15)
    .option('--warm <n>', 'approvals before the measured run', (v) => Number(v), 500)
    .option('--cases <n>', 'cases seeded for the measured run (it stops early when they run out)', (v) => Number(v), 30000)
    .option('--oa-docs <n>', 'documents per wrapDocuments call', (v) => Number(v), 2000)
    .option('--server-url <url>', 'PostgreSQL server for the benchmark database', DEFAULT_SERVER_URL)
    .parse(process.argv);
  const o = program.opts<{ reviewers: number; seconds: number; warm: number; cases: number; oaDocs: number; serverUrl: string }>();
  const result = await benchApprovals({ ...o, log: (line) => console.log(line) });
  if (!result.pass) process.exitCode = 1;
}

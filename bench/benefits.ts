/**
 * Trigger to payment (issue 13): birth medical certificates issued by a generator at a steady rate
 * (this process approves the hospital's submitted cases, ten at a time, each approval issuing the
 * certificate and its `certificate.issued` event), with two real server processes (`yiban serve`)
 * on one fresh PostgreSQL database doing what the triggers ask; each
 * certificate's `certificate.issued` event makes the servers' outbox workers assess the mother for
 * the maternity benefits (生育医疗费用 granted with no application; 生育津贴 processed: the medical
 * security bureau's case opened and approved for her), and send each payment instruction to the
 * bank through the sharing layer.
 *
 * Measured per trigger, on the database's clock: from the certificate.issued event's row to the
 * payment instruction accepted (benefit_payments.sent_at), for each benefit; the generator's
 * achieved rate; payments sent, missing and sent twice (by grant and period, and by instruction
 * at the bank's side).
 *
 * Floor: p99 < 2 s with 2 server processes under 100 trigger events per second. No baseline is
 * named for this one; the floor is absolute, and the rate achieved is printed beside it.
 *
 *   npx tsx bench/benefits.ts [--rate 100] [--seconds 15] [--server-url postgres://…]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../src/db/database.ts';
import { prepareBundleDemo } from '../src/demo/demo-bundle.ts';
import { MATERNITY_ALLOWANCE, MATERNITY_MEDICAL, seedBenefits } from '../src/modules/benefits/index.ts';
import type { Principal } from '../src/modules/identity/index.ts';
import { backendPids, CpuMeter } from './support/cpu.ts';
import { createBenchDatabase, DEFAULT_SERVER_URL } from './support/databases.ts';
import { loadLine } from './support/machine.ts';
import { ms, summarise, table, verdict } from './support/stats.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PASSWORD = 'Bench-Officer-2026!';

const program = new Command()
  .option('--rate <n>', 'trigger events (certificates issued) per second', (v) => Number(v), 100)
  .option('--seconds <n>', 'how long the generator runs', (v) => Number(v), 15)
  .option('--server-url <url>', 'PostgreSQL server', DEFAULT_SERVER_URL)
  .parse();
const opts = program.opts<{ rate: number; seconds: number; serverUrl: string }>();
const log = (line: string) => console.log(line);

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const triggers = Math.round(opts.rate * opts.seconds);
const bench = await createBenchDatabase('postgres', 'benefits', opts.serverUrl);
const dataDir = mkdtempSync(path.join(tmpdir(), 'yiban-bench-benefits-'));
const children: ChildProcess[] = [];
try {
  const masterKey = randomBytes(32);
  const database = await openDatabase({ engine: 'postgres', url: bench.databaseUrl! });
  await database.migrate();
  const { services, newMother } = await prepareBundleDemo(database, { masterKey });
  const db = database.db;
  const departments: Record<string, string> = {};
  for (const d of (
    await db.execute<{ code: string; kind: string }>(sql`select code, department_kind as kind from orgs where department_kind is not null`)
  ).rows)
    departments[d.kind] ??= d.code;
  await seedBenefits(db, services, departments);

  // The mothers, each with a submitted birth medical certificate case waiting for the hospital's approval.
  log(`preparing ${triggers} mothers with their records and a submitted birth medical certificate case…`);
  const started = performance.now();
  const caseIds: string[] = [];
  for (let i = 0; i < triggers; i += 2) {
    const batch = [i, i + 1].filter((n) => n < triggers);
    const made = await Promise.all(
      batch.map(async (n) => {
        const mother: Principal = await newMother(n + 2);
        const { case: kase } = await services.applications.submit(mother, {
          serviceCode: 'birth.medical_certificate',
          form: {
            childName: `宝宝`,
            birthDate: new Date(Date.now() - 5 * 86_400_000).toISOString().slice(0, 10),
            hospital: '正定县人民医院',
          },
        });
        return kase.id;
      }),
    );
    caseIds.push(...made);
  }
  await services.identityAdmin.ensureStaff({
    username: 'bench-midwife',
    name: '产科医生',
    password: PASSWORD,
    roles: [{ role: 'department_officer', orgCode: departments.health! }],
  });
  // The preparation's own events (registrations, submissions) handled now, so that the servers start on an empty outbox.
  await services.events.drain();
  log(`prepared in ${((performance.now() - started) / 1000).toFixed(0)} s`);

  // Two server processes on the database, each with its outbox worker.
  const bases: string[] = [];
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    // BENCH_PROFILE_DIR=… writes each server's CPU profile there (node --cpu-prof) when it exits.
    const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
    const child = spawn(
      process.execPath,
      [...profile, path.join(ROOT, 'bin/yiban.js'), 'serve', '--no-seed', '--no-web', '--port', String(port)],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          DATABASE_URL: bench.databaseUrl!,
          YIBAN_MASTER_KEY: masterKey.toString('base64'),
          YIBAN_DATA_DIR: path.join(dataDir, String(i)),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'silent',
          YIBAN_DEMO: '',
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    children.push(child);
    bases.push(`http://127.0.0.1:${port}`);
  }
  for (const base of bases) await until(`server ${base}`, async () => (await fetch(`${base}/healthz`)).ok, 180_000);

  const serverCpu = new CpuMeter(async () => children.map((c) => c.pid!).filter(Boolean));
  const postgresCpu = new CpuMeter(() => backendPids(opts.serverUrl, bench.label));
  await serverCpu.start();
  await postgresCpu.start();
  // The generator, in this process: the hospital's approvals at the rate, ten at a time (each approval
  // issues the birth medical certificate and writes its certificate.issued event); the two servers
  // do only what the triggers ask of them.
  const { token } = await services.identity.login({ kind: 'staff', username: 'bench-midwife', password: PASSWORD, channel: 'web' });
  const midwife = (await services.identity.authenticate(token))!;
  log(`generator: ${triggers} certificates at ${opts.rate}/s, the servers' workers handling them; ${loadLine()}`);
  const go = performance.now();
  const approvals: Promise<number[]>[] = [];
  const step = 10;
  for (let i = 0; i < triggers; i += step) {
    const due = go + (i * 1000) / opts.rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    approvals.push(
      services.applications
        .decideMany(midwife, { ids: caseIds.slice(i, i + step), decision: 'approve' })
        .then((results) => results.map((r) => (r.outcome === 'approved' ? 200 : 409))),
    );
  }
  const statuses = (await Promise.all(approvals)).flat();
  const generatorSeconds = (performance.now() - go) / 1000;
  const approved = statuses.filter((s) => s === 200).length;
  const count = async (query: ReturnType<typeof sql>) => Number((await db.execute<{ n: number }>(query)).rows[0]!.n);
  await until(
    'every payment sent',
    async () => (await count(sql`select count(*)::int as n from benefit_payments where status = 'sent'`)) >= 2 * approved,
    180_000,
  ).catch((error: unknown) => log(String(error)));
  const serverMs = await serverCpu.stop();
  const postgresMs = await postgresCpu.stop();

  const rows = (
    await db.execute<{ benefit_code: string; ms: number }>(sql`
    select g.benefit_code, extract(epoch from (p.sent_at - o.created_at)) * 1000 as ms
      from benefit_grants g
      join benefit_payments p on p.grant_id = g.id and p.status = 'sent'
      join outbox o on o.id = g.trigger_event_id`)
  ).rows.map((r) => ({ code: r.benefit_code, ms: Number(r.ms) }));
  const issued = (
    await db.execute<{ n: number; span: number }>(sql`
    select count(*)::int as n, extract(epoch from (max(created_at) - min(created_at)))::float8 as span
      from outbox where topic = 'certificate.issued'`)
  ).rows[0]!;
  const all = summarise(rows.map((r) => r.ms));
  const medical = summarise(rows.filter((r) => r.code === MATERNITY_MEDICAL).map((r) => r.ms));
  const allowance = summarise(rows.filter((r) => r.code === MATERNITY_ALLOWANCE).map((r) => r.ms));
  const sent = await count(sql`select count(*)::int as n from benefit_payments where status = 'sent'`);
  const twice = await count(sql`
    select count(*)::int as n from (select grant_id, period from benefit_payments where status = 'sent' group by 1, 2 having count(*) > 1) d`);
  const bankRows = await count(sql`select count(*)::int as n from sharing_payments`);
  const bankDistinct = await count(sql`select count(distinct reference)::int as n from sharing_payments`);

  log('');
  log(
    `certificates issued: ${approved} approved (${statuses.length - approved} refused); ${Number(issued.n)} events over ${Number(issued.span).toFixed(1)} s = ${(Number(issued.n) / Math.max(Number(issued.span), 0.001)).toFixed(0)}/s (generator ${generatorSeconds.toFixed(1)} s)`,
  );
  log(
    `CPU per trigger (the generator's approval not included): servers ${(serverMs / Math.max(approved, 1)).toFixed(1)} ms, PostgreSQL ${(postgresMs / Math.max(approved, 1)).toFixed(1)} ms; capacity on 2 cores ≈ ${((2000 * approved) / Math.max(serverMs + postgresMs, 1)).toFixed(0)} triggers/s`,
  );
  log(
    `payments sent: ${sent} of ${2 * approved} expected; sent twice: ${twice}; bank instructions ${bankRows}, distinct references ${bankDistinct}`,
  );
  log(
    table([
      ['trigger → payment (ms)', 'n', 'p50', 'p90', 'p99', 'max'],
      ['生育医疗费用 (grant)', medical.count, ms(medical.p50), ms(medical.p90), ms(medical.p99), ms(medical.max)],
      ['生育津贴 (process)', allowance.count, ms(allowance.p50), ms(allowance.p90), ms(allowance.p99), ms(allowance.max)],
      ['all', all.count, ms(all.p50), ms(all.p90), ms(all.p99), ms(all.max)],
    ]),
  );
  const pass = all.p99 < 2000 && sent === 2 * approved && twice === 0 && bankRows === bankDistinct;
  log(`floor: p99 < 2,000 ms at ${opts.rate}/s with 2 processes, none missing, none twice: ${verdict(pass)}; ${loadLine()}`);
  await database.close();
} finally {
  for (const child of children) {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  }
  rmSync(dataDir, { recursive: true, force: true });
  await bench.drop();
}

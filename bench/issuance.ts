/**
 * Issuance throughput (issue 3): approved case → sealed certificate + ledger leaf (GB/T 36904
 * id, RFC 8785 payload, SM2 seal signature, status slot, outbox event; no PDF), on PGlite and
 * PostgreSQL, one approval per transaction and in batches, against OpenAttestation's
 * `wrapDocuments` over equivalent documents (the same fields) in the same run. OpenAttestation
 * only hashes (salted keccak-256 of each field, a Merkle tree over the batch); we also sign
 * each document with the village's SM2 seal and store it. Floor: at least its rate on
 * PostgreSQL; aim: twice it.
 *
 * PostgreSQL runs use one worker process or two (the machine has two cores); PGlite runs in
 * this process, which is the only one that can open its folder. Every run ends with a check:
 * certificates = issuance leaves = status slots = completed cases.
 *
 * The verdict compares like with like, at the same moments: on PostgreSQL the batched run on
 * both cores (two worker processes) and `wrapDocuments` (one core: it is synchronous) take
 * turns, `--rounds` times, and the best of each is kept.
 *
 *   npx tsx bench/issuance.ts [--count 2000] [--single-count 600] [--batch 500] [--rounds 3] [--engines postgres,pglite] [--server-url …]
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { sql } from 'drizzle-orm';
import { openPlatform, type Platform } from '../src/platform.ts';
import { SEED_SERVICE_ITEMS } from '../src/modules/catalog/catalog.seed.ts';
import { SEED_CERTIFICATE_TYPES, upsertCertificateTypes } from '../src/modules/certificates/certificate-types.seed.ts';
import { divisionCreditCode } from '../src/modules/orgs/credit-code.ts';
import { makeResidentId } from '../src/modules/identity/resident-id.ts';
import { parsePayload } from '../src/verify/document.ts';
import { backendPids, CpuMeter } from './support/cpu.ts';
import { benchConfig, createBenchDatabase, DEFAULT_SERVER_URL, type BenchDatabase, type BenchEngine } from './support/databases.ts';
import {
  approveAll,
  reviewerPrincipal,
  type IssuanceJob,
  type IssuanceMode,
  type IssuanceRun,
  type WorkerConfig,
  type WorkerMessage,
} from './support/issuance-worker.ts';
import { loadLine } from './support/machine.ts';
import { sealSm2Engine } from '../src/modules/certificates/keys/native-sm2.ts';
import { hanDigits } from '../src/demo/han-digits.ts';

export const VILLAGE = '130123100242';
export const PASSWORD = 'Bench-passw0rd';
const RESIDENTS = 20;
const WARM_PER_PROCESS = 20;
const WORKER = fileURLToPath(new URL('./support/issuance-worker.ts', import.meta.url));

export interface IssuanceBenchOptions {
  count: number;
  singleCount: number;
  batchSize: number;
  /** Turns of (batches on both cores, wrapDocuments) on PostgreSQL; the best of each is compared. */
  rounds: number;
  engines: BenchEngine[];
  serverUrl: string;
  log: (line: string) => void;
}

export interface IssuanceResult {
  engine: BenchEngine;
  mode: IssuanceMode;
  processes: number;
  count: number;
  rate: number;
  cpuMsPerIssue: { app: number; db: number | null };
  consistent: boolean;
}

export interface IssuanceReport {
  results: IssuanceResult[];
  openAttestation: { rate: number; cpuMsPerDoc: number }[];
  signCpuMs: number;
  /** OpenAttestation's best rate in the PostgreSQL section (or the PGlite one without PostgreSQL). */
  floor: number;
  best: IssuanceResult | undefined;
  pass: boolean;
  aim: boolean;
}

export interface Seeded {
  /** Cases ready to approve, handed out to runs in order. */
  ids: string[];
  username: string;
}

/** 正定县, the catalogue, the certificate types, a reviewer, and `count` submitted cases of `RESIDENTS` residents. */
export async function seed(platform: Platform, count: number, reviewers = 1): Promise<Seeded & { usernames: string[] }> {
  const { services, database } = platform;
  await services.orgsAdmin.loadDivisions({ scope: { prefix: '130123' } });
  await services.catalogAdmin.upsertItems(SEED_SERVICE_ITEMS);
  await upsertCertificateTypes(database.db, SEED_CERTIFICATE_TYPES);
  const run = randomBytes(3).toString('hex');
  const usernames: string[] = [];
  for (let r = 0; r < reviewers; r++) {
    const username = r === 0 ? `bench-reviewer-${run}` : `bench-reviewer-${run}-${r}`;
    await services.identityAdmin.ensureStaff({
      username,
      name: `压测审核员${hanDigits(r)}`,
      password: PASSWORD,
      roles: [{ role: 'village_reviewer', orgCode: VILLAGE }],
    });
    usernames.push(username);
  }
  const username = usernames[0]!;
  for (let n = 0; n < RESIDENTS; n++) {
    const residentId = makeResidentId('130123', new Date(Date.UTC(1960, 0, 1) + n * 86_400_000).toISOString().slice(0, 10), n);
    await services.identity.registerResident({
      name: `压测居民${hanDigits(n)}`,
      residentId,
      phone: `1390000${String(n).padStart(4, '0')}`,
      password: PASSWORD,
      homeOrgCode: VILLAGE,
    });
    const { token } = await services.identity.login({
      kind: 'resident',
      residentIdOrPhone: residentId,
      password: PASSWORD,
      channel: 'app',
    });
    const resident = await services.identity.authenticate(token);
    await services.applications.submit(resident!, {
      serviceCode: 'cert.residence',
      form: { address: `河北省石家庄市正定县正定镇塔元庄村${n + 1}号`, residentSince: '2015-05-01', purpose: 'school' },
    });
  }
  // The rest are copies of those submissions (new ids), made in SQL: a submission is not what is measured here.
  const { rows } = await database.db.execute<{ id: string }>(sql`
    insert into cases (service_code, applicant_id, org_code, org_path, state, channel, form, submitted_at, due_date)
    select t.service_code, t.applicant_id, t.org_code, t.org_path, 'submitted', t.channel, t.form, now(), t.due_date
    from generate_series(0, ${count - RESIDENTS - 1}::int) g
    join (select row_number() over (order by seq) - 1 as k, * from cases) t on t.k = g % ${RESIDENTS}
    returning id`);
  const templates = await database.db.execute<{ id: string }>(sql`select id from cases order by seq limit ${RESIDENTS}`);
  return { ids: [...templates.rows.map((r) => r.id), ...rows.map((r) => r.id)], username, usernames };
}

/** Certificates = issuance leaves = distinct status slots = completed cases, and no leaf index missing. */
export async function consistent(platform: Platform): Promise<{ ok: boolean; line: string }> {
  await platform.services.ledger.sequenceNow();
  const { rows } = await platform.database.db.execute<{
    certs: number;
    leaves: number;
    slots: number;
    completed: number;
    unindexed: number;
    counted: number;
    lists: number;
  }>(sql`
    select (select count(*) from certificates)::int as certs,
           (select count(*) from ledger_entries where kind = 'certificate.issued')::int as leaves,
           (select count(distinct (status_list, status_index)) from certificates)::int as slots,
           (select count(*) from cases where state = 'completed')::int as completed,
           (select count(*) from certificates x where not exists (select 1 from ledger_entries e where e.id = x.ledger_entry_id))::int as unindexed,
           (select coalesce(sum(used), 0) from status_lists)::int as counted,
           (select count(*) from status_lists)::int as lists`);
  const r = rows[0]!;
  const ok = r.certs === r.leaves && r.certs === r.slots && r.certs === r.completed && r.unindexed === 0 && r.counted === r.certs;
  return {
    ok,
    line: `certificates ${r.certs} = leaves ${r.leaves} = slots ${r.slots} (counted ${r.counted} in ${r.lists} list${r.lists === 1 ? '' : 's'}) = completed cases ${r.completed}: ${ok ? 'OK' : 'MISMATCH'}`,
  };
}

/** Runs `job` in `processes` forked workers at once; wall time from the common start to the last one done. */
async function runInWorkers(
  database: BenchDatabase,
  masterKey: Buffer,
  username: string,
  jobs: IssuanceJob[],
  serverUrl: string,
): Promise<{ seconds: number; runs: IssuanceRun[]; dbCpuMs: number | null }> {
  const children = jobs.map((job) => {
    const config: WorkerConfig = {
      databaseUrl: database.databaseUrl,
      dataDir: database.dataDir,
      masterKey: masterKey.toString('base64'),
      username,
      password: PASSWORD,
      job,
    };
    const flags = process.env.BENCH_WORKER_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
    // In a file: thousands of case ids are more than one environment variable may hold.
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'yiban-issuance-')), 'job.json');
    writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
    return fork(WORKER, [], {
      execArgv: ['--import', 'tsx', ...flags],
      env: { ...process.env, BENCH_ISSUANCE_WORKER: file },
      stdio: 'inherit',
    });
  });
  const next = (child: (typeof children)[number], type: WorkerMessage['type']) =>
    new Promise<WorkerMessage>((resolve, reject) => {
      const onMessage = (m: WorkerMessage) => {
        if (m.type === 'error') reject(new Error(m.message));
        else if (m.type === type) {
          child.off('message', onMessage);
          resolve(m);
        }
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`worker exited with ${code} before ${type}`)));
    });
  await Promise.all(children.map((c) => next(c, 'ready')));
  const dbName = database.label;
  const meter = database.engine === 'postgres' ? new CpuMeter(() => backendPids(serverUrl, dbName)) : null;
  await meter?.start();
  const started = performance.now();
  const done = children.map((c) => next(c, 'done'));
  for (const c of children) c.send({ type: 'go' });
  const runs = (await Promise.all(done)).map((m) => (m as Extract<WorkerMessage, { type: 'done' }>).run);
  const seconds = (performance.now() - started) / 1000;
  const dbCpuMs = meter ? await meter.stop() : null;
  for (const c of children) c.send({ type: 'stop' });
  await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve)))));
  return { seconds, runs, dbCpuMs };
}

/** OpenAttestation v2 `wrapDocuments` over documents with our certificates' fields, in this process. */
export async function benchOpenAttestation(docs: Record<string, unknown>[]): Promise<{ rate: number; cpuMsPerDoc: number }> {
  const { wrapDocuments } = await import('@govtechsg/open-attestation');
  wrapDocuments(docs.slice(0, 100) as never[]);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const wrapped = wrapDocuments(docs as never[]);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  if (wrapped.length !== docs.length) throw new Error('wrapDocuments lost documents');
  return { rate: docs.length / seconds, cpuMsPerDoc: (used.user + used.system) / 1000 / docs.length };
}

/** OpenAttestation documents with the same fields as the certificates issued (values, issuer, type, dates, status). */
export async function equivalentDocuments(platform: Platform, count: number): Promise<Record<string, unknown>[]> {
  const { rows } = await platform.database.db.execute<{ payload: string; disclosures: { name: string; value: string }[] }>(
    sql`select payload, disclosures from certificates order by serial desc limit ${count}`,
  );
  const docs = rows.map((r) => {
    const p = parsePayload(r.payload)!;
    return {
      $template: { name: p.type, type: 'EMBEDDED_RENDERER', url: 'https://yiban.example.cn/renderer' },
      issuers: [
        {
          name: p.issuer.name,
          documentStore: '0x9178F546D3FF57D7A6352bD61B80cCCD46199C2d',
          identityProof: { type: 'DNS-TXT', location: 'yiban.example.cn' },
        },
      ],
      id: p.id,
      type: p.type,
      typeName: p.typeName,
      issuer: p.issuer,
      issuedAt: p.issuedAt,
      validUntil: p.validUntil,
      status: p.status,
      ...Object.fromEntries(r.disclosures.map((d) => [d.name, d.value])),
    };
  });
  while (docs.length < count) docs.push({ ...docs[docs.length % rows.length]!, id: `${String(docs[0]!.id)}-${docs.length}` });
  return docs;
}

/** CPU of one SM2 seal signature over a payload of the real size, through the key store's signer. */
async function signCost(platform: Platform): Promise<number> {
  const org = (await platform.services.orgs.getOrg(VILLAGE))!;
  const seal = await platform.services.keys.ensureSealKey({
    code: org.code,
    name: org.name,
    creditCode: divisionCreditCode(org.divisionCode),
  });
  const { rows } = await platform.database.db.execute<{ payload: string }>(sql`select payload from certificates limit 1`);
  const message = new TextEncoder().encode(rows[0]!.payload);
  for (let i = 0; i < 20; i++) seal.sign(message);
  const cpu = process.cpuUsage();
  for (let i = 0; i < 300; i++) seal.sign(message);
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / 1000 / 300;
}

export async function benchIssuance(options: IssuanceBenchOptions): Promise<IssuanceReport> {
  const { log } = options;
  const results: IssuanceResult[] = [];
  const oa: { rate: number; cpuMsPerDoc: number }[] = [];
  let signCpuMs = 0;
  const report = (r: IssuanceResult, note: string) => {
    results.push(r);
    const cpu =
      r.cpuMsPerIssue.db === null
        ? `${r.cpuMsPerIssue.app.toFixed(2)} (db in process)`
        : `${r.cpuMsPerIssue.app.toFixed(2)} + ${r.cpuMsPerIssue.db.toFixed(2)} = ${(r.cpuMsPerIssue.app + r.cpuMsPerIssue.db).toFixed(2)}`;
    log(
      `  ${r.engine} ${r.mode} × ${r.processes} process${r.processes > 1 ? 'es' : ''}: ${r.count} in ${(r.count / r.rate).toFixed(2)} s = ${r.rate.toFixed(0)}/s; CPU ms per issuance app + db ${cpu}; ${note}`,
    );
    log(`    ${loadLine()}`);
  };

  for (const engine of options.engines) {
    const database = await createBenchDatabase(engine, 'issuance', options.serverUrl);
    const masterKey = randomBytes(32);
    const config = benchConfig(database, masterKey);
    log(`\n[issuance on ${engine}] ${database.label}`);
    try {
      const processes = engine === 'postgres' ? [1, 2] : [1];
      // `compare`: followed by a wrapDocuments run, the pair taken at the same moment.
      const plan: { mode: IssuanceMode; processes: number; count: number; compare: boolean }[] = [];
      for (const p of processes) plan.push({ mode: 'single', processes: p, count: options.singleCount, compare: false });
      if (engine === 'postgres') {
        plan.push({ mode: 'batch', processes: 1, count: options.count, compare: false });
        for (let i = 0; i < options.rounds; i++) plan.push({ mode: 'batch', processes: 2, count: options.count, compare: true });
      } else {
        plan.push({ mode: 'batch', processes: 1, count: options.count, compare: false });
      }
      const sectionOa: { rate: number; cpuMsPerDoc: number }[] = [];
      let docs: Record<string, unknown>[] | null = null;
      const total = plan.reduce((n, r) => n + r.count + r.processes * WARM_PER_PROCESS, 0);
      let platform = await openPlatform(config);
      const t = performance.now();
      const seeded = await seed(platform, total);
      log(`  seeded ${total} submitted cases of ${RESIDENTS} residents in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      let cursor = 0;
      const take = (n: number) => seeded.ids.slice(cursor, (cursor += n));

      for (const run of plan) {
        const jobs: IssuanceJob[] = Array.from({ length: run.processes }, () => ({
          mode: run.mode,
          warmIds: take(WARM_PER_PROCESS),
          ids: take(Math.floor(run.count / run.processes)),
          batchSize: options.batchSize,
          // PGlite has one connection: a second batch in flight would only queue behind the first.
          concurrency: engine === 'postgres' ? (run.mode === 'single' ? 4 : 2) : 1,
        }));
        const count = jobs.reduce((n, j) => n + j.ids.length, 0);
        let seconds: number;
        let appCpuMs: number;
        let dbCpuMs: number | null = null;
        let approved: number;
        if (engine === 'pglite') {
          const reviewer = await reviewerPrincipal(platform.services, seeded.username, PASSWORD);
          await approveAll(platform.services, reviewer, jobs[0]!, jobs[0]!.warmIds);
          const r = await approveAll(platform.services, reviewer, jobs[0]!, jobs[0]!.ids);
          ({ seconds, approved } = r);
          appCpuMs = r.cpuMs;
        } else {
          await platform.close();
          const r = await runInWorkers(database, masterKey, seeded.username, jobs, options.serverUrl);
          platform = await openPlatform(config);
          seconds = r.seconds;
          appCpuMs = r.runs.reduce((n, x) => n + x.cpuMs, 0);
          approved = r.runs.reduce((n, x) => n + x.approved, 0);
          dbCpuMs = r.dbCpuMs;
        }
        const check = await consistent(platform);
        report(
          {
            engine,
            mode: run.mode,
            processes: run.processes,
            count,
            rate: approved / seconds,
            cpuMsPerIssue: { app: appCpuMs / approved, db: dbCpuMs === null ? null : dbCpuMs / approved },
            consistent: check.ok && approved === count,
          },
          `${approved}/${count} approved; ${check.line}`,
        );
        if (run.compare) {
          docs ??= await equivalentDocuments(platform, options.count);
          const w = await benchOpenAttestation(docs);
          sectionOa.push(w);
          log(
            `  OpenAttestation wrapDocuments right after, ${docs.length} equivalent documents, one core: ${w.rate.toFixed(0)}/s, ${w.cpuMsPerDoc.toFixed(3)} CPU ms per document`,
          );
          log(`    ${loadLine()}`);
        }
      }

      docs ??= await equivalentDocuments(platform, options.count);
      // At least three times, the best kept: the floor should not fall because the machine was busy for a moment.
      while (sectionOa.length < 3) sectionOa.push(await benchOpenAttestation(docs));
      const wrapped = [...sectionOa].sort((a, b) => b.rate - a.rate)[0]!;
      // The PostgreSQL section's best is the floor.
      if (engine === 'postgres') oa.unshift(wrapped);
      else oa.push(wrapped);
      log(
        `  OpenAttestation wrapDocuments, ${docs.length} equivalent documents, this process: ${sectionOa.map((t) => t.rate.toFixed(0)).join(' / ')}/s ` +
          `(best ${wrapped.rate.toFixed(0)}/s), ${wrapped.cpuMsPerDoc.toFixed(3)} CPU ms per document = ${(1000 / wrapped.cpuMsPerDoc).toFixed(0)} per CPU-second`,
      );
      const signed = await signCost(platform);
      // The PostgreSQL section's figure goes with the PostgreSQL verdict below.
      if (engine === 'postgres' || signCpuMs === 0) signCpuMs = signed;
      log(
        `  SM2 seal signature alone (key store signer: ${sealSm2Engine}, one core): ${signed.toFixed(3)} CPU ms = ${(1000 / signed).toFixed(0)}/s per core`,
      );
      await platform.close();
    } finally {
      await database.drop();
    }
  }

  // Ours on both cores against OpenAttestation's best in the same (PostgreSQL) section.
  const floor = oa[0]?.rate ?? 0;
  const bothCores = results.filter((r) => r.engine === 'postgres' && r.mode === 'batch' && r.processes === 2);
  const best = bothCores.filter((r) => r.consistent).sort((a, b) => b.rate - a.rate)[0];
  const pass = best !== undefined && best.rate >= floor;
  const aim = best !== undefined && best.rate >= 2 * floor;
  log(
    `\nissuance: PostgreSQL, batches on both cores, best of ${bothCores.length}: ${best ? `${best.rate.toFixed(0)}/s` : 'none'} ` +
      `(runs ${bothCores.map((r) => r.rate.toFixed(0)).join(' / ')}/s); OpenAttestation wrapDocuments, best of ${oa.length > 0 ? 'its runs' : 'none'}: ${floor.toFixed(0)}/s`,
  );
  log(
    `  floor (≥ its rate): ${pass ? 'PASS' : 'FAIL'}; aim (≥ twice it): ${aim ? 'met' : 'not met'}; ratio ${best && floor ? (best.rate / floor).toFixed(2) : '-'}×`,
  );
  if (best) {
    const perIssue = best.cpuMsPerIssue.app + (best.cpuMsPerIssue.db ?? 0);
    const bestOa = oa.sort((a, b) => a.cpuMsPerDoc - b.cpuMsPerDoc)[0]!;
    log(
      `  SM2 signing is ${signCpuMs.toFixed(2)} of ${perIssue.toFixed(2)} CPU ms per issuance (${((100 * signCpuMs) / perIssue).toFixed(0)} %)`,
    );
    log(
      `  by CPU, whatever else runs: ${(1000 / perIssue).toFixed(0)} issuances per CPU-second (app + PostgreSQL) × ${cpus().length} cores = ${((cpus().length * 1000) / perIssue).toFixed(0)}/s ` +
        `vs OpenAttestation ${(1000 / bestOa.cpuMsPerDoc).toFixed(0)} documents per CPU-second (one core: it is synchronous)`,
    );
  }
  log(loadLine());
  return { results, openAttestation: oa, signCpuMs, floor, best, pass, aim };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const program = new Command('issuance')
    .option('--count <n>', 'certificates per batched run', (v) => Number(v), 2000)
    .option('--single-count <n>', 'certificates per one-per-transaction run', (v) => Number(v), 600)
    .option('--batch <n>', 'cases per batch decision (at most 500)', (v) => Number(v), 500)
    .option('--rounds <n>', 'turns of (batches on both cores, wrapDocuments) on PostgreSQL', (v) => Number(v), 3)
    .option('--engines <list>', 'postgres,pglite', 'postgres,pglite')
    .option('--server-url <url>', 'PostgreSQL server for the benchmark databases', DEFAULT_SERVER_URL)
    .parse(process.argv);
  const o = program.opts<{ count: number; singleCount: number; batch: number; rounds: number; engines: string; serverUrl: string }>();
  const result = await benchIssuance({
    count: o.count,
    singleCount: o.singleCount,
    batchSize: o.batch,
    rounds: o.rounds,
    engines: o.engines.split(',').map((e) => e.trim()) as BenchEngine[],
    serverUrl: o.serverUrl,
    log: (line) => console.log(line),
  });
  if (!result.pass || result.results.some((r) => !r.consistent)) process.exitCode = 1;
}

/**
 * The insurance window's round trip from the hospital side (issue 14's floor: p99 < 50 ms at 200
 * settlements per second): per settlement, the fee upload of a 30-line inpatient stay (2301), the
 * pre-settlement (2303) and the settlement (2304), each signed by the hospital's SM2 key (RFC 9421),
 * answered and signed by the platform's interface key and verified by the hospital, over HTTP to
 * platform server processes (`yiban serve`) on one fresh PostgreSQL database.
 *
 * Many hospitals (each its own key, each talking to one of the server processes) and patients;
 * one request at a time per patient. The load is offered at a fixed rate (open loop): settlement
 * i starts at go + i / rate whether or not earlier ones have finished, and its latency is counted
 * from when it was due, so a generator or server that falls behind shows in the figures. The
 * encounters (1101 is not needed: the person numbers are known; 2001) are opened before the
 * measured part.
 *
 *   npx tsx bench/insurance-window.ts [--rate 200] [--seconds 15] [--servers 2] [--hospitals 20] [--server-url postgres://…]
 *   --warmup-seconds N (default 2): the same load offered N seconds before the measured part and not
 *   counted, so that the figures are a running service's (the servers' code optimised by V8, their
 *   pools open); 0 measures from the servers' first seconds (100 settlements, 10 at a time, before).
 *   --workers N: one `yiban serve --workers N` (N API workers and the background worker it forks)
 *   instead of --servers separate processes.
 *   --timeline prints each second's round trip p50 / p99 / max (where a tail comes from).
 *   BENCH_PROFILE_DIR=/tmp/prof … writes each server's CPU profile (node --cpu-prof) when it exits;
 *   --profile FILE writes this generator's (the hospitals') CPU profile of the measured part.
 *
 * Prints p50/p90/p99/max of the three-call round trip and of each call, CPU per settlement (servers,
 * PostgreSQL, this generator), and the check: one settlement per encounter, none twice. Then it
 * waits for the background to seal the statements and sequence the ledger entries the load left
 * (--catch-up-seconds, default 600; 0 skips it) and prints that CPU too: a settlement's whole cost.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { sql } from 'drizzle-orm';
import { seedPlatform } from '../src/demo/demo-data.ts';
import { openPlatform } from '../src/platform.ts';
import { seedInsurance } from '../src/modules/insurance/index.ts';
import { createHospitalClient, type HospitalClient } from '../src/modules/insurance/hospital-client.ts';
import { feeLinesFor, seeded } from '../src/modules/insurance/hospital-simulate.ts';
import { institutionKeyId } from '../src/modules/insurance/hospital-system.ts';
import { madeUpResidents } from '../src/modules/insurance/insurance.cli.ts';
import { sm2SigningKey } from '../src/modules/sharing/index.ts';
import { sm2GenerateKeyPair } from '../src/verify/sm2-keys.ts';
import { startYibanServers, type YibanServers } from './support/yiban-serve.ts';
import { backendPids, CpuMeter, processCpuMs, withDescendants } from './support/cpu.ts';
import { benchConfig, createBenchDatabase, DEFAULT_SERVER_URL } from './support/databases.ts';
import { loadLine } from './support/machine.ts';
import { ms, summarise, table, verdict } from './support/stats.ts';

const FLOOR_P99_MS = 50;
const REGION = '450800';

const program = new Command()
  .option('--rate <n>', 'settlements offered per second', (v) => Number(v), 200)
  .option('--seconds <n>', 'how long the load runs', (v) => Number(v), 15)
  .option('--servers <n>', 'platform server processes', (v) => Number(v), 2)
  .option(
    '--background <n>',
    'background processes (`yiban serve --role background`); with n > 0 the servers run `--role api`',
    (v) => Number(v),
    0,
  )
  .option(
    '--workers <n>',
    'one `yiban serve --workers n` instead of --servers and --background (n API workers on one port and a background worker)',
    (v) => Number(v),
  )
  .option('--hospitals <n>', 'hospitals, each with its own SM2 key', (v) => Number(v), 20)
  .option('--lines <n>', 'fee lines per stay', (v) => Number(v), 30)
  .option('--server-url <url>', 'PostgreSQL server', DEFAULT_SERVER_URL)
  .option('--profile <file>', "write this generator's CPU profile of the measured part")
  .option('--warmup-seconds <n>', 'before the measured part, the same load offered this long and not counted', (v) => Number(v), 2)
  .option('--timeline', 'print each second of the load: settlements started, round trip p50 / p99 / max')
  .option(
    '--catch-up-seconds <n>',
    'after the load, wait up to n s for the background to seal the statements and sequence the ledger entries it left, and count that CPU too (0: not waited for)',
    (v) => Number(v),
    600,
  )
  .parse();
const opts = program.opts<{
  rate: number;
  seconds: number;
  servers: number;
  background: number;
  workers?: number;
  hospitals: number;
  lines: number;
  serverUrl: string;
  profile?: string;
  timeline?: boolean;
  warmupSeconds: number;
  catchUpSeconds: number;
}>();
const log = (line: string) => console.log(line);

const warmOpen = Math.round(opts.rate * opts.warmupSeconds);
const settlements = Math.round(opts.rate * opts.seconds) + warmOpen;
// Enough patients that one is always free: a patient's next stay waits for their last one.
const patientCount = Math.max(200, Math.ceil(opts.rate * 2));
const bench = await createBenchDatabase('postgres', 'insurance_window', opts.serverUrl);
let servers: YibanServers | undefined;
try {
  const masterKey = randomBytes(32);
  const platform = await openPlatform(benchConfig(bench, masterKey));
  const db = platform.database.db;
  // The platform's orgs and root key (one county's divisions): each settlement's statement (结算单) is
  // then sealed by the server's outbox worker while the load runs, as it is in service.
  log('seeding the platform (divisions of 130123, the root key, the catalogue)…');
  await seedPlatform(platform.database, platform.services, { divisions: { prefix: '130123' } });
  await seedInsurance(db, []);
  // The interface key made once here, before the servers race to make it.
  await platform.services.insurance.interfaceKey();
  const hospitals = Array.from({ length: opts.hospitals }, (_, i) => {
    const code = `H450103${String(100 + i).padStart(5, '0')}`;
    const pair = sm2GenerateKeyPair();
    const draft = sm2SigningKey('draft', pair.privateKey);
    return { code, key: sm2SigningKey(institutionKeyId(code, draft.publicKey), pair.privateKey) };
  });
  for (const h of hospitals)
    await platform.services.insuranceAdmin.registerInstitution({
      code: h.code,
      nameZh: `南宁市测试医院${h.code.slice(-3)}`,
      nameEn: `Test hospital ${h.code.slice(-3)}`,
      level: 3,
      region: '450103',
      keyId: h.key.keyId,
      publicKey: h.key.publicKey,
    });
  log(`enrolling ${patientCount} residents, registering ${opts.hospitals} hospitals…`);
  const residents = madeUpResidents(patientCount, REGION, 3);
  const psnNos: string[] = [];
  for (let i = 0; i < residents.length; i += 20)
    psnNos.push(
      ...(await Promise.all(
        residents
          .slice(i, i + 20)
          .map((r) => platform.services.insuranceAdmin.enrol({ ...r, scheme: 'resident', region: REGION, fromDate: '2020-01-01' })),
      )),
    );

  servers = await startYibanServers({
    count: opts.servers,
    databaseUrl: bench.databaseUrl!,
    masterKey,
    label: 'window',
    background: opts.background,
    ...(opts.workers ? { workers: opts.workers } : {}),
  });
  const { bases, children } = servers;
  const platformKey = (await (await fetch(`${bases[0]}/api/insurance/hsa/v1/interface-key`)).json()) as {
    keyId: string;
    publicKeySpki: string;
  };
  const clients: HospitalClient[] = hospitals.map((h, i) =>
    createHospitalClient({ baseUrl: bases[i % bases.length]!, hospital: { code: h.code, region: '450103', key: h.key }, platformKey }),
  );

  // The encounters, opened before the measured part (2001), a few at a time.
  log(`opening ${settlements} encounters (2001)…`);
  const random = seeded(200);
  const work = Array.from({ length: settlements }, (_, i) => ({
    client: i % clients.length,
    patient: i % patientCount,
    mdtrtId: '',
    feedetail: feeLinesFor(random, opts.lines, true).map((l) => ({
      feedetl_sn: l.sn,
      med_list_codg: l.code,
      cnt: l.quantity,
      pric_fen: l.priceFen,
    })),
  }));
  for (let i = 0; i < work.length; i += 16)
    await Promise.all(
      work.slice(i, i + 16).map(async (w) => {
        const { answer } = await clients[w.client]!.call(
          '2001',
          { psn_no: psnNos[w.patient], med_type: '21', begntime: '2026-09-01' },
          { insuranceRegion: REGION },
        );
        w.mdtrtId = answer.output!.mdtrt_id as string;
      }),
    );

  // Warm-up: a few settlements outside the measurement (JIT, connection pools, caches).
  const busy = new Map<number, Promise<unknown>>();
  const calls = { '2301': [] as number[], '2303': [] as number[], '2304': [] as number[] };
  const roundTrips: number[] = [];
  const fromDue: number[] = [];
  const startedAt: number[] = [];
  let failed = 0;
  const failures: string[] = [];
  async function settleOne(w: (typeof work)[number], due: number, measured: boolean): Promise<void> {
    const c = clients[w.client]!;
    const region = { insuranceRegion: REGION };
    try {
      const t0 = performance.now();
      await c.call('2301', { mdtrt_id: w.mdtrtId, feedetail: w.feedetail }, region);
      const t1 = performance.now();
      const pre = (await c.call('2303', { mdtrt_id: w.mdtrtId }, region)).answer.output!;
      const t2 = performance.now();
      await c.call('2304', { mdtrt_id: w.mdtrtId, medfee_sumamt: pre.medfee_sumamt }, region);
      const t3 = performance.now();
      if (!measured) return;
      calls['2301'].push(t1 - t0);
      calls['2303'].push(t2 - t1);
      calls['2304'].push(t3 - t2);
      roundTrips.push(t3 - t0);
      startedAt.push(t0);
      fromDue.push(t3 - due);
    } catch (error) {
      failed++;
      if (failures.length < 5) failures.push(error instanceof Error ? error.message : String(error));
    }
  }
  const warm = Math.min(100, Math.floor(work.length / 10));
  // The warm-up settles work[0, warm) exactly (a slice past `warm` would settle measured stays twice).
  for (let i = 0; i < warm; i += 10)
    await Promise.all(work.slice(i, Math.min(i + 10, warm)).map((w) => settleOne(w, performance.now(), false)));
  // The open-loop warm-up (--warmup-seconds): the offered rate, not counted; then the measured part.
  const offer = (slice: typeof work, measured: boolean) => {
    const start = performance.now();
    const all: Promise<void>[] = [];
    return (async () => {
      for (let i = 0; i < slice.length; i++) {
        const due = start + (i * 1000) / opts.rate;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
        const w = slice[i]!;
        // One request at a time per patient: a patient's next stay starts after their last one.
        const prior = busy.get(w.patient) ?? Promise.resolve();
        const p = prior.then(() => settleOne(w, due, measured));
        busy.set(w.patient, p);
        all.push(p);
      }
      return { start, all };
    })();
  };
  if (warmOpen > 0) {
    log(`warming up: ${warmOpen} settlements at ${opts.rate}/s, not counted…`);
    await Promise.all((await offer(work.slice(warm, warm + warmOpen), false)).all);
  }
  const measuredWork = work.slice(warm + warmOpen);

  const serverCpu = new CpuMeter(async () => withDescendants(children.map((c) => c.pid!).filter(Boolean)));
  // Each server process apart (the last --background ones are the background), to see which role costs what.
  const eachCpu = children.map((c) => new CpuMeter(async () => (c.pid ? withDescendants([c.pid]) : [])));
  for (const m of eachCpu) await m.start();
  const postgresCpu = new CpuMeter(() => backendPids(opts.serverUrl, bench.label));
  const count = async (q: ReturnType<typeof sql>) => Number((await db.execute<{ n: number }>(q)).rows[0]!.n);
  const unsealed = () =>
    count(sql`select count(*)::int as n from insurance_settlements where certificate_id is null and status = 'settled'`);
  // Statements of the warm-up still to seal: their sealing falls into the load's CPU (see the catch-up).
  const unsealedAtStart = await unsealed();
  await serverCpu.start();
  await postgresCpu.start();
  const generatorBefore = processCpuMs(process.pid) ?? 0;
  log(
    `offering ${measuredWork.length} settlements at ${opts.rate}/s to ${opts.workers ? `yiban serve --workers ${opts.workers} (and its background worker)` : `${opts.servers} server processes${opts.background ? ` (--role api; ${opts.background} --role background)` : ''}`} from ${opts.hospitals} hospitals; ${loadLine()}`,
  );
  const session = opts.profile ? new Session() : null;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const { start: go, all } = await offer(measuredWork, true);
  // A stalled run is reported, not waited on: what the database's sessions are doing says why.
  const stallMs = (opts.seconds * 10 + 120) * 1000;
  let stallTimer: NodeJS.Timeout | undefined;
  const stalled = await Promise.race([
    Promise.all(all).then(() => false),
    new Promise<boolean>((resolve) => (stallTimer = setTimeout(() => resolve(true), stallMs))),
  ]);
  clearTimeout(stallTimer);
  if (stalled) {
    const sessions = await db.execute<{ state: string; query: string; n: number }>(
      sql`select state, left(query, 60) as query, count(*)::int as n from pg_stat_activity
           where datname = current_database() and pid <> pg_backend_pid() group by 1, 2 order by 3 desc`,
    );
    log(`STALLED: ${roundTrips.length} of ${measuredWork.length} settlements done after ${stallMs / 1000} s; the servers' sessions:`);
    for (const r of sessions.rows) log(`  ${r.n} × ${r.state}: ${r.query}`);
    log(verdict(false));
    process.exitCode = 1;
    await platform.close();
    throw new Error('stalled');
  }
  const wall = (performance.now() - go) / 1000;
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(opts.profile!, JSON.stringify(profile));
    session.disconnect();
  }
  const serverMs = await serverCpu.stop();
  const eachMs = await Promise.all(eachCpu.map((m) => m.stop()));
  const postgresMs = await postgresCpu.stop();
  const generatorMs = (processCpuMs(process.pid) ?? generatorBefore) - generatorBefore;

  const settledRows = await count(sql`select count(*)::int as n from insurance_settlements where status = 'settled'`);
  const twice = await count(
    sql`select count(*)::int as n from (select mdtrt_id from insurance_settlements group by 1 having count(*) > 1) d`,
  );
  const rt = summarise(roundTrips);
  const due = summarise(fromDue);
  const row = (label: string, s: ReturnType<typeof summarise>) => [label, s.count, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)];
  const done = roundTrips.length;
  log('');
  log(
    `achieved ${(done / wall).toFixed(0)} settlements/s over ${wall.toFixed(1)} s (offered ${opts.rate}/s); failed ${failed}${failures.length ? `: ${failures.join(' | ')}` : ''}`,
  );
  log(
    `CPU per settlement (3 calls): servers ${(serverMs / Math.max(done, 1)).toFixed(2)} ms, PostgreSQL ${(postgresMs / Math.max(done, 1)).toFixed(2)} ms, generator (hospitals' signing and verifying) ${(generatorMs / Math.max(done, 1)).toFixed(2)} ms`,
  );
  log(`  each server process (in start order): ${eachMs.map((m) => (m / Math.max(done, 1)).toFixed(2)).join(' + ')} ms`);
  const sealed = await count(sql`select count(*)::int as n from insurance_settlements where certificate_id is not null`);
  log(
    `settlements in the database: ${settledRows} (expected ${warm + warmOpen + done}); encounters settled twice: ${twice}; statements sealed by the end of the load: ${sealed}`,
  );
  log(
    table([
      ['ms', 'n', 'p50', 'p90', 'p99', 'max'],
      row('2301 fee upload (30 lines)', summarise(calls['2301'])),
      row('2303 pre-settlement', summarise(calls['2303'])),
      row('2304 settlement', summarise(calls['2304'])),
      row('round trip 2301+2303+2304', rt),
      row('… from when it was due', due),
    ]),
  );
  if (opts.timeline) {
    const seconds = new Map<number, number[]>();
    roundTrips.forEach((v, i) => {
      const s = Math.floor((startedAt[i]! - go) / 1000);
      seconds.set(s, [...(seconds.get(s) ?? []), v]);
    });
    log('');
    log(
      table([
        ['second', 'n', 'p50', 'p99', 'max'],
        ...[...seconds]
          .sort((a, b) => a[0] - b[0])
          .map(([s, v]) => {
            const x = summarise(v);
            return [String(s), x.count, ms(x.p50), ms(x.p99), ms(x.max)];
          }),
      ]),
    );
  }
  const pass = rt.p99 < FLOOR_P99_MS && due.p99 < FLOOR_P99_MS && failed === 0 && twice === 0 && settledRows === warm + warmOpen + done;
  log(
    `floor: round trip p99 < ${FLOOR_P99_MS} ms at ${opts.rate}/s offered (from start ${ms(rt.p99)}, from due ${ms(due.p99)}), none failed, none twice: ${verdict(pass)}; ${loadLine()}`,
  );

  // The rest of a settlement's work: its statement sealed and its ledger entries sequenced by the
  // background. Under a load it cannot keep up with, that work is left for after the load, and the
  // CPU figures above leave it out; the catch-up measures it, so that the whole cost is known.
  if (opts.catchUpSeconds > 0) {
    const behind = () =>
      count(sql`select ((select count(*) from insurance_settlements where certificate_id is null and status = 'settled')
                       + (select count(*) from ledger_queue))::int as n`);
    // Read just above: every settled stay of the run less the statements sealed by the end of the load.
    const unsealedAtEnd = settledRows - sealed;
    await serverCpu.start();
    await postgresCpu.start();
    const t0 = performance.now();
    const deadline = t0 + opts.catchUpSeconds * 1000;
    let left = await behind();
    while (left > 0 && performance.now() < deadline) {
      await sleep(250);
      left = await behind();
    }
    const catchUpMs = (await serverCpu.stop()) + (await postgresCpu.stop());
    const seconds = (performance.now() - t0) / 1000;
    const per = (x: number) => (x / Math.max(done, 1)).toFixed(2);
    const load = serverMs + postgresMs + generatorMs;
    if (left > 0)
      log(
        `catch-up: ${left} statements and ledger entries still waiting ${opts.catchUpSeconds} s after the load (raise --catch-up-seconds)`,
      );
    else if (unsealedAtEnd <= opts.rate)
      // No more than a second's settlements: the batches in flight (the background seals every 250 ms).
      log(
        `catch-up: none needed, the background kept pace (${unsealedAtEnd} statements, those of the last batches, sealed ${seconds.toFixed(1)} s after the load; the load's figures hold its work)`,
      );
    else {
      // Sealing one statement (with its events and ledger entries), from the catch-up, where the background does nothing else;
      // the warm-up's statements the load sealed are taken out of the load's CPU at that cost.
      const perStatement = catchUpMs / unsealedAtEnd;
      log(
        `catch-up: the background fell behind; the ${unsealedAtEnd} statements left at the end sealed and the ledger sequenced ${seconds.toFixed(1)} s after the load, ${perStatement.toFixed(2)} ms of CPU (background and PostgreSQL) per statement; a settlement with its statement: ${per(load + catchUpMs - unsealedAtStart * perStatement)} ms of CPU in all (the load's figures: ${per(load)})`,
      );
    }
  }
  process.exitCode = pass ? 0 : 1;
  await platform.close();
} finally {
  await servers?.stop();
  await bench.drop();
}

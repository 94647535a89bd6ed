/**
 * Case submission over real HTTP: POST /api/cases with a residence-proof body and a fresh
 * Idempotency-Key per request, rotating through N residents' session tokens, against the app
 * in a child process (bench/support/server-process.ts says why) on PGlite and on PostgreSQL.
 *
 *   npx tsx bench/case-submission.ts [--engines postgres,pglite] [--residents 200]
 *     [--connections 50] [--duration 15] [--rate 1000] [--server-url postgres://…/postgres]
 *
 * Runs: (a) maximum throughput, autocannon closed loop; (b) autocannon `overallRate`; (c) an
 * open-loop generator at the same rate with latency counted from each request's scheduled
 * time. Floor (the issue): p99 < 20 ms at 1,000 req/s on PostgreSQL, judged on the open-loop
 * run (isFloorRun). After every run the cases in the database are matched against the 2xx
 * responses.
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import { Command } from 'commander';
import { benchConfig, createBenchDatabase, DEFAULT_SERVER_URL, type BenchEngine } from './support/databases.ts';
import {
  createHttpClient,
  createLightClient,
  runOpenLoop,
  type HttpClient,
  type LightClient,
  type OpenLoopResult,
} from './support/http.ts';
import { seedSubmitters } from './support/seed-submitters.ts';
import { startServer, type BenchServer } from './support/server.ts';
import { backendPids, CpuMeter } from './support/cpu.ts';
import { loadLine } from './support/machine.ts';
import { ms, summarise, table, verdict } from './support/stats.ts';
import { SubmissionTracker } from './support/submission-tracker.ts';

export const SUBMISSION_P99_FLOOR_MS = 20;

/** The residence-proof body of test/api.test.ts. */
const RESIDENCE = {
  serviceCode: 'cert.residence',
  form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
};
const BODY = JSON.stringify(RESIDENCE);

export interface CaseSubmissionOptions {
  engines: BenchEngine[];
  residents: number;
  connections: number;
  durationSeconds: number;
  rate: number;
  serverUrl: string;
  log: (line: string) => void;
}

export interface RunFigures {
  engine: BenchEngine;
  run: string;
  load: string;
  seconds: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  p999: number;
  twoXx: number;
  non2xx: number;
  errors: number;
  /** Latency resolution: autocannon records whole milliseconds. */
  source: 'autocannon' | 'open-loop';
  reconciliation: Reconciliation;
  cpu: CpuPerRequest;
  /** Open loop only: the generator's own lateness (p99), to tell its lag from the server's. */
  sendLagP99?: number;
  serviceP99?: number;
}

/** CPU milliseconds per answered request: app server process, PostgreSQL backends (PGlite runs inside the server), load generator. */
export interface CpuPerRequest {
  server: number;
  db: number | null;
  client: number;
}

interface RunContext {
  server: BenchServer;
  client: HttpClient;
  meters: { server: CpuMeter; db: CpuMeter | null };
}

export interface Reconciliation {
  casesAdded: number;
  keysAdded: number;
  created: number;
  replayedKeys: number;
  replayCreated: number;
  replayFoundCommitted: number;
  replayFailed: number;
  replayedInRun: number;
  consistent: boolean;
}

export interface EngineReport {
  engine: BenchEngine;
  runs: RunFigures[];
  totalCases: number;
  /** Distinct keys answered 2xx: 201s of the runs, plus 201s and 200s when unanswered keys were sent again. */
  totalConfirmed: number;
  note?: string;
}

export async function benchCaseSubmission(options: CaseSubmissionOptions): Promise<EngineReport[]> {
  const reports: EngineReport[] = [];
  options.log(loadLine());
  for (const engine of options.engines) reports.push(await benchEngine(engine, options));
  options.log(loadLine());
  printReport(reports, options);
  return reports;
}

async function benchEngine(engine: BenchEngine, options: CaseSubmissionOptions): Promise<EngineReport> {
  const { log } = options;
  const database = await createBenchDatabase(engine, 'submit', options.serverUrl);
  log(`\n[${engine}] database ${database.label}`);
  const masterKey = randomBytes(32);
  let server: BenchServer | undefined;
  try {
    const { tokens } = await seedSubmitters(benchConfig(database, masterKey), options.residents, log);
    server = await startServer({ databaseUrl: database.databaseUrl, dataDir: database.dataDir, masterKey });
    log(`  server pid ${server.pid} on ${server.origin}; ${loadLine()}`);
    const client = createHttpClient(server.origin);
    // The open loop's own client: raw keep-alive sockets, so the generator leaves the cores to the server.
    const light = createLightClient(server.origin);
    const dbName = database.label;
    const ctx: RunContext = {
      server,
      client,
      meters: {
        server: new CpuMeter(() => Promise.resolve([server!.pid])),
        db: engine === 'postgres' ? new CpuMeter(() => backendPids(options.serverUrl, dbName)) : null,
      },
    };
    const report: EngineReport = { engine, runs: [], totalCases: 0, totalConfirmed: 0 };
    let tag = 0;
    const newTracker = () => new SubmissionTracker(`${engine.slice(0, 2)}${Date.now().toString(36)}r${tag++}`, tokens, BODY);
    try {
      // Warm-up: JIT, connection pool, catalogue cache, the database's buffers. Reconciled, not reported.
      const warm = newTracker();
      const warmRun = await reconcile(ctx, warm, () => closedLoop(server!, warm, { connections: 10, duration: 3 }));
      report.totalConfirmed += confirmed(warm, warmRun.reconciliation);

      const maxTracker = newTracker();
      const max = await reconcile(ctx, maxTracker, () =>
        closedLoop(server!, maxTracker, { connections: options.connections, duration: options.durationSeconds }),
      );
      report.runs.push(fromAutocannon(engine, 'max throughput', `${options.connections} conn`, max));
      report.totalConfirmed += confirmed(maxTracker, max.reconciliation);
      log(`  max throughput: ${max.result.requests.average.toFixed(0)} req/s; ${loadLine()}`);

      const maxRate = max.result.requests.average;
      const sustainable = maxRate >= options.rate * 1.1;
      const reduced = Math.max(50, Math.floor((maxRate * 0.7) / 50) * 50);
      // The floor is stated for PostgreSQL at the target rate, so that run always happens; an
      // engine that cannot reach the rate is also measured at about 70 % of its maximum.
      const rates = engine === 'postgres' || sustainable ? [options.rate] : [];
      if (!sustainable) {
        rates.push(reduced);
        report.note = `${engine} sustains about ${maxRate.toFixed(0)} req/s at most, below ${options.rate} req/s; also measured at ${reduced} req/s (about 70 % of its maximum)`;
        log(`  ${report.note}`);
      }
      for (const rate of rates) {
        const fixedTracker = newTracker();
        const fixed = await reconcile(ctx, fixedTracker, () =>
          closedLoop(server!, fixedTracker, { connections: options.connections, duration: options.durationSeconds, overallRate: rate }),
        );
        report.runs.push(fromAutocannon(engine, 'fixed rate', `${rate}/s autocannon`, fixed));
        report.totalConfirmed += confirmed(fixedTracker, fixed.reconciliation);

        const openTracker = newTracker();
        const open = await reconcile(ctx, openTracker, () =>
          runOpenLoop({ rate, durationSeconds: options.durationSeconds, send: () => submitOnce(light, openTracker) }),
        );
        report.runs.push(fromOpenLoop(engine, `${rate}/s open loop`, open, openTracker));
        report.totalConfirmed += confirmed(openTracker, open.reconciliation);
        log(`  fixed rate ${rate}/s done; ${loadLine()}`);
      }
      report.totalCases = (await server.counts()).cases;
      return report;
    } finally {
      client.close();
      light.close();
    }
  } finally {
    await server?.stop();
    await database.drop();
  }
}

async function submitOnce(client: LightClient, tracker: SubmissionTracker): Promise<number> {
  const { key, token } = tracker.next();
  const response = await client.request({
    method: 'POST',
    path: '/api/cases',
    headers: { authorization: `Bearer ${token}`, 'idempotency-key': key },
    body: BODY,
  });
  tracker.answer(key, response.status, response.head.includes('\r\nidempotent-replayed: true'));
  return response.status;
}

function fromOpenLoop(
  engine: BenchEngine,
  load: string,
  { result, reconciliation, cpu }: { result: OpenLoopResult; reconciliation: Reconciliation; cpu: CpuPerRequest },
  tracker: SubmissionTracker,
): RunFigures {
  const lat = summarise(result.latencies);
  return {
    engine,
    run: 'fixed rate',
    load,
    seconds: result.seconds,
    reqPerSec: result.latencies.length / result.seconds,
    p50: lat.p50,
    p99: lat.p99,
    p999: lat.p999,
    twoXx: tracker.twoXx,
    non2xx: tracker.non2xx,
    errors: result.errors,
    source: 'open-loop',
    reconciliation,
    cpu,
    sendLagP99: summarise(result.sendLag).p99,
    serviceP99: summarise(result.serviceLatencies).p99,
  };
}

function confirmed(tracker: SubmissionTracker, c: Reconciliation): number {
  return tracker.created + c.replayCreated + c.replayFoundCommitted;
}

function closedLoop(
  server: BenchServer,
  tracker: SubmissionTracker,
  load: { connections: number; duration: number; overallRate?: number },
): Promise<Result> {
  return autocannon({
    url: server.origin,
    connections: load.connections,
    duration: load.duration,
    // With a rate set, autocannon "corrects" latencies with an expected interval of
    // Math.ceil(1 / perConnectionRate) = 1 ms (lib/run.js) instead of 1000 / rate ms, which adds
    // made-up samples; its figures here are plain latencies from send, and the open-loop run
    // gives the schedule-corrected ones.
    ...(load.overallRate ? { overallRate: load.overallRate, ignoreCoordinatedOmission: true } : {}),
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/api/cases',
        headers: { 'content-type': 'application/json' },
        body: BODY,
        setupRequest: (request, context) => {
          const { key, token } = tracker.next();
          context.key = key;
          return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}`, 'idempotency-key': key } };
        },
        onResponse: (status, _body, context, headers) =>
          tracker.answer(String(context.key), status, headers['idempotent-replayed'] === 'true'),
      },
    ],
  });
}

/**
 * Runs one load and then checks that nothing was lost or duplicated: the keys that got no
 * 2xx are sent again (see SubmissionTracker.replayUnanswered), after which the cases added to
 * the database must equal the 201s of the run plus the 201s of the replay, and every case
 * must have exactly one idempotency key.
 */
async function reconcile<T>(
  { server, client, meters }: RunContext,
  tracker: SubmissionTracker,
  run: () => Promise<T>,
): Promise<{ result: T; reconciliation: Reconciliation; cpu: CpuPerRequest }> {
  const before = await server.counts();
  await meters.server.start();
  await meters.db?.start();
  const clientBefore = process.cpuUsage();
  const result = await run();
  const clientUsage = process.cpuUsage(clientBefore);
  const serverMs = await meters.server.stop();
  const dbMs = meters.db ? await meters.db.stop() : null;
  const answered = tracker.twoXx + tracker.non2xx;
  const cpu: CpuPerRequest = {
    server: serverMs / answered,
    db: dbMs === null ? null : dbMs / answered,
    client: (clientUsage.user + clientUsage.system) / 1000 / answered,
  };
  const replay = await tracker.replayUnanswered(client);
  const after = await server.counts();
  const casesAdded = after.cases - before.cases;
  const keysAdded = after.keys - before.keys;
  return {
    result,
    cpu,
    reconciliation: {
      casesAdded,
      keysAdded,
      created: tracker.created,
      replayedKeys: replay.keys,
      replayCreated: replay.created,
      replayFoundCommitted: replay.alreadyCommitted,
      replayFailed: replay.failed,
      replayedInRun: tracker.replayedInRun,
      consistent:
        casesAdded === tracker.created + replay.created + replay.alreadyCommitted &&
        keysAdded === casesAdded &&
        replay.failed === 0 &&
        tracker.replayedInRun === 0,
    },
  };
}

function fromAutocannon(
  engine: BenchEngine,
  run: string,
  load: string,
  { result: r, reconciliation, cpu }: { result: Result; reconciliation: Reconciliation; cpu: CpuPerRequest },
): RunFigures {
  return {
    engine,
    run,
    load,
    seconds: r.duration,
    reqPerSec: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    p999: r.latency.p99_9,
    twoXx: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    source: 'autocannon',
    reconciliation,
    cpu,
  };
}

function printReport(reports: EngineReport[], options: CaseSubmissionOptions): void {
  const { log } = options;
  const runs = reports.flatMap((r) => r.runs);
  log('\nCase submission, POST /api/cases (residence proof, unique Idempotency-Key, ' + `${options.residents} residents' tokens in turn)`);
  log(
    table([
      ['engine', 'run', 'load', 's', 'req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', '2xx', 'non-2xx', 'errors'],
      ...runs.map((f) => [
        f.engine,
        f.run,
        f.load,
        f.seconds.toFixed(1),
        f.reqPerSec.toFixed(0),
        ms(f.p50),
        ms(f.p99),
        ms(f.p999),
        f.twoXx,
        f.non2xx,
        f.errors,
      ]),
    ]),
  );
  log('autocannon latencies are whole milliseconds from send; open-loop latencies count from the scheduled send time.');
  log('\nCPU per request (ms of CPU time / answered requests; steadier than req/s on a shared machine):');
  log(
    table([
      ['engine', 'run', 'load', 'app server', 'PostgreSQL backends', 'load generator', 'server + db'],
      ...runs.map((f) => [
        f.engine,
        f.run,
        f.load,
        ms(f.cpu.server),
        f.cpu.db === null ? 'in server' : ms(f.cpu.db),
        ms(f.cpu.client),
        ms(f.cpu.server + (f.cpu.db ?? 0)),
      ]),
    ]),
  );
  for (const f of runs.filter((r) => r.run === 'max throughput')) {
    const perRequest = f.cpu.server + (f.cpu.db ?? 0);
    log(
      `  ${f.engine}: ${ms(perRequest)} ms CPU per request → at most about ${Math.round(2000 / perRequest)} req/s on two otherwise idle cores, before the load generator's share`,
    );
  }
  for (const f of runs.filter((r) => r.source === 'open-loop')) {
    log(
      `  ${f.engine} open loop: generator send lag p99 ${ms(f.sendLagP99 ?? NaN)} ms, latency from actual send p99 ${ms(f.serviceP99 ?? NaN)} ms`,
    );
  }

  log('\nNothing lost, nothing duplicated. Keys with no 2xx when a run stopped (in flight, or set up and never sent) are sent');
  log('again: 200 = the case was committed in the run, 201 = it had not reached the database. Check: cases added =');
  log('201 in run + replay 201 + replay 200, one idempotency key per case, no replay answers in the run.');
  log(
    table([
      ['engine', 'run', 'load', '201', 'unanswered', 'replay 201', 'replay 200', 'cases added', 'keys added', 'check'],
      ...runs.map((f) => {
        const c = f.reconciliation;
        return [
          f.engine,
          f.run,
          f.load,
          c.created,
          c.replayedKeys,
          c.replayCreated,
          c.replayFoundCommitted,
          c.casesAdded,
          c.keysAdded,
          c.consistent ? 'OK' : 'MISMATCH',
        ];
      }),
    ]),
  );
  for (const r of reports) {
    log(
      `  ${r.engine}: ${r.totalCases} cases in the database; ${r.totalConfirmed} distinct keys answered 2xx over all runs incl. warm-up: ${r.totalCases === r.totalConfirmed ? 'equal' : 'DIFFERENT'}`,
    );
    if (r.note) log(`  note: ${r.note}`);
  }

  log(`\nFloor: p99 < ${SUBMISSION_P99_FLOOR_MS} ms at ${options.rate} req/s on PostgreSQL`);
  for (const v of floorVerdicts(reports, options.rate)) {
    log(
      `  ${v.load}: p99 ${ms(v.p99)} ms at ${v.reqPerSec.toFixed(0)} req/s${v.reached ? '' : ' (rate not reached)'}, non-2xx ${v.non2xx} → ${verdict(v.pass)}`,
    );
  }
  for (const f of runs.filter((r) => r.run === 'fixed rate' && !isFloorRun(r, options.rate))) {
    log(
      `  (not the floor's measure) ${f.engine} ${f.load}: p99 ${ms(f.p99)} ms at ${f.reqPerSec.toFixed(0)} req/s → ${verdict(f.p99 < SUBMISSION_P99_FLOOR_MS && f.non2xx === 0)}`,
    );
  }
}

/**
 * The floor is judged on the open-loop run: requests evenly spaced at the rate, latency from
 * each one's scheduled time. autocannon's `overallRate` sends each second's quota in a burst
 * at the top of the second (see bench/RESULTS.md §1), so its p99 is the burst's queue; it is
 * printed next to the verdict, not counted in it.
 */
function isFloorRun(f: RunFigures, rate: number): boolean {
  return f.run === 'fixed rate' && f.source === 'open-loop' && f.engine === 'postgres' && f.load.startsWith(`${rate}/s`);
}

/** The runs the floor is about (PostgreSQL at the target rate) and whether each meets it: rate reached, p99 under the floor, no failures. */
export function floorVerdicts(reports: EngineReport[], rate: number) {
  return reports
    .flatMap((r) => r.runs)
    .filter((f) => isFloorRun(f, rate))
    .map((f) => {
      const reached = f.reqPerSec >= rate * 0.95;
      return { ...f, reached, pass: reached && f.p99 < SUBMISSION_P99_FLOOR_MS && f.non2xx === 0 && f.errors === 0 };
    });
}

export function caseSubmissionCommand(): Command {
  return new Command('case-submission')
    .option('--engines <list>', 'postgres,pglite', 'postgres,pglite')
    .option('--residents <n>', 'residents with a session', (v) => Number(v), 200)
    .option('--connections <n>', 'autocannon connections', (v) => Number(v), 50)
    .option('--duration <s>', 'seconds per run', (v) => Number(v), 15)
    .option('--rate <n>', 'fixed rate, req/s', (v) => Number(v), 1000)
    .option('--server-url <url>', 'PostgreSQL server to create the database on', DEFAULT_SERVER_URL);
}

export function caseSubmissionOptions(opts: {
  engines: string;
  residents: number;
  connections: number;
  duration: number;
  rate: number;
  serverUrl: string;
}): CaseSubmissionOptions {
  const engines = opts.engines.split(',').map((e) => e.trim());
  for (const e of engines) if (e !== 'postgres' && e !== 'pglite') throw new Error(`unknown engine ${e}`);
  return {
    engines: engines as BenchEngine[],
    residents: opts.residents,
    connections: opts.connections,
    durationSeconds: opts.duration,
    rate: opts.rate,
    serverUrl: opts.serverUrl,
    log: (line) => console.log(line),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const command = caseSubmissionCommand().parse(process.argv);
  const options = caseSubmissionOptions(command.opts());
  const reports = await benchCaseSubmission(options);
  const failed = reports.some((r) => r.runs.some((f) => !f.reconciliation.consistent) || r.totalCases !== r.totalConfirmed);
  if (failed) process.exitCode = 1;
}

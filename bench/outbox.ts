/**
 * The outbox under load (issue 13): N events enqueued on a fresh PostgreSQL database, then two
 * worker processes (bench/support/outbox-worker.ts: the real worker, a handler that writes a row
 * naming the event and marks the event handled in the same transaction). One process is killed
 * with SIGKILL once `--kill-at` of the events are handled and started again `--restart-ms` later;
 * its leased events come back after the lease (`--lease-ms`).
 *
 * Reported: events/s handled across both processes (from `go` to the last event handled, the
 * kill, restart and lease wait included), the rate before the kill, events lost (enqueued −
 * handled), events handled twice in effect (rows of the handler's table beyond one per event:
 * 0 by construction, checked), and the re-deliveries (claims beyond the first).
 *
 * Baseline in the same run: the same N through a naive loop in two processes, one event per
 * transaction (`select … for update skip locked limit 1`, the write, `update outbox set
 * processed_at`), with no kill. Floor: ≥ 2,000 events/s across 2 processes, 0 lost, 0 twice.
 *
 *   npx tsx bench/outbox.ts [--events 60000] [--kill-at 0.4] [--restart-ms 1000] [--lease-ms 3000]
 *     [--batch 200] [--concurrency 16] [--interval-ms 250] [--skip-baseline] [--server-url …]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { sql } from 'drizzle-orm';
import { openDatabase, type Db } from '../src/db/database.ts';
import { createEventsService } from '../src/modules/events/index.ts';
import { createBenchDatabase, DEFAULT_SERVER_URL } from './support/databases.ts';
import { loadLine } from './support/machine.ts';
import { BENCH_TOPIC, EFFECT_TABLE, OUTBOX_WORKER, type OutboxWorkerOptions } from './support/outbox-worker.ts';

interface OutboxBenchOptions extends OutboxWorkerOptions {
  events: number;
  killAt: number;
  restartMs: number;
  skipBaseline: boolean;
  serverUrl: string;
  log: (line: string) => void;
}

export interface OutboxRun {
  label: string;
  events: number;
  seconds: number;
  perSecond: number;
  /** Events/s from `go` to the kill (the steady rate), when there was one. */
  beforeKill?: number;
  lost: number;
  twice: number;
  redelivered: number;
  dead: number;
}

interface Child {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<void>;
  stderr: () => string;
}

/** Starts a worker process; it waits for `go` on stdin (so that start-up is not timed). */
export function startOutboxWorker(url: string, mode: 'worker' | 'naive', options: OutboxWorkerOptions): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(OUTBOX_WORKER), url, mode, JSON.stringify(options)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      if (chunk.includes('ready')) resolve();
    });
    void exited.then(() => reject(new Error(`outbox worker exited before it was ready: ${stderr}`)));
  });
  return { child, ready, exited, stderr: () => stderr };
}

const go = (c: Child) => c.child.stdin!.write('go\n');

async function count(db: Db, query: ReturnType<typeof sql>): Promise<number> {
  const { rows } = await db.execute<{ n: number }>(query);
  return Number(rows[0]!.n);
}

async function enqueue(db: Db, n: number): Promise<void> {
  const events = createEventsService({ db });
  for (let i = 0; i < n; i += 5000) {
    const chunk = Array.from({ length: Math.min(5000, n - i) }, (_, k) => ({ topic: BENCH_TOPIC, payload: { n: i + k } }));
    await db.transaction((tx) => events.enqueueMany(tx, chunk));
  }
}

/** Runs one measure on a fresh outbox: N events, two processes, an optional kill -9 and restart. */
async function measure(
  db: Db,
  url: string,
  label: string,
  mode: 'worker' | 'naive',
  options: OutboxBenchOptions,
  kill: boolean,
): Promise<OutboxRun> {
  await db.execute(sql`truncate outbox, event_handled, bench_outbox_effect restart identity`);
  await enqueue(db, options.events);
  const n = options.events;
  const workerOptions: OutboxWorkerOptions = {
    leaseMs: options.leaseMs,
    batchSize: options.batchSize,
    concurrency: options.concurrency,
    intervalMs: options.intervalMs,
  };
  const children = [startOutboxWorker(url, mode, workerOptions), startOutboxWorker(url, mode, workerOptions)];
  const all = new Set(children);
  try {
    await Promise.all(children.map((c) => c.ready));
    const started = performance.now();
    children.forEach(go);
    let beforeKill: number | undefined;
    let killed = !kill;
    const deadline = started + 10 * 60_000;
    for (;;) {
      const handled = await count(db, sql`select count(*)::int as n from outbox where processed_at is not null`);
      if (handled >= n) break;
      if (performance.now() > deadline) throw new Error(`${label}: ${handled} of ${n} handled after 10 minutes`);
      if (!killed && handled >= options.killAt * n) {
        killed = true;
        const victim = children[0]!;
        victim.child.kill('SIGKILL');
        await victim.exited;
        beforeKill = handled / ((performance.now() - started) / 1000);
        options.log(`  ${label}: killed pid ${victim.child.pid} with SIGKILL at ${handled} handled; restarting in ${options.restartMs} ms`);
        await sleep(options.restartMs);
        const again = startOutboxWorker(url, mode, workerOptions);
        all.add(again);
        await again.ready;
        go(again);
      }
      await sleep(50);
    }
    const seconds = (performance.now() - started) / 1000;
    const effects = await count(db, sql`select count(*)::int as n from bench_outbox_effect`);
    const distinct = await count(db, sql`select count(distinct event_id)::int as n from bench_outbox_effect`);
    const redelivered = await count(db, sql`select coalesce(sum(attempts - 1), 0)::int as n from outbox where attempts > 1`);
    const dead = await count(db, sql`select count(*)::int as n from outbox where dead_at is not null`);
    return {
      label,
      events: n,
      seconds,
      perSecond: n / seconds,
      ...(beforeKill !== undefined ? { beforeKill } : {}),
      lost: n - distinct,
      twice: effects - distinct,
      redelivered,
      dead,
    };
  } finally {
    for (const c of all) c.child.kill('SIGKILL');
    await Promise.all([...all].map((c) => c.exited));
  }
}

export async function benchOutbox(options: OutboxBenchOptions): Promise<{ worker: OutboxRun; baseline?: OutboxRun }> {
  const { log } = options;
  const bench = await createBenchDatabase('postgres', 'outbox', options.serverUrl);
  const database = await openDatabase({ engine: 'postgres', url: bench.databaseUrl!, poolSize: 2 });
  try {
    await database.migrate();
    await database.db.execute(EFFECT_TABLE);
    log(`outbox on PostgreSQL (${bench.label}), ${options.events} events, ${cpus().length} cores; ${loadLine()}`);
    log(
      `  worker: batch ${options.batchSize}, concurrency ${options.concurrency}, idle poll ${options.intervalMs} ms, lease ${options.leaseMs} ms`,
    );
    const worker = await measure(database.db, bench.databaseUrl!, 'worker, 2 processes, kill -9', 'worker', options, true);
    print(worker, log);
    let baseline: OutboxRun | undefined;
    if (!options.skipBaseline) {
      baseline = await measure(database.db, bench.databaseUrl!, 'naive loop, 2 processes, no kill', 'naive', options, false);
      print(baseline, log);
      log(`  ratio worker / naive loop: ${(worker.perSecond / baseline.perSecond).toFixed(2)}×`);
    }
    const pass = worker.perSecond >= 2000 && worker.lost === 0 && worker.twice === 0;
    log(`  floor ≥ 2,000 events/s across 2 processes, 0 lost, 0 twice: ${pass ? 'PASS' : 'FAIL'}; ${loadLine()}`);
    return { worker, ...(baseline ? { baseline } : {}) };
  } finally {
    await database.close();
    await bench.drop();
  }
}

function print(r: OutboxRun, log: (line: string) => void): void {
  const steady = r.beforeKill !== undefined ? ` (${r.beforeKill.toFixed(0)}/s before the kill)` : '';
  log(
    `  ${r.label}: ${r.events} events in ${r.seconds.toFixed(2)} s = ${r.perSecond.toFixed(0)} events/s${steady}; ` +
      `lost ${r.lost}, handled twice ${r.twice}, re-deliveries ${r.redelivered}, dead ${r.dead}`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const program = new Command()
    .option('--events <n>', 'events enqueued', '60000')
    .option('--kill-at <fraction>', 'kill -9 one process once this share is handled', '0.4')
    .option('--restart-ms <ms>', 'start the killed process again after', '1000')
    .option('--lease-ms <ms>', "the worker's lease", '3000')
    .option('--batch <n>', 'events claimed at once', '200')
    .option('--concurrency <n>', 'handlers running at once per process', '16')
    .option('--interval-ms <ms>', 'idle poll', '250')
    .option('--skip-baseline', 'no naive loop')
    .option('--server-url <url>', 'PostgreSQL server', DEFAULT_SERVER_URL)
    .parse();
  const o = program.opts<Record<string, string | boolean>>();
  await benchOutbox({
    events: Number(o.events),
    killAt: Number(o.killAt),
    restartMs: Number(o.restartMs),
    leaseMs: Number(o.leaseMs),
    batchSize: Number(o.batch),
    concurrency: Number(o.concurrency),
    intervalMs: Number(o.intervalMs),
    skipBaseline: o.skipBaseline === true,
    serverUrl: String(o.serverUrl),
    log: console.log,
  });
}

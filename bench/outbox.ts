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
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { sql } from 'drizzle-orm';
import { openDatabase, type Db } from '../src/db/database.ts';
import { createEventsService } from '../src/modules/events/index.ts';
import { processCpuMs } from './support/cpu.ts';
import { createBenchDatabase, DEFAULT_SERVER_URL } from './support/databases.ts';
import { loadLine } from './support/machine.ts';
import { BENCH_TOPIC, EFFECT_TABLE, startOutboxWorker, type OutboxWorkerOptions } from './support/outbox-worker.ts';

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
  /** CPU per event handled: the worker processes' and their PostgreSQL backends' (sampled; a killed process's last sample counts). */
  workerCpuMs: number;
  postgresCpuMs: number;
}

/** The CPU each process used since it was first seen (or since `from`), keeping the last sample of one that is gone. */
class CpuSamples {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  sample(pids: readonly number[], fromZero: boolean): void {
    for (const pid of pids) {
      const ms = processCpuMs(pid);
      if (ms === null) continue;
      if (!this.first.has(pid)) this.first.set(pid, fromZero ? 0 : ms);
      this.last.set(pid, ms);
    }
  }
  total(): number {
    let sum = 0;
    for (const [pid, ms] of this.last) sum += ms - this.first.get(pid)!;
    return sum;
  }
}

async function count(db: Db, query: ReturnType<typeof sql>): Promise<number> {
  const { rows } = await db.execute<{ n: number }>(query);
  return Number(rows[0]!.n);
}

async function backends(db: Db): Promise<number[]> {
  const { rows } = await db.execute<{ pid: number }>(
    sql`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
  );
  return rows.map((r) => r.pid);
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
    const workerCpu = new CpuSamples();
    const postgresCpu = new CpuSamples();
    const sample = async () => {
      workerCpu.sample(
        [...all].map((c) => c.child.pid!),
        false,
      );
      postgresCpu.sample(await backends(db), true);
    };
    await sample();
    const started = performance.now();
    children.forEach((c) => c.go());
    let sampled = started;
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
        // Counts move when a batch is settled: a random pause lands the kill inside a batch, not just after one.
        await sleep(Math.random() * 100);
        await sample();
        victim.child.kill('SIGKILL');
        await victim.exited;
        beforeKill = handled / ((performance.now() - started) / 1000);
        options.log(`  ${label}: killed pid ${victim.child.pid} with SIGKILL at ${handled} handled; restarting in ${options.restartMs} ms`);
        await sleep(options.restartMs);
        const again = startOutboxWorker(url, mode, workerOptions);
        all.add(again);
        await again.ready;
        await sample();
        again.go();
      }
      if (performance.now() - sampled > 500) {
        sampled = performance.now();
        await sample();
      }
      await sleep(100);
    }
    const seconds = (performance.now() - started) / 1000;
    await sample();
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
      workerCpuMs: workerCpu.total() / n,
      postgresCpuMs: postgresCpu.total() / n,
    };
  } finally {
    for (const c of all) c.child.kill('SIGKILL');
    await Promise.all([...all].map((c) => c.exited));
  }
}

export async function benchOutbox(options: OutboxBenchOptions): Promise<{ worker: OutboxRun; baseline?: OutboxRun }> {
  const { log } = options;
  const bench = await createBenchDatabase('postgres', 'outbox', options.serverUrl);
  const migrating = await openDatabase({ engine: 'postgres', url: bench.databaseUrl!, poolSize: 2 });
  try {
    await migrating.migrate();
    await migrating.db.execute(EFFECT_TABLE);
  } finally {
    await migrating.close();
  }
  // One connection, so that the backends whose CPU is counted are the workers' only.
  const database = await openDatabase({ engine: 'postgres', url: bench.databaseUrl!, poolSize: 1 });
  try {
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
      `lost ${r.lost}, handled twice ${r.twice}, re-deliveries ${r.redelivered}, dead ${r.dead}; ` +
      `CPU per event ${(r.workerCpuMs + r.postgresCpuMs).toFixed(3)} ms (workers ${r.workerCpuMs.toFixed(3)} + PostgreSQL ${r.postgresCpuMs.toFixed(3)})`,
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

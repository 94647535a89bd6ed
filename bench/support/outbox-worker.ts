/**
 * A worker process for the outbox benchmark and crash test: it opens PostgreSQL and, once told
 * `go` on stdin, handles the outbox with one handler that does a real write in its own
 * transaction (a row in `bench_outbox_effect` naming the event) and marks the event handled in
 * that same transaction. It runs until it is killed (or stopped with SIGTERM).
 *
 * Two modes:
 * - `worker`: the real worker (events.start), with the options given;
 * - `naive`: the baseline, a loop claiming one event per transaction (`for update skip locked
 *   limit 1`), writing the effect and marking the event processed, then committing.
 *
 *   node --import tsx bench/support/outbox-worker.ts <postgres URL> <worker|naive> '<options JSON>'
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import { openDatabase, type Db } from '../../src/db/database.ts';
import { createEventsService, type EventHandler } from '../../src/modules/events/index.ts';

/** The handler's own table: no unique key on the event, so a second effect would show as a duplicate. */
export const EFFECT_TABLE = sql`create table if not exists bench_outbox_effect (
  id bigserial primary key, event_id bigint not null, pid int not null, at timestamptz not null default clock_timestamp())`;

export const BENCH_TOPIC = 'bench.outbox';

export interface OutboxWorkerOptions {
  leaseMs: number;
  batchSize: number;
  concurrency: number;
  intervalMs: number;
  /** A pause inside the handler's transaction (the crash test's, so that a kill finds a batch in flight). */
  handlerDelayMs?: number;
}

function effectHandler(db: Db, delayMs: number): EventHandler {
  return {
    name: 'bench.effect',
    topics: [BENCH_TOPIC],
    async handle(event, ctx) {
      await db.transaction(async (tx) => {
        await tx.execute(sql`insert into bench_outbox_effect (event_id, pid) values (${event.id}, ${process.pid})`);
        if (delayMs > 0) await sleep(delayMs);
        await ctx.markHandled(tx);
      });
    },
  };
}

async function naiveLoop(db: Db, stopped: () => boolean): Promise<void> {
  while (!stopped()) {
    const claimed = await db.transaction(async (tx) => {
      const { rows } = await tx.execute<{ id: string }>(
        sql`select id from outbox where processed_at is null and dead_at is null order by id limit 1 for update skip locked`,
      );
      const id = rows[0]?.id;
      if (id === undefined) return false;
      await tx.execute(sql`insert into bench_outbox_effect (event_id, pid) values (${id}, ${process.pid})`);
      await tx.execute(sql`update outbox set processed_at = now(), attempts = attempts + 1 where id = ${id}`);
      return true;
    });
    if (!claimed) await sleep(250);
  }
}

export interface OutboxWorkerProcess {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<void>;
  stderr: () => string;
  /** Lets it start handling. */
  go(): void;
}

/** Starts a worker process; it waits for `go()` (so that its start-up is not timed). */
export function startOutboxWorker(url: string, mode: 'worker' | 'naive', options: OutboxWorkerOptions): OutboxWorkerProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./outbox-worker.ts', import.meta.url)), url, mode, JSON.stringify(options)],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (chunk.includes('ready')) resolve();
    });
    void exited.then(() => reject(new Error(`outbox worker exited before it was ready: ${stderr}`)));
  });
  return { child, ready, exited, stderr: () => stderr, go: () => void child.stdin.write('go\n') };
}

async function main(): Promise<void> {
  const [url, mode, optionsJson] = process.argv.slice(2);
  if (!url || (mode !== 'worker' && mode !== 'naive'))
    throw new Error('usage: outbox-worker.ts <postgres URL> <worker|naive> <options JSON>');
  const options = JSON.parse(optionsJson ?? '{}') as OutboxWorkerOptions;
  const database = await openDatabase({ engine: 'postgres', url, poolSize: (options.concurrency ?? 1) + 4 });
  const { db } = database;
  const events = createEventsService({
    db,
    worker: { leaseMs: options.leaseMs, batchSize: options.batchSize, concurrency: options.concurrency },
  });
  let stop: () => Promise<void> = async () => undefined;
  let stopped = false;
  process.on('SIGTERM', () => {
    stopped = true;
    void stop().then(() => database.close());
  });
  process.stdout.write('ready\n');
  // Told `go` on stdin; the end of stdin (the parent gone) ends the process.
  await new Promise<void>((resolve) => {
    process.stdin.setEncoding('utf8').on('data', (chunk: string) => {
      if (chunk.includes('go')) resolve();
    });
  });
  process.stdin.on('end', () => process.exit(0));
  if (mode === 'worker') {
    stop = events.start({
      handlers: [effectHandler(db, options.handlerDelayMs ?? 0)],
      intervalMs: options.intervalMs,
      onError: (error) => process.stderr.write(`worker: ${String(error)}\n`),
    });
  } else {
    await naiveLoop(db, () => stopped);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

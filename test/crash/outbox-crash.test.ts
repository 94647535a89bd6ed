import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { createEventsService } from '../../src/modules/events/index.ts';
import { BENCH_TOPIC, EFFECT_TABLE, startOutboxWorker, type OutboxWorkerProcess } from '../../bench/support/outbox-worker.ts';
import { crashBound, crashSeed, seededRandom } from './seeded-random.ts';

/**
 * Issue 13's crash test: two outbox worker processes on one PostgreSQL database handle events
 * whose handler writes a row per event and marks the event handled in the same transaction.
 * One of them is killed with SIGKILL at a seeded moment mid-batch, and started again; its leased
 * events come back after the (short) lease. Afterwards every event is handled, exactly once in
 * effect: one row per event in the handler's table, none missing, none dead.
 *
 * OUTBOX_CRASH_EVENTS (default 1,500; 3,000 with YIBAN_LONG_TESTS=1) and OUTBOX_CRASH_KILLS (default 2) bound it for CI
 * (bench/outbox.ts runs the large version); OUTBOX_CRASH_SEED replays a run (the seed is printed).
 */

const EVENTS = crashBound('OUTBOX_CRASH_EVENTS', 1500, 3000);
const KILLS = Number(process.env.OUTBOX_CRASH_KILLS ?? 2);
const SEED = crashSeed('OUTBOX_CRASH_SEED');
// A handler of a few ms keeps both processes busy, so that a kill finds a batch in flight.
const OPTIONS = { leaseMs: 500, batchSize: 50, concurrency: 8, intervalMs: 50, handlerDelayMs: 5 };
const live = new Set<OutboxWorkerProcess>();

afterAll(() => {
  for (const worker of live) worker.child.kill('SIGKILL');
});

async function admin(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A worker process, started and ready; it handles nothing until `go()`. */
async function spawned(url: string): Promise<OutboxWorkerProcess> {
  const worker = startOutboxWorker(url, 'worker', OPTIONS);
  live.add(worker);
  void worker.exited.then(() => live.delete(worker));
  await worker.ready;
  return worker;
}

describe.skipIf(!process.env.DATABASE_URL)('outbox crash on PostgreSQL (needs DATABASE_URL: PGlite is one process)', () => {
  it('handles every event exactly once in effect through kill -9 of a worker process mid-batch', async () => {
    console.log(`outbox crash seed ${SEED} (OUTBOX_CRASH_SEED=${SEED} replays it), ${KILLS} kills, ${EVENTS} events`);
    const next = seededRandom(SEED);
    const name = `yiban_outbox_crash_${Date.now().toString(36)}`;
    await admin(`CREATE DATABASE ${name}`);
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = `/${name}`;
    const database = await openDatabase({ engine: 'postgres', url: url.toString(), poolSize: 2 });
    const count = async (query: ReturnType<typeof sql>) => Number((await database.db.execute<{ n: number }>(query)).rows[0]!.n);
    const handled = () => count(sql`select count(*)::int as n from outbox where processed_at is not null`);
    try {
      await database.migrate();
      await database.db.execute(EFFECT_TABLE);
      const events = createEventsService({ db: database.db });
      const batch = Array.from({ length: EVENTS }, (_, n) => ({ topic: BENCH_TOPIC, payload: { n } }));
      await database.db.transaction((tx) => events.enqueueMany(tx, batch));

      const target = url.toString();
      const workers = await Promise.all([spawned(target), spawned(target)]);
      // The replacements wait ready, so that a restart takes no start-up time.
      const spares = await Promise.all(Array.from({ length: KILLS }, () => spawned(target)));
      workers.forEach((w) => w.go());
      const deadline = Date.now() + 60_000;
      for (let kill = 0; kill < KILLS; kill++) {
        // Each kill at a seeded share of the events, spread over the run.
        const at = Math.floor(EVENTS * ((kill + 0.2 + next() * 0.6) / (KILLS + 1)));
        while ((await handled()) < at && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        // Counts move when a batch is settled: a seeded pause lands the kill inside a batch, not just after one.
        await new Promise((r) => setTimeout(r, next() * 40));
        const victim = workers.splice(Math.floor(next() * workers.length), 1)[0]!;
        victim.child.kill('SIGKILL');
        await victim.exited;
        const spare = spares.pop()!;
        spare.go();
        workers.push(spare);
      }
      while ((await handled()) < EVENTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));

      const { rows } = await database.db.execute<{
        effects: number;
        distinct: number;
        dead: number;
        marks: number;
        redelivered: number;
      }>(sql`
          select (select count(*)::int from bench_outbox_effect) as effects,
                 (select count(distinct event_id)::int from bench_outbox_effect) as distinct,
                 (select count(*)::int from outbox where dead_at is not null) as dead,
                 (select count(*)::int from event_handled) as marks,
                 (select coalesce(sum(attempts - 1), 0)::int from outbox) as redelivered`);
      const r = rows[0]!;
      console.log(`outbox crash: ${EVENTS} events, ${KILLS} kills, ${r.redelivered} re-deliveries after the kills`);
      expect(await handled()).toBe(EVENTS);
      // The kills found batches in flight: their events were claimed again after the lease.
      expect(r.redelivered).toBeGreaterThan(0);
      expect({ effects: r.effects, distinct: r.distinct, dead: r.dead, marks: r.marks }).toEqual({
        effects: EVENTS,
        distinct: EVENTS,
        dead: 0,
        marks: EVENTS,
      });
    } finally {
      for (const worker of live) worker.child.kill('SIGKILL');
      await database.close();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  }, 120_000);
});

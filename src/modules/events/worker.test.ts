import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines, createTestDatabase } from '../../../test/db.ts';
import type { Database } from '../../db/database.ts';
import type { Principal } from '../identity/index.ts';
import { eventHandled, eventRetries, outbox } from './events.tables.ts';
import { createEventsService, type EventsDeps } from './events.service.ts';
import type { EventHandler, StoredEvent } from './handlers.ts';
import { backoffMs, DEFAULT_WORKER_OPTIONS } from './worker.ts';

const admin: Principal = {
  accountId: randomUUID(),
  kind: 'staff',
  name: '平台管理员',
  roles: [{ role: 'platform_admin', orgCode: '13', orgPath: '13' }],
  sessionChannel: 'web',
};
const officer: Principal = { ...admin, roles: [{ role: 'county_admin', orgCode: '13', orgPath: '13' }] };

/** A handler that records what it saw and fails while `fail` says so. */
function recorder(name: string, topics: string[], fail: (e: StoredEvent) => boolean = () => false) {
  const seen: number[] = [];
  const handler: EventHandler = {
    name,
    topics,
    async handle(event) {
      seen.push(event.id);
      if (fail(event)) throw new Error(`${name} failed on ${event.id}`);
    },
  };
  return { handler, seen };
}

describe.each(testEngines())('the outbox worker on %s', (engine) => {
  let database: Database;
  // Ahead of the database's own now(), which stamps new events due.
  let now = new Date(Date.now() + 60_000);
  const clock = () => now;
  const later = (ms: number) => (now = new Date(now.getTime() + ms));
  const service = (worker: EventsDeps['worker'] = {}) =>
    createEventsService({ db: database.db, clock, random: () => 1, worker: { backoffBaseMs: 1000, ...worker } });
  const enqueue = async (topic: string, n = 1): Promise<number[]> => {
    const events = service();
    const ids: number[] = [];
    for (let i = 0; i < n; i++) ids.push(await database.db.transaction((tx) => events.enqueue(tx, { topic, payload: { n: i } })));
    return ids;
  };
  const row = async (id: number) => (await database.db.select().from(outbox).where(eq(outbox.id, id)))[0]!;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
  });
  afterAll(async () => {
    await database?.close();
  });

  it('backs off exponentially with jitter, capped', () => {
    const o = { ...DEFAULT_WORKER_OPTIONS, backoffBaseMs: 1000, backoffMaxMs: 10_000 };
    expect([1, 2, 3, 4, 5].map((a) => backoffMs(a, o, () => 1))).toEqual([1000, 2000, 4000, 8000, 10_000]);
    expect(backoffMs(3, o, () => 0)).toBe(2000);
  });

  it('retries a failing handler after its backoff, and never holds back the other events', async () => {
    const [bad, good] = [...(await enqueue('t.retry')), ...(await enqueue('t.retry'))];
    let failures = 2;
    const h = recorder('retry', ['t.retry'], (e) => e.id === bad && failures-- > 0);
    const events = service();
    await events.drain([h.handler]);
    expect(h.seen).toEqual([bad, good]);
    expect((await row(good!)).processedAt).not.toBeNull();
    const failed = await row(bad!);
    expect(failed).toMatchObject({ attempts: 1, processedAt: null, deadAt: null, lockedUntil: null });
    expect(failed.lastError).toContain('retry: retry failed on');
    expect(failed.availableAt.getTime() - now.getTime()).toBe(1000);
    // Not due yet: nothing is claimed.
    expect(await events.runOnce([h.handler])).toBe(0);
    later(1000);
    await events.drain([h.handler]);
    expect((await row(bad!)).availableAt.getTime() - now.getTime()).toBe(2000);
    later(2000);
    await events.drain([h.handler]);
    expect(await row(bad!)).toMatchObject({ attempts: 3, lastError: null });
    expect((await row(bad!)).processedAt).not.toBeNull();
    expect(h.seen).toEqual([bad, good, bad, bad]);
  });

  it('hands a batch handler the claimed events at once, and one by one when the batch fails, so one bad event fails alone', async () => {
    const ids = await enqueue('t.many', 4);
    const calls: number[][] = [];
    let batchFails = true;
    const single: number[] = [];
    const handler: EventHandler = {
      name: 'many',
      topics: ['t.many'],
      async handleMany(events) {
        calls.push(events.map((e) => e.id));
        if (batchFails) throw new Error('one of them is bad');
      },
      async handle(event) {
        single.push(event.id);
        if (event.id === ids[2]) throw new Error(`bad event ${event.id}`);
      },
    };
    const events = service();
    await events.drain([handler]);
    // One call with the whole batch; it failed, so each event went on its own: three done, one due again.
    expect(calls).toEqual([ids]);
    expect(single).toEqual(ids);
    for (const id of [ids[0]!, ids[1]!, ids[3]!]) expect((await row(id)).processedAt).not.toBeNull();
    expect(await row(ids[2]!)).toMatchObject({ attempts: 1, processedAt: null });
    expect((await row(ids[2]!)).lastError).toContain('bad event');
    // The retry: the batch succeeds with the one event left; the others are not handed again.
    batchFails = false;
    later(1000);
    await events.drain([handler]);
    expect(calls).toEqual([ids, [ids[2]]]);
    expect((await row(ids[2]!)).processedAt).not.toBeNull();
  });

  it('dead-letters after the last attempt; a platform administrator sees it and revives it (audited)', async () => {
    const [id] = await enqueue('t.dead');
    let broken = true;
    const h = recorder('dead', ['t.dead'], () => broken);
    const events = service({ maxAttempts: 3 });
    for (let i = 0; i < 3; i++) {
      await events.drain([h.handler]);
      later(60_000);
    }
    expect(h.seen).toEqual([id, id, id]);
    expect((await row(id!)).deadAt).not.toBeNull();
    await events.drain([h.handler]);
    expect(h.seen.length).toBe(3);

    const dead = await events.listDead(admin);
    expect(dead.find((d) => d.id === id)).toMatchObject({ topic: 't.dead', attempts: 3, payload: { n: 0 } });
    expect(dead.find((d) => d.id === id)!.lastError).toContain('dead failed');
    await expect(events.listDead(officer)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(events.retryDead(officer, id!)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(events.retryDead(admin, 999_999_999)).rejects.toMatchObject({ code: 'NOT_FOUND' });

    broken = false;
    await events.retryDead(admin, id!);
    await expect(events.retryDead(admin, id!)).rejects.toMatchObject({ code: 'CONFLICT' });
    const audit = await database.db.select().from(eventRetries).where(eq(eventRetries.eventId, id!));
    expect(audit).toMatchObject([{ retriedBy: admin.accountId, attempts: 3 }]);
    await events.drain([h.handler]);
    expect(h.seen.length).toBe(4);
    expect((await row(id!)).processedAt).not.toBeNull();
    expect((await events.listDead(admin)).some((d) => d.id === id)).toBe(false);
  });

  it('keeps retrying a handler with its own policy past the default attempts: capped backoff, dead only after its retention', async () => {
    const [id] = await enqueue('t.patient');
    const [plainId] = await enqueue('t.plain');
    const hours = 3_600_000;
    const patient: EventHandler = {
      ...recorder('patient', ['t.patient'], () => true).handler,
      retry: { backoffMaxMs: 300_000, retryForMs: 24 * hours },
    };
    const plain = recorder('plain', ['t.plain'], () => true).handler;
    const events = service({ maxAttempts: 3, backoffMaxMs: 3_600_000 });
    // Each round: everything due is tried once, then the clock moves past the longest wait.
    for (let round = 0; round < 12; round++) {
      await events.runOnce([patient, plain]);
      later(hours);
    }
    // The plain handler's event is dead after 3 attempts; the patient one is still due, waiting at most 5 minutes.
    expect((await row(plainId!)).deadAt).not.toBeNull();
    const waiting = await row(id!);
    expect(waiting).toMatchObject({ deadAt: null, processedAt: null, attempts: 12 });
    // The wait is capped at 5 minutes however many attempts.
    await events.runOnce([patient]);
    const next = await row(id!);
    expect(next.availableAt.getTime() - now.getTime()).toBe(300_000);
    // After its retention (24 h since it was written) the next failure makes it a dead letter.
    later(13 * hours);
    await events.runOnce([patient]);
    expect((await row(id!)).deadAt).not.toBeNull();
  });

  it('skips, on a retry, the handlers that are done for the event', async () => {
    const [id] = await enqueue('t.marks');
    let failB = true;
    const a = recorder('a', ['t.marks']);
    const b = recorder('b', ['t.marks'], () => failB);
    const events = service();
    await events.drain([a.handler, b.handler]);
    failB = false;
    later(10_000);
    await events.drain([a.handler, b.handler]);
    expect(a.seen).toEqual([id]);
    expect(b.seen).toEqual([id, id]);
    // The retry needed a's mark; once done by both, the event is never retried, so b's is not written.
    const marks = await database.db.select().from(eventHandled).where(eq(eventHandled.eventId, id!));
    expect(marks.map((m) => m.handler)).toEqual(['a']);
    expect((await row(id!)).processedAt).not.toBeNull();
  });

  it('lets another worker take a claim whose lease expired; the handled mark keeps the effect single', async () => {
    const [id] = await enqueue('t.lease');
    const effects: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const handler: EventHandler = {
      name: 'lease',
      topics: ['t.lease'],
      async handle(event, ctx) {
        const first = calls++ === 0;
        if (first) await gate; // the first worker hangs here, as if killed
        await database.db.transaction(async (tx) => {
          await ctx.markHandled(tx);
          effects.push(event.id);
        });
      },
    };
    const a = service({ leaseMs: 5000 });
    const b = service({ leaseMs: 5000 });
    const stuck = a.runOnce([handler]);
    await until(() => calls === 1);
    // Within the lease no one else takes it.
    expect(await b.runOnce([handler])).toBe(0);
    later(5001);
    expect(await b.runOnce([handler])).toBe(1);
    expect(effects).toEqual([id]);
    expect(await row(id!)).toMatchObject({ attempts: 2, lockedUntil: null });
    release();
    await stuck;
    // The stale worker ran again but changed nothing: one effect, the event done by the second claim.
    expect(calls).toBe(2);
    expect(effects).toEqual([id]);
    expect((await row(id!)).processedAt).not.toBeNull();
  });

  it('never runs a handler twice for one event across concurrent workers', async () => {
    const ids = new Set(await enqueue('t.many', 120));
    const counts = new Map<number, number>();
    const handler: EventHandler = {
      name: 'count',
      topics: ['t.many'],
      async handle(event) {
        counts.set(event.id, (counts.get(event.id) ?? 0) + 1);
        await new Promise((r) => setImmediate(r));
      },
    };
    const workers = [service({ batchSize: 7 }), service({ batchSize: 7 }), service({ batchSize: 7 })];
    const handled = await Promise.all(workers.map((w) => w.drain([handler])));
    expect([...ids].every((id) => counts.get(id) === 1)).toBe(true);
    expect(handled.reduce((s, n) => s + n, 0)).toBeGreaterThanOrEqual(ids.size);
    if (engine === 'postgres') expect(handled.filter((n) => n > 0).length).toBeGreaterThan(1);
  });

  it('claims the topics of a handler with a cadence in a loop of their own, in its larger batches, which the other loops leave alone; drain takes them too', async () => {
    const batches: number[] = [];
    const paced: EventHandler = {
      name: 'paced',
      topics: ['t.paced'],
      cadence: { batchSize: 50, intervalMs: 10 },
      async handle() {
        batches.push(1);
      },
      async handleMany(events) {
        batches.push(events.length);
      },
    };
    const other = recorder('other', ['t.other']);
    const pacedIds = await enqueue('t.paced', 60);
    const otherIds = await enqueue('t.other', 6);
    const stop = service().start({ handlers: [paced, other.handler], intervalMs: 10, batchSize: 4, pipelines: 2 });
    try {
      await until(() => batches.reduce((s, n) => s + n, 0) >= 60 && other.seen.length >= 6, 60_000);
    } finally {
      await stop();
    }
    // 50, then the 10 left at once (a full batch runs again): never a batch of the other loops' 4.
    expect(batches).toEqual([50, 10]);
    expect([...other.seen].sort((a, b) => a - b)).toEqual(otherIds);
    for (const id of [...pacedIds, ...otherIds]) expect((await row(id)).processedAt).not.toBeNull();

    const more = await enqueue('t.paced', 3);
    expect(await service().drain([paced])).toBeGreaterThanOrEqual(3);
    for (const id of more) expect((await row(id)).processedAt).not.toBeNull();
    expect(batches.reduce((s, n) => s + n, 0)).toBe(63);
  });
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * The outbox worker. A claim is one short statement: it leases up to `limit` due events
 * (`FOR UPDATE SKIP LOCKED`, so concurrent workers take different events) and counts the
 * attempt. The handlers run outside any transaction of the worker's (on PGlite the one
 * connection is free for them), up to `concurrency` events at once. Then the batch's handled
 * events are marked done in one statement; each failed one is due again after an exponential
 * backoff with jitter, or dead after the last attempt. A worker killed mid-handler leaves its
 * lease to expire, and another worker takes the event again: at least once. Every write after the
 * claim names the attempt it belongs to, so a stale worker (its lease expired) changes nothing.
 */
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db, Executor } from '../../db/database.ts';
import { AlreadyHandled, type EventHandler, type RetryPolicy, type StoredEvent } from './handlers.ts';
import { eventHandled, outbox } from './events.tables.ts';

export interface WorkerOptions {
  /** Attempts before an event becomes a dead letter (default 8). */
  maxAttempts: number;
  /** How long a claim holds an event (default 60 s): a handler taking longer may run twice. */
  leaseMs: number;
  /** The first retry's delay (default 1 s), doubled each attempt, up to `backoffMaxMs` (default 1 h). */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Events claimed at once (default 100). */
  batchSize: number;
  /**
   * Events of a batch whose handlers run at once (default 8): each handler's transaction waits
   * for its commit, so one at a time leaves the database idle. 1 handles a batch in id order.
   */
  concurrency: number;
}

export const DEFAULT_WORKER_OPTIONS: WorkerOptions = {
  maxAttempts: 8,
  leaseMs: 60_000,
  backoffBaseMs: 1000,
  backoffMaxMs: 3_600_000,
  batchSize: 100,
  concurrency: 8,
};

interface Outcome {
  event: StoredEvent;
  errors: string[];
  succeeded: string[];
  /** The handlers that failed: their retry policies decide the event's next attempt. */
  failed: EventHandler[];
}

/**
 * The retry policy of an event whose `failed` handlers failed: the worker's options, or, when any
 * of them has its own, the most patient of theirs (most attempts, longest retention, shortest
 * backoff).
 */
function retryPolicyOf(
  failed: readonly EventHandler[],
  options: WorkerOptions,
): Required<Pick<RetryPolicy, 'maxAttempts' | 'backoffBaseMs' | 'backoffMaxMs' | 'retryForMs'>> {
  const own = failed.flatMap((h) => (h.retry ? [h.retry] : []));
  if (own.length === 0)
    return { maxAttempts: options.maxAttempts, backoffBaseMs: options.backoffBaseMs, backoffMaxMs: options.backoffMaxMs, retryForMs: 0 };
  const pick = (f: (p: RetryPolicy) => number | undefined, fallback: number, best: (...n: number[]) => number) =>
    best(...own.map((p) => f(p) ?? fallback));
  return {
    maxAttempts: pick((p) => p.maxAttempts, options.maxAttempts, Math.max),
    backoffBaseMs: pick((p) => p.backoffBaseMs, options.backoffBaseMs, Math.min),
    backoffMaxMs: pick((p) => p.backoffMaxMs, options.backoffMaxMs, Math.min),
    retryForMs: pick((p) => p.retryForMs, 0, Math.max),
  };
}

export interface WorkerDeps {
  db: Db;
  clock: () => Date;
  options: WorkerOptions;
  /** [0, 1): the jitter (tests pass a fixed one). */
  random?: () => number;
}

/** The delay before attempt `attempts + 1`: exponential, capped, with jitter (half to all of it). */
export function backoffMs(
  attempts: number,
  options: Pick<WorkerOptions, 'backoffBaseMs' | 'backoffMaxMs'>,
  random: () => number = Math.random,
): number {
  const full = Math.min(options.backoffMaxMs, options.backoffBaseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
  return Math.round(full * (0.5 + random() / 2));
}

export function createWorker(deps: WorkerDeps) {
  const { db, clock, options } = deps;
  const random = deps.random ?? Math.random;

  /** Which topics a claim takes: all, only these, or all but these. */
  type TopicFilter = { only: readonly string[] } | { except: readonly string[] } | null;

  async function claim(limit: number, topics: TopicFilter = null): Promise<StoredEvent[]> {
    const now = clock();
    const byTopic =
      topics === null
        ? sql``
        : 'only' in topics
          ? sql`and topic = any(${sql.param([...topics.only])}::text[])`
          : topics.except.length > 0
            ? sql`and topic <> all(${sql.param([...topics.except])}::text[])`
            : sql``;
    const leaseEnd = new Date(now.getTime() + options.leaseMs);
    const { rows } = await db.execute<{
      id: string | number;
      topic: string;
      payload: Record<string, unknown>;
      attempts: number;
      created_at: string | Date;
    }>(sql`
      update ${outbox} set locked_until = ${leaseEnd.toISOString()}::timestamptz, attempts = attempts + 1
      where id in (
        select id from ${outbox}
        where processed_at is null and dead_at is null and available_at <= ${now.toISOString()}::timestamptz
          and (locked_until is null or locked_until < ${now.toISOString()}::timestamptz) ${byTopic}
        order by id limit ${limit}
        for update skip locked)
      returning id, topic, payload, attempts, created_at`);
    return rows
      .map((r) => ({ id: Number(r.id), topic: r.topic, payload: r.payload, attempts: r.attempts, createdAt: new Date(r.created_at) }))
      .sort((a, b) => a.id - b.id);
  }

  async function handledBy(ids: readonly number[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await db
      .select()
      .from(eventHandled)
      .where(inArray(eventHandled.eventId, [...ids]));
    return new Set(rows.map((r) => `${r.eventId}|${r.handler}`));
  }

  async function mark(tx: Executor, eventId: number, handler: string): Promise<boolean> {
    const inserted = await tx
      .insert(eventHandled)
      .values({ eventId, handler, handledAt: clock() })
      .onConflictDoNothing()
      .returning({ eventId: eventHandled.eventId });
    return inserted.length > 0;
  }

  /**
   * Runs the handlers not yet done for the event: the first error of each, by handler name, and
   * the handlers that succeeded (their marks are written with the batch's, unless they wrote them).
   */
  async function handle(event: StoredEvent, handlers: readonly EventHandler[], done: Set<string>): Promise<Outcome> {
    const outcome: Outcome = { event, errors: [], succeeded: [], failed: [] };
    for (const handler of handlers) {
      if (done.has(`${event.id}|${handler.name}`)) continue;
      try {
        await handler.handle(event, {
          markHandled: async (tx) => {
            if (!(await mark(tx, event.id, handler.name))) throw new AlreadyHandled(event.id, handler.name);
          },
        });
        outcome.succeeded.push(handler.name);
      } catch (error) {
        if (error instanceof AlreadyHandled) continue;
        outcome.errors.push(`${handler.name}: ${error instanceof Error ? error.message : String(error)}`);
        outcome.failed.push(handler);
      }
    }
    return outcome;
  }

  /**
   * One statement for the batch: the marks of the handlers that succeeded for events that will be
   * retried, and the events with no error done. Each failed event is then due again after its backoff, or dead. Every write
   * names the claim's attempt, so a stale worker's changes nothing.
   */
  async function settle(outcomes: readonly Outcome[]): Promise<void> {
    const now = clock();
    // A mark guards a retry: an event done by every handler is never retried, so only the failed ones' are written.
    const marks = outcomes
      .filter((o) => o.errors.length > 0)
      .flatMap((o) => o.succeeded.map((handler) => ({ eventId: o.event.id, handler })));
    const ok = outcomes.filter((o) => o.errors.length === 0).map((o) => o.event);
    if (marks.length > 0 || ok.length > 0) {
      await db.execute(sql`
        with marked as (
          insert into ${eventHandled} (event_id, handler, handled_at)
          select * from unnest(${sql.param(marks.map((m) => m.eventId))}::bigint[], ${sql.param(marks.map((m) => m.handler))}::text[],
                               ${sql.param(marks.map(() => now.toISOString()))}::timestamptz[])
          on conflict do nothing)
        update ${outbox} set processed_at = ${now.toISOString()}::timestamptz, locked_until = null, last_error = null
        from unnest(${sql.param(ok.map((e) => e.id))}::bigint[], ${sql.param(ok.map((e) => e.attempts))}::int[]) as mine(id, attempts)
        where ${outbox.id} = mine.id and ${outbox.attempts} = mine.attempts and ${outbox.processedAt} is null`);
    }
    for (const { event, errors, failed } of outcomes) {
      if (errors.length === 0) continue;
      const mine = and(eq(outbox.id, event.id), eq(outbox.attempts, event.attempts), isNull(outbox.processedAt));
      const lastError = errors.join('; ').slice(0, 2000);
      const policy = retryPolicyOf(failed, options);
      if (event.attempts >= policy.maxAttempts && now.getTime() - event.createdAt.getTime() >= policy.retryForMs) {
        await db.update(outbox).set({ deadAt: now, lockedUntil: null, lastError }).where(mine);
        continue;
      }
      const availableAt = new Date(now.getTime() + backoffMs(event.attempts, policy, random));
      await db.update(outbox).set({ availableAt, lockedUntil: null, lastError }).where(mine);
    }
  }

  /**
   * Claims up to `limit` due events and handles them, `concurrency` at a time (taken in id
   * order); an event that fails is retried on its own and never holds back the others. Returns
   * how many were claimed.
   */
  async function runOnce(handlers: readonly EventHandler[], limit = options.batchSize, topics: TopicFilter = null): Promise<number> {
    const events = await claim(limit, topics);
    if (events.length === 0) return 0;
    const done = await handledBy(events.map((e) => e.id));
    const outcomes = new Map<number, Outcome>(events.map((e) => [e.id, { event: e, errors: [], succeeded: [], failed: [] }]));
    const single = handlers.filter((h) => h.handleMany === undefined);
    // Handlers that take the batch at once: one call each, or, when it fails, each event on its own.
    const batched = async () => {
      for (const h of handlers.filter((x) => x.handleMany !== undefined)) {
        const mine = events.filter((e) => h.topics.includes(e.topic) && !done.has(`${e.id}|${h.name}`));
        if (mine.length === 0) continue;
        try {
          await h.handleMany!(mine);
          for (const e of mine) outcomes.get(e.id)!.succeeded.push(h.name);
        } catch {
          for (const e of mine) {
            const one = await handle(e, [h], done);
            outcomes.get(e.id)!.succeeded.push(...one.succeeded);
            outcomes.get(e.id)!.errors.push(...one.errors);
            outcomes.get(e.id)!.failed.push(...one.failed);
          }
        }
      }
    };
    let next = 0;
    const lane = async () => {
      for (let event = events[next++]; event; event = events[next++]) {
        const topic = event.topic;
        const one = await handle(
          event,
          single.filter((h) => h.topics.includes(topic)),
          done,
        );
        outcomes.get(event.id)!.succeeded.push(...one.succeeded);
        outcomes.get(event.id)!.errors.push(...one.errors);
        outcomes.get(event.id)!.failed.push(...one.failed);
      }
    };
    await Promise.all([batched(), ...Array.from({ length: Math.max(1, Math.min(options.concurrency, events.length)) }, lane)]);
    await settle([...outcomes.values()]);
    return events.length;
  }

  /** Handles events until none is due (tests, and the demo commands): what handlers enqueue is handled too. */
  async function drain(handlers: readonly EventHandler[]): Promise<number> {
    let total = 0;
    for (let n = await runOnce(handlers); n > 0; n = await runOnce(handlers)) total += n;
    return total;
  }

  /**
   * Polls every `intervalMs` (at once again after a full batch); the returned function stops it
   * after the current batches. `pipelines` loops claim and handle side by side (SKIP LOCKED keeps
   * their batches apart), each `batchSize` events at most: a slow handler then holds back only its
   * own batch, not every event that arrives meanwhile (the latency a trigger waits for). The topics
   * of handlers with a `cadence` have a loop each of their own, on that cadence, and the other
   * loops leave them alone.
   */
  function start(
    handlers: readonly EventHandler[],
    opts: { intervalMs?: number; onError?: (error: unknown) => void; pipelines?: number; batchSize?: number } = {},
  ) {
    const intervalMs = opts.intervalMs ?? 500;
    const limit = opts.batchSize ?? options.batchSize;
    let stopped = false;
    const running = new Set<Promise<unknown>>();
    const timers = new Set<ReturnType<typeof setTimeout>>();
    const paced = handlers.filter((h) => h.cadence);
    const pacedTopics = [...new Set(paced.flatMap((h) => h.topics))];
    const loop = (limit: number, intervalMs: number, topics: TopicFilter) => {
      const schedule = (delay: number) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          tick();
        }, delay);
        timers.add(timer);
      };
      const tick = () => {
        if (stopped) return;
        const run = runOnce(handlers, limit, topics)
          .catch((error: unknown) => {
            opts.onError?.(error);
            return 0;
          })
          .then((n) => {
            running.delete(run);
            if (!stopped) schedule(n >= limit ? 0 : intervalMs);
          });
        running.add(run);
      };
      schedule(intervalMs);
    };
    for (let i = 0; i < Math.max(1, opts.pipelines ?? 1); i++) loop(limit, intervalMs, { except: pacedTopics });
    for (const h of paced) loop(h.cadence!.batchSize, h.cadence!.intervalMs, { only: h.topics });
    return async () => {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      await Promise.all([...running]);
    };
  }

  return { runOnce, drain, start };
}

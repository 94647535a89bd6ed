import { sql } from 'drizzle-orm';
import type { Db, Executor } from '../../db/database.ts';
import { queryPrepared, type PreparedStatement } from '../../db/prepared.ts';
import { eventHandled, outbox } from './events.tables.ts';
import type { DomainEvent, EventHandler } from './handlers.ts';
import { createWorker, DEFAULT_WORKER_OPTIONS, type WorkerOptions } from './worker.ts';
import { createDeadLetterFunctions } from './dead-letters.ts';
import { pruneHandledEvents, type OutboxPruneOptions } from './prune.ts';

export interface EventsDeps {
  db: Db;
  clock?: () => Date;
  worker?: Partial<WorkerOptions>;
  /** [0, 1): the retry jitter (tests pass a fixed one). */
  random?: () => number;
}

export type EventsService = ReturnType<typeof createEventsService>;

const ENQUEUE: PreparedStatement = { name: 'outbox_enqueue', text: 'insert into outbox (topic, payload) values ($1, $2) returning id' };

/**
 * The events service: writing events in the caller's transaction, the handlers subscribed at
 * start-up (the composition root), the worker that runs them (worker.ts) and the dead letters
 * (dead-letters.ts).
 */
export function createEventsService(deps: EventsDeps) {
  const { db } = deps;
  const clock = deps.clock ?? (() => new Date());
  const worker = createWorker({
    db,
    clock,
    options: { ...DEFAULT_WORKER_OPTIONS, ...deps.worker },
    ...(deps.random ? { random: deps.random } : {}),
  });
  const subscribed: EventHandler[] = [];

  return {
    /** Writes the event in the caller's transaction: it exists if and only if the change does. */
    async enqueue(tx: Executor, event: DomainEvent): Promise<number> {
      // Prepared: it runs in most writing transactions (a settlement, a decision).
      const [row] = await queryPrepared<{ id: string | number }>(tx, ENQUEUE, [event.topic, JSON.stringify(event.payload)]);
      return Number(row!.id);
    },

    /**
     * The insert of one event, for a caller that writes it as a CTE of its own statement (one
     * round trip): the numbers name the statement's parameters (the payload as JSON text), and
     * `onlyIf` a condition on the statement's other CTEs.
     */
    enqueueSql(topicParam: number, payloadParam: number, onlyIf = 'true'): string {
      return `insert into outbox (topic, payload) select $${topicParam}, $${payloadParam}::jsonb where ${onlyIf}`;
    },

    /** Many events in one statement, in the caller's transaction. */
    async enqueueMany(tx: Executor, events: readonly DomainEvent[]): Promise<void> {
      if (events.length === 0) return;
      // One array parameter per column: a parameter per value costs the driver far more for big batches.
      await tx.execute(
        sql`insert into ${outbox} (topic, payload) select * from unnest(${sql.param(events.map((e) => e.topic))}::text[], ${sql.param(events.map((e) => JSON.stringify(e.payload)))}::jsonb[])`,
      );
    },

    /** Adds a handler (the composition root, before the worker starts); names are unique. */
    subscribe(handler: EventHandler): void {
      if (subscribed.some((h) => h.name === handler.name)) throw new Error(`event handler ${handler.name} is subscribed twice`);
      subscribed.push(handler);
    },

    handlers(): readonly EventHandler[] {
      return [...subscribed];
    },

    /**
     * Of these events, those the worker has recorded as done by `handler`, or done by every
     * handler, or pruned (only handled events are): it never hands them to that handler again (a
     * handler's own dedupe marks of them can go).
     */
    async handledBy(handler: string, eventIds: readonly number[]): Promise<Set<number>> {
      if (eventIds.length === 0) return new Set();
      const { rows } = await db.execute<{ id: string | number }>(sql`
        select e.id from unnest(${sql.param([...eventIds])}::bigint[]) as e(id)
        where exists (select 1 from ${eventHandled} h where h.event_id = e.id and h.handler = ${handler})
           or not exists (select 1 from ${outbox} o where o.id = e.id and o.processed_at is null)`);
      return new Set(rows.map((r) => Number(r.id)));
    },

    /** Deletes events handled before the retention (prune.ts); how many went. */
    pruneHandled: (options: OutboxPruneOptions = {}) => pruneHandledEvents(db, clock(), options),

    /** One claim of due events, handled (by the subscribed handlers unless others are given); how many were claimed. */
    runOnce: (handlers: readonly EventHandler[] = subscribed, limit?: number) => worker.runOnce(handlers, limit),
    /** Handles due events until none is left (tests and demo commands); how many were handled. */
    drain: (handlers: readonly EventHandler[] = subscribed) => worker.drain(handlers),
    /** The worker loop of a server process; the returned function stops it. */
    start: (
      options: {
        intervalMs?: number;
        onError?: (error: unknown) => void;
        handlers?: readonly EventHandler[];
        pipelines?: number;
        batchSize?: number;
      } = {},
    ) => worker.start(options.handlers ?? subscribed, options),

    ...createDeadLetterFunctions({ db, clock }),
  };
}

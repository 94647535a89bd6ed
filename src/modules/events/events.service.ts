import { and, asc, eq, isNull, lte, sql } from 'drizzle-orm';
import type { Db, Executor } from '../../db/database.ts';
import { outbox } from './events.tables.ts';

export interface DomainEvent {
  topic: string;
  payload: Record<string, unknown>;
}

export type EventHandler = (event: DomainEvent & { id: number }) => Promise<void>;

export interface EventsService {
  /** Writes the event in the caller's transaction: it exists if and only if the change does. */
  enqueue(tx: Executor, event: DomainEvent): Promise<number>;
  /** Many events in one statement, in the caller's transaction. */
  enqueueMany(tx: Executor, events: readonly DomainEvent[]): Promise<void>;
  /** Claims up to `limit` due events, runs their handlers, marks them done or schedules a retry. */
  runOnce(handlers: Record<string, EventHandler>, limit?: number): Promise<number>;
  start(handlers: Record<string, EventHandler>, options?: { intervalMs?: number }): () => Promise<void>;
}

export function createEventsService(deps: { db: Db; clock?: () => Date }): EventsService {
  const { db } = deps;
  const clock = deps.clock ?? (() => new Date());

  const service: EventsService = {
    async enqueue(tx, event) {
      const [row] = await tx.insert(outbox).values({ topic: event.topic, payload: event.payload }).returning({ id: outbox.id });
      return row!.id;
    },

    async enqueueMany(tx, events) {
      if (events.length === 0) return;
      // One array parameter per column: a parameter per value costs the driver far more for big batches.
      await tx.execute(
        sql`insert into ${outbox} (topic, payload) select * from unnest(${sql.param(events.map((e) => e.topic))}::text[], ${sql.param(events.map((e) => JSON.stringify(e.payload)))}::jsonb[])`,
      );
    },

    async runOnce(handlers, limit = 50) {
      return db.transaction(async (tx) => {
        const due = await tx
          .select()
          .from(outbox)
          .where(and(isNull(outbox.processedAt), lte(outbox.availableAt, clock())))
          .orderBy(asc(outbox.id))
          .limit(limit)
          .for('update', { skipLocked: true });
        for (const event of due) {
          const handler = handlers[event.topic];
          try {
            if (handler) await handler({ id: event.id, topic: event.topic, payload: event.payload });
            await tx.update(outbox).set({ processedAt: clock() }).where(eq(outbox.id, event.id));
          } catch (error) {
            // Consumers are idempotent, so a retry after a partial failure is safe.
            const backoffSeconds = Math.min(3600, 2 ** Math.min(event.attempts, 12));
            await tx
              .update(outbox)
              .set({
                attempts: sql`${outbox.attempts} + 1`,
                availableAt: new Date(clock().getTime() + backoffSeconds * 1000),
                lastError: String(error).slice(0, 500),
              })
              .where(eq(outbox.id, event.id));
          }
        }
        return due.length;
      });
    },

    start(handlers, options = {}) {
      let stopped = false;
      let running: Promise<unknown> = Promise.resolve();
      const tick = () => {
        if (stopped) return;
        running = service
          .runOnce(handlers)
          .catch(() => 0)
          .finally(() => {
            if (!stopped) timer = setTimeout(tick, options.intervalMs ?? 500);
          });
      };
      let timer = setTimeout(tick, options.intervalMs ?? 500);
      return async () => {
        stopped = true;
        clearTimeout(timer);
        await running;
      };
    },
  };
  return service;
}

import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * The outbox: a state change and the event it causes are written in one transaction; workers
 * claim events with a lease (FOR UPDATE SKIP LOCKED in a short transaction), run the handlers
 * outside it, then mark the event done, due again later, or dead (worker.ts).
 */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    topic: text('topic').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** Claims so far; a claim whose attempts changed since is stale and writes nothing. */
    attempts: integer('attempts').notNull().default(0),
    availableAt: timestamp('available_at', { withTimezone: true }).notNull().defaultNow(),
    processedAt: timestamp('processed_at', { withTimezone: true }),
    lastError: text('last_error'),
    /** A worker's lease: until then no other worker claims the event; after it (a killed worker) another does. */
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    /** Set after the last attempt failed: a dead letter, until someone retries it. */
    deadAt: timestamp('dead_at', { withTimezone: true }),
  },
  (t) => [
    index('outbox_pending_idx')
      .on(t.availableAt, t.id)
      .where(sql`${t.processedAt} is null`),
    index('outbox_dead_idx')
      .on(t.deadAt, t.id)
      .where(sql`${t.deadAt} is not null`),
  ],
);

/** Which handler has done its work for which event: a retry skips them; a handler's own transaction may write it. */
export const eventHandled = pgTable(
  'event_handled',
  {
    eventId: bigint('event_id', { mode: 'number' }).notNull(),
    handler: text('handler').notNull(),
    handledAt: timestamp('handled_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.handler] })],
);

/** Who revived a dead letter, and when (the audit of the console's retry button). */
export const eventRetries = pgTable(
  'event_retries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    eventId: bigint('event_id', { mode: 'number' }).notNull(),
    retriedBy: uuid('retried_by').notNull(),
    retriedAt: timestamp('retried_at', { withTimezone: true }).notNull().defaultNow(),
    /** The attempts and error it had when it was revived. */
    attempts: integer('attempts').notNull(),
    lastError: text('last_error'),
  },
  (t) => [index('event_retries_event_idx').on(t.eventId)],
);

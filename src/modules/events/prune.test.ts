import { inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testEngines } from '../../../test/db.ts';
import type { Database } from '../../db/database.ts';
import { eventHandled, outbox } from './events.tables.ts';
import { createEventsService } from './events.service.ts';
import type { EventHandler } from './handlers.ts';

const DAY = 86_400_000;

describe.each(testEngines())('pruning handled events on %s', (engine) => {
  let database: Database;
  // Ahead of the database's own now(), which stamps new events due.
  const now = new Date(Date.now() + 60_000);
  const events = () => createEventsService({ db: database.db, clock: () => now, random: () => 1, worker: { maxAttempts: 1 } });
  const enqueue = (topic: string) => database.db.transaction((tx) => events().enqueue(tx, { topic, payload: {} }));
  const ids = async (list: readonly number[]) =>
    (
      await database.db
        .select({ id: outbox.id })
        .from(outbox)
        .where(inArray(outbox.id, [...list]))
    )
      .map((r) => r.id)
      .sort((a, b) => a - b);
  const marks = async (list: readonly number[]) =>
    (
      await database.db
        .select()
        .from(eventHandled)
        .where(inArray(eventHandled.eventId, [...list]))
    ).length;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
  });
  afterAll(async () => {
    await database?.close();
  });

  it('deletes events every handler has handled before the retention, with their marks; keeps recent, pending and dead ones', async () => {
    const ok: EventHandler = { name: 'ok', topics: ['t.ok', 't.partial'], handle: async () => {} };
    const failing: EventHandler = {
      name: 'failing',
      topics: ['t.dead', 't.partial'],
      handle: async () => {
        throw new Error('down');
      },
    };
    const oldHandled = [await enqueue('t.ok'), await enqueue('t.ok')];
    const oldDead = await enqueue('t.dead');
    // Handled by one handler of two, and dead for the other: its mark guards the retry, so it stays.
    const oldPartial = await enqueue('t.partial');
    await events().drain([ok, failing]);
    expect(await marks(oldHandled)).toBe(0); // no mark is needed for an event done by all: only for a retry
    expect(await marks([oldPartial])).toBe(1);
    // Three weeks later: a recent event handled, another still pending.
    await database.db.execute(
      sql`update outbox set created_at = created_at - interval '21 days', processed_at = processed_at - interval '21 days'`,
    );
    const recent = await enqueue('t.ok');
    await events().drain([ok]);
    const pending = await enqueue('t.ok');

    const service = events();
    expect(await service.pruneHandled({ retentionMs: 14 * DAY, batchSize: 1 })).toBe(2);
    expect(await ids([...oldHandled, oldDead, oldPartial, recent, pending])).toEqual([oldDead, oldPartial, recent, pending]);
    expect(await marks([oldPartial])).toBe(1);
    // Nothing more to do: a second prune deletes nothing.
    expect(await service.pruneHandled({ retentionMs: 14 * DAY })).toBe(0);
    // A pruned event counts as handled by every handler (a handler's own dedupe marks of it can go); a pending or dead one does not.
    expect([...(await service.handledBy('ok', [...oldHandled, oldDead, pending, oldPartial]))].sort((a, b) => a - b)).toEqual(
      [...oldHandled, oldPartial].sort((a, b) => a - b),
    );
  });
});

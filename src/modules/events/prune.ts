import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';

export interface OutboxPruneOptions {
  /** How long a handled event is kept (the events page, an operator's questions); default 14 days. */
  retentionMs?: number;
  /** Events per statement: each delete holds its locks only that long. */
  batchSize?: number;
  /** Statements per call: one call never runs unbounded however much has piled up. */
  maxBatches?: number;
}

export const OUTBOX_RETENTION_MS = 14 * 86_400_000;

/**
 * Deletes events handled (by every handler) before now − retention, with the worker's marks of
 * them, oldest first along the primary key, in bounded batches; returns how many went. At 500
 * events a second the outbox would otherwise grow by 40 M rows a day. Pending events (due again
 * after a backoff, a delivery retried for days) and dead letters stay, whatever their age; so does
 * the audit of who revived a dead letter (`event_retries`). Several processes may prune at once:
 * SKIP LOCKED makes them take different rows.
 */
export async function pruneHandledEvents(db: Db, now: Date, options: OutboxPruneOptions = {}): Promise<number> {
  const before = new Date(now.getTime() - (options.retentionMs ?? OUTBOX_RETENTION_MS)).toISOString();
  const batchSize = options.batchSize ?? 10_000;
  const maxBatches = options.maxBatches ?? 100;
  // Ids grow with time: the first event written since the cut-off bounds every scan below (the
  // rows under it are the old ones, and the few still pending or dead), so a prune with nothing to
  // do reads a handful of rows rather than the retained weeks.
  const { rows: first } = await db.execute<{ id: string | number }>(
    sql`select id from outbox where created_at >= ${before}::timestamptz order by id limit 1`,
  );
  const bound = first[0] ? Number(first[0].id) : Number.MAX_SAFE_INTEGER;
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const { rows } = await db.execute<{ n: number }>(sql`
      with gone as (
        delete from outbox where id in (
          select id from outbox where id < ${bound} and processed_at is not null and processed_at < ${before}::timestamptz
          order by id limit ${batchSize} for update skip locked)
        returning id),
      marks as (delete from event_handled where event_id in (select id from gone))
      select count(*)::int as n from gone`);
    const n = rows[0]?.n ?? 0;
    total += n;
    if (n < batchSize) break;
  }
  return total;
}

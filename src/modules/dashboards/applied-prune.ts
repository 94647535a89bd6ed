import { sql } from 'drizzle-orm';
import { startPeriodic } from '../../core/periodic.ts';
import type { Db } from '../../db/database.ts';
import { HANDLER_NAME } from './counting.ts';

/** How long a mark is kept at least: far longer than any worker's claim of an event can last. */
export const APPLIED_RETENTION_MS = 7 * 86_400_000;

/** The outbox worker's record of what a handler has done (the events service's `handledBy`). */
export interface HandledEvents {
  handledBy(handler: string, eventIds: readonly number[]): Promise<Set<number>>;
}

export interface PruneOptions {
  /** Marks read per page. */
  batchSize?: number;
  /** Pages per call: one call never runs unbounded however much has piled up. */
  maxBatches?: number;
  retentionMs?: number;
}

/**
 * Deletes the dedupe marks (dashboard_applied) written before now − retention whose events the
 * outbox worker has recorded as done by the dashboards' handler, or handled by all, or pruned
 * (`handledBy`): those events never reach the handler again, so their marks guard nothing. A mark
 * whose event is not recorded done (the
 * handler's transaction committed but the worker died before recording it; a dead letter that
 * may be retried) stays. Oldest first, a bounded page at a time; returns how many went. Several
 * processes may prune at once: a mark deleted twice is deleted once.
 */
export async function pruneApplied(db: Db, events: HandledEvents, now: Date, options: PruneOptions = {}): Promise<number> {
  const batchSize = options.batchSize ?? 1000;
  const maxBatches = options.maxBatches ?? 20;
  const before = new Date(now.getTime() - (options.retentionMs ?? APPLIED_RETENTION_MS)).toISOString();
  let after: { at: string; id: number } | null = null;
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const page = await db.execute<{ event_id: string | number; applied_at: string }>(sql`
      select event_id, applied_at::text as applied_at from dashboard_applied
      where applied_at < ${before}::timestamptz
        ${after ? sql`and (applied_at, event_id) > (${after.at}::timestamptz, ${after.id}::bigint)` : sql``}
      order by applied_at, event_id limit ${batchSize}`);
    const rows = page.rows;
    if (rows.length === 0) break;
    const last: { event_id: string | number; applied_at: string } = rows.at(-1)!;
    after = { at: last.applied_at, id: Number(last.event_id) };
    const done = await events.handledBy(
      HANDLER_NAME,
      rows.map((r) => Number(r.event_id)),
    );
    if (done.size > 0) {
      const { rows: gone } = await db.execute<{ n: number }>(sql`
        with gone as (delete from dashboard_applied where event_id = any(${sql.param([...done])}::bigint[]) returning 1)
        select count(*)::int as n from gone`);
      total += Number(gone[0]?.n ?? 0);
    }
    if (rows.length < batchSize) break;
  }
  return total;
}

/** Prunes on a timer (serve), at once and then every `intervalMs`; the returned function stops it and waits for a prune under way. */
export function startAppliedPrune(
  db: Db,
  events: HandledEvents,
  options: PruneOptions & { intervalMs: number; clock?: () => Date; onError?: (error: unknown) => void },
): () => Promise<void> {
  const clock = options.clock ?? (() => new Date());
  return startPeriodic({
    intervalMs: options.intervalMs,
    immediate: true,
    run: () => pruneApplied(db, events, clock(), options).then(() => undefined),
    ...(options.onError ? { onError: options.onError } : {}),
  });
}

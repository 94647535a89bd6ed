import { sql } from 'drizzle-orm';
import { startPeriodic } from '../../core/periodic.ts';
import type { Db } from '../../db/database.ts';

export interface PurgeOptions {
  /** Rows per statement: each delete holds its locks only that long. */
  batchSize?: number;
  /** Statements per call: one call never runs unbounded however much has piled up. */
  maxBatches?: number;
}

/**
 * Deletes sessions that expired before `now`, the oldest first through `sessions_expires_idx`,
 * in bounded batches; returns how many went. A revoked session goes when its expiry passes
 * (12 h at most), so the table holds at most the last half day's sessions. Several processes
 * may purge at once: SKIP LOCKED makes them take different rows instead of waiting.
 */
export async function purgeExpiredSessions(db: Db, now: Date, options: PurgeOptions = {}): Promise<number> {
  const batchSize = options.batchSize ?? 1000;
  const maxBatches = options.maxBatches ?? 20;
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const { rows } = await db.execute<{ n: number }>(sql`
      with gone as (
        delete from sessions where token_hash in (
          select token_hash from sessions where expires_at < ${now.toISOString()}::timestamptz
          order by expires_at limit ${batchSize} for update skip locked)
        returning 1)
      select count(*)::int as n from gone`);
    const n = rows[0]?.n ?? 0;
    total += n;
    if (n < batchSize) break;
  }
  return total;
}

/** Purges on a timer (serve), at once and then every `intervalMs`; the returned function stops it and waits for a purge under way. */
export function startSessionPurge(
  db: Db,
  options: PurgeOptions & { intervalMs: number; clock?: () => Date; onError?: (error: unknown) => void },
): () => Promise<void> {
  const clock = options.clock ?? (() => new Date());
  return startPeriodic({
    intervalMs: options.intervalMs,
    immediate: true,
    run: () => purgeExpiredSessions(db, clock(), options).then(() => undefined),
    ...(options.onError ? { onError: options.onError } : {}),
  });
}

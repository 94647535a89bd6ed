import { startPeriodic } from '../../core/periodic.ts';
import type { Db } from '../../db/database.ts';
import { takeCountDeltas } from '../ratings/index.ts';
import { addToDeltas, type Deltas, ratingCounted } from './counting.ts';
import * as repo from './dashboards.repository.ts';

/** Rating steps taken per transaction. */
const BATCH = 5000;

/**
 * Adds the rating steps recorded since the last roll-up (the ratings module's count changes) to
 * the per-day, per-month and per-year counts of each rating's org and every org above, in one
 * transaction that also deletes them: each step counts once, and at 500 ratings a second a roll-up
 * writes a few hundred aggregate rows rather than a few per rating. Returns how many were taken.
 */
export async function rollUpRatings(db: Db, limit = BATCH): Promise<number> {
  return db.transaction(async (tx) => {
    const taken = await takeCountDeltas(tx, limit);
    if (taken.length === 0) return 0;
    const deltas: Deltas = new Map();
    for (const delta of taken) {
      const rating = ratingCounted(delta);
      addToDeltas(deltas, rating, rating.counted);
    }
    await repo.applyDeltas(tx, deltas);
    return taken.length;
  });
}

/** Rolls up until nothing is left (tests and demo commands); how many steps were counted. */
export async function drainRatingCounts(db: Db): Promise<number> {
  let total = 0;
  for (let n = await rollUpRatings(db); n > 0; n = n < BATCH ? 0 : await rollUpRatings(db)) total += n;
  return total;
}

/**
 * Rolls up every `intervalMs` (serve: a second, so a view is fresh within about two; at once again
 * after a full batch); the returned function stops it and waits for a roll-up under way.
 */
export function startRatingRollup(db: Db, options: { intervalMs: number; onError?: (error: unknown) => void }): () => Promise<void> {
  return startPeriodic({
    intervalMs: options.intervalMs,
    run: async () => (await rollUpRatings(db)) >= BATCH,
    ...(options.onError ? { onError: options.onError } : {}),
  });
}

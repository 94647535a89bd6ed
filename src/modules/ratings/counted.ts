import { eq } from 'drizzle-orm';
import { chinaDate } from '../../core/values.ts';
import type { Executor } from '../../db/database.ts';
import type { EventsService } from '../events/index.ts';
import { isBad } from './levels.ts';
import * as repo from './ratings.repository.ts';
import { ratings } from './ratings.tables.ts';

/**
 * The event that tells the dashboards how a step changed the 好差评 figures of its rating's day
 * (China date of the rating): the dashboards add it to their per-day, per-month and per-year
 * counts of the rating's org and every org above (maintained incrementally, never a scan of the
 * ratings per view). Enqueued in the step's own transaction, so a figure changes exactly when the
 * step is recorded. The counts follow the public figures (src/verify/figures.ts): a callback or a
 * reply counts on the rating's day, and a rating set aside on appeal counts no more.
 */
export const RATING_COUNTED_TOPIC = 'rating.counted';

export interface RatingCounts {
  ratings?: number;
  good?: number;
  bad?: number;
  realNameBad?: number;
  calledBack?: number;
  rectifications?: number;
  rectified?: number;
  rectifiedOnTime?: number;
}

interface RatingCountedPayload {
  ratingId: string;
  orgPath: string;
  serviceCode: string;
  /** The rating's day (China date): the figures' period is the rating's. */
  day: string;
  add: RatingCounts;
}

type Rated = Pick<repo.RatingRow, 'id' | 'orgPath' | 'serviceCode' | 'ratedAt'>;

export async function enqueueCounted(
  events: Pick<EventsService, 'enqueue'>,
  tx: Executor,
  rating: Rated,
  add: RatingCounts,
): Promise<void> {
  const payload: RatingCountedPayload = {
    ratingId: rating.id,
    orgPath: rating.orgPath,
    serviceCode: rating.serviceCode,
    day: chinaDate(rating.ratedAt),
    add,
  };
  await events.enqueue(tx, { topic: RATING_COUNTED_TOPIC, payload: { ...payload } });
}

/** What a new rating adds (its rectification task, when bad, is opened in the same transaction). */
export function ratedCounts(rating: Pick<repo.RatingRow, 'level' | 'accountId'>): RatingCounts {
  const bad = isBad(rating.level);
  return {
    ratings: 1,
    good: rating.level >= 4 ? 1 : 0,
    bad: bad ? 1 : 0,
    realNameBad: bad && rating.accountId !== null ? 1 : 0,
    rectifications: bad ? 1 : 0,
  };
}

/** Locks the rating's row: its callbacks and appeal decision change its figures one transaction at a time. */
export async function lockRating(tx: Executor, id: string): Promise<void> {
  await tx.select({ id: ratings.id }).from(ratings).where(eq(ratings.id, id)).for('update');
}

/** Whether the rating has been set aside on appeal (it then counts no more). */
export async function overturned(tx: Executor, ratingId: string): Promise<boolean> {
  const [appeal] = await repo.appealsOf(tx, [ratingId]);
  return appeal?.decision === 'overturned';
}

/** What setting a rating aside takes away: everything it and its steps added. */
export async function overturnCounts(tx: Executor, rating: repo.RatingRow): Promise<RatingCounts> {
  const [task] = await repo.rectificationsOf(tx, [rating.id]);
  const calls = await repo.callbacksOf(tx, [rating.id]);
  const base = ratedCounts(rating);
  const replied = task?.repliedAt != null;
  return {
    ratings: -1,
    good: -(base.good ?? 0),
    bad: -(base.bad ?? 0),
    realNameBad: -(base.realNameBad ?? 0),
    calledBack: base.realNameBad && calls.length > 0 ? -1 : 0,
    rectifications: task ? -1 : 0,
    rectified: replied ? -1 : 0,
    rectifiedOnTime: replied && chinaDate(task.repliedAt!) <= task.deadline ? -1 : 0,
  };
}

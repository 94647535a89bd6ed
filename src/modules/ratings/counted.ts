import { eq, sql } from 'drizzle-orm';
import { chinaDate } from '../../core/values.ts';
import type { Executor } from '../../db/database.ts';
import { isBad } from './levels.ts';
import * as repo from './ratings.repository.ts';
import { ratingCountDeltas, ratings } from './ratings.tables.ts';

/**
 * How a rating step changes the 好差评 figures of its rating's day (China date of the rating): a
 * row of `rating_count_deltas`, written with the step, which the dashboards add to their per-day,
 * per-month and per-year counts of the rating's org and every org above (maintained incrementally,
 * never a scan of the ratings per view; `takeCountDeltas`). The counts follow the public figures
 * (src/verify/figures.ts): a callback or a reply counts on the rating's day, and a rating set aside
 * on appeal counts no more.
 */
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

/** A step's change as the dashboards take it. */
export interface RatingCountDelta {
  orgPath: string;
  serviceCode: string;
  /** The rating's day (China date). */
  day: string;
  add: RatingCounts;
}

type Rated = Pick<repo.RatingRow, 'id' | 'orgPath' | 'serviceCode' | 'ratedAt'>;

/** Records the step's change in the caller's transaction. */
export async function enqueueCounted(tx: Executor, rating: Rated, add: RatingCounts): Promise<void> {
  await tx.insert(ratingCountDeltas).values({
    ratingId: rating.id,
    orgPath: rating.orgPath,
    serviceCode: rating.serviceCode,
    day: chinaDate(rating.ratedAt),
    add: { ...add },
  });
}

/**
 * The same insert as a part of the caller's statement: the rating's id, org path and service are
 * its parameters `$1`, `$11` and `$12`, and `day` and `add` (JSON) the two given; written only when
 * the statement's `inserted` CTE wrote its row.
 */
export function countedSql(dayParam: number, addParam: number): string {
  return `insert into rating_count_deltas (rating_id, org_path, service_code, day, add)
    select $1, $11, $12, $${dayParam}::date, $${addParam}::jsonb where exists (select 1 from inserted)`;
}

/**
 * Takes up to `limit` changes, oldest first, deleting them in the caller's transaction (which adds
 * them to the aggregates: they count once, when it commits). Concurrent callers take different rows.
 */
export async function takeCountDeltas(tx: Executor, limit: number): Promise<RatingCountDelta[]> {
  const { rows } = await tx.execute<{ org_path: string; service_code: string; day: string; add: RatingCounts }>(sql`
    delete from ${ratingCountDeltas} where id in (
      select id from ${ratingCountDeltas} order by id limit ${limit} for update skip locked)
    returning org_path, service_code, day::text as day, add`);
  return rows.map((r) => ({ orgPath: r.org_path, serviceCode: r.service_code, day: r.day, add: r.add }));
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

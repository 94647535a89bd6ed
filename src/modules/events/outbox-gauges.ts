import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { outbox } from './events.tables.ts';

/** The outbox per topic, for the operations metrics (GET /metrics): counts and ages only, never a payload. */
export interface OutboxTopicGauges {
  topic: string;
  /** Events not yet handled and not dead (due now or waiting for a retry). */
  pending: number;
  /** Seconds since the oldest pending event was written (the outbox lag); null when none is pending. */
  oldestPendingAgeSeconds: number | null;
  /** Dead letters: the last attempt failed and nobody has retried them. */
  dead: number;
}

/**
 * Two grouped scans of the partial indexes' rows (unprocessed, dead): the backlog and the dead
 * letters, not the handled history. Ages are on the database's clock, which wrote `created_at`.
 * No access check: topic names and counts only; the HTTP endpoint guards itself (src/http/metrics.ts).
 */
export async function readOutboxGauges(db: Db): Promise<OutboxTopicGauges[]> {
  const { rows } = await db.execute<{
    topic: string;
    pending: string | number;
    age: string | number | null;
    dead: string | number;
  }>(sql`
    with pending as (
      select topic, count(*) as n, extract(epoch from now() - min(created_at)) as age
      from ${outbox} where processed_at is null and dead_at is null group by topic
    ), dead as (
      select topic, count(*) as n from ${outbox} where dead_at is not null group by topic
    )
    select coalesce(p.topic, d.topic) as topic, coalesce(p.n, 0) as pending, p.age, coalesce(d.n, 0) as dead
    from pending p full join dead d on d.topic = p.topic
    order by 1`);
  return rows.map((r) => ({
    topic: r.topic,
    pending: Number(r.pending),
    oldestPendingAgeSeconds: r.age === null ? null : Number(r.age),
    dead: Number(r.dead),
  }));
}

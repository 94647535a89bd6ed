import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { insuranceRemoteIntents } from './cross-province.tables.ts';

/**
 * The cross-province settlements still open at this node, for the operations metrics (GET /metrics):
 * counts and an age only, nothing of any person or encounter. A `pending` intent is a settlement
 * being asked of the place of insurance, or one the reconciliation will withdraw once it is
 * ORPHAN_AFTER_MS old (cross-province-orphans.ts); an `abandoning` one waits for the place of
 * insurance to take it back. An open intent much older than ORPHAN_AFTER_MS means the reconciliation
 * is not running or a place of insurance cannot be reached: alert on the age.
 */
export interface InsuranceGauges {
  pendingIntents: number;
  abandoningIntents: number;
  /** Seconds since the oldest open intent last changed (its hospital's last try); null when none is open. */
  oldestOpenIntentAgeSeconds: number | null;
}

/** One statement over the open intents' partial index; ages on the database's clock. No access check (see above). */
export async function readInsuranceGauges(db: Db): Promise<InsuranceGauges> {
  const { rows } = await db.execute<{ pending: string | number; abandoning: string | number; age: string | number | null }>(sql`
    select count(*) filter (where state = 'pending') as pending,
      count(*) filter (where state = 'abandoning') as abandoning,
      extract(epoch from now() - min(updated_at)) as age
    from ${insuranceRemoteIntents} where state in ('pending', 'abandoning')`);
  const row = rows[0];
  return {
    pendingIntents: Number(row?.pending ?? 0),
    abandoningIntents: Number(row?.abandoning ?? 0),
    oldestOpenIntentAgeSeconds: row?.age === null || row?.age === undefined ? null : Number(row.age),
  };
}

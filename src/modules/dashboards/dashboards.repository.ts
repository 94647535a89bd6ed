import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { COUNTER_NAMES, type Counters, type Deltas, zeroCounters } from './counting.ts';

const COLUMNS: Record<keyof Counters, string> = {
  submitted: 'submitted',
  submittedOnline: 'submitted_online',
  decided: 'decided',
  onTime: 'on_time',
  firstTime: 'first_time',
  instant: 'instant',
  fullyOnline: 'fully_online',
  counterTrips: 'counter_trips',
  workingMilli: 'working_milli',
  certificates: 'certificates',
};
const COLUMN_LIST = COUNTER_NAMES.map((n) => COLUMNS[n]);
const SUMS = sql.raw(COLUMN_LIST.map((c) => `coalesce(sum(${c}), 0)::bigint as ${c}`).join(', '));

type Raw = Record<string, string | number | null>;

function countersOf(row: Raw): Counters {
  const out = zeroCounters();
  for (const name of COUNTER_NAMES) out[name] = Number(row[COLUMNS[name]] ?? 0);
  return out;
}

/** Of these event ids, those not counted before, now marked counted (in the caller's transaction). */
export async function markApplied(tx: Executor, eventIds: readonly number[]): Promise<Set<number>> {
  if (eventIds.length === 0) return new Set();
  const { rows } = await tx.execute<{ event_id: string | number }>(sql`
    insert into dashboard_applied (event_id) select unnest(${sql.param([...eventIds])}::bigint[])
    on conflict do nothing returning event_id`);
  return new Set(rows.map((r) => Number(r.event_id)));
}

/**
 * Adds the deltas in one statement (one array per column), in key order so that concurrent
 * workers lock the rows they share in the same order and never deadlock.
 */
export async function applyDeltas(tx: Executor, deltas: Deltas): Promise<void> {
  const rows = [...deltas.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
  if (rows.length === 0) return;
  const arrays = COUNTER_NAMES.map((n) => sql`${sql.param(rows.map((r) => r.counters[n]))}::bigint[]`);
  const cols = sql.raw(COLUMN_LIST.join(', '));
  const updates = sql.raw(COLUMN_LIST.map((c) => `${c} = dashboard_counts.${c} + excluded.${c}`).join(', '));
  await tx.execute(sql`
    insert into dashboard_counts (org_code, service_code, day, ${cols})
    select * from unnest(${sql.param(rows.map((r) => r.orgCode))}::text[], ${sql.param(rows.map((r) => r.serviceCode))}::text[],
      ${sql.param(rows.map((r) => r.day))}::date[], ${sql.join(arrays, sql`, `)})
    on conflict (org_code, service_code, day) do update set ${updates}`);
}

/** Per day, all services (the trend; the period's totals are its sum). */
export async function readTrend(db: Executor, orgCode: string, from: string, to: string): Promise<{ day: string; counters: Counters }[]> {
  const { rows } = await db.execute<Raw>(sql`
    select day::text as day, ${SUMS} from dashboard_counts
    where org_code = ${orgCode} and service_code = '' and day between ${from}::date and ${to}::date
    group by day order by day`);
  return rows.map((r) => ({ day: String(r['day']), counters: countersOf(r) }));
}

/** Per org of a set (the children), all services. */
export async function readPerOrg(db: Executor, orgCodes: readonly string[], from: string, to: string): Promise<Map<string, Counters>> {
  if (orgCodes.length === 0) return new Map();
  const { rows } = await db.execute<Raw>(sql`
    select org_code, ${SUMS} from dashboard_counts
    where org_code = any(${sql.param([...orgCodes])}::text[]) and service_code = '' and day between ${from}::date and ${to}::date
    group by org_code`);
  return new Map(rows.map((r) => [String(r['org_code']), countersOf(r)]));
}

/** Per service, one org. */
export async function readPerService(db: Executor, orgCode: string, from: string, to: string): Promise<Map<string, Counters>> {
  const { rows } = await db.execute<Raw>(sql`
    select service_code, ${SUMS} from dashboard_counts
    where org_code = ${orgCode} and service_code <> '' and day between ${from}::date and ${to}::date
    group by service_code order by service_code`);
  return new Map(rows.map((r) => [String(r['service_code']), countersOf(r)]));
}

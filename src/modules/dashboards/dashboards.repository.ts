import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { queryPrepared, type PreparedStatement } from '../../db/prepared.ts';
import { COUNTER_NAMES, type Counters, type Deltas, zeroCounters } from './counting.ts';
import type { PeriodSplit } from './period.ts';

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
  exchangesConsumed: 'exchanges_consumed',
  exchangesProvided: 'exchanges_provided',
};
const COLUMN_LIST = COUNTER_NAMES.map((n) => COLUMNS[n]);

/** Of these event ids, those not counted before, now marked counted (in the caller's transaction). */
export async function markApplied(tx: Executor, eventIds: readonly number[]): Promise<Set<number>> {
  if (eventIds.length === 0) return new Set();
  const { rows } = await tx.execute<{ event_id: string | number }>(sql`
    insert into dashboard_applied (event_id) select unnest(${sql.param([...eventIds])}::bigint[])
    on conflict do nothing returning event_id`);
  return new Set(rows.map((r) => Number(r.event_id)));
}

const firstOfMonth = (day: string) => `${day.slice(0, 7)}-01`;

/** Adds rows to one aggregate table in one statement (one array per column), in key order. */
async function addRows(tx: Executor, table: 'dashboard_counts' | 'dashboard_months', rows: Deltas): Promise<void> {
  const sorted = [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
  if (sorted.length === 0) return;
  const arrays = COUNTER_NAMES.map((n) => sql`${sql.param(sorted.map((r) => r.counters[n]))}::bigint[]`);
  const cols = sql.raw(COLUMN_LIST.join(', '));
  const updates = sql.raw(COLUMN_LIST.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(', '));
  const [name, key] = table === 'dashboard_counts' ? ['dashboard_counts', 'day'] : ['dashboard_months', 'month'];
  await tx.execute(sql`
    insert into ${sql.raw(name)} (org_code, service_code, ${sql.raw(key)}, ${cols})
    select * from unnest(${sql.param(sorted.map((r) => r.orgCode))}::text[], ${sql.param(sorted.map((r) => r.serviceCode))}::text[],
      ${sql.param(sorted.map((r) => r.day))}::date[], ${sql.join(arrays, sql`, `)})
    on conflict (org_code, service_code, ${sql.raw(key)}) do update set ${updates}`);
}

/**
 * Adds the deltas to the daily rows and to their months' rows, each in one statement, in key order
 * (the days before the months) so that concurrent workers lock the rows they share in the same
 * order and never deadlock.
 */
export async function applyDeltas(tx: Executor, deltas: Deltas): Promise<void> {
  if (deltas.size === 0) return;
  const months: Deltas = new Map();
  for (const row of deltas.values()) {
    const month = firstOfMonth(row.day);
    const key = `${row.orgCode}|${row.serviceCode}|${month}`;
    let m = months.get(key);
    if (!m) months.set(key, (m = { orgCode: row.orgCode, serviceCode: row.serviceCode, day: month, counters: zeroCounters() }));
    for (const name of COUNTER_NAMES) m.counters[name] += row.counters[name];
  }
  await addRows(tx, 'dashboard_counts', deltas);
  await addRows(tx, 'dashboard_months', months);
}

const SUMS = COLUMN_LIST.map((c, i) => `sum(${c}) as s${i}`).join(', ');
const SUM_NAMES = COLUMN_LIST.map((_, i) => `s${i}`).join(', ');
/** The days of a period outside its whole months ($3 from, $5 head end; $8 tail start, $4 to). */
const EDGE_DAYS = '(day between $3::date and $5::date or day between $8::date and $4::date)';
/** Sums per org and service of one table's rows, as a JSON array of [org, service, …counters]. */
const sums = (table: string, where: string) => `
      (select coalesce(json_agg(json_build_array(org_code, service_code, ${SUM_NAMES})), '[]')::text
         from (select org_code, service_code, ${SUMS} from ${table} where ${where} group by org_code, service_code) g)`;

/**
 * Everything a view counts, in one prepared statement answered as one row of JSON text (parsed
 * natively, not field by field): the org's days (the trend), and the period's sums for the org
 * and each child (all services) and for each of the org's services, from the edge days and from
 * the whole months ($6–$7) apart, which the caller adds up. $1 the org, $2 the org and its
 * children. Each part is one index read of one table, aggregated on its own: a UNION ALL of the
 * parts made an Append that the planner ran in two parallel workers (a process start each, for a
 * few thousand rows: most of the statement's CPU).
 */
const VIEW: PreparedStatement = {
  name: 'dashboard_view_v1',
  text: `
    select
      (select coalesce(json_agg(json_build_array(day::text, submitted, decided, on_time) order by day), '[]')::text
         from dashboard_counts where org_code = $1 and service_code = '' and day between $3::date and $4::date) as trend,
      ${sums('dashboard_counts', `org_code = any($2::text[]) and service_code = '' and ${EDGE_DAYS}`)} as org_days,
      ${sums('dashboard_months', "org_code = any($2::text[]) and service_code = '' and month between $6::date and $7::date")} as org_months,
      ${sums('dashboard_counts', `org_code = $1 and service_code <> '' and ${EDGE_DAYS}`)} as service_days,
      ${sums('dashboard_months', "org_code = $1 and service_code <> '' and month between $6::date and $7::date")} as service_months`,
};

/** A view's counts: the days of the org, and the sums per org (all services) and per service of the org. */
export interface ViewCounts {
  trend: { day: string; submitted: number; decided: number; onTime: number }[];
  perOrg: Map<string, Counters>;
  perService: Map<string, Counters>;
}

export async function readView(
  db: Executor,
  input: { orgCode: string; childCodes: readonly string[]; from: string; to: string; split: PeriodSplit },
): Promise<ViewCounts> {
  const { orgCode, from, to, split } = input;
  const [row] = await queryPrepared<Record<'trend' | 'org_days' | 'org_months' | 'service_days' | 'service_months', string>>(db, VIEW, [
    orgCode,
    [orgCode, ...input.childCodes],
    from,
    to,
    split.headTo,
    split.monthFrom,
    split.monthTo,
    split.tailFrom,
  ]);
  const trend = (JSON.parse(row!.trend) as [string, number, number, number][]).map(([day, submitted, decided, onTime]) => ({
    day,
    submitted,
    decided,
    onTime,
  }));
  const perOrg = new Map<string, Counters>();
  const perService = new Map<string, Counters>();
  for (const part of [row!.org_days, row!.org_months, row!.service_days, row!.service_months]) {
    for (const [org, service, ...values] of JSON.parse(part) as [string, string, ...number[]][]) {
      const into = service === '' ? perOrg : perService;
      const key = service === '' ? org : service;
      let counters = into.get(key);
      if (!counters) into.set(key, (counters = zeroCounters()));
      for (let i = 0; i < COUNTER_NAMES.length; i++) counters[COUNTER_NAMES[i]!] += Number(values[i] ?? 0);
    }
  }
  return { trend, perOrg, perService };
}

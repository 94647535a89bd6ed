import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { queryPrepared, type PreparedStatement } from '../../db/prepared.ts';
import { COUNTER_NAMES, type Counters, type Deltas, zeroCounters } from './counting.ts';
import type { PeriodTerms, SignedRange } from './period.ts';

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
  ratings: 'ratings',
  ratingsGood: 'ratings_good',
  ratingsBad: 'ratings_bad',
  realNameBad: 'real_name_bad',
  calledBack: 'called_back',
  rectifications: 'rectifications',
  rectified: 'rectified',
  rectifiedOnTime: 'rectified_on_time',
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
const firstOfYear = (day: string) => `${day.slice(0, 4)}-01-01`;

type AggregateTable = 'dashboard_counts' | 'dashboard_months' | 'dashboard_years';
const KEY_COLUMN: Record<AggregateTable, string> = { dashboard_counts: 'day', dashboard_months: 'month', dashboard_years: 'year' };

/** Adds rows to one aggregate table in one statement (one array per column), in key order. */
async function addRows(tx: Executor, table: AggregateTable, rows: Deltas): Promise<void> {
  const sorted = [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
  if (sorted.length === 0) return;
  const arrays = COUNTER_NAMES.map((n) => sql`${sql.param(sorted.map((r) => r.counters[n]))}::bigint[]`);
  const cols = sql.raw(COLUMN_LIST.join(', '));
  const updates = sql.raw(COLUMN_LIST.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(', '));
  const key = KEY_COLUMN[table];
  await tx.execute(sql`
    insert into ${sql.raw(table)} (org_code, service_code, ${sql.raw(key)}, ${cols})
    select * from unnest(${sql.param(sorted.map((r) => r.orgCode))}::text[], ${sql.param(sorted.map((r) => r.serviceCode))}::text[],
      ${sql.param(sorted.map((r) => r.day))}::date[], ${sql.join(arrays, sql`, `)})
    on conflict (org_code, service_code, ${sql.raw(key)}) do update set ${updates}`);
}

/** The deltas summed per org, service and the period (month or year) their day falls in. */
function rollUp(deltas: Deltas, periodOf: (day: string) => string): Deltas {
  const out: Deltas = new Map();
  for (const row of deltas.values()) {
    const day = periodOf(row.day);
    const key = `${row.orgCode}|${row.serviceCode}|${day}`;
    let m = out.get(key);
    if (!m) out.set(key, (m = { orgCode: row.orgCode, serviceCode: row.serviceCode, day, counters: zeroCounters() }));
    for (const name of COUNTER_NAMES) m.counters[name] += row.counters[name];
  }
  return out;
}

/**
 * Adds the deltas to the daily rows and to their months' and years' rows, each in one statement,
 * in key order (the days, then the months, then the years) so that concurrent workers lock the
 * rows they share in the same order and never deadlock.
 */
export async function applyDeltas(tx: Executor, deltas: Deltas): Promise<void> {
  if (deltas.size === 0) return;
  await addRows(tx, 'dashboard_counts', deltas);
  await addRows(tx, 'dashboard_months', rollUp(deltas, firstOfMonth));
  await addRows(tx, 'dashboard_years', rollUp(deltas, firstOfYear));
}

const SUMS = COLUMN_LIST.map((c, i) => `sum(k * ${c}) as s${i}`).join(', ');
const SUM_NAMES = COLUMN_LIST.map((_, i) => `s${i}`).join(', ');
const COLS = COLUMN_LIST.join(', ');
/**
 * The rows of one group (`where`) over the period's terms (period.ts `periodTerms`), each with its
 * sign `k`: two signed ranges of days ($5–$10), two of months ($11–$16) and whole years ($17–$18).
 */
const termRows = (where: string) => `
           select org_code, service_code, case when day between $5::date and $6::date then $7::int else $10::int end as k, ${COLS}
             from dashboard_counts where ${where} and (day between $5::date and $6::date or day between $8::date and $9::date)
           union all
           select org_code, service_code, case when month between $11::date and $12::date then $13::int else $16::int end, ${COLS}
             from dashboard_months where ${where} and (month between $11::date and $12::date or month between $14::date and $15::date)
           union all
           select org_code, service_code, 1, ${COLS}
             from dashboard_years where ${where} and year between $17::date and $18::date`;
/** Signed sums per org and service of one group's rows, as a JSON array of [org, service, …counters]. */
const sums = (where: string) => `
      (select coalesce(json_agg(json_build_array(org_code, service_code, ${SUM_NAMES})), '[]')::text
         from (select org_code, service_code, ${SUMS} from (${termRows(where)}) t group by org_code, service_code) g)`;

/**
 * Everything a view counts, in one prepared statement answered as one row of JSON text (parsed
 * natively, not field by field): the org's days (the trend), and the period's sums for the org
 * and each child (all services) and for each of the org's services. $1 the org, $2 the org and
 * its children, $3–$4 the period. The sums read the period's signed terms: whole years, the
 * months and days at its edges, an edge read as its whole month less the days outside it where
 * that is fewer rows, so a rolling year reads about as many rows as 30 days (about 15 per org and
 * service). Each group is one index read per table, summed on its own.
 */
const VIEW: PreparedStatement = {
  name: 'dashboard_view_v2',
  text: `
    select
      (select coalesce(json_agg(json_build_array(day::text, submitted, decided, on_time) order by day), '[]')::text
         from dashboard_counts where org_code = $1 and service_code = '' and day between $3::date and $4::date) as trend,
      ${sums("org_code = any($2::text[]) and service_code = ''")} as orgs,
      ${sums("org_code = $1 and service_code <> ''")} as services`,
};

/** An empty range: no row has a day both on or after its start and on or before its end. */
const NONE: SignedRange = { from: '2000-01-02', to: '2000-01-01', sign: 1 };
const rangeParams = (ranges: readonly SignedRange[]) => {
  const [a = NONE, b = NONE] = ranges;
  return [a.from, a.to, a.sign, b.from, b.to, b.sign];
};

/** A view's counts: the days of the org, and the sums per org (all services) and per service of the org. */
export interface ViewCounts {
  trend: { day: string; submitted: number; decided: number; onTime: number }[];
  perOrg: Map<string, Counters>;
  perService: Map<string, Counters>;
}

export async function readView(
  db: Executor,
  input: { orgCode: string; childCodes: readonly string[]; from: string; to: string; terms: PeriodTerms },
): Promise<ViewCounts> {
  const { orgCode, from, to, terms } = input;
  const [row] = await queryPrepared<Record<'trend' | 'orgs' | 'services', string>>(db, VIEW, [
    orgCode,
    [orgCode, ...input.childCodes],
    from,
    to,
    ...rangeParams(terms.days),
    ...rangeParams(terms.months),
    terms.years?.from ?? NONE.from,
    terms.years?.to ?? NONE.to,
  ]);
  const trend = (JSON.parse(row!.trend) as [string, number, number, number][]).map(([day, submitted, decided, onTime]) => ({
    day,
    submitted,
    decided,
    onTime,
  }));
  const perOrg = new Map<string, Counters>();
  const perService = new Map<string, Counters>();
  for (const part of [row!.orgs, row!.services]) {
    for (const [org, service, ...values] of JSON.parse(part) as [string, string, ...number[]][]) {
      // A group whose rows in the period's terms add up to nothing (its days subtracted from its month) is not shown.
      if (values.every((v) => Number(v) === 0)) continue;
      const counters = zeroCounters();
      for (let i = 0; i < COUNTER_NAMES.length; i++) counters[COUNTER_NAMES[i]!] = Number(values[i] ?? 0);
      if (service === '') perOrg.set(org, counters);
      else perService.set(service, counters);
    }
  }
  return { trend, perOrg, perService };
}

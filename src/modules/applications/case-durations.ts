import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';

/**
 * How long decided cases took, per service, in working days, for the figures of a set of
 * services (the medical insurance dashboard): set-based, two statements whatever the number of
 * cases. The caller brings the working-day calendar (`ords`: working days before each day from
 * the calendar's first day, one entry more than days), because the calendar is the catalogue's.
 *
 * The clock of a case runs from its first submission to its decision (`cases.decided_at`), on
 * working days only (24 h of each, China time), and stops while the case is returned for
 * correction: from each `return` event to the `resubmit` that follows it. A case never returned
 * starts at `cases.submitted_at`; a returned one at its first `submit` event (a resubmission
 * moves `submitted_at` to itself). It is the SLA clock of sla-clock.ts (which counts whole working
 * days per case, for due dates and overdue) at the grain of instants, for averages.
 *
 * Decided by a rule, with no person: the decision's actor is a system actor. Identity's
 * `systemPrincipal` gives actors name-based ids (UUID version 5) while every account id is
 * random (gen_random_uuid, version 4), so the version digit tells them apart in SQL; the
 * figures' test holds identity to that.
 */
export interface CaseDurationsQuery {
  serviceCodes: readonly string[];
  /** The org subtree: cases handled at this path or below. */
  orgPath: string;
  /** Decided in [from, to): instants. */
  from: Date;
  to: Date;
}

export interface CaseDurationsCalendar {
  /** Days since 1970-01-01 (China) of the calendar's first day. */
  startDayNumber: number;
  ords: readonly number[];
}

export interface ServiceDurations {
  serviceCode: string;
  decided: number;
  /** Sum of the cases' working days (the caller divides). */
  workingDays: number;
  /** Decided by a rule, no person acting. */
  instant: number;
  /** Returned for correction at least once before the decision. */
  returned: number;
}

const DECIDED = sql.raw(`c.state in ('approved', 'rejected', 'completed')`);

function scope(q: CaseDurationsQuery): SQL {
  return sql`
    select c.id, c.service_code, c.submitted_at, c.decided_at, d.decided_by
    from cases c join case_decisions d on d.case_id = c.id
    where c.service_code = any(${sql.param([...q.serviceCodes])}::text[])
      and (c.org_path = ${q.orgPath} or c.org_path like ${`${q.orgPath}.%`})
      and ${DECIDED}
      and c.decided_at >= ${q.from.toISOString()}::timestamptz and c.decided_at < ${q.to.toISOString()}::timestamptz`;
}

/** The earliest first submission among the cases in scope (the calendar must start there), or null for none. */
export async function earliestSubmission(db: Executor, q: CaseDurationsQuery): Promise<Date | null> {
  const { rows } = await db.execute<{ earliest: string | Date | null }>(sql`
    with scope as (${scope(q)})
    select least(
      (select min(submitted_at) from scope),
      (select min(e.at) from case_events e join scope s on s.id = e.case_id where e.action = 'submit' and e.to_state = 'submitted')
    ) as earliest`);
  const earliest = rows[0]?.earliest;
  return earliest ? new Date(earliest) : null;
}

/** Per service: decided cases, their working days (sum), rule decisions and returned cases. */
export async function readCaseDurations(db: Executor, q: CaseDurationsQuery, calendar: CaseDurationsCalendar): Promise<ServiceDurations[]> {
  // Working time at an instant: ords[k] + (ords[k + 1] − ords[k]) × the part of day k gone by (k from 0; SQL arrays from 1).
  const w = (instant: SQL) => {
    const days = sql`((extract(epoch from ${instant})::float8 + 28800) / 86400)`;
    const k = sql`(floor(${days})::int - cal.s)`;
    return sql`(cal.o[${k} + 1] + (cal.o[${k} + 2] - cal.o[${k} + 1]) * (${days} - floor(${days})))`;
  };
  const { rows } = await db.execute<{ service_code: string; decided: number; working_days: number; instant: number; returned: number }>(sql`
    with cal as (select ${sql.param([...calendar.ords])}::int[] as o, ${calendar.startDayNumber}::int as s),
    scope as (${scope(q)}),
    -- Materialised: computed once, not again for each case of the scope the planner joins it to.
    returned as materialized (
      select e.case_id,
        min(e.at) filter (where e.action = 'submit' and e.to_state = 'submitted') as first_submitted,
        coalesce(sum(case e.action when 'resubmit' then ${w(sql`e.at`)} when 'return' then -${w(sql`e.at`)} end), 0) as paused
      from case_events e join scope s on s.id = e.case_id cross join cal
      where e.action in ('submit', 'return', 'resubmit')
      group by e.case_id
      having count(*) filter (where e.action = 'return') > 0
    ),
    per_case as (
      select s.service_code,
        ${w(sql`s.decided_at`)} - ${w(sql`coalesce(r.first_submitted, s.submitted_at)`)} - coalesce(r.paused, 0) as days,
        substr(s.decided_by::text, 15, 1) = '5' as instant,
        r.case_id is not null as returned
      from scope s cross join cal left join returned r on r.case_id = s.id
    )
    select service_code, count(*)::int as decided, coalesce(sum(days), 0)::float8 as working_days,
      (count(*) filter (where instant))::int as instant, (count(*) filter (where returned))::int as returned
    from per_case group by service_code order by service_code`);
  return rows.map((r) => ({
    serviceCode: r.service_code,
    decided: Number(r.decided),
    workingDays: Number(r.working_days),
    instant: Number(r.instant),
    returned: Number(r.returned),
  }));
}

import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import type { CaseState } from './applications.tables.ts';

/**
 * What the supervision dashboards count of one case (ids and codes, instants; nothing personal):
 * read for the cases named by a batch of `case.submitted` / `case.decided` / `certificate.issued`
 * events, in one statement whatever their number. The clock itself (working days, pauses) is the
 * caller's: this read only gives the instants it runs between, as case-durations.ts does.
 */
export interface CaseFacts {
  id: string;
  serviceCode: string;
  orgCode: string;
  /** The handling org's path (its ancestors' codes, province first). */
  orgPath: string;
  state: CaseState;
  /** The channel the case was created through. */
  channel: string;
  /** The first submission (the first `submit` to submitted), else `submitted_at`. */
  firstSubmittedAt: Date | null;
  decidedAt: Date | null;
  completedAt: Date | null;
  dueDate: string | null;
  /** Decided by a rule with no person acting (the decision's actor is a system actor, UUID version 5). */
  instant: boolean;
  /** Returns for correction (退回补正) and resubmissions, in order: the clock pauses between them. */
  returns: Date[];
  resubmits: Date[];
  /** Submissions and resubmissions made in person, at a window or a kiosk (到现场次数). */
  counterTrips: number;
}

const COUNTER_CHANNELS = sql.raw(`('window', 'kiosk')`);

export async function readCaseFacts(db: Executor, caseIds: readonly string[]): Promise<Map<string, CaseFacts>> {
  const out = new Map<string, CaseFacts>();
  if (caseIds.length === 0) return out;
  const { rows } = await db.execute<{
    id: string;
    service_code: string;
    org_code: string;
    org_path: string;
    state: CaseState;
    channel: string;
    first_submitted: string | Date | null;
    decided_at: string | Date | null;
    completed_at: string | Date | null;
    due_date: string | null;
    decided_by: string | null;
    /** json: one driver and PGlite alike give a parsed array of ISO strings. */
    returns: string[] | string | null;
    resubmits: string[] | string | null;
    counter_trips: number;
  }>(sql`
    select c.id, c.service_code, c.org_code, c.org_path, c.state, c.channel, c.decided_at, c.completed_at, c.due_date::text as due_date,
      d.decided_by::text as decided_by,
      coalesce(e.first_submitted, c.submitted_at) as first_submitted,
      e.returns, e.resubmits, coalesce(e.counter_trips, 0)::int as counter_trips
    from cases c
    left join case_decisions d on d.case_id = c.id
    left join lateral (
      select min(x.at) filter (where x.action = 'submit' and x.to_state = 'submitted') as first_submitted,
        json_agg(x.at order by x.id) filter (where x.action = 'return') as returns,
        json_agg(x.at order by x.id) filter (where x.action = 'resubmit') as resubmits,
        count(*) filter (where x.action in ('submit', 'resubmit') and x.to_state = 'submitted' and x.channel in ${COUNTER_CHANNELS}) as counter_trips
      from case_events x where x.case_id = c.id
    ) e on true
    where c.id = any(${sql.param([...caseIds])}::uuid[])`);
  const at = (v: string | Date) => (v instanceof Date ? v : new Date(v));
  const instants = (v: string[] | string | null): Date[] =>
    v === null ? [] : ((typeof v === 'string' ? JSON.parse(v) : v) as string[]).map(at);
  for (const r of rows) {
    out.set(r.id, {
      id: r.id,
      serviceCode: r.service_code,
      orgCode: r.org_code,
      orgPath: r.org_path,
      state: r.state,
      channel: r.channel,
      firstSubmittedAt: r.first_submitted ? at(r.first_submitted) : null,
      decidedAt: r.decided_at ? at(r.decided_at) : null,
      completedAt: r.completed_at ? at(r.completed_at) : null,
      dueDate: r.due_date,
      instant: r.decided_by !== null && r.decided_by.charAt(14) === '5',
      returns: instants(r.returns),
      resubmits: instants(r.resubmits),
      counterTrips: Number(r.counter_trips),
    });
  }
  return out;
}

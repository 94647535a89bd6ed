import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { chinaDate } from '../../core/values.ts';
import type { Db } from '../../db/database.ts';
import { workingDaysBetween } from '../catalog/index.ts';
import type { CaseState } from './applications.tables.ts';
import type { CaseAction } from './case-state.ts';

/**
 * Case history written as it happened: decided cases of a past period with their events and
 * decisions at their own times, e.g. a year of generated cases for a "before and after"
 * comparison (src/demo/insurance-figures-demo.ts) or cases carried over from the system a county
 * used before. No state machine runs and no event reaches the outbox: the cases are history, not
 * work. Seed, demo and CLI only, never a route. Each batch is one transaction of three
 * array-parameter (`unnest`) statements.
 */
export interface HistoricalCase {
  id?: string;
  serviceCode: string;
  applicantId: string;
  orgCode: string;
  orgPath: string;
  channel: string;
  form: Record<string, string>;
  /** The last (re)submission, as `cases.submitted_at` keeps it. */
  submittedAt: Date;
  /** As it stood at the decision (moved by the pauses for correction, as the SLA clock moves it). */
  dueDate: string | null;
  decision: { decision: 'approved' | 'rejected'; by: string; at: Date; reason: string | null };
  /** Every transition in order, the first submission and the decision included. */
  events: {
    action: CaseAction;
    from: CaseState | null;
    to: CaseState;
    actorId: string;
    channel: string;
    reason?: string | null;
    at: Date;
  }[];
}

const BATCH = 2000;

/** The SLA clock of a historical case (sla-clock.ts) from its events: the first submission, and the working days of each return until its resubmission. */
function historicalClock(c: HistoricalCase): { startedAt: Date; pausedDays: number } {
  const first = c.events.find((e) => e.action === 'submit' && e.to === 'submitted');
  let pausedDays = 0;
  let returnedOn: string | null = null;
  for (const e of c.events) {
    if (e.action === 'return') returnedOn = chinaDate(e.at);
    if (e.action === 'resubmit' && returnedOn) {
      pausedDays += workingDaysBetween(returnedOn, chinaDate(e.at));
      returnedOn = null;
    }
  }
  return { startedAt: first?.at ?? c.submittedAt, pausedDays };
}

export async function importCaseHistory(db: Db, history: readonly HistoricalCase[]): Promise<{ cases: number; events: number }> {
  let events = 0;
  for (let i = 0; i < history.length; i += BATCH) {
    const batch = history.slice(i, i + BATCH).map((c) => ({ ...c, id: c.id ?? randomUUID() }));
    const evs = batch.flatMap((c) => c.events.map((e) => ({ caseId: c.id, ...e })));
    const col = <T, V>(rows: readonly T[], pick: (r: T) => V) => sql.param(rows.map(pick));
    await db.transaction(async (tx) => {
      await tx.execute(sql`
        insert into cases (id, service_code, applicant_id, org_code, org_path, state, channel, form, submitted_at, due_date, decided_at, created_at, updated_at,
                           sla_started_at, sla_paused_days)
        select id, service_code, applicant_id, org_code, org_path, state, channel, form::jsonb, submitted_at, due_date, decided_at, created_at, decided_at,
               sla_started_at, sla_paused_days
        from unnest(${col(batch, (c) => c.id)}::uuid[], ${col(batch, (c) => c.serviceCode)}::text[], ${col(batch, (c) => c.applicantId)}::uuid[],
                    ${col(batch, (c) => c.orgCode)}::text[], ${col(batch, (c) => c.orgPath)}::text[], ${col(batch, (c) => c.decision.decision)}::text[],
                    ${col(batch, (c) => c.channel)}::text[], ${col(batch, (c) => JSON.stringify(c.form))}::text[],
                    ${col(batch, (c) => c.submittedAt.toISOString())}::timestamptz[], ${col(batch, (c) => c.dueDate)}::date[],
                    ${col(batch, (c) => c.decision.at.toISOString())}::timestamptz[], ${col(batch, (c) => (c.events[0]?.at ?? c.submittedAt).toISOString())}::timestamptz[],
                    ${col(batch, (c) => historicalClock(c).startedAt.toISOString())}::timestamptz[], ${col(batch, (c) => historicalClock(c).pausedDays)}::int[])
          as t (id, service_code, applicant_id, org_code, org_path, state, channel, form, submitted_at, due_date, decided_at, created_at,
                sla_started_at, sla_paused_days)`);
      await tx.execute(sql`
        insert into case_events (case_id, action, from_state, to_state, actor_id, channel, reason, at)
        select * from unnest(${col(evs, (e) => e.caseId)}::uuid[], ${col(evs, (e) => e.action)}::text[], ${col(evs, (e) => e.from)}::text[],
                             ${col(evs, (e) => e.to)}::text[], ${col(evs, (e) => e.actorId)}::uuid[], ${col(evs, (e) => e.channel)}::text[],
                             ${col(evs, (e) => e.reason ?? null)}::text[], ${col(evs, (e) => e.at.toISOString())}::timestamptz[])`);
      await tx.execute(sql`
        insert into case_decisions (case_id, decision, decided_by, reason, at)
        select * from unnest(${col(batch, (c) => c.id)}::uuid[], ${col(batch, (c) => c.decision.decision)}::text[],
                             ${col(batch, (c) => c.decision.by)}::uuid[], ${col(batch, (c) => c.decision.reason)}::text[],
                             ${col(batch, (c) => c.decision.at.toISOString())}::timestamptz[])`);
    });
    events += evs.length;
  }
  return { cases: history.length, events };
}

import { chinaDate } from '../../core/values.ts';
import type { Executor } from '../../db/database.ts';
import { addWorkingDays, workingDaysBetween } from '../catalog/index.ts';
import type { CaseState } from './applications.tables.ts';
import * as repo from './applications.repository.ts';
import { OPEN_STATES } from './case-state.ts';

/**
 * The SLA clock of a case (办理时限), in working days of the official calendar: it starts at the
 * first submission, pauses while the case is returned for correction (退回补正: the applicant's
 * time is not the office's) and resumes on resubmission, when the due date moves by exactly the
 * working days paused. Days count as promised limits are counted (catalog's `addWorkingDays`): a
 * day of submission or resubmission is not the office's, the day of a return still is; so a case
 * returned on a Friday and resubmitted on the Monday was paused one working day.
 *
 * Overdue is the clock's: an open case whose (moved) due date has passed. A returned case is not
 * open, so it is never overdue while it waits; the overview's counts and the queue's overdue
 * filter read the same moved `due_date`.
 */
export interface CaseClock {
  /** Working days the clock has run: from the first submission to the decision (or now), less the pauses. */
  workingDays: number;
  /** Working days paused for correction, the pause in progress included. */
  pausedWorkingDays: number;
  /** Waiting for the applicant now. */
  paused: boolean;
  /** The due date, moved by the pauses so far. */
  dueDate: string | null;
  /** Open and past its due date. */
  overdue: boolean;
  /** Decided by the due date (按时办结); null while undecided or without a due date. */
  onTime: boolean | null;
}

/** What the clock reads of a case row. */
export type ClockRow = Pick<
  repo.CaseRow,
  'state' | 'submittedAt' | 'dueDate' | 'decidedAt' | 'slaStartedAt' | 'slaPausedAt' | 'slaPausedDays'
>;

export function caseClock(row: ClockRow, now: Date): CaseClock {
  const today = chinaDate(now);
  const start = row.slaStartedAt ?? row.submittedAt;
  const paused = row.state === 'returned';
  const pausedOn = paused && row.slaPausedAt ? chinaDate(row.slaPausedAt) : null;
  const pausing = pausedOn ? workingDaysBetween(pausedOn, today) : 0;
  const end = pausedOn ?? (row.decidedAt ? chinaDate(row.decidedAt) : today);
  const workingDays = start ? Math.max(0, workingDaysBetween(chinaDate(start), end) - row.slaPausedDays) : 0;
  return {
    workingDays,
    pausedWorkingDays: row.slaPausedDays + pausing,
    paused,
    dueDate: row.dueDate,
    overdue: isOverdue(row.state, row.dueDate, today),
    onTime: row.decidedAt && row.dueDate ? chinaDate(row.decidedAt) <= row.dueDate : null,
  };
}

/** Open and past its due date on `today` (a China date). */
export function isOverdue(state: CaseState, dueDate: string | null, today: string): boolean {
  return dueDate !== null && OPEN_STATES.includes(state) && dueDate < today;
}

/** The changes that pause the clock of a case being returned at `now`. */
export function pauseClock(now: Date): Pick<repo.CaseRow, 'slaPausedAt'> {
  return { slaPausedAt: now };
}

/**
 * The changes that resume the clock of a returned case resubmitted at `now`: the working days
 * of the pause are added to the paused total and the due date moves by them. `fallbackDue` is
 * the due date a case without one gets (a case from before the clock).
 */
export function resumeClock(
  row: Pick<repo.CaseRow, 'dueDate' | 'slaPausedAt' | 'slaPausedDays'>,
  now: Date,
  fallbackDue: () => string,
): Pick<repo.CaseRow, 'slaPausedAt' | 'slaPausedDays' | 'dueDate'> {
  const paused = row.slaPausedAt ? workingDaysBetween(chinaDate(row.slaPausedAt), chinaDate(now)) : 0;
  return {
    slaPausedAt: null,
    slaPausedDays: row.slaPausedDays + paused,
    dueDate: row.dueDate ? addWorkingDays(row.dueDate, paused).dueDate : fallbackDue(),
  };
}

/**
 * The clocks of many cases at `now`, by id (cases that do not exist are left out): for other
 * modules' figures (dashboards), which check their caller's access themselves.
 */
export async function readCaseClocks(db: Executor, caseIds: readonly string[], now: Date = new Date()): Promise<Map<string, CaseClock>> {
  const rows = await repo.findCases(db, caseIds);
  return new Map(rows.map((r) => [r.id, caseClock(r, now)]));
}

/** One pause of the clock: returned for correction (补正) at `from`, resubmitted at `to` (null: still waiting). */
export interface ClockPause {
  from: string;
  to: string | null;
  /** Working days paused, as `resumeClock` counts them (to today for the pause in progress). */
  workingDays: number;
}

/** The pauses of a case's clock, from its history: each return until the resubmission that followed it. */
export function clockPauses(events: readonly { action: string; at: Date }[], now: Date): ClockPause[] {
  const pauses: ClockPause[] = [];
  let open: Date | null = null;
  const close = (end: Date | null) => {
    if (!open) return;
    pauses.push({
      from: open.toISOString(),
      to: end?.toISOString() ?? null,
      workingDays: workingDaysBetween(chinaDate(open), chinaDate(end ?? now)),
    });
    open = null;
  };
  for (const e of events) {
    if (e.action === 'return') open ??= e.at;
    else if (e.action === 'resubmit') close(e.at);
  }
  close(null);
  return pauses;
}

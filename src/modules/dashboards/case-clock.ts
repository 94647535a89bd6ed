import { chinaDate } from '../../core/values.ts';
import type { CaseFacts } from '../applications/index.ts';
import { createWorkingClock } from '../insurance/index.ts';

export interface CaseTiming {
  /** Working days from the first submission to the decision, the time returned for correction left out. */
  workingDays: number;
  /** Decided on or before the due date. */
  onTime: boolean;
}

/**
 * The one place the dashboards take a decided case's working time and whether it was on time.
 * Working time: the working-day clock of the figures (insurance/working-clock.ts, in fractions of
 * a day, paused from each 退回补正 to the resubmission that follows, as case-durations.ts counts
 * it). On time: decided by the case's due date, which the SLA clock (applications/sla-clock.ts)
 * moves by the working days a case waited for correction, so this is the SLA clock's `onTime`.
 */
export function caseTiming(facts: CaseFacts): CaseTiming | null {
  const { firstSubmittedAt: start, decidedAt: end } = facts;
  if (!start || !end || end < start) return null;
  const clock = createWorkingClock(chinaDate(start), chinaDate(end));
  let paused = 0;
  facts.returns.forEach((returnedAt, i) => {
    const resumed = facts.resubmits[i];
    if (resumed && resumed > returnedAt && resumed <= end) paused += clock.at(resumed) - clock.at(returnedAt);
  });
  const workingDays = Math.max(0, clock.at(end) - clock.at(start) - paused);
  return { workingDays, onTime: facts.dueDate === null || chinaDate(end) <= facts.dueDate };
}

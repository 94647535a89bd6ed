import { chinaDate } from '../../core/values.ts';
import type { Executor } from '../../db/database.ts';
import { workingDaysBetween } from '../catalog/index.ts';
import * as repo from './ratings.repository.ts';

/** The date `days` days after (or before) a YYYY-MM-DD date. */
function shiftDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** The n-th working day after `from` (the day the task opens does not count), on the official calendar of the catalog module. */
function addWorkingDays(from: string, n: number): string {
  let date = from;
  for (let left = n; left > 0;) {
    date = shiftDays(date, 1);
    if (workingDaysBetween(shiftDays(date, -1), date) === 1) left--;
  }
  return date;
}

/** A bad rating's rectification deadline: the jurisdiction's working days (rating_policies) from the day it was given. */
export async function rectificationDeadline(
  ex: Executor,
  input: { orgPath: string; at: Date; fallbackDays: number },
): Promise<{ workingDays: number; deadline: string }> {
  const workingDays = (await repo.policyDaysFor(ex, input.orgPath)) ?? input.fallbackDays;
  return { workingDays, deadline: addWorkingDays(chinaDate(input.at), workingDays) };
}

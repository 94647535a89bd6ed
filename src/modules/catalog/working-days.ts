import { createRequire } from 'node:module';
import type * as ChineseDays from 'chinese-days';

/**
 * The official working-day calendar: public holidays and make-up workdays (调休) as published
 * by the State Council, from the `chinese-days` package. For a year the package does not cover
 * yet, the statutory holidays are computed from the law (元旦, 春节 from the lunar calendar,
 * 清明 from the solar term, 劳动节, 端午, 中秋, 国庆) and weekends are rest days; dates in such
 * years are flagged provisional, because make-up workdays are only known once published.
 */

const require = createRequire(import.meta.url);
// The package is CommonJS; Node's ESM loader cannot see its named exports, so it is required.
const { getSolarDateFromLunar, getSolarTermDate, isWorkday } = require('chinese-days') as typeof ChineseDays;
const published = require('chinese-days/dist/chinese-days.json') as {
  holidays: Record<string, string>;
  workdays: Record<string, string>;
};

/** The last year whose holiday arrangement the package holds. */
export const LAST_PUBLISHED_YEAR = Math.max(...Object.keys(published.holidays).map((d) => Number(d.slice(0, 4))));

const statutoryCache = new Map<number, Set<string>>();

/** Statutory public holidays of a year (全体公民放假的节日, 2025 revision: 13 days). */
export function statutoryHolidays(year: number): Set<string> {
  const cached = statutoryCache.get(year);
  if (cached) return cached;
  const days = new Set<string>();
  days.add(`${year}-01-01`);
  const springFestival = getSolarDateFromLunar(`${year}-01-01`).date;
  const eve = shiftDate(springFestival, -1);
  for (let i = 0; i < 4; i++) days.add(shiftDate(eve, i));
  days.add(getSolarTermDate(year, 4, 'pure_brightness'));
  days.add(`${year}-05-01`);
  days.add(`${year}-05-02`);
  days.add(getSolarDateFromLunar(`${year}-05-05`).date);
  days.add(getSolarDateFromLunar(`${year}-08-15`).date);
  for (let d = 1; d <= 3; d++) days.add(`${year}-10-0${d}`);
  statutoryCache.set(year, days);
  return days;
}

export function isProvisionalDate(date: string): boolean {
  return Number(date.slice(0, 4)) > LAST_PUBLISHED_YEAR;
}

export function isWorkingDay(date: string): boolean {
  assertDate(date);
  if (!isProvisionalDate(date)) return isWorkday(date);
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  if (weekday === 0 || weekday === 6) return false;
  return !statutoryHolidays(Number(date.slice(0, 4))).has(date);
}

export interface DueDate {
  dueDate: string;
  /** True when the count crosses a year whose official arrangement is not yet published. */
  provisional: boolean;
}

const dueDates = new Map<string, DueDate>();

/**
 * The n-th working day after `from` (the day of submission does not count), as promised
 * time limits are counted.
 */
export function addWorkingDays(from: string, n: number): DueDate {
  // The calendar is fixed data, so the answer for (from, n) never changes: every submission of
  // a day asks the same few questions, and walking the calendar was a visible part of its cost.
  const key = `${from}|${n}`;
  const known = dueDates.get(key);
  if (known) return { ...known };
  assertDate(from);
  if (!Number.isInteger(n) || n < 0) throw new RangeError('working days must be a non-negative integer');
  let date = from;
  let left = n;
  while (left > 0) {
    date = shiftDate(date, 1);
    if (isWorkingDay(date)) left--;
  }
  const due = { dueDate: date, provisional: isProvisionalDate(date) };
  if (dueDates.size >= 10_000) dueDates.clear();
  dueDates.set(key, due);
  return { ...due };
}

/** Working days after `from` up to and including `to` (0 when `to` is not after `from`). */
export function workingDaysBetween(from: string, to: string): number {
  assertDate(from);
  assertDate(to);
  let count = 0;
  for (let date = shiftDate(from, 1); date <= to; date = shiftDate(date, 1)) if (isWorkingDay(date)) count++;
  return count;
}

export { chinaDate } from '../../core/values.ts';

export function shiftDate(date: string, days: number): string {
  const t = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

function assertDate(date: string): void {
  const t = Date.parse(`${date}T00:00:00Z`);
  // V8 reads 2026-02-30 as 2 March: only a date that reads back unchanged is real.
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== date) {
    throw new RangeError(`not a date: ${date}`);
  }
}

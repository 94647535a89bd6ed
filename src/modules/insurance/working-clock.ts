import { workingDaysBetween } from '../catalog/index.ts';

const DAY_MS = 86_400_000;
/** China time is UTC+8 all year (no daylight saving since 1991). */
const CHINA_OFFSET_MS = 8 * 3_600_000;

/**
 * 工作日计时 (a clock that runs on working days only): the time between two instants that falls on
 * working days of the official calendar (catalog/working-days.ts, the `chinese-days` package),
 * in days of 24 hours of China time. Weekends and public holidays stop the clock; make-up
 * workdays (调休) run it. So a case submitted on a Friday at 10:00 and decided on the Monday at
 * 10:00 took 1 working day, one decided the same working day a fraction (4 hours = 1/6), one a
 * rule decided within seconds about 0, and one submitted on a Saturday and decided on the
 * Monday at 09:00 took 0.375 (the clock starts on the Monday).
 *
 * `at(t)` is the working time from the calendar's first day to `t`: the working days before
 * t's day plus, when t's day is a working day, the part of it gone by. A duration is a difference
 * of two `at`s, which is what the figures' SQL computes from `ords` (applications/case-durations.ts).
 */
export interface WorkingClock {
  /** The calendar's first day (YYYY-MM-DD, China). */
  start: string;
  /** Its last day. */
  end: string;
  /**
   * Working days before each day from `start`: ords[i] for day i, and one more entry after `end`
   * (ords[i + 1] − ords[i] is 1 for a working day, 0 for a rest day). The SQL reads it as an array.
   */
  ords: number[];
  /** The first day's number (days since 1970-01-01, China). */
  startDayNumber: number;
  /** Working time (days) from the calendar's start to the instant; throws outside the calendar. */
  at(instant: Date): number;
  /** The first instant at which `at` reaches `w` (always on a working day). */
  instantAt(w: number): Date;
  isWorkingDay(date: string): boolean;
}

/** Days since 1970-01-01 of the China date of an instant. */
export function chinaDayNumber(instant: Date): number {
  return Math.floor((instant.getTime() + CHINA_OFFSET_MS) / DAY_MS);
}

/** The instant at which a China date begins (00:00 in China). */
export function chinaDayStart(date: string): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) - CHINA_OFFSET_MS);
}

function dateOfDayNumber(n: number): string {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

/** The working-day clock over [start, end] (China dates). */
export function createWorkingClock(start: string, end: string): WorkingClock {
  const startDayNumber = Math.floor(Date.parse(`${start}T00:00:00Z`) / DAY_MS);
  const endDayNumber = Math.floor(Date.parse(`${end}T00:00:00Z`) / DAY_MS);
  if (!(endDayNumber >= startDayNumber)) throw new RangeError(`calendar end ${end} before its start ${start}`);
  const working: boolean[] = [];
  const ords: number[] = [0];
  for (let n = startDayNumber; n <= endDayNumber; n++) {
    // workingDaysBetween(d − 1, d) is 1 exactly when d is a working day.
    const isWorking = workingDaysBetween(dateOfDayNumber(n - 1), dateOfDayNumber(n)) === 1;
    working.push(isWorking);
    ords.push(ords[ords.length - 1]! + (isWorking ? 1 : 0));
  }
  const days = working.length;

  function at(instant: Date): number {
    const local = instant.getTime() + CHINA_OFFSET_MS;
    const dayNumber = Math.floor(local / DAY_MS);
    const i = dayNumber - startDayNumber;
    if (i < 0 || i >= days) throw new RangeError(`${instant.toISOString()} is outside the calendar ${start}…${end}`);
    const fraction = (local - dayNumber * DAY_MS) / DAY_MS;
    return ords[i]! + (working[i] ? fraction : 0);
  }

  function instantAt(w: number): Date {
    if (!(w >= 0) || w > ords[days]!) throw new RangeError(`working time ${w} is outside the calendar ${start}…${end}`);
    // The working day j with ords[j] ≤ w < ords[j] + 1: binary search on the non-decreasing ords.
    let lo = 0;
    let hi = days - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ords[mid]! <= w) lo = mid;
      else hi = mid - 1;
    }
    let j = lo;
    // A run of rest days shares its ord with the working day after it: step to that working day.
    while (j < days - 1 && !working[j]) j++;
    const fraction = Math.min(Math.max(w - ords[j]!, 0), 1);
    return new Date((startDayNumber + j) * DAY_MS - CHINA_OFFSET_MS + fraction * DAY_MS);
  }

  return {
    start,
    end,
    ords,
    startDayNumber,
    at,
    instantAt,
    isWorkingDay(date: string) {
      const i = Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY_MS) - startDayNumber;
      if (i < 0 || i >= days) throw new RangeError(`${date} is outside the calendar ${start}…${end}`);
      return working[i]!;
    },
  };
}

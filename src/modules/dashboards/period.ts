import { AppError } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';

const MAX_PERIOD_DAYS = 366;
const DEFAULT_PERIOD_DAYS = 30;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** A China date moved by whole days. */
export const shiftDate = (date: string, days: number): string =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

/** The first day of the month after the month of `date`. */
const nextMonth = (date: string): string => {
  const d = new Date(`${date.slice(0, 7)}-01T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + 1);
  return d.toISOString().slice(0, 10);
};

/** The period a view asks for: `to` defaults to today, `from` to 29 days before it; at most 366 days. */
export function period(query: { from?: string | undefined; to?: string | undefined }, today: string): { from: string; to: string } {
  const to = query.to ?? today;
  const from = query.from ?? shiftDate(to, -(DEFAULT_PERIOD_DAYS - 1));
  const valid =
    DATE.test(from) &&
    DATE.test(to) &&
    !Number.isNaN(Date.parse(from)) &&
    !Number.isNaN(Date.parse(to)) &&
    shiftDate(from, 0) === from &&
    shiftDate(to, 0) === to &&
    from <= to &&
    (Date.parse(to) - Date.parse(from)) / DAY_MS < MAX_PERIOD_DAYS;
  if (!valid) throw new AppError('VALIDATION_FAILED', { detail: message('dashboards.period', { days: MAX_PERIOD_DAYS }) });
  return { from, to };
}

/** Inclusive date range with the sign its rows are summed with (−1: rows subtracted from a whole month or year read beside them). */
export interface SignedRange {
  from: string;
  to: string;
  sign: 1 | -1;
}

/**
 * The rows a period is summed from, at most two signed ranges of days, at most two signed ranges
 * of months (each month as its first day) and one range of whole years (each as its 1 January):
 * the sum over the terms, each row times its range's sign, is the sum over the period's days.
 * An edge that covers most of its month is read as the whole month minus the days outside it
 * (and likewise months within a year), so that every period of up to a year reads at most about
 * 15 rows per org and service: 16 days, 2 months and a year for a rolling year, where the days
 * alone would be 365 and days and months 42.
 */
export interface PeriodTerms {
  days: SignedRange[];
  months: SignedRange[];
  /** First and last 1 January, or null. */
  years: { from: string; to: string } | null;
}

/** Days as numbers (days since 1970-01-01) and months as numbers (year × 12 + month − 1). */
const dayNo = (date: string) => Math.round(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
const dayOf = (n: number) => new Date(n * DAY_MS).toISOString().slice(0, 10);
const monthNo = (date: string) => Number(date.slice(0, 4)) * 12 + Number(date.slice(5, 7)) - 1;
const monthOf = (n: number) => `${String(Math.floor(n / 12)).padStart(4, '0')}-${String((n % 12) + 1).padStart(2, '0')}-01`;

/**
 * One level of the decomposition: the units lo..hi (inclusive) as signed ranges of units and a
 * range of whole parents (by the index of their first unit), each edge read the cheaper way —
 * its units inside the period, or its whole parent less the units outside.
 */
function splitLevel(
  lo: number,
  hi: number,
  startOf: (i: number) => number,
  endOf: (i: number) => number,
): { ranges: { from: number; to: number; sign: 1 | -1 }[]; parentFrom: number; parentTo: number } {
  const ranges: { from: number; to: number; sign: 1 | -1 }[] = [];
  if (startOf(lo) === startOf(hi)) {
    const start = startOf(lo);
    const end = endOf(lo);
    if (lo === start && hi === end) return { ranges, parentFrom: start, parentTo: start };
    const inside = hi - lo + 1;
    const outside = lo - start + (end - hi);
    if (inside <= outside + 1) return { ranges: [{ from: lo, to: hi, sign: 1 }], parentFrom: 1, parentTo: 0 };
    if (lo > start) ranges.push({ from: start, to: lo - 1, sign: -1 });
    if (hi < end) ranges.push({ from: hi + 1, to: end, sign: -1 });
    return { ranges, parentFrom: start, parentTo: start };
  }
  let parentFrom = startOf(lo);
  if (lo !== parentFrom) {
    const inside = endOf(lo) - lo + 1;
    const outside = lo - parentFrom;
    if (inside <= outside + 1) {
      ranges.push({ from: lo, to: endOf(lo), sign: 1 });
      parentFrom = endOf(lo) + 1;
    } else ranges.push({ from: parentFrom, to: lo - 1, sign: -1 });
  }
  let parentTo = startOf(hi);
  if (hi !== endOf(hi)) {
    const inside = hi - parentTo + 1;
    const outside = endOf(hi) - hi;
    if (inside <= outside + 1) {
      ranges.push({ from: parentTo, to: hi, sign: 1 });
      parentTo = startOf(parentTo - 1);
    } else ranges.push({ from: hi + 1, to: endOf(hi), sign: -1 });
  }
  return { ranges, parentFrom, parentTo };
}

export function periodTerms(from: string, to: string): PeriodTerms {
  const monthStart = (d: number) => dayNo(`${dayOf(d).slice(0, 7)}-01`);
  const monthEnd = (d: number) => dayNo(nextMonth(dayOf(d))) - 1;
  const dayLevel = splitLevel(dayNo(from), dayNo(to), monthStart, monthEnd);
  const days = dayLevel.ranges.map((r) => ({ from: dayOf(r.from), to: dayOf(r.to), sign: r.sign }));
  if (dayLevel.parentFrom > dayLevel.parentTo) return { days, months: [], years: null };
  const monthLevel = splitLevel(
    monthNo(dayOf(dayLevel.parentFrom)),
    monthNo(dayOf(dayLevel.parentTo)),
    (m) => m - (m % 12),
    (m) => m - (m % 12) + 11,
  );
  const months = monthLevel.ranges.map((r) => ({ from: monthOf(r.from), to: monthOf(r.to), sign: r.sign }));
  const years =
    monthLevel.parentFrom > monthLevel.parentTo ? null : { from: monthOf(monthLevel.parentFrom), to: monthOf(monthLevel.parentTo) };
  return { days, months, years };
}

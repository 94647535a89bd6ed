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

/**
 * A period cut into the whole calendar months it contains (read from the monthly rows) and the
 * days before and after them (read from the daily rows): [from, headTo] ∪ months [monthFrom,
 * monthTo] ∪ [tailFrom, to], each range inclusive and empty when its start is after its end.
 * Together they cover every day of the period exactly once.
 */
export interface PeriodSplit {
  headTo: string;
  /** The first day of the first whole month, and of the last. */
  monthFrom: string;
  monthTo: string;
  tailFrom: string;
}

export function splitPeriod(from: string, to: string): PeriodSplit {
  const monthFrom = from.endsWith('-01') ? from : nextMonth(from);
  // The last whole month ends on or before `to`: the month of to+1 day, minus one month, starts it.
  const afterTo = shiftDate(to, 1);
  const monthEndFrom = afterTo.endsWith('-01') ? afterTo : `${afterTo.slice(0, 7)}-01`;
  if (monthFrom >= monthEndFrom) return { headTo: to, monthFrom: afterTo, monthTo: to, tailFrom: afterTo };
  const lastMonth = shiftDate(monthEndFrom, -1).slice(0, 7) + '-01';
  return { headTo: shiftDate(monthFrom, -1), monthFrom, monthTo: lastMonth, tailFrom: monthEndFrom };
}

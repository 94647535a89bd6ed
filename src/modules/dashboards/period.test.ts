import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rejection } from '../../../test/errors.ts';
import { period, periodTerms, shiftDate } from './period.ts';

/** Every day from `from` to `to`, inclusive (none when from > to). */
function days(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = shiftDate(d, 1)) out.push(d);
  return out;
}

describe('a dashboard period', () => {
  it('defaults to the 30 days to today and refuses a reversed, too long or impossible period', async () => {
    expect(period({}, '2026-12-06')).toEqual({ from: '2026-11-07', to: '2026-12-06' });
    const code = async (q: { from?: string; to?: string }) => rejection(Promise.resolve().then(() => period(q, '2026-12-06')));
    expect(await code({ from: '2026-05-02', to: '2026-05-01' })).toBe('VALIDATION_FAILED');
    expect(await code({ from: '2025-01-01', to: '2026-01-02' })).toBe('VALIDATION_FAILED');
    expect(await code({ from: '2026-02-30', to: '2026-03-02' })).toBe('VALIDATION_FAILED');
  });

  it('is summed from signed day, month and year terms that count each day of it once and no day outside it', () => {
    const value = (d: string) => (Number(d.slice(8, 10)) * 7 + Number(d.slice(5, 7)) * 131 + Number(d.slice(0, 4)) * 3) % 1000;
    const sumDays = (from: string, to: string) => days(from, to).reduce((s, d) => s + value(d), 0);
    const monthEnd = (m: string) => shiftDate(`${shiftDate(m, 31).slice(0, 7)}-01`, -1);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 365 * 6 }), fc.integer({ min: 0, max: 365 }), (offset, length) => {
        const from = shiftDate('2024-01-01', offset);
        const to = shiftDate(from, length);
        const t = periodTerms(from, to);
        let total = 0;
        let rows = 0;
        for (const r of t.days) {
          total += r.sign * sumDays(r.from, r.to);
          rows += days(r.from, r.to).length;
        }
        for (const r of t.months)
          for (const m of days(r.from, r.to).filter((d) => d.endsWith('-01'))) {
            total += r.sign * sumDays(m, monthEnd(m));
            rows++;
          }
        if (t.years)
          for (let y = Number(t.years.from.slice(0, 4)); y <= Number(t.years.to.slice(0, 4)); y++) {
            total += sumDays(`${y}-01-01`, `${y}-12-31`);
            rows++;
          }
        expect(total).toBe(sumDays(from, to));
        expect(t.days.length).toBeLessThanOrEqual(2);
        expect(t.months.length).toBeLessThanOrEqual(2);
        // At most about half a month of days and half a year of months on each edge, and two years (365 days alone).
        expect(rows).toBeLessThanOrEqual(2 * 16 + 2 * 7 + 2);
      }),
      { numRuns: 1000 },
    );
  });

  it('reads a rolling year and a 30-day period from about as many rows', () => {
    const year = periodTerms('2025-12-07', '2026-12-06');
    expect(year).toEqual({
      days: [
        { from: '2025-12-01', to: '2025-12-06', sign: -1 },
        { from: '2026-12-01', to: '2026-12-06', sign: 1 },
      ],
      months: [
        { from: '2025-12-01', to: '2025-12-01', sign: 1 },
        { from: '2026-12-01', to: '2026-12-01', sign: -1 },
      ],
      years: { from: '2026-01-01', to: '2026-01-01' },
    });
    expect(periodTerms('2026-11-07', '2026-12-06').days).toEqual([
      { from: '2026-11-01', to: '2026-11-06', sign: -1 },
      { from: '2026-12-01', to: '2026-12-06', sign: 1 },
    ]);
    expect(periodTerms('2026-03-01', '2026-03-31')).toEqual({
      days: [],
      months: [{ from: '2026-03-01', to: '2026-03-01', sign: 1 }],
      years: null,
    });
    expect(periodTerms('2026-01-01', '2026-12-31')).toEqual({ days: [], months: [], years: { from: '2026-01-01', to: '2026-01-01' } });
  });
});

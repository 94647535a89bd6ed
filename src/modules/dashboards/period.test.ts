import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rejection } from '../../../test/errors.ts';
import { period, shiftDate, splitPeriod } from './period.ts';

/** Every day from `from` to `to`, inclusive (none when from > to). */
function days(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = shiftDate(d, 1)) out.push(d);
  return out;
}

describe('a dashboard period', () => {
  it('is cut into head days, whole months and tail days that cover each day exactly once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 365 * 6 }), fc.integer({ min: 0, max: 365 }), (offset, length) => {
        const from = shiftDate('2024-01-01', offset);
        const to = shiftDate(from, length);
        const s = splitPeriod(from, to);
        const months = days(s.monthFrom, s.monthTo).filter((d) => d.endsWith('-01'));
        // Each month named is whole: it starts on or after `from` and ends on or before `to`.
        for (const m of months) {
          expect(m >= from).toBe(true);
          expect(shiftDate(`${shiftDate(m, 31).slice(0, 7)}-01`, -1) <= to).toBe(true);
        }
        const monthDays = months.flatMap((m) => days(m, shiftDate(`${shiftDate(m, 31).slice(0, 7)}-01`, -1)));
        const covered = [...days(from, s.headTo), ...monthDays, ...days(s.tailFrom, to)];
        expect(covered).toEqual(days(from, to));
      }),
      { numRuns: 500 },
    );
  });

  it('reads whole months from the monthly rows wherever there is one', () => {
    expect(splitPeriod('2026-01-01', '2026-12-31')).toEqual({
      headTo: '2025-12-31',
      monthFrom: '2026-01-01',
      monthTo: '2026-12-01',
      tailFrom: '2027-01-01',
    });
    expect(splitPeriod('2025-12-07', '2026-12-06')).toEqual({
      headTo: '2025-12-31',
      monthFrom: '2026-01-01',
      monthTo: '2026-11-01',
      tailFrom: '2026-12-01',
    });
    // No whole month: all days.
    expect(splitPeriod('2026-02-02', '2026-03-30')).toMatchObject({ headTo: '2026-03-30', tailFrom: '2026-03-31' });
    expect(splitPeriod('2024-02-01', '2024-02-29')).toMatchObject({ monthFrom: '2024-02-01', monthTo: '2024-02-01' });
  });

  it('defaults to the 30 days to today and refuses a reversed, too long or impossible period', async () => {
    expect(period({}, '2026-12-06')).toEqual({ from: '2026-11-07', to: '2026-12-06' });
    const code = async (q: { from?: string; to?: string }) => rejection(Promise.resolve().then(() => period(q, '2026-12-06')));
    expect(await code({ from: '2026-05-02', to: '2026-05-01' })).toBe('VALIDATION_FAILED');
    expect(await code({ from: '2025-01-01', to: '2026-01-02' })).toBe('VALIDATION_FAILED');
    expect(await code({ from: '2026-02-30', to: '2026-03-02' })).toBe('VALIDATION_FAILED');
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addWorkingDays,
  chinaDate,
  isProvisionalDate,
  isWorkingDay,
  LAST_PUBLISHED_YEAR,
  shiftDate,
  statutoryHolidays,
  workingDaysBetween,
} from './working-days.ts';

describe('working-day calendar', () => {
  // Source: the State Council's 2026 holiday arrangement (国务院办公厅关于2026年部分节假日安排的通知):
  // 国庆节 1–7 October with 20 September (Sunday) and 10 October (Saturday) worked in lieu;
  // 春节 15–23 February with 14 and 28 February (Saturdays) worked in lieu.
  it('knows the published 2026 arrangements, make-up workdays included', () => {
    expect(isWorkingDay('2026-10-01')).toBe(false);
    expect(isWorkingDay('2026-10-07')).toBe(false);
    expect(isWorkingDay('2026-10-10')).toBe(true); // a Saturday worked in lieu
    expect(isWorkingDay('2026-09-20')).toBe(true); // a Sunday worked in lieu
    expect(isWorkingDay('2026-10-11')).toBe(false);
    expect(isWorkingDay('2026-02-14')).toBe(true);
    expect(isWorkingDay('2026-02-23')).toBe(false);
    expect(addWorkingDays('2026-09-30', 1)).toEqual({ dueDate: '2026-10-08', provisional: false });
    expect(addWorkingDays('2026-02-13', 1)).toEqual({ dueDate: '2026-02-14', provisional: false });
  });

  it('counts from the day after submission and skips weekends', () => {
    expect(addWorkingDays('2026-11-27', 1).dueDate).toBe('2026-11-30'); // Friday → Monday
    expect(addWorkingDays('2026-11-30', 0).dueDate).toBe('2026-11-30');
    expect(addWorkingDays('2026-11-30', 5).dueDate).toBe('2026-12-07');
  });

  it('computes the statutory holidays of a year not yet published and flags it provisional', () => {
    expect(LAST_PUBLISHED_YEAR).toBeGreaterThanOrEqual(2026);
    const next = LAST_PUBLISHED_YEAR + 1;
    expect(statutoryHolidays(next).size).toBe(13);
    expect(isProvisionalDate(`${next}-03-01`)).toBe(true);
    if (next === 2027) {
      // 2027 春节 is 6 February (正月初一); 除夕 is the 5th; 国庆 1–3 October.
      for (const d of ['2027-01-01', '2027-02-05', '2027-02-06', '2027-02-08', '2027-10-01', '2027-10-03']) {
        expect(isWorkingDay(d)).toBe(false);
      }
      expect(isWorkingDay('2027-02-09')).toBe(true);
    }
    // 2026-12-31 (Thursday) + 1 → 2027-01-04: New Year's Day and a weekend in between.
    expect(addWorkingDays('2026-12-31', 1)).toEqual({ dueDate: '2027-01-04', provisional: true });
  });

  it('refuses dates that do not exist', () => {
    expect(() => addWorkingDays('2026-02-30', 1)).toThrow(RangeError);
    expect(() => isWorkingDay('2026-13-01')).toThrow(RangeError);
  });

  it('uses the China calendar date of an instant', () => {
    expect(chinaDate(new Date('2026-11-29T16:30:00Z'))).toBe('2026-11-30');
    expect(chinaDate(new Date('2026-11-29T15:59:59Z'))).toBe('2026-11-29');
  });

  it('lands on a working day exactly n working days later (property)', () => {
    const start = Date.UTC(2019, 0, 1);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 365 * 8 }), fc.integer({ min: 0, max: 40 }), (offset, n) => {
        const from = shiftDate(new Date(start).toISOString().slice(0, 10), offset);
        const { dueDate } = addWorkingDays(from, n);
        expect(workingDaysBetween(from, dueDate)).toBe(n);
        if (n > 0) expect(isWorkingDay(dueDate)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

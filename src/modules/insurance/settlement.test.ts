import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reverse, settle, SettlementInputError, type FeeLine, type SettlementPolicy, type YearToDate } from './settlement.ts';

/** 贵港市城乡居民, a tertiary hospital elsewhere in the province with no filing: the local ratio (made up for the test, published-style). */
const POLICY: SettlementPolicy = {
  version: '450800-resident-2026-07',
  legalBasis: '桂医保发〔2026〕示例号',
  deductibleFen: 80_000,
  fundRatioPermille: 700,
  yearCapFen: 20_000_000,
  classBSelfPayPermille: 100,
};
const START: YearToDate = { deductibleUsedFen: 0, fundPaidFen: 0 };

const line = fc.record({
  id: fc.uuid(),
  code: fc.stringMatching(/^[0-9A-Z]{15}$/),
  itemClass: fc.constantFrom('A' as const, 'B' as const, 'C' as const),
  quantity: fc.integer({ min: 0, max: 50 }),
  unitPriceFen: fc.integer({ min: 0, max: 2_000_000 }),
  priceLimitFen: fc.option(fc.integer({ min: 0, max: 2_000_000 }), { nil: null }),
});
const lines = fc.uniqueArray(line, { maxLength: 30, selector: (l) => l.id });
const policy = fc.record({
  version: fc.constant('p'),
  legalBasis: fc.constant('b'),
  deductibleFen: fc.integer({ min: 0, max: 200_000 }),
  fundRatioPermille: fc.integer({ min: 0, max: 1000 }),
  yearCapFen: fc.integer({ min: 0, max: 50_000_000 }),
  classBSelfPayPermille: fc.integer({ min: 0, max: 1000 }),
});
const year = fc.record({ deductibleUsedFen: fc.integer({ min: 0, max: 1_000_000 }), fundPaidFen: fc.integer({ min: 0, max: 60_000_000 }) });
const balance = fc.integer({ min: 0, max: 5_000_000 });
const runs = { numRuns: Number(process.env.SETTLEMENT_RUNS ?? 300) };

describe('the settlement engine', () => {
  it('settles a stay line by line and says why: class A, class B with its share first, class C, and a price above the limit', () => {
    const stay: FeeLine[] = [
      { id: '1', code: '001102000010000', itemClass: 'A', quantity: 10, unitPriceFen: 5_000, priceLimitFen: null },
      { id: '2', code: 'XA01BAA001A001', itemClass: 'B', quantity: 2, unitPriceFen: 100_000, priceLimitFen: 80_000 },
      { id: '3', code: 'C0000000000001', itemClass: 'C', quantity: 1, unitPriceFen: 30_000, priceLimitFen: null },
    ];
    const s = settle(stay, POLICY, START, 10_000);
    expect(s.lines[1]).toMatchObject({ totalFen: 200_000, overlmtSelfpayFen: 40_000, preselfpayFen: 16_000, inscpFen: 144_000 });
    expect(s.lines[2]).toMatchObject({ fulamtOwnpayFen: 30_000, inscpFen: 0 });
    expect(s).toMatchObject({
      totalFen: 280_000,
      inscpFen: 194_000,
      deductibleFen: 80_000,
      hifpPayFen: Math.floor((114_000 * 700) / 1000),
    });
    expect(s.acctPayFen).toBe(10_000);
    expect(s.cashPayFen).toBe(280_000 - s.hifpPayFen - 10_000);
    expect(s.lines[1]!.why.map((w) => w.rule)).toEqual(['class-b', 'over-limit']);
    for (const w of [...s.why, ...s.lines.flatMap((l) => l.why)])
      expect(w).toMatchObject({ policy: POLICY.version, basis: POLICY.legalBasis });
  });

  it('adds up exactly and never goes negative, whatever the lines, policy and year', () => {
    fc.assert(
      fc.property(lines, policy, year, balance, (ls, p, y, b) => {
        const s = settle(ls, p, y, b);
        expect(s.fulamtOwnpayFen + s.overlmtSelfpayFen + s.preselfpayFen + s.inscpFen).toBe(s.totalFen);
        expect(s.hifpPayFen + s.acctPayFen + s.cashPayFen).toBe(s.totalFen);
        for (const l of s.lines) expect(l.fulamtOwnpayFen + l.overlmtSelfpayFen + l.preselfpayFen + l.inscpFen).toBe(l.totalFen);
        const amounts = [
          s.deductibleFen,
          s.hifpPayFen,
          s.acctPayFen,
          s.cashPayFen,
          ...s.lines.flatMap((l) => [l.overlmtSelfpayFen, l.preselfpayFen, l.inscpFen]),
        ];
        expect(amounts.every((a) => Number.isSafeInteger(a) && a >= 0)).toBe(true);
        expect(s.acctPayFen).toBeLessThanOrEqual(b);
        expect(s.hifpPayFen).toBeLessThanOrEqual(s.inscpFen);
      }),
      runs,
    );
  });

  it('keeps the fund within the year’s cap across a year of encounters', () => {
    fc.assert(
      fc.property(fc.array(lines, { maxLength: 12 }), policy, (stays, p) => {
        let y = START;
        for (const stay of stays) {
          const s = settle(stay, p, y);
          y = s.yearAfter;
          expect(y.fundPaidFen).toBeLessThanOrEqual(Math.max(p.yearCapFen, 0));
        }
      }),
      runs,
    );
  });

  it('does not depend on the order of the lines', () => {
    fc.assert(
      fc.property(
        lines.chain((ls) => fc.tuple(fc.constant(ls), fc.shuffledSubarray(ls, { minLength: ls.length, maxLength: ls.length }))),
        policy,
        year,
        balance,
        ([ls, shuffled], p, y, b) => {
          const a = settle(ls, p, y, b);
          const c = settle(shuffled, p, y, b);
          const { lines: _la, ...ta } = a;
          const { lines: _lc, ...tc } = c;
          expect(tc).toEqual(ta);
          expect([...c.lines].sort((x, z) => (x.id < z.id ? -1 : 1))).toEqual([...a.lines].sort((x, z) => (x.id < z.id ? -1 : 1)));
        },
      ),
      runs,
    );
  });

  it('settle, reverse, settle again is one settlement', () => {
    fc.assert(
      fc.property(lines, policy, year, balance, (ls, p, y, b) => {
        const first = settle(ls, p, y, b);
        const back = reverse(first, first.yearAfter);
        expect(back).toEqual(y);
        expect(settle(ls, p, back, b)).toEqual(first);
      }),
      runs,
    );
  });

  it('refuses bad input and settles nothing', () => {
    const ok: FeeLine = { id: '1', code: 'X', itemClass: 'A', quantity: 1, unitPriceFen: 100, priceLimitFen: null };
    expect(() => settle([ok, ok], POLICY, START)).toThrow(SettlementInputError);
    expect(() => settle([{ ...ok, quantity: -1 }], POLICY, START)).toThrow(SettlementInputError);
    expect(() => settle([{ ...ok, unitPriceFen: 1.5 }], POLICY, START)).toThrow(SettlementInputError);
    expect(() => settle([ok], { ...POLICY, fundRatioPermille: 1200 }, START)).toThrow(SettlementInputError);
    // A reversal gives back what the settlement took from the year; one the year does not hold is refused.
    const small = settle([ok], POLICY, START);
    expect(reverse(small, small.yearAfter)).toEqual(START);
    expect(() => reverse(small, START)).toThrow(SettlementInputError);
  });
});

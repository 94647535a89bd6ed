import { describe, expect, it } from 'vitest';
import { NoPolicyError, resolvePolicy, type Encounter, type RegionPolicy } from './policies.ts';
import { settle, type FeeLine } from './settlement.ts';

/** 贵港市 before and after July 2026 (published-style, made up for the test): within Guangxi, no filing and the local share. */
const base: Omit<RegionPolicy, 'version' | 'effectiveFrom' | 'effectiveTo' | 'awayReduction' | 'legalBasis'> = {
  region: '450800',
  deductibleFen: { employee: { 1: 20_000, 2: 50_000, 3: 80_000 }, resident: { 1: 20_000, 2: 50_000, 3: 80_000 } },
  laterStayDeductiblePermille: 500,
  ratioPermille: { employee: { 1: 900, 2: 850, 3: 800 }, resident: { 1: 900, 2: 800, 3: 700 } },
  yearCapFen: { employee: 40_000_000, resident: 20_000_000 },
  classBSelfPayPermille: 100,
};
const POLICIES: RegionPolicy[] = [
  {
    ...base,
    version: '2025',
    effectiveFrom: '2025-01-01',
    effectiveTo: '2026-06-30',
    legalBasis: '贵港市基本医疗保险办法（2025）',
    awayReduction: { province: 150, otherProvinceFiled: 100, otherProvinceUnfiled: 200 },
  },
  {
    ...base,
    version: '2026-07',
    effectiveFrom: '2026-07-01',
    effectiveTo: null,
    legalBasis: '广西壮族自治区区内异地就医免备案（2026 年 7 月起）',
    awayReduction: { province: 0, otherProvinceFiled: 100, otherProvinceUnfiled: 200 },
  },
];

/** A 74-year-old from 平南县官成镇 in a Nanning tertiary hospital (the seed's third story). */
const inNanning = (date: string): Encounter => ({
  region: '450800',
  scheme: 'resident',
  level: 3,
  where: 'province',
  filed: false,
  emergency: false,
  stayNumber: 1,
  date,
});

describe('policies of the place of insurance', () => {
  it('applies the version in force on the date: in Guangxi since July, treatment elsewhere in the region pays the local share with no filing', () => {
    expect(resolvePolicy(POLICIES, inNanning('2026-08-10'))).toMatchObject({ fundRatioPermille: 700, version: '450800-2026-07' });
    expect(resolvePolicy(POLICIES, inNanning('2026-05-10'))).toMatchObject({ fundRatioPermille: 550, version: '450800-2025' });
    expect(resolvePolicy(POLICIES, { ...inNanning('2026-08-10'), where: 'local' }).fundRatioPermille).toBe(700);
  });

  it('saves her family more than 4,000 yuan on a 30,000-yuan stay against the filing-era share', () => {
    const stay: FeeLine[] = [
      { id: 'bed', code: '001101000010000', itemClass: 'A', quantity: 20, unitPriceFen: 6_000, priceLimitFen: null },
      { id: 'surgery', code: '331001001000000', itemClass: 'A', quantity: 1, unitPriceFen: 1_800_000, priceLimitFen: null },
      { id: 'drugs', code: 'XB01AB05000000', itemClass: 'B', quantity: 36, unitPriceFen: 30_000, priceLimitFen: null },
    ];
    const now = settle(stay, resolvePolicy(POLICIES, inNanning('2026-08-10')), { deductibleUsedFen: 0, fundPaidFen: 0 });
    const before = settle(stay, resolvePolicy(POLICIES, inNanning('2026-05-10')), { deductibleUsedFen: 0, fundPaidFen: 0 });
    expect(now.totalFen).toBe(3_000_000);
    expect(before.cashPayFen - now.cashPayFen).toBeGreaterThan(400_000);
  });

  it('halves the deductible from the second stay, lowers the share in another province by the filing, and counts an emergency as filed', () => {
    const e = inNanning('2026-08-10');
    expect(resolvePolicy(POLICIES, { ...e, stayNumber: 2 }).deductibleFen).toBe(40_000);
    expect(resolvePolicy(POLICIES, { ...e, where: 'other_province', filed: true }).fundRatioPermille).toBe(600);
    expect(resolvePolicy(POLICIES, { ...e, where: 'other_province' }).fundRatioPermille).toBe(500);
    expect(resolvePolicy(POLICIES, { ...e, where: 'other_province', emergency: true }).fundRatioPermille).toBe(600);
    expect(resolvePolicy(POLICIES, { ...e, scheme: 'employee' }).yearCapFen).toBe(40_000_000);
  });

  it('refuses an encounter no version covers', () => {
    expect(() => resolvePolicy(POLICIES, { ...inNanning('2024-12-31') })).toThrow(NoPolicyError);
    expect(() => resolvePolicy(POLICIES, { ...inNanning('2026-08-10'), region: '450100' })).toThrow(NoPolicyError);
  });
});

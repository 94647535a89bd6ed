import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/database.ts';
import {
  COUNTER_ONLY_BEFORE,
  formatComparison,
  generateInsuranceFiguresDemo,
  SEED_AFTER_DAYS,
  SEED_BEFORE_DAYS,
  type InsuranceFiguresDemoResult,
} from '../src/demo/insurance-figures-demo.ts';
import { testEngines } from './db.ts';
import { createTestDatabase } from './db.ts';
import { drawCases, fitScale, perServiceMean, place, seededRandom } from '../src/demo/insurance-figures-draws.ts';
import { INSURANCE_ITEMS } from '../src/modules/catalog/index.ts';
import { createWorkingClock } from '../src/modules/insurance/index.ts';

describe('the generator’s draws', () => {
  const clock = createWorkingClock('2024-12-01', '2027-01-31');
  const draw = (seed: number) => drawCases(seededRandom(seed), INSURANCE_ITEMS, (i) => i.legalLimitDays ?? i.timeLimitDays, 3, 2025);

  it('are the same for the same seed, and differ for another', () => {
    expect(draw(11)).toEqual(draw(11));
    expect(draw(12)).not.toEqual(draw(11));
  });

  it('fit one scale that puts the per-service mean at 8.22, every case inside its year, weekends and holidays left out', () => {
    const draws = draw(11);
    const c = fitScale(draws, clock, 8.22);
    const placed = draws.map((d) => place(d, c, clock, 2025));
    expect(Math.abs(perServiceMean(draws, placed) - 8.22)).toBeLessThan(0.01); // office hours make the mean step, not glide
    for (const p of placed) {
      expect(p.submitted.getTime()).toBeGreaterThanOrEqual(Date.parse('2025-01-01T00:00:00+08:00'));
      expect(p.decided.getTime()).toBeLessThan(Date.parse('2026-01-01T00:00:00+08:00'));
      expect(p.decided.getTime()).toBeGreaterThan(p.submitted.getTime());
      expect(clock.isWorkingDay(new Date(p.decided.getTime() + 8 * 3_600_000).toISOString().slice(0, 10))).toBe(true);
    }
  });
});

describe.each(testEngines())('the medical insurance before-and-after generator on %s', (engine) => {
  let database: Database;
  let result: InsuranceFiguresDemoResult;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    // A small year (a tenth of the default): about 150 cases each, 10 filings through the rule.
    result = await generateInsuranceFiguresDemo(database, { scale: 1, seed: 7 });
    console.log(`${engine}:\n${formatComparison(result).join('\n')}`);
  }, 300_000);
  afterAll(async () => {
    await database?.close();
  });

  it('reproduces the online rate: six counter-only services before, all 43 after', () => {
    expect(result.before.online).toEqual({ services: 43, fullyOnline: 37, rate: 37 / 43 });
    expect(result.after.online).toEqual({ services: 43, fullyOnline: 43, rate: 1 });
    for (const code of COUNTER_ONLY_BEFORE) expect(result.before.services.find((s) => s.code === code)!.fullyOnline).toBe(false);
  });

  it('fits the year before to the seed’s 8.22 working days per service, and the year after is shorter than the seed’s 6.35', () => {
    expect(result.before.overall.decided).toBe(result.cases.before);
    expect(result.before.overall.servicesWithCases).toBe(43);
    expect(Math.abs(result.before.overall.averageWorkingDays! - SEED_BEFORE_DAYS)).toBeLessThan(0.01);
    expect(result.after.overall.decided).toBe(result.cases.after);
    expect(result.after.overall.averageWorkingDays!).toBeLessThan(result.before.overall.averageWorkingDays!);
    expect(result.after.overall.averageWorkingDays!).toBeLessThanOrEqual(SEED_AFTER_DAYS);
    expect(result.after.overall.averageWorkingDaysPerCase!).toBeLessThan(result.before.overall.averageWorkingDaysPerCase!);
    // Returned cases are in both years, their waiting time left out.
    expect(result.before.overall.returned + result.after.overall.returned).toBeGreaterThan(0);
  });

  it('decides the insured residents’ filings by the rule through the real flow, within seconds, and no case before', () => {
    expect(result.before.overall.instant).toBe(0);
    const filing = result.after.services.find((s) => s.code === 'medsec.offsite_filing')!;
    expect(result.cases.filingsThroughTheRule).toBeGreaterThan(0);
    expect(filing.instant).toBe(result.cases.filingsThroughTheRule);
    expect(filing.decided).toBeGreaterThanOrEqual(filing.instant);
    expect(result.after.overall.instant).toBe(filing.instant);
    expect(result.after.overall.instantShare).toBeCloseTo(filing.instant / result.after.overall.decided, 4);
    // A filing the rule decided took seconds; one an officer refused is what raises the average above 0.
    if (filing.decided === filing.instant) expect(filing.averageWorkingDays!).toBeLessThan(0.001);
    expect(filing.averageWorkingDays!).toBeLessThan(
      result.before.services.find((s) => s.code === 'medsec.offsite_filing')!.averageWorkingDays!,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { runDemoRatings } from '../src/demo/demo-ratings.ts';

describe('yiban demo ratings', () => {
  it('rates a month of cases over a county, calls back every real-name bad rating, escalates, overturns an appeal, and publishes figures the ledger proves', async () => {
    const report = await runDemoRatings();
    expect(report.figuresVerified).toBe(true);
    expect(report.verification.status).toBe('VALID');
    // 20 working days × 3 villages, and the two boundary cases.
    expect(report.cases).toBe(62);
    expect(report.callbackRate).toBe(1);
    expect(report.escalations).toBe(1);
    expect(report.appeals).toEqual({ filed: 1, overturned: 1 });
    expect(report.badRatings).toBeGreaterThan(0);
    // The county's published figures, recomputed from the ledger leaves, equal the count from the module's own tables.
    const county = report.publicFigures['130123']!.total;
    expect(county).toMatchObject({
      ratings: report.ratings,
      bad: report.badRatings,
      rectifications: report.rectifications,
      rectifiedOnTime: report.rectifiedOnTime,
      callbackRate: 1,
    });
    expect(report.publicFigures['130123']!.name).toBe('正定县');
    // The set-aside rating and the one escalation are fewer than k = 5: never shown as numbers.
    expect(county.overturned).toBe('suppressed');
    expect(county.escalated).toBe('suppressed');
    // Every published number is 0 or at least k.
    for (const org of Object.values(report.publicFigures))
      for (const [name, v] of Object.entries(org.total))
        if (!name.endsWith('Rate') && typeof v === 'number') expect(v === 0 || v >= 5, `${name} ${v}`).toBe(true);
  }, 300_000);
});

import { describe, expect, it } from 'vitest';
import { runDemoProactive } from '../src/demo/demo-proactive.ts';
import { CHILDCARE_SUBSIDY, MATERNITY_ALLOWANCE, MATERNITY_MEDICAL, OLD_AGE_ALLOWANCE } from '../src/modules/benefits/index.ts';

describe('yiban demo proactive', () => {
  it('grants the maternity benefits after a birth with no application, finds an 80th birthday, decides a residence proof at once, stops at a death, pays nothing twice', async () => {
    const report = await runDemoProactive();
    expect(report.applicationsFiled).toBe(0);
    expect(report.duplicatePayments).toBe(0);
    const of = (code: string) => report.grants.filter((g) => g.benefitCode === code);
    expect(of(MATERNITY_MEDICAL)).toEqual([
      expect.objectContaining({ mode: 'grant', status: 'granted', amountFen: 200000, ruleVersion: 1 }),
    ]);
    const [allowance] = of(MATERNITY_ALLOWANCE);
    expect(allowance).toMatchObject({ mode: 'process', status: 'granted', amountFen: Math.floor((560000 * (98 + 60)) / 30) });
    expect(allowance!.caseId).not.toBeNull();
    expect(allowance!.trace.inputs.every((i) => i.digest === null || /^[0-9a-f]{64}$/.test(i.digest))).toBe(true);
    expect(of(CHILDCARE_SUBSIDY)).toEqual([expect.objectContaining({ mode: 'confirm', status: 'granted', amountFen: 360000 })]);
    // The 80-year-old with an account (stopped at his death) and the 85-year-old with none (held until she registers).
    const oldAge = of(OLD_AGE_ALLOWANCE);
    expect(oldAge.map((g) => g.status).sort()).toEqual(['granted', 'stopped']);
    expect(report.stoppedAtDeath).toEqual([{ benefitCode: OLD_AGE_ALLOWANCE, status: 'stopped', paymentsAfterDeath: 0 }]);
    expect(oldAge.find((g) => g.status === 'granted')!.payments.every((p) => p.status === 'held')).toBe(true);
    // Each trigger was delivered again: still one grant per benefit and person, one payment per period.
    expect(report.retriedTriggers).toBeGreaterThanOrEqual(5);
    expect(report.grants).toHaveLength(5);
    expect(report.paymentsSent).toBe(report.grants.flatMap((g) => g.payments).filter((p) => p.status === 'sent').length);
    expect(report.instantApprovals).toEqual([expect.objectContaining({ serviceCode: 'cert.residence', state: 'completed' })]);
    expect(report.instantApprovals[0]!.seconds).toBeLessThan(60);
    for (const code of [MATERNITY_MEDICAL, MATERNITY_ALLOWANCE, CHILDCARE_SUBSIDY, OLD_AGE_ALLOWANCE]) expect(report.takeUp[code]).toBe(1);
  }, 180_000);
});

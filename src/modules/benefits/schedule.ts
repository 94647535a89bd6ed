import { recordsOf, ruleDataProblems } from '../sharing/index.ts';
import type { BenefitsContext } from './benefits-context.ts';
import * as repo from './benefits.repository.ts';
import { periodOf, type Engine } from './engine.ts';

const REGISTER = 'ps.household_register';

export interface DueRun {
  /** Per date-triggered benefit: the subjects the sweep found eligible and how many were newly decided. */
  swept: { benefitCode: string; eligible: number; decided: number }[];
  /** Payments scheduled for the period of each recurring benefit. */
  paymentsScheduled: number;
}

/**
 * What falls due by date (the daily run; `yiban serve` runs it hourly and at start): each
 * date-triggered benefit's rule swept over the population (everyone turning 80 today, and anyone
 * eligible not yet decided), and each recurring grant's payment of the current period. Safe to
 * run in several processes at once: decisions and payments are unique, so a second run adds nothing.
 */
export function createSchedule(ctx: BenefitsContext, engine: Engine) {
  const { db, deps, clock } = ctx;

  /** The account of a swept subject, when they have one (their inbox): by the register's ID number, read under the payment grant. */
  async function accountsOf(
    payerOrgCode: string,
    keys: string[],
  ): Promise<Map<string, { accountId: string | null; residentId: string | null }>> {
    const needs = new Map([[REGISTER, ['name', 'idNumber']]]);
    const problems = await ruleDataProblems(db, { consumerOrgCode: payerOrgCode, purpose: 'benefit.payment', needs, at: clock() });
    const records = problems.length === 0 ? await recordsOf(db, REGISTER, keys) : new Map<string, Record<string, string>>();
    const out = new Map<string, { accountId: string | null; residentId: string | null }>();
    for (const key of keys) {
      const id = records.get(key)?.idNumber ?? null;
      const account = id ? await deps.residents.findResidentByResidentId(id) : null;
      out.set(key, { accountId: account?.accountId ?? null, residentId: id });
    }
    return out;
  }

  async function runDue(at = clock()): Promise<DueRun> {
    const swept: DueRun['swept'] = [];
    let paymentsScheduled = 0;
    const benefits = (await repo.allBenefits(db)).filter((b) => b.active);
    for (const benefit of benefits.filter((b) => b.trigger.kind === 'date')) {
      let eligible = 0;
      let decided = 0;
      for await (const keys of deps.rules.sweep.eligible(benefit.ruleCode, at)) {
        eligible += keys.length;
        const done = await repo.decidedSubjects(db, benefit.code, keys);
        const fresh = keys.filter((k) => !done.has(k));
        if (fresh.length === 0) continue;
        const people = await accountsOf(benefit.payerOrgCode, fresh);
        for (const subjectKey of fresh) {
          const who = people.get(subjectKey)!;
          const grant = await engine.assess(benefit, { subjectKey, ...who }, { eventId: null, at });
          if (grant) decided += 1;
        }
      }
      swept.push({ benefitCode: benefit.code, eligible, decided });
    }
    for (const benefit of benefits.filter((b) => b.schedule !== 'once')) {
      await db.transaction(async (tx) => {
        const ids = await repo.insertPeriodPayments(tx, benefit.code, periodOf(benefit.schedule, at), at);
        for (const paymentId of ids) await deps.events.enqueue(tx, { topic: 'benefit.payment_due', payload: { paymentId } });
        paymentsScheduled += ids.length;
      });
    }
    return { swept, paymentsScheduled };
  }

  return { runDue };
}

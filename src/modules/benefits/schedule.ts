import type { BenefitsContext } from './benefits-context.ts';
import * as repo from './benefits.repository.ts';
import { periodOf, type Engine } from './engine.ts';

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

  /** The accounts of swept subjects, where the benefits know one (no ID number is read: the datasets hold none). */
  async function accountsOf(keys: string[]): Promise<Map<string, { accountId: string | null; residentId: string | null }>> {
    const accounts = await repo.accountsOfSubjects(db, keys);
    const out = new Map<string, { accountId: string | null; residentId: string | null }>();
    for (const key of keys) {
      const accountId = accounts.get(key) ?? null;
      out.set(key, { accountId, residentId: accountId ? await deps.residents.revealResidentId(accountId) : null });
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
        const people = await accountsOf(fresh);
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

  function start(opts: { intervalMs: number; firstAfterMs?: number; onError?: (error: unknown) => void }): () => Promise<void> {
    let stopped = false;
    let running: Promise<unknown> = Promise.resolve();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = () => {
      running = runDue()
        .catch((error: unknown) => opts.onError?.(error))
        .finally(() => {
          if (!stopped) timer = setTimeout(tick, opts.intervalMs);
        });
    };
    timer = setTimeout(tick, opts.firstAfterMs ?? 5_000);
    return async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    };
  }

  return { runDue, start };
}

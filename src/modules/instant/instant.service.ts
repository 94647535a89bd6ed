import type { CaseRuleDecision } from '../applications/index.ts';
import * as repo from './instant.repository.ts';
import { createInstantContext, type InstantDeps } from './instant-context.ts';
import { createCaseSubmittedHandler } from './on-case-submitted.ts';

/**
 * 秒批 for single services: catalogue items that name an instant-approval rule are decided from
 * shared data as soon as they are submitted (on-case-submitted.ts); the decisions and their traces
 * are kept with the case, for the officer who decides what the rule could not.
 */
export function createInstantService(deps: InstantDeps) {
  const ctx = createInstantContext(deps);

  return {
    /** The outbox handler of `case.submitted` (subscribed by the composition root). */
    caseSubmittedHandler: createCaseSubmittedHandler(ctx),

    /** The rule decisions on a case, oldest first (the case detail shows them to staff). */
    async forCase(caseId: string): Promise<CaseRuleDecision[]> {
      return (await repo.decisionsOfCase(ctx.db, caseId)).map((r) => ({
        ...r.trace,
        rule: r.ruleCode,
        version: r.version,
        hash: r.hash,
        outcome: r.outcome,
        decidedAt: r.createdAt.toISOString(),
      }));
    },
  };
}

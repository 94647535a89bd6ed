import type { EventHandler } from '../events/index.ts';
import * as repo from './bundles.repository.ts';
import type { BundleCase, Loaded } from './bundles-types.ts';
import type { BundlesContext } from './bundles-context.ts';

/**
 * Bundles move on by consuming `case.decided` (the outbox worker runs this at least once per
 * event): the bundles the case belongs to submit their next tasks and let their rules decide
 * (advance.ts; every step is guarded by the case's state, so a repeat does nothing twice). A
 * bundle whose every task is completed is marked completed, with its `bundle.completed` event, in
 * one transaction that only the first run gets to write.
 */
export function createCaseDecidedHandler(
  ctx: BundlesContext,
  advanceTracked: (row: repo.BundleRow, def: Loaded) => Promise<Map<string, BundleCase>>,
): EventHandler {
  const { db, clock, requireDefinition, active, loadCases } = ctx;
  const events = ctx.deps.events;

  async function markCompleted(row: repo.BundleRow): Promise<void> {
    await db.transaction(async (tx) => {
      if (!(await repo.markBundleCompleted(tx, row.id, clock()))) return;
      await events.enqueue(tx, { topic: 'bundle.completed', payload: { bundleId: row.id, code: row.code } });
    });
  }

  return {
    name: 'bundles.advance',
    topics: ['case.decided'],
    async handle(event) {
      const caseId = event.payload.caseId;
      if (typeof caseId !== 'string') return;
      for (const row of await repo.findBundlesByCase(db, caseId)) {
        if (row.stage !== 'prefilled') continue;
        const def = await requireDefinition(row.code);
        // A bundle this process is moving on now sees the decision in its own loop.
        const cases = active.has(row.id) ? await loadCases(row) : await advanceTracked(row, def);
        const done = def.definition.tasks.every((t) => cases.get(t.key)?.state === 'completed');
        if (done && row.completedAt === null) await markCompleted(row);
      }
    },
  };
}

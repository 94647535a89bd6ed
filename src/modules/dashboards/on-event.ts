import type { Db } from '../../db/database.ts';
import { readCaseFacts } from '../applications/index.ts';
import type { EventHandler, StoredEvent } from '../events/index.ts';
import { addToDeltas, caseIdOf, COUNTED_TOPICS, countEvent, type CountedEvent, type Deltas, HANDLER_NAME, providerOf } from './counting.ts';
import * as repo from './dashboards.repository.ts';

/** The orgs module's cached read: an exchange's provider's path. */
export interface CountingOrgs {
  byCode(code: string): Promise<{ path: string } | null>;
}

/**
 * Counts a batch of events into the aggregate in one transaction: the event ids not counted
 * before are marked (a second delivery finds its mark and adds nothing), the cases they name are
 * read in one statement, and the deltas of every ancestor level are added in one statement.
 */
export async function countEvents(db: Db, orgs: CountingOrgs, events: readonly CountedEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  // The providers' paths before the transaction (through the org cache: a handful of departments).
  const providers = new Map<string, string | null>();
  for (const event of events) {
    const p = providerOf(event);
    if (p && !providers.has(p.orgCode)) providers.set(p.orgCode, (await orgs.byCode(p.orgCode))?.path ?? null);
  }
  return db.transaction(async (tx) => {
    const fresh = await repo.markApplied(
      tx,
      events.map((e) => e.id),
    );
    const todo = events.filter((e) => fresh.has(e.id));
    const caseIds = [...new Set(todo.flatMap((e) => caseIdOf(e) ?? []))];
    const facts = await readCaseFacts(tx, caseIds);
    const deltas: Deltas = new Map();
    for (const event of todo) {
      const provider = providerOf(event);
      const providerPath = provider ? providers.get(provider.orgCode) : null;
      if (provider && providerPath) addToDeltas(deltas, { orgPath: providerPath, serviceCode: null }, provider.counted);
      const id = caseIdOf(event);
      const f = id ? facts.get(id) : undefined;
      if (!f) continue;
      const counted = countEvent(event, f);
      if (counted) addToDeltas(deltas, f, counted);
    }
    await repo.applyDeltas(tx, deltas);
    return todo.length;
  });
}

/** The outbox handler: cases submitted and decided, certificates issued, exchanges completed (batches amortise the reads and writes; rating steps: rating-rollup.ts). */
export function dashboardsHandler(deps: { db: Db; orgs: CountingOrgs }): EventHandler {
  const { db, orgs } = deps;
  return {
    name: HANDLER_NAME,
    topics: COUNTED_TOPICS,
    async handle(event: StoredEvent) {
      await countEvents(db, orgs, [event]);
    },
    async handleMany(events: readonly StoredEvent[]) {
      await countEvents(db, orgs, events);
    },
  };
}

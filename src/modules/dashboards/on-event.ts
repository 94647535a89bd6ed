import type { Db } from '../../db/database.ts';
import { readCaseFacts } from '../applications/index.ts';
import type { EventHandler, StoredEvent } from '../events/index.ts';
import { addToDeltas, caseIdOf, COUNTED_TOPICS, countEvent, type CountedEvent, type Deltas } from './counting.ts';
import * as repo from './dashboards.repository.ts';

/**
 * Counts a batch of events into the aggregate in one transaction: the event ids not counted
 * before are marked (a second delivery finds its mark and adds nothing), the cases they name are
 * read in one statement, and the deltas of every ancestor level are added in one statement.
 */
export async function countEvents(db: Db, events: readonly CountedEvent[]): Promise<number> {
  if (events.length === 0) return 0;
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

/** The outbox handler: cases submitted and decided, certificates issued (batches amortise the reads and writes). */
export function dashboardsHandler(db: Db): EventHandler {
  return {
    name: 'dashboards.count',
    topics: COUNTED_TOPICS,
    async handle(event: StoredEvent) {
      await countEvents(db, [event]);
    },
    async handleMany(events: readonly StoredEvent[]) {
      await countEvents(db, events);
    },
  };
}

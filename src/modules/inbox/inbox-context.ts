import type { Db } from '../../db/database.ts';
import type { EventsService } from '../events/index.ts';
import type { NoticeSender } from './notice-senders.ts';

export interface InboxDeps {
  db: Db;
  /** Writes the `inbox.sms` event with a notice that asks for a text message. */
  events: Pick<EventsService, 'enqueue'>;
  /** The resident's mobile number, for the text message only (identity's narrow port). */
  residents: { residentPhone(accountId: string): Promise<string | null> };
  /** Null: no sender configured; notices stay in the inbox and their SMS is `skipped`. */
  sender: NoticeSender | null;
  clock?: () => Date;
}

export type InboxContext = ReturnType<typeof createInboxContext>;

export function createInboxContext(deps: InboxDeps) {
  return { db: deps.db, deps, clock: deps.clock ?? (() => new Date()) };
}

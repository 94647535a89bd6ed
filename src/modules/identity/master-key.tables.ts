import { sql } from 'drizzle-orm';
import { boolean, check, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The fingerprint of the master key the data is encrypted and hashed under (one row at most).
 * A process with another key refuses to start; residents reference the fingerprint, so that
 * every lookup hash in `residents` is under this one key and its unique index really means
 * "one account per ID number" (see master-key.ts).
 */
export const masterKey = pgTable(
  'master_key',
  {
    singleton: boolean('singleton').primaryKey().default(true),
    fingerprint: text('fingerprint').notNull().unique(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    rotatedAt: timestamp('rotated_at', { withTimezone: true }),
  },
  (t) => [check('master_key_singleton_check', sql`${t.singleton}`)],
);

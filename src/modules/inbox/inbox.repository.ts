import { and, count, desc, eq, isNull, lt, sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { inboxMessages, type SmsStatus } from './inbox.tables.ts';

/** Inbox messages. Every function takes the executor, so that callers choose the transaction. */

export type InboxRow = typeof inboxMessages.$inferSelect;

/** Inserts the message unless the account has one with its key; the id either way, and whether it is new. */
export async function insertOnce(ex: Executor, values: typeof inboxMessages.$inferInsert): Promise<{ id: string; created: boolean }> {
  const [inserted] = await ex
    .insert(inboxMessages)
    .values(values)
    .onConflictDoNothing({ target: [inboxMessages.accountId, inboxMessages.dedupeKey] })
    .returning({ id: inboxMessages.id });
  if (inserted) return { id: inserted.id, created: true };
  const [existing] = await ex
    .select({ id: inboxMessages.id })
    .from(inboxMessages)
    .where(and(eq(inboxMessages.accountId, values.accountId), eq(inboxMessages.dedupeKey, values.dedupeKey)));
  if (!existing) throw new Error('inbox message neither inserted nor found');
  return { id: existing.id, created: false };
}

/** The account's messages, newest first (in the order they were written), after a keyset position. */
export function listForAccount(ex: Executor, accountId: string, afterSeq: number | undefined, limit: number) {
  return ex
    .select()
    .from(inboxMessages)
    .where(and(eq(inboxMessages.accountId, accountId), afterSeq !== undefined ? lt(inboxMessages.seq, afterSeq) : undefined))
    .orderBy(desc(inboxMessages.seq))
    .limit(limit);
}

export async function unreadCount(ex: Executor, accountId: string): Promise<number> {
  const [row] = await ex
    .select({ n: count() })
    .from(inboxMessages)
    .where(and(eq(inboxMessages.accountId, accountId), isNull(inboxMessages.readAt)));
  return row?.n ?? 0;
}

/** Marks the account's message read (the first reading time stays); null when the account has no such message. */
export async function markRead(ex: Executor, accountId: string, id: string, at: Date): Promise<{ readAt: Date } | null> {
  const [row] = await ex
    .update(inboxMessages)
    .set({ readAt: sql`coalesce(${inboxMessages.readAt}, ${at.toISOString()}::timestamptz)` })
    .where(and(eq(inboxMessages.id, id), eq(inboxMessages.accountId, accountId)))
    .returning({ readAt: inboxMessages.readAt });
  return row?.readAt ? { readAt: row.readAt } : null;
}

export async function findById(ex: Executor, id: string): Promise<InboxRow | undefined> {
  const [row] = await ex.select().from(inboxMessages).where(eq(inboxMessages.id, id));
  return row;
}

export async function setSmsStatus(ex: Executor, id: string, status: SmsStatus, sentAt?: Date): Promise<void> {
  await ex
    .update(inboxMessages)
    .set({ smsStatus: status, ...(sentAt ? { smsSentAt: sentAt } : {}) })
    .where(eq(inboxMessages.id, id));
}

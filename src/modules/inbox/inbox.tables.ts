import { sql } from 'drizzle-orm';
import { bigserial, boolean, check, index, jsonb, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';

/** Where a notice's text message stands: not asked for, waiting for the worker, delivered, failed (retried), or no sender configured. */
export type SmsStatus = 'none' | 'pending' | 'sent' | 'failed' | 'skipped';

/**
 * A resident's inbox (消息): notices other modules write in the transaction of the change they
 * announce (a benefit granted, a case decided). `dedupe_key` is the caller's: the same notice
 * again (a retried transaction, a re-run sweep) finds the message already there.
 */
export const inboxMessages = pgTable(
  'inbox_messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The order messages were written in (newest first in the list, and its cursor): two in one millisecond keep theirs. */
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    /** The resident account the notice is for. */
    accountId: uuid('account_id').notNull(),
    dedupeKey: text('dedupe_key').notNull(),
    /** What it is about, dotted: `benefit.granted`, `case.update`. */
    kind: text('kind').notNull(),
    titleZh: text('title_zh').notNull(),
    titleEn: text('title_en').notNull(),
    bodyZh: text('body_zh').notNull(),
    bodyEn: text('body_en').notNull(),
    /** A path in the resident app, e.g. `/benefits/<id>`. */
    link: text('link'),
    /** Small structured facts the page may show (an amount in fen); never an ID number. */
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    sms: boolean('sms').notNull().default(false),
    smsStatus: text('sms_status').$type<SmsStatus>().notNull().default('none'),
    smsSentAt: timestamp('sms_sent_at', { withTimezone: true }),
    readAt: timestamp('read_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('inbox_messages_account_key').on(t.accountId, t.dedupeKey),
    // The account's list, newest first, and its unread count.
    index('inbox_messages_account_idx').on(t.accountId, t.seq.desc()),
    index('inbox_messages_unread_idx')
      .on(t.accountId)
      .where(sql`${t.readAt} is null`),
    check('inbox_messages_kind_check', sql`${t.kind} ~ '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$'`),
    check('inbox_messages_sms_status_check', sql`${t.smsStatus} in ('none','pending','sent','failed','skipped')`),
  ],
);

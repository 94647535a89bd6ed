import { decodeCursor, encodeCursor } from '../../core/cursor.ts';
import { AppError, notFound } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import { isUuid } from '../../core/values.ts';
import { requireResidentScope, type Principal } from '../identity/index.ts';
import * as repo from './inbox.repository.ts';
import type { InboxContext } from './inbox-context.ts';

export interface InboxMessageView {
  id: string;
  kind: string;
  title: { zh: string; en: string };
  body: { zh: string; en: string };
  link: string | null;
  data: Record<string, unknown>;
  createdAt: string;
  readAt: string | null;
}

export interface InboxPage {
  items: InboxMessageView[];
  unreadCount: number;
  next: string | null;
}

/**
 * The resident's inbox, and a helper's for the resident they act for: notices announce decisions
 * on the resident's cases and benefits, which a helper with `applications.view` sees anyway.
 * Staff in their own name have no inbox (FORBIDDEN).
 */
const inboxOwner = (principal: Principal) => requireResidentScope(principal, 'applications.view');

function toView(row: repo.InboxRow): InboxMessageView {
  return {
    id: row.id,
    kind: row.kind,
    title: { zh: row.titleZh, en: row.titleEn },
    body: { zh: row.bodyZh, en: row.bodyEn },
    link: row.link,
    data: row.data,
    createdAt: row.createdAt.toISOString(),
    readAt: row.readAt?.toISOString() ?? null,
  };
}

export function createMessageFunctions(ctx: InboxContext) {
  const { db, clock } = ctx;
  return {
    /** The caller's messages, newest first, with how many are unread; `cursor` (a page's `next`) pages on. */
    async list(principal: Principal, page: { cursor?: string; limit?: number } = {}): Promise<InboxPage> {
      const accountId = inboxOwner(principal);
      const limit = Math.min(Math.max(page.limit ?? 20, 1), 100);
      let after: number | undefined;
      if (page.cursor) {
        const [seq] = decodeCursor(page.cursor, 1);
        if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1)
          throw new AppError('VALIDATION_FAILED', { detail: message('cursor.invalid') });
        after = seq;
      }
      const [rows, unreadCount] = await Promise.all([repo.listForAccount(db, accountId, after, limit), repo.unreadCount(db, accountId)]);
      const last = rows.at(-1);
      return {
        items: rows.map(toView),
        unreadCount,
        next: rows.length === limit && last ? encodeCursor([last.seq]) : null,
      };
    },

    /** Marks one of the caller's messages read; another's, or none, is NOT_FOUND (the same answer). */
    async markRead(principal: Principal, id: string): Promise<{ id: string; readAt: string; unreadCount: number }> {
      const accountId = inboxOwner(principal);
      if (!isUuid(id)) throw notFound('message');
      const read = await repo.markRead(db, accountId, id, clock());
      if (!read) throw notFound('message');
      return { id, readAt: read.readAt.toISOString(), unreadCount: await repo.unreadCount(db, accountId) };
    },
  };
}

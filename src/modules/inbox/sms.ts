import type { EventHandler } from '../events/index.ts';
import * as repo from './inbox.repository.ts';
import type { InboxContext } from './inbox-context.ts';
import { SMS_TOPIC } from './notify.ts';

const GENERIC_TITLE = '您有一条新消息';
const TITLE_MAX = 20;

/**
 * The title a text message carries: the notice's Chinese title when it is short and has no digits
 * (an amount, a date, an ID number travel only inside the app, after login), else a generic one.
 */
export function smsTitle(titleZh: string): string {
  const title = titleZh.trim();
  return title.length === 0 || title.length > TITLE_MAX || /[0-9０-９*¥￥]/.test(title) ? GENERIC_TITLE : title;
}

/**
 * `inbox.sms`: the text message of a notice that asked for one. Idempotent by message: a message
 * whose SMS is `sent` is left alone; the gateway gets the message id as its Idempotency-Key, so a
 * worker killed between sending and recording does not text twice either. A failure is recorded
 * (`failed`) and thrown, so the event worker tries again with backoff and, at the end, makes it a
 * dead letter the console can retry.
 */
export function createSmsHandler(ctx: InboxContext): EventHandler {
  const { db, deps, clock } = ctx;
  return {
    name: 'inbox.sms',
    topics: [SMS_TOPIC],
    async handle(event, handlerCtx) {
      const { messageId } = event.payload;
      if (typeof messageId !== 'string') return;
      const row = await repo.findById(db, messageId);
      if (!row || !row.sms || row.smsStatus === 'sent' || row.smsStatus === 'skipped') return;
      const phone = deps.sender ? await deps.residents.residentPhone(row.accountId) : null;
      if (!deps.sender || !phone) {
        // No sender any more (configuration changed) or no phone: the notice stays in the inbox.
        await repo.setSmsStatus(db, row.id, 'skipped');
        return;
      }
      try {
        await deps.sender.send({ messageId: row.id, phone, title: smsTitle(row.titleZh) });
      } catch (error) {
        await repo.setSmsStatus(db, row.id, 'failed');
        throw error;
      }
      await db.transaction(async (tx) => {
        await repo.setSmsStatus(tx, row.id, 'sent', clock());
        await handlerCtx.markHandled(tx);
      });
    },
  };
}

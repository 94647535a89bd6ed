import { AppError } from '../../core/errors.ts';
import { hasUnsafeText } from '../../core/values.ts';
import type { Executor } from '../../db/database.ts';
import * as repo from './inbox.repository.ts';
import type { InboxContext } from './inbox-context.ts';

/** A notice for one resident, as another module writes it with the change it announces. */
export interface Notice {
  /** The resident account. */
  accountId: string;
  /** The caller's key for this notice (e.g. `benefit.granted:<grant id>`): the same key again is the same message. */
  key: string;
  /** Dotted lower-case words: `benefit.granted`, `case.update`. */
  kind: string;
  titleZh: string;
  titleEn: string;
  bodyZh: string;
  bodyEn: string;
  /** A path in the resident app, e.g. `/benefits/<id>`. */
  link?: string;
  /** Small facts for the page (an amount in fen); never an ID number. */
  data?: Record<string, unknown>;
  /** Also a short text message to the resident's phone (title only; see sms.ts). */
  sms?: boolean;
}

/** The topic of a notice's text message, handled by `inbox.sms` (sms.ts). */
export const SMS_TOPIC = 'inbox.sms';

const KIND = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
const LINK = /^\/[A-Za-z0-9/_.~%?=&-]{0,299}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATA_MAX = 2048;

/** A programming error of the calling module, not the resident's: said plainly, in both languages. */
function invalid(en: string): AppError {
  return new AppError('VALIDATION_FAILED', { detail: { zh: `通知内容有误：${en}`, en: `invalid notice: ${en}` } });
}

function check(notice: Notice): void {
  if (!UUID.test(notice.accountId)) throw invalid('accountId is not a uuid');
  if (!KIND.test(notice.kind) || notice.kind.length > 64) throw invalid('kind must be dotted lower-case words');
  const texts: [string, string, number][] = [
    ['titleZh', notice.titleZh, 100],
    ['titleEn', notice.titleEn, 200],
    ['bodyZh', notice.bodyZh, 2000],
    ['bodyEn', notice.bodyEn, 4000],
    ['key', notice.key, 200],
  ];
  for (const [name, text, max] of texts) {
    if (text.trim().length === 0 || text.length > max) throw invalid(`${name} must be 1 to ${max} characters`);
    if (hasUnsafeText(text, { freeText: name.startsWith('body') })) throw invalid(`${name} contains a control character`);
  }
  if (notice.link !== undefined && !LINK.test(notice.link)) throw invalid('link must be a path of the resident app');
  if (notice.data !== undefined && JSON.stringify(notice.data).length > DATA_MAX)
    throw invalid(`data must be at most ${DATA_MAX} bytes of JSON`);
}

export function createNotify(ctx: InboxContext) {
  const { deps, clock } = ctx;
  return {
    /**
     * Writes the notice in the caller's transaction, so that it commits with the change it
     * announces or not at all. The same key for the same account (a retried transaction, a sweep
     * run again) returns the message already written, and writes no second text message.
     */
    async notifyInTx(tx: Executor, notice: Notice): Promise<{ id: string; created: boolean }> {
      check(notice);
      const smsStatus = !notice.sms ? 'none' : deps.sender ? 'pending' : 'skipped';
      const result = await repo.insertOnce(tx, {
        accountId: notice.accountId,
        dedupeKey: notice.key,
        kind: notice.kind,
        titleZh: notice.titleZh,
        titleEn: notice.titleEn,
        bodyZh: notice.bodyZh,
        bodyEn: notice.bodyEn,
        link: notice.link ?? null,
        data: notice.data ?? {},
        sms: notice.sms ?? false,
        smsStatus,
        createdAt: clock(),
      });
      if (result.created && smsStatus === 'pending') await deps.events.enqueue(tx, { topic: SMS_TOPIC, payload: { messageId: result.id } });
      return result;
    },
  };
}

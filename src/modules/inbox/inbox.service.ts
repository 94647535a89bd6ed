import { createInboxContext, type InboxDeps } from './inbox-context.ts';
import { createMessageFunctions } from './messages.ts';
import { createNotify } from './notify.ts';
import { createSmsHandler } from './sms.ts';

export type { InboxDeps } from './inbox-context.ts';
export type { InboxMessageView, InboxPage } from './messages.ts';
export type { Notice } from './notify.ts';

export type InboxService = ReturnType<typeof createInboxService>;

/**
 * The resident inbox (消息): other modules write notices in their own transactions (`notifyInTx`);
 * residents, and helpers acting for them, list and read their own; `smsHandler` (subscribed by the
 * composition root) texts the notices that ask for it.
 */
export function createInboxService(deps: InboxDeps) {
  const ctx = createInboxContext(deps);
  return {
    ...createNotify(ctx),
    ...createMessageFunctions(ctx),
    smsHandler: createSmsHandler(ctx),
  };
}

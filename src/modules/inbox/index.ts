/** The inbox module's public surface: other modules import from here only (npm run boundaries). */
export { type InboxMessageView, type InboxPage, type InboxService, type Notice, createInboxService } from './inbox.service.ts';
export { type NoticeSender, type NoticeSms, createNoticeSender } from './notice-senders.ts';
export { inboxRoutes } from './inbox.routes.ts';

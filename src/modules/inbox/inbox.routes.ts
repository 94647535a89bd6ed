import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { UuidParams, withErrors } from '../../http/schemas.ts';
import type { InboxService } from './inbox.service.ts';
import { InboxPageSchema, InboxQuery, InboxReadSchema } from './inbox.schemas.ts';

const tags = ['inbox'];

/** The resident's inbox: their own notices (a helper: the resident's they act for). */
export function inboxRoutes(deps: { inbox: InboxService }): FastifyPluginAsyncTypebox {
  const { inbox } = deps;
  return async (app) => {
    app.get(
      '/inbox',
      {
        schema: {
          tags,
          summary: '我的消息 · my messages',
          description: '最新的在前，附未读数。Newest first, with the unread count; residents (and helpers acting for one) only.',
          querystring: InboxQuery,
          response: withErrors({ 200: InboxPageSchema }, [400, 401, 403]),
        },
      },
      async (request) => inbox.list(requirePrincipal(request), request.query),
    );

    app.post(
      '/inbox/:id/read',
      {
        schema: {
          tags,
          summary: '标为已读 · mark a message read',
          description: '只能标记自己的消息；他人的消息与不存在的一样答 404。Own messages only; another’s is a 404 like a missing one.',
          params: UuidParams,
          response: withErrors({ 200: InboxReadSchema }, [401, 403, 404]),
        },
      },
      async (request) => inbox.markRead(requirePrincipal(request), request.params.id),
    );
  };
}

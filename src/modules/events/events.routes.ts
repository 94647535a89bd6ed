import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { withErrors } from '../../http/schemas.ts';
import type { EventsService } from './events.service.ts';
import { DeadLetterList, DeadLetterQuery, EventIdParams } from './events.schemas.ts';

const tags = ['events'];

/** Dead letters: events whose handlers failed every attempt, for the platform administrator. */
export function eventsRoutes(deps: { events: EventsService }): FastifyPluginAsyncTypebox {
  const { events } = deps;
  return async (app) => {
    app.get(
      '/events/dead',
      {
        schema: {
          tags,
          summary: '失败事件 · dead letters: events that failed every attempt',
          description: '最新的在前，仅平台管理员可见。Newest first; platform administrators only.',
          querystring: DeadLetterQuery,
          response: withErrors({ 200: DeadLetterList }, [401, 403]),
        },
      },
      async (request) => ({ items: await events.listDead(requirePrincipal(request), request.query) }),
    );

    app.post(
      '/events/dead/:eventId/retry',
      {
        schema: {
          tags,
          summary: '重试失败事件 · retry a dead letter',
          description:
            '事件重新排队，已完成的处理程序不再重复；记录重试人。The event is due again; handlers already done for it are skipped; who retried it is recorded.',
          params: EventIdParams,
          response: withErrors({ 204: Type.Null() }, [401, 403, 404, 409]),
        },
      },
      async (request, reply) => {
        await events.retryDead(requirePrincipal(request), request.params.eventId);
        return reply.status(204).send(null);
      },
    );
  };
}

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { withErrors } from '../../http/schemas.ts';
import type { ApplicationsService } from './applications.service.ts';
import {
  ActionBody,
  CaseDetailSchema,
  CaseIdParams,
  CasePage,
  CaseViewSchema,
  MineQuery,
  QueueQuerySchema,
  ResubmitBody,
  SubmitBody,
} from './applications.schemas.ts';

export function applicationsRoutes(deps: { applications: ApplicationsService }): FastifyPluginAsyncTypebox {
  const { applications } = deps;
  return async (app) => {
    app.post(
      '/cases',
      {
        schema: {
          tags: ['applications'],
          summary: '提交申请 · submit an application',
          description:
            '带 Idempotency-Key 时，同一键与相同内容返回首次结果，内容不同则拒绝。With an Idempotency-Key, a retry returns the first result.',
          headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 128 })) }),
          body: SubmitBody,
          response: withErrors({ 200: CaseViewSchema, 201: CaseViewSchema }, [400, 401, 403, 404, 409, 422]),
        },
      },
      async (request, reply) => {
        const principal = requirePrincipal(request);
        const result = await applications.submit(principal, request.body, request.headers['idempotency-key']);
        if (result.replayed) void reply.header('idempotent-replayed', 'true');
        return reply.status(result.replayed ? 200 : 201).send(result.case);
      },
    );

    app.get(
      '/cases/mine',
      {
        schema: {
          tags: ['applications'],
          summary: '我的办件 · my cases',
          querystring: MineQuery,
          response: withErrors({ 200: CasePage }, [400, 401, 403]),
        },
      },
      async (request) => applications.listMine(requirePrincipal(request), request.query),
    );

    app.get(
      '/cases/:id',
      {
        schema: {
          tags: ['applications'],
          summary: '办件详情与办理记录 · a case and its history',
          params: CaseIdParams,
          response: withErrors({ 200: CaseDetailSchema }, [401, 404]),
        },
      },
      async (request) => applications.getCase(requirePrincipal(request), request.params.id),
    );

    app.post(
      '/cases/:id/submit',
      {
        schema: {
          tags: ['applications'],
          summary: '提交草稿 · submit a draft',
          params: CaseIdParams,
          response: withErrors({ 200: CaseViewSchema }, [401, 403, 404, 409]),
        },
      },
      async (request) => applications.applicantAction(requirePrincipal(request), request.params.id, 'submit'),
    );

    app.post(
      '/cases/:id/resubmit',
      {
        schema: {
          tags: ['applications'],
          summary: '补正后重新提交 · resubmit after correction',
          params: CaseIdParams,
          body: ResubmitBody,
          response: withErrors({ 200: CaseViewSchema }, [400, 401, 403, 404, 409]),
        },
      },
      async (request) => applications.applicantAction(requirePrincipal(request), request.params.id, 'resubmit', request.body.form),
    );

    app.post(
      '/cases/:id/actions',
      {
        schema: {
          tags: ['applications'],
          summary: '受理、审核、退回、通过、不予通过、办结 · act on a case',
          params: CaseIdParams,
          body: ActionBody,
          response: withErrors({ 200: CaseViewSchema }, [400, 401, 403, 404, 409]),
        },
      },
      async (request) =>
        applications.act(requirePrincipal(request), request.params.id, request.body.action, request.body.reason),
    );

    app.get(
      '/queue',
      {
        schema: {
          tags: ['applications'],
          summary: '待办队列 · staff queue',
          querystring: QueueQuerySchema,
          response: withErrors({ 200: CasePage }, [400, 401, 403, 404]),
        },
      },
      async (request) => applications.queue(requirePrincipal(request), request.query),
    );
  };
}

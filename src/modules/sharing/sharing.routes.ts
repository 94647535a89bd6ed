import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { withErrors } from '../../http/schemas.ts';
import type { DataSharingService } from './sharing.service.ts';
import {
  DatasetQuery,
  DatasetSchema,
  ExchangeBody,
  ExchangePage,
  ExchangeResultSchema,
  ExchangeSchema,
  GrantBody,
  GrantQuery,
  GrantSchema,
  LegalBasisSchema,
  RefuseGrantBody,
  IdParams,
  MyExchangesQuery,
} from './sharing.schemas.ts';

const tags = ['sharing'];

/** The data sharing platform (公共数据共享平台): catalogue, grants, exchanges, consent, "who used my data". */
export function dataSharingRoutes(deps: { sharing: DataSharingService }): FastifyPluginAsyncTypebox {
  const { sharing } = deps;
  return async (app) => {
    app.get(
      '/sharing/datasets',
      {
        schema: {
          tags,
          summary: '数据目录 · data catalogue',
          querystring: DatasetQuery,
          response: withErrors({ 200: Type.Array(DatasetSchema) }, [400, 401]),
        },
      },
      async (request) => sharing.listDatasets(requirePrincipal(request), { providerOrgCode: request.query.provider }),
    );

    app.get(
      '/sharing/grants',
      {
        schema: {
          tags,
          summary: '本单位的共享授权 · grants an org gave or received',
          querystring: GrantQuery,
          response: withErrors({ 200: Type.Array(GrantSchema) }, [400, 401, 403]),
        },
      },
      async (request) => sharing.listGrants(requirePrincipal(request), request.query.orgCode),
    );

    app.post(
      '/sharing/grants',
      {
        schema: {
          tags,
          summary: '授予共享授权 · grant a consumer access',
          body: GrantBody,
          response: withErrors({ 201: GrantSchema }, [400, 401, 403, 404]),
        },
      },
      async (request, reply) => {
        const grant = await sharing.createGrant(requirePrincipal(request), {
          ...request.body,
          validUntil: new Date(request.body.validUntil),
        });
        return reply.status(201).send(grant);
      },
    );

    app.get(
      '/sharing/legal-bases',
      {
        schema: {
          tags,
          summary: '法定依据目录 · the legal bases a waived-consent grant may cite',
          response: withErrors({ 200: Type.Array(LegalBasisSchema) }, [401]),
        },
      },
      async (request) => {
        requirePrincipal(request);
        return [...sharing.legalBases()];
      },
    );

    app.get(
      '/sharing/grants/pending',
      {
        schema: {
          tags,
          summary: '待审批的共享授权 · waived-consent grants awaiting a supervisor',
          response: withErrors({ 200: Type.Array(GrantSchema) }, [401, 403]),
        },
      },
      async (request) => sharing.listPendingGrants(requirePrincipal(request)),
    );

    app.post(
      '/sharing/grants/:id/approve',
      {
        schema: {
          tags,
          summary: '批准共享授权 · approve a waived-consent grant (a supervisor, not its author)',
          params: IdParams,
          response: withErrors({ 200: GrantSchema }, [401, 403, 404, 409]),
        },
      },
      async (request) => sharing.approveGrant(requirePrincipal(request), request.params.id),
    );

    app.post(
      '/sharing/grants/:id/refuse',
      {
        schema: {
          tags,
          summary: '不予批准共享授权 · refuse a waived-consent grant, with the reason',
          params: IdParams,
          body: RefuseGrantBody,
          response: withErrors({ 200: GrantSchema }, [400, 401, 403, 404, 409]),
        },
      },
      async (request) => sharing.refuseGrant(requirePrincipal(request), request.params.id, request.body.reason),
    );

    app.post(
      '/sharing/grants/:id/revoke',
      {
        schema: {
          tags,
          summary: '撤销共享授权 · revoke a grant',
          params: IdParams,
          response: withErrors({ 200: GrantSchema }, [401, 404]),
        },
      },
      async (request) => sharing.revokeGrant(requirePrincipal(request), request.params.id),
    );

    app.post(
      '/sharing/exchanges',
      {
        schema: {
          tags,
          summary: '请求共享数据 · request fields about a case applicant',
          description:
            '需有覆盖字段与用途的有效授权；需本人同意时先返回 pending_consent，同意后以同一 requestKey 重试取数。Needs a grant covering the fields and purpose; when consent is required the first answer is pending_consent, and a retry with the same requestKey after consent returns the data.',
          body: ExchangeBody,
          response: withErrors({ 200: ExchangeResultSchema, 201: ExchangeResultSchema }, [400, 401, 403, 404, 409, 422, 501]),
        },
      },
      async (request, reply) => {
        const result = await sharing.requestExchange(requirePrincipal(request), request.body);
        return reply.status(result.replayed ? 200 : 201).send(result);
      },
    );

    app.get(
      '/sharing/exchanges/:id',
      {
        schema: {
          tags,
          summary: '一次数据交换 · one exchange',
          params: IdParams,
          response: withErrors({ 200: ExchangeSchema }, [401, 404]),
        },
      },
      async (request) => sharing.getExchange(requirePrincipal(request), request.params.id),
    );

    app.get(
      '/sharing/my/exchanges',
      {
        schema: {
          tags,
          summary: '谁用了我的数据 · who used my data',
          querystring: MyExchangesQuery,
          response: withErrors({ 200: ExchangePage }, [400, 401, 403]),
        },
      },
      async (request) => sharing.listMyExchanges(requirePrincipal(request), request.query),
    );

    app.get(
      '/sharing/my/consents',
      {
        schema: {
          tags,
          summary: '待我同意的数据请求 · requests awaiting my consent',
          response: withErrors({ 200: Type.Array(ExchangeSchema) }, [401, 403]),
        },
      },
      async (request) => sharing.listMyConsents(requirePrincipal(request)),
    );

    for (const decision of ['approve', 'decline'] as const) {
      app.post(
        `/sharing/my/consents/:id/${decision}`,
        {
          schema: {
            tags,
            summary: decision === 'approve' ? '同意数据请求 · consent to a request' : '拒绝数据请求 · decline a request',
            params: IdParams,
            response: withErrors({ 200: ExchangeSchema }, [401, 403, 404, 409]),
          },
        },
        async (request) => sharing.decideConsent(requirePrincipal(request), request.params.id, decision),
      );
    }
  };
}

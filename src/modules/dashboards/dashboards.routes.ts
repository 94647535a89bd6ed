import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { requirePrincipal } from '../../http/auth.ts';
import { withErrors } from '../../http/schemas.ts';
import { DashboardParams, DashboardViewSchema, ExportQuery, PeriodQuery } from './dashboards.schemas.ts';
import type { DashboardsService } from './dashboards.service.ts';

/** The view is built as JSON text once (its entity tag is the text's digest): sent as it is, not serialised again. */
function sendJsonText(reply: FastifyReply, json: string): FastifyReply {
  return reply.send(Buffer.from(json));
}

export function dashboardsRoutes(deps: { dashboards: DashboardsService }): FastifyPluginAsyncTypebox {
  const { dashboards } = deps;
  return (app) => {
    app.get(
      '/dashboards/:orgCode',
      {
        schema: {
          tags: ['dashboards'],
          summary: '督查看板：按层级的办件与好差评指标 · supervision dashboard of an org, its children and services',
          description:
            '网上可办率、全程网办率、按时办结率、一次办结率、平均办理工作日（承诺与法定时限）、到现场次数、好评率、差评整改率、回访率、出证数、即办件数；本机构人员及上级可见，逐级下钻至村（社区）与办件队列。',
          params: DashboardParams,
          querystring: PeriodQuery,
          response: withErrors(
            { 200: DashboardViewSchema, 304: Type.Null({ description: '未变化 · not modified (If-None-Match names the ETag)' }) },
            [400, 401, 403, 404],
          ),
        },
      },
      async (request, reply) => {
        const view = await dashboards.viewJson(
          requirePrincipal(request),
          request.params.orgCode,
          request.query,
          request.headers['if-none-match'],
        );
        // Private, and revalidated on every use: a browser asks again with If-None-Match and gets a 304 while nothing changed.
        void reply.header('etag', view.etag).header('cache-control', 'private, no-cache');
        if (view.json === null) return reply.code(304).send(null);
        return sendJsonText(reply.type('application/json; charset=utf-8'), view.json);
      },
    );

    app.get(
      '/dashboards/:orgCode/export',
      {
        schema: {
          tags: ['dashboards'],
          summary: '导出看板表格（CSV / Excel）· a dashboard table as CSV or Excel, Chinese headers',
          params: DashboardParams,
          querystring: ExportQuery,
          produces: ['text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
          response: withErrors({ 200: Type.Unknown({ description: 'text/csv or .xlsx' }) }, [400, 401, 403, 404]),
        },
      },
      async (request, reply) => {
        const file = await dashboards.exportTable(requirePrincipal(request), request.params.orgCode, request.query);
        return reply
          .type(file.contentType)
          .header('content-disposition', `attachment; filename="${file.filename}"`)
          .header('cache-control', 'private, no-store')
          .send(file.body);
      },
    );
    return Promise.resolve();
  };
}

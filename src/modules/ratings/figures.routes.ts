import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { withErrors } from '../../http/schemas.ts';
import type { PublicFigures } from './figures.ts';
import { FiguresSummarySchema, OrgFiguresSchema, PeriodOrgParams, PeriodParams } from './figures.schemas.ts';

const tags = ['ratings'];

/** The bundle is built once as JSON text (it can be tens of megabytes): sent as it is, not serialized again. */
function sendJsonText(reply: FastifyReply, json: string): FastifyReply {
  return reply.send(Buffer.from(json));
}
/** A published period never changes. */
const CACHE = 'public, max-age=3600';

/** 好差评公开数字: no login; a month's figures per org and service, and the bundle that proves them. */
export function publicFiguresRoutes(deps: { figures: PublicFigures }): FastifyPluginAsyncTypebox {
  const { figures } = deps;
  return async (app) => {
    app.get(
      '/public/figures/:period',
      {
        schema: {
          tags,
          summary: '好差评公开数字（各单位合计） · public rating figures of a month, per org',
          security: [],
          params: PeriodParams,
          response: withErrors({ 200: FiguresSummarySchema }, [400, 404]),
        },
      },
      async (request, reply) => {
        void reply.header('cache-control', CACHE);
        return figures.summary(request.params.period);
      },
    );

    app.get(
      '/public/figures/:period/orgs/:code',
      {
        schema: {
          tags,
          summary: '某单位的好差评公开数字（按事项） · one org’s public rating figures, per service',
          security: [],
          params: PeriodOrgParams,
          response: withErrors({ 200: OrgFiguresSchema }, [400, 404]),
        },
      },
      async (request, reply) => {
        void reply.header('cache-control', CACHE);
        return figures.ofOrg(request.params.period, request.params.code);
      },
    );

    app.get(
      '/public/figures/:period/bundle',
      {
        schema: {
          tags,
          summary: '可验证数据包 · the figures with the signed checkpoint, the ledger entries and proofs to recompute them',
          description: 'Format yiban.figures.v1 (src/verify/figures-bundle.ts); `yiban figures verify` and the public page check it.',
          security: [],
          params: PeriodParams,
          response: withErrors(
            { 200: Type.Unsafe<Record<string, unknown>>({ type: 'object', description: 'yiban.figures.v1' }) },
            [400, 404],
          ),
        },
      },
      async (request, reply) => {
        const json = await figures.bundleJson(request.params.period);
        void reply.header('cache-control', CACHE).type('application/json; charset=utf-8');
        return sendJsonText(reply, json);
      },
    );
  };
}

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { withErrors } from '../../http/schemas.ts';
import type { InsuranceService } from './insurance.service.ts';
import { ClearingSchema, MonthQuery } from './clearing.schemas.ts';

/** 清算: a month's clearing between pooling regions, for the offices of the places of insurance. */
export function clearingRoutes(deps: { insurance: Pick<InsuranceService, 'clearings'> }): FastifyPluginAsyncTypebox {
  const { insurance } = deps;
  return async (app) => {
    app.get(
      '/insurance/clearings',
      {
        schema: {
          tags: ['insurance'],
          summary: '月度清算 · a month’s clearing of the regions my office runs, per pair, with its discrepancies',
          querystring: MonthQuery,
          response: withErrors({ 200: Type.Array(ClearingSchema) }, [400, 401, 403]),
        },
      },
      async (request) => insurance.clearings(requirePrincipal(request), request.query.month),
    );
  };
}

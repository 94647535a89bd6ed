import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { withErrors } from '../../http/schemas.ts';
import type { InsuranceService } from './insurance.service.ts';
import { SetlParams } from './insurance.schemas.ts';

/** 结算单: a settlement's sealed statement as a PDF (verifiable in /verify and by `yiban verify`). */
export function statementRoutes(deps: { insurance: Pick<InsuranceService, 'statementPdf'> }): FastifyPluginAsyncTypebox {
  const { insurance } = deps;
  return async (app) => {
    app.get(
      '/insurance/settlements/:setlId/statement',
      {
        schema: {
          tags: ['insurance'],
          summary: '结算单 PDF · the sealed settlement statement (mine, or my office’s region)',
          params: SetlParams,
          produces: ['application/pdf'],
          response: withErrors({ 200: Type.Unknown({ description: 'application/pdf' }) }, [400, 401, 404]),
        },
      },
      async (request, reply) => {
        const { identifier, bytes } = await insurance.statementPdf(requirePrincipal(request), request.params.setlId);
        return reply
          .type('application/pdf')
          .header('content-disposition', `inline; filename="${identifier}.pdf"`)
          .header('cache-control', 'private, max-age=60')
          .send(Buffer.from(bytes));
      },
    );
  };
}

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { withErrors } from '../../http/schemas.ts';
import type { ServiceFiguresService } from './service-figures.ts';
import { ServiceFiguresQuery, ServiceFiguresSchema } from './service-figures.schemas.ts';

/** The insurance office's dashboard: online rate, working days per service, share decided instantly. */
export function serviceFiguresRoutes(deps: { figures: ServiceFiguresService }): FastifyPluginAsyncTypebox {
  const { figures } = deps;
  return async (app) => {
    app.get(
      '/insurance/figures',
      {
        schema: {
          tags: ['insurance'],
          summary: '医保服务指标 · online rate of the 43 services, average working days per service, share decided instantly',
          querystring: ServiceFiguresQuery,
          response: withErrors({ 200: ServiceFiguresSchema }, [400, 401, 403, 404]),
        },
      },
      async (request) => figures.figures(requirePrincipal(request), request.query),
    );
  };
}

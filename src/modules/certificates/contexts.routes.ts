import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { YIBAN_CONTEXT_PATH, yibanContext } from '../../verify/credential.ts';

/** Yiban's JSON-LD context (src/verify/yiban-context-v1.json) at its stable, versioned URL. */
export function contextRoutes(deps: { publicUrl: string }): FastifyPluginAsyncTypebox {
  const body = JSON.stringify(yibanContext(deps.publicUrl), null, 2);
  return async (app) => {
    app.get(
      YIBAN_CONTEXT_PATH,
      {
        schema: {
          tags: ['verify'],
          summary: '一办 JSON-LD 上下文（可验证凭证的术语）· Yiban JSON-LD context for its credentials',
          security: [],
          produces: ['application/ld+json'],
          response: { 200: Type.Unknown({ description: 'application/ld+json' }) },
        },
      },
      async (_request, reply) =>
        reply
          .type('application/ld+json')
          .header('cache-control', 'public, max-age=86400')
          .header('access-control-allow-origin', '*')
          .send(body),
    );
  };
}

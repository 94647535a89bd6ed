import fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { AppError } from '../core/errors.ts';
import { maskResidentIdsInText } from '../modules/identity/resident-id.ts';
import { handleError } from './errors.ts';
import { readToken, type Authenticator } from './auth.ts';

export interface ServerDeps {
  database: Database;
  auth: Authenticator;
  /** Module route plugins, registered under /api. */
  apiRoutes: FastifyPluginAsync[];
  logLevel?: string;
}

export type App = FastifyInstance;

export async function buildServer(deps: ServerDeps): Promise<App> {
  const app = fastify({
    logger: {
      level: deps.logLevel ?? 'info',
      redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-on-behalf-of"]'],
      hooks: {
        // Nothing that reaches the log may carry a resident ID number in clear.
        logMethod(args, method) {
          method.apply(
            this,
            args.map((a): unknown => (typeof a === 'string' ? maskResidentIdsInText(a) : a)) as Parameters<typeof method>,
          );
        },
      },
    },
    bodyLimit: 256 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => handleError(new AppError('ROUTE_NOT_FOUND'), request, reply));

  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Yiban 一办 API', version: '0.1.0', description: '一网通办：一办 政务服务平台接口' },
      components: {
        securitySchemes: { session: { type: 'http', scheme: 'bearer', description: 'Session token from /api/auth/*/login' } },
      },
      security: [{ session: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const token = readToken(request);
    if (!token) return;
    const onBehalfOf = request.headers['x-on-behalf-of'];
    request.principal = await deps.auth.authenticate(token, typeof onBehalfOf === 'string' ? onBehalfOf : undefined);
  });

  app.get(
    '/healthz',
    {
      schema: {
        hide: true,
        response: { 200: Type.Object({ status: Type.Literal('ok'), engine: Type.String() }) },
      },
    },
    async () => {
      await deps.database.db.execute(sql`select 1`);
      return { status: 'ok' as const, engine: deps.database.engine };
    },
  );

  app.get('/api/openapi.json', { schema: { hide: true } }, () => app.swagger());

  await app.register(
    async (api) => {
      for (const routes of deps.apiRoutes) await api.register(routes);
    },
    { prefix: '/api' },
  );

  return app;
}

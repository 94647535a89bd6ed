import fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { AppError } from '../core/errors.ts';
import { maskResidentIdsInText } from '../modules/identity/index.ts';
import { handleError } from './errors.ts';
import { ErrorResponse } from './schemas.ts';
import { nameComponents } from './openapi-components.ts';
import { EXPECTED_ACCOUNT_HEADER, readToken, type Authenticator } from './auth.ts';
import { createOriginGuard } from './origin-guard.ts';
import { DOCS_CSP, registerSecurityHeaders } from './security-headers.ts';
import type { TrustProxy } from '../core/config.ts';
import { rejectNonFiniteNumbers, rejectUnsafeText } from './input-guard.ts';
import { registerRateLimits } from './rate-limit.ts';
import type { RateLimits } from '../core/rate-limits.ts';
import { registerMetrics, type MetricsOptions } from './metrics.ts';
import { lazySerializers } from './lazy-serializers.ts';

export interface ServerDeps {
  database: Database;
  auth: Authenticator;
  /** Module route plugins, registered under /api. */
  apiRoutes: FastifyPluginAsync[];
  /** Route plugins registered at the root, for paths standards fix (e.g. the ledger's /ledger/*). */
  rootRoutes?: FastifyPluginAsync[];
  logLevel?: string;
  /** Where log lines go; standard output by default. */
  logStream?: NodeJS.WritableStream;
  /** The public base URL; browser writes must come from its origin (or the request's own). */
  publicUrl?: string;
  /** Fastify's trustProxy: which proxies' X-Forwarded-Proto/-Host/-For to believe. Off by default. */
  trustProxy?: TrustProxy;
  /** Limits of the routes that declare a `rateLimitClass`; production defaults when absent. */
  rateLimits?: RateLimits;
  /** GET /metrics (Prometheus): its token, its database gauges, cluster aggregation (metrics.ts). */
  metrics?: MetricsOptions;
}

export type App = FastifyInstance;

function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskResidentIdsInText(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return {
      type: value.name,
      message: maskResidentIdsInText(value.message),
      stack: value.stack ? maskResidentIdsInText(value.stack) : undefined,
    };
  }
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v, depth + 1);
  return out;
}

/**
 * pino runs `formatters.log` before the serializers, so a request log line hands it the whole
 * Request object (socket, raw message, …). Walking that was most of the cost of logging a
 * request (about 0.15–0.25 ms of CPU each at level info). The request and the reply are left
 * to their serializers, which keep a few fields and mask those; everything else is walked.
 */
function maskLogObject(object: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(object)) out[k] = k === 'req' || k === 'res' ? v : maskDeep(v, 1);
  return out;
}

/** Fastify's request fields, masked (the URL or a header may carry an ID number). */
function serializeRequest(req: FastifyRequest) {
  const version = req.headers['accept-version'];
  return {
    method: req.method,
    url: maskResidentIdsInText(req.url),
    version: typeof version === 'string' ? maskResidentIdsInText(version) : undefined,
    host: maskResidentIdsInText(req.host),
    remoteAddress: req.ip,
    remotePort: req.socket.remotePort,
  };
}

export async function buildServer(deps: ServerDeps): Promise<App> {
  const serializers = lazySerializers();
  const app = fastify({
    logger: {
      level: deps.logLevel ?? 'info',
      ...(deps.logStream ? { stream: deps.logStream } : {}),
      redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-on-behalf-of"]'],
      // Nothing that reaches the log may carry a resident ID number in clear: not the message,
      // not the request URL, not an error's text.
      formatters: { log: maskLogObject },
      serializers: { req: serializeRequest, res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }) },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a): unknown => (typeof a === 'string' ? maskResidentIdsInText(a) : a)) as Parameters<typeof method>);
        },
      },
    },
    bodyLimit: 256 * 1024,
    trustProxy: deps.trustProxy ?? false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true } },
    // Each response serializer compiled when it is first used, not all at the start (lazy-serializers.ts).
    schemaController: { compilersFactory: { buildSerializer: serializers.buildSerializer } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  serializers.attach(app);

  // First, so a request's measured time includes every other hook.
  registerMetrics(app, deps.metrics);
  app.addSchema(ErrorResponse);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => handleError(new AppError('ROUTE_NOT_FOUND'), request, reply));

  // The API reads JSON only. Fastify's default text/plain parser would let a cross-site form or
  // no-CORS fetch (which may send text/plain without a preflight) reach a handler; now it is a 415.
  app.removeContentTypeParser('text/plain');
  await app.register(cookie);
  await registerSecurityHeaders(app);
  await registerRateLimits(app, deps.rateLimits);
  await app.register(swagger, {
    // Shared schemas keep their own names as OpenAPI components.
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Yiban 一办 API', version: '0.1.0', description: '一网通办：一办 政务服务平台接口' },
      components: {
        securitySchemes: { session: { type: 'http', scheme: 'bearer', description: 'Session token from /api/auth/*/login' } },
      },
      security: [{ session: [] }],
    },
    // Top-level bodies and responses with an `$id` become named components too (openapi-components.ts).
    transformObject: (document) => ('openapiObject' in document ? nameComponents(document.openapiObject) : document.swaggerObject),
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', staticCSP: DOCS_CSP });

  app.decorateRequest('principal', null);
  app.decorateRequest('sessionMismatch', false);
  app.addHook('onRequest', createOriginGuard({ publicUrl: deps.publicUrl ?? 'http://localhost:3000' }));
  app.addHook('onRequest', async (request) => {
    const token = readToken(request);
    if (!token) return;
    const onBehalfOf = request.headers['x-on-behalf-of'];
    const principal = await deps.auth.authenticate(token, typeof onBehalfOf === 'string' ? onBehalfOf : undefined);
    const expected = request.headers[EXPECTED_ACCOUNT_HEADER];
    if (principal && typeof expected === 'string' && expected !== principal.accountId) {
      request.sessionMismatch = true;
      return;
    }
    request.principal = principal;
  });

  // Before schema validation, for every route: a NUL byte or a lone surrogate never reaches a query.
  app.addHook('preValidation', rejectUnsafeText);
  app.addHook('preHandler', rejectNonFiniteNumbers);

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
  for (const routes of deps.rootRoutes ?? []) await app.register(routes);

  return app;
}

import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { buildServer } from '../src/http/server.ts';
import { compileResponseSchemas } from '../src/http/lazy-serializers.ts';
import { appSuite } from './app-suite.ts';

/**
 * The app compiles a route's response serializer when the route first answers with that status
 * (src/http/lazy-serializers.ts), so a response schema fast-json-stringify cannot compile would
 * not stop the start: here every one is compiled, and the first that fails fails the test, as
 * it failed the start when Fastify compiled them all there.
 */
describe('response schemas', () => {
  const suite = appSuite('pglite');

  it('compile, every response serializer of every route, once', async () => {
    await suite.app.ready();
    // One for each status each route documents: hundreds in all.
    expect(compileResponseSchemas(suite.app)).toBeGreaterThan(300);
    expect(compileResponseSchemas(suite.app)).toBe(0);
  });

  it('serialize by their schema when first used: what the schema does not name is left out, a wrong type refused', async () => {
    const app = await buildServer({
      database: suite.ctx.database,
      auth: { authenticate: () => Promise.resolve(null) },
      apiRoutes: [
        async (api) => {
          const response = { 200: Type.Object({ shown: Type.String(), count: Type.Integer() }) };
          api.get('/probe', { schema: { response } }, () => ({ shown: 'yes', count: 2, hidden: 'no' }));
          api.get('/wrong', { schema: { response } }, () => ({ shown: 'yes', count: 'two' }));
        },
      ],
      logLevel: 'silent',
    });
    try {
      const probe = await app.inject({ method: 'GET', url: '/api/probe' });
      expect([probe.statusCode, probe.body]).toEqual([200, '{"shown":"yes","count":2}']);
      const wrong = await app.inject({ method: 'GET', url: '/api/wrong' });
      expect(wrong.statusCode).toBe(500);
    } finally {
      await app.close();
    }
  });
});

import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/http/server.ts';
import { buildTestApp, createTestContext, PASSWORD, type TestContext } from './factories.ts';

/**
 * No input makes the server answer 5xx. Random JSON values, random strings in paths and query
 * strings, with and without a session, against every route family. Bounded for CI; raise
 * FUZZ_RUNS to run longer.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);

describe('API under random input', () => {
  let ctx: TestContext;
  let app: App;
  let token = '';

  beforeAll(async () => {
    ctx = await createTestContext('pglite');
    app = await buildTestApp(ctx);
    const resident = await ctx.newResident();
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { kind: 'resident', residentIdOrPhone: resident.residentId, password: PASSWORD, channel: 'app' },
    });
    token = res.json<{ token: string }>().token;
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
  });

  const postRoutes = [
    '/api/cases',
    '/api/auth/login',
    '/api/auth/residents/register',
    '/api/auth/kiosk/code',
    '/api/auth/kiosk/login',
    '/api/verify',
    '/api/delegations',
    '/api/staff',
    '/api/orgs/departments',
  ];
  const getRoutes = ['/api/queue', '/api/cases/mine', '/api/orgs', '/api/services', '/api/calendar/due-date'];

  it('answers random JSON bodies with 2xx or 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...postRoutes), fc.jsonValue({ maxDepth: 3 }), fc.boolean(), async (url, body, authed) => {
        const req: InjectOptions = {
          method: 'POST',
          url,
          headers: { 'content-type': 'application/json', ...(authed ? { authorization: `Bearer ${token}` } : {}) },
          payload: JSON.stringify(body),
        };
        const res = await app.inject(req);
        expect(res.statusCode, `${url} ${res.body}`).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
  });

  it('answers random query strings and path segments with 2xx or 4xx', async () => {
    const text = fc.string({ maxLength: 40, unit: 'grapheme' });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...getRoutes, '/api/cases/', '/api/orgs/', '/api/services/', '/api/calendar/days/'),
        fc.dictionary(fc.constantFrom('orgCode', 'state', 'after', 'limit', 'q', 'from', 'days', 'overdue', 'level', 'under', 'x'), text, { maxKeys: 4 }),
        text,
        async (base, query, segment) => {
          const url = base.endsWith('/') ? `${base}${encodeURIComponent(segment)}` : base;
          const res = await app.inject({ method: 'GET', url, query, headers: { authorization: `Bearer ${token}` } });
          expect(res.statusCode, `${url} ${JSON.stringify(query)} ${res.body}`).toBeLessThan(500);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('answers garbage bodies and headers with 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', ''), async (payload, type) => {
        const res = await app.inject({
          method: 'POST',
          url: '/api/cases',
          headers: { authorization: `Bearer ${token}`, 'idempotency-key': payload.slice(0, 20), ...(type ? { 'content-type': type } : {}) },
          payload,
        });
        expect(res.statusCode, res.body).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
  });
});

import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/http/server.ts';
import { testEngines } from './db.ts';
import { buildTestApp, createTestContext, freshResidentId, PASSWORD, VILLAGE, type TestContext } from './factories.ts';

const residence = {
  serviceCode: 'cert.residence',
  form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
};

describe.each(testEngines())('HTTP API on %s', (engine) => {
  let ctx: TestContext;
  let app: App;

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    app = await buildTestApp(ctx);
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
  });

  async function tokenFor(body: Record<string, string>): Promise<string> {
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { ...body, password: PASSWORD },
    });
    expect(res.statusCode).toBe(200);
    return res.json<{ token: string }>().token;
  }

  async function residentToken(): Promise<{ token: string; accountId: string }> {
    const r = await ctx.newResident();
    return { token: await tokenFor({ kind: 'resident', residentIdOrPhone: r.residentId, channel: 'app' }), accountId: r.accountId };
  }

  async function staffToken(role: Parameters<TestContext['newStaff']>[0], org: string): Promise<string> {
    const s = await ctx.newStaff(role, org);
    return tokenFor({ kind: 'staff', username: s.username, channel: 'web' });
  }

  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  it('answers /healthz and serves an OpenAPI 3.1 document that lists the routes', async () => {
    const health = await app.inject('/healthz');
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: 'ok', engine });
    const doc = (await app.inject('/api/openapi.json')).json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(doc.openapi).toBe('3.1.0');
    for (const path of ['/api/cases', '/api/queue', '/api/auth/login', '/api/services', '/api/orgs/{code}']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect((await app.inject('/api/docs')).statusCode).toBeLessThan(400);
  });

  it('registers a resident, masks the ID, and refuses a duplicate in both languages', async () => {
    const residentId = freshResidentId();
    const body = { name: '赵敏', residentId: residentId.toLowerCase(), phone: '13912345678', password: PASSWORD, homeOrgCode: VILLAGE };
    const first = await app.inject({ method: 'POST', url: '/api/auth/residents/register', payload: body });
    expect(first.statusCode).toBe(201);
    expect(first.body).not.toContain(residentId.slice(6, 14));
    const dup = await app.inject({ method: 'POST', url: '/api/auth/residents/register', payload: body });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ error: { code: 'ALREADY_REGISTERED', message: '该身份证号码已注册' } });
    const dupEn = await app.inject({
      method: 'POST',
      url: '/api/auth/residents/register',
      payload: body,
      headers: { 'accept-language': 'en-US,en;q=0.9' },
    });
    expect(dupEn.json()).toMatchObject({ error: { code: 'ALREADY_REGISTERED', message: 'This resident ID number is already registered' } });
  });

  it('answers bad input with a 4xx, a stable code and a readable message, never a 5xx', async () => {
    const { token } = await residentToken();
    const cases: { name: string; req: InjectOptions; status: number; code: string }[] = [
      {
        name: 'malformed JSON',
        req: {
          method: 'POST',
          url: '/api/cases',
          headers: { ...auth(token), 'content-type': 'application/json' },
          payload: '{"serviceCode":',
        },
        status: 400,
        code: 'MALFORMED_JSON',
      },
      {
        name: 'unknown field',
        req: { method: 'POST', url: '/api/cases', headers: auth(token), payload: { ...residence, hack: true } },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'wrong type',
        req: { method: 'POST', url: '/api/cases', headers: auth(token), payload: { ...residence, form: 'x' } },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'oversize body',
        req: {
          method: 'POST',
          url: '/api/cases',
          headers: { ...auth(token), 'content-type': 'application/json' },
          payload: JSON.stringify({ ...residence, pad: 'x'.repeat(400_000) }),
        },
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      },
      {
        name: 'unsupported media type',
        req: { method: 'POST', url: '/api/cases', headers: { ...auth(token), 'content-type': 'application/xml' }, payload: '<case/>' },
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      {
        name: 'invalid resident ID',
        req: {
          method: 'POST',
          url: '/api/auth/residents/register',
          payload: { name: '甲', residentId: '130123199003070018', phone: '13912345678', password: PASSWORD },
        },
        status: 400,
        code: 'INVALID_RESIDENT_ID',
      },
      {
        name: 'invalid enum',
        req: { method: 'GET', url: `/api/queue?orgCode=${VILLAGE}&state=lost`, headers: auth(token) },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'invalid date',
        req: { method: 'GET', url: '/api/calendar/due-date?from=2026-02-30&days=3' },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'bad cursor',
        req: { method: 'GET', url: '/api/cases/mine?after=%%%', headers: auth(token) },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      { name: 'no session', req: { method: 'GET', url: '/api/cases/mine' }, status: 401, code: 'UNAUTHENTICATED' },
      { name: 'unknown route', req: { method: 'GET', url: '/api/nothing-here' }, status: 404, code: 'ROUTE_NOT_FOUND' },
      {
        name: 'unknown case',
        req: { method: 'GET', url: '/api/cases/00000000-0000-4000-8000-000000000000', headers: auth(token) },
        status: 404,
        code: 'NOT_FOUND',
      },
    ];
    for (const c of cases) {
      const res = await app.inject(c.req);
      const body = res.json<{ error?: { code: string } }>();
      expect({ name: c.name, status: res.statusCode, code: body.error?.code ?? res.body }).toEqual({
        name: c.name,
        status: c.status,
        code: c.code,
      });
      expect(res.json<{ error: { message: string } }>().error.message.length).toBeGreaterThan(2);
    }
    const mine = await app.inject({ method: 'GET', url: '/api/cases/mine', headers: auth(token) });
    expect(mine.json<{ items: unknown[] }>().items).toHaveLength(0);
  });

  it('submits idempotently over HTTP', async () => {
    const { token } = await residentToken();
    const headers = { ...auth(token), 'idempotency-key': 'http-key-000001' };
    const first = await app.inject({ method: 'POST', url: '/api/cases', headers, payload: residence });
    expect(first.statusCode).toBe(201);
    const again = await app.inject({ method: 'POST', url: '/api/cases', headers, payload: residence });
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json<{ id: string }>().id).toBe(first.json<{ id: string }>().id);
    const other = await app.inject({
      method: 'POST',
      url: '/api/cases',
      headers,
      payload: { ...residence, form: { ...residence.form, purpose: 'other' } },
    });
    expect(other.statusCode).toBe(422);
    expect(other.json()).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_REUSED' } });
  });

  it('enforces the role × route × owner matrix for cases', async () => {
    const owner = await residentToken();
    const stranger = await residentToken();
    const created = await app.inject({ method: 'POST', url: '/api/cases', headers: auth(owner.token), payload: residence });
    const caseId = created.json<{ id: string }>().id;
    const tokens = {
      owner: owner.token,
      stranger: stranger.token,
      reviewer: await staffToken('village_reviewer', VILLAGE),
      otherReviewer: await staffToken('village_reviewer', ctx.otherVillage),
      townshipAdmin: await staffToken('township_admin', '130123100'),
      countyAdmin: await staffToken('county_admin', '130123'),
      otherCountyAdmin: await staffToken('county_admin', '130102'),
      police: await staffToken('department_officer', ctx.departments.public_security!),
      supervisor: await staffToken('supervisor', '130123'),
    };
    type Who = keyof typeof tokens;
    const expectStatus = async (who: Who, req: InjectOptions, status: number) => {
      const res = await app.inject({ ...req, headers: { ...req.headers, ...auth(tokens[who]) } });
      expect({ who, url: req.url, status: res.statusCode }).toEqual({ who, url: req.url, status });
    };
    const view = { method: 'GET' as const, url: `/api/cases/${caseId}` };
    const queue = { method: 'GET' as const, url: `/api/queue?orgCode=${VILLAGE}` };
    const accept = { method: 'POST' as const, url: `/api/cases/${caseId}/actions`, payload: { action: 'accept' } };
    const matrix: [Who, number, number, number][] = [
      // who, view, queue, accept
      ['stranger', 404, 403, 404],
      ['otherReviewer', 404, 404, 404],
      ['otherCountyAdmin', 404, 404, 404],
      ['police', 404, 404, 404],
      ['supervisor', 200, 200, 403],
      ['owner', 200, 403, 404],
    ];
    for (const [who, v, q, a] of matrix) {
      await expectStatus(who, view, v);
      await expectStatus(who, queue, q);
      await expectStatus(who, accept, a);
    }
    await expectStatus('reviewer', queue, 200);
    await expectStatus('townshipAdmin', { method: 'GET', url: '/api/queue?orgCode=130123100' }, 200);
    await expectStatus('countyAdmin', view, 200);
    await expectStatus('reviewer', accept, 200);
    const mine = await app.inject({ method: 'GET', url: '/api/cases/mine', headers: auth(owner.token) });
    expect(mine.json<{ items: { id: string }[] }>().items.map((i) => i.id)).toEqual([caseId]);
    const strangers = await app.inject({ method: 'GET', url: '/api/cases/mine', headers: auth(stranger.token) });
    expect(strangers.json<{ items: unknown[] }>().items).toHaveLength(0);
  });

  it('runs 50 concurrent approvals over HTTP to exactly one decision', async () => {
    const owner = await residentToken();
    const reviewer = await staffToken('village_reviewer', VILLAGE);
    const created = await app.inject({ method: 'POST', url: '/api/cases', headers: auth(owner.token), payload: residence });
    const caseId = created.json<{ id: string }>().id;
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        app.inject({ method: 'POST', url: `/api/cases/${caseId}/actions`, headers: auth(reviewer), payload: { action: 'approve' } }),
      ),
    );
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    const conflicts = results.filter((r) => r.statusCode === 409);
    expect(conflicts).toHaveLength(49);
    expect(conflicts.every((r) => r.json<{ error: { code: string } }>().error.code === 'ALREADY_DECIDED')).toBe(true);
  });
});

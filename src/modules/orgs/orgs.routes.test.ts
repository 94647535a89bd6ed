import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/db.ts';
import type { Database } from '../../db/database.ts';
import { buildServer, type App } from '../../http/server.ts';
import type { Principal } from '../identity/principal.ts';
import { makeCreditCode } from './credit-code.ts';
import { orgsRoutes } from './orgs.routes.ts';
import { createOrgsAdmin, createOrgsService } from './orgs.service.ts';

const COUNTY_ADMIN: Principal = {
  accountId: '00000000-0000-4000-8000-000000000001',
  kind: 'staff',
  name: '县管理员',
  roles: [{ role: 'county_admin', orgCode: '130123', orgPath: '13.1301.130123' }],
  sessionChannel: 'web',
};

// The HTTP layer on PGlite only: the queries behind it are covered on both engines by the service tests.
describe('orgs routes', () => {
  let database: Database;
  let app: App;

  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    const orgs = createOrgsService({ db: database.db });
    await createOrgsAdmin({ db: database.db, orgs }).loadDivisions({ scope: { prefix: '130123100' } });
    app = await buildServer({
      database,
      auth: { authenticate: (token) => Promise.resolve(token === 'county-admin' ? COUNTY_ADMIN : null) },
      apiRoutes: [orgsRoutes({ orgs })],
      logLevel: 'silent',
    });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  it('shows one org, its ancestors and its children page by page', async () => {
    const one = await app.inject({ method: 'GET', url: '/api/orgs/130123100242' });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual({
      code: '130123100242',
      level: 'village',
      name: '塔元庄村民委员会',
      parentCode: '130123100',
      path: '13.1301.130123.130123100.130123100242',
      depth: 4,
      divisionCode: '130123100242',
      departmentKind: null,
    });

    const chain = await app.inject({ method: 'GET', url: '/api/orgs/130123100242/ancestors' });
    expect(chain.json<{ items: { name: string }[] }>().items.map((o) => o.name)).toEqual([
      '河北省',
      '石家庄市',
      '正定县',
      '正定镇',
      '塔元庄村民委员会',
    ]);

    const first = await app.inject({ method: 'GET', url: '/api/orgs/130123100/children?limit=50' });
    const firstBody = first.json<{ items: unknown[]; next: string | null }>();
    expect(firstBody.items).toHaveLength(50);
    const rest = await app.inject({
      method: 'GET',
      url: `/api/orgs/130123100/children?limit=50&after=${encodeURIComponent(firstBody.next!)}`,
    });
    expect(rest.json()).toMatchObject({ next: null });
    expect(rest.json<{ items: unknown[] }>().items).toHaveLength(2);
  });

  it('searches by name', async () => {
    const response = await app.inject({ method: 'GET', url: `/api/orgs?q=${encodeURIComponent('塔元庄')}&level=village` });
    expect(response.statusCode).toBe(200);
    expect(response.json<{ items: { code: string }[] }>().items.map((o) => o.code)).toEqual(['130123100242']);
  });

  it('answers 404 and 400 in the caller’s language', async () => {
    const missing = await app.inject({ method: 'GET', url: '/api/orgs/130124', headers: { 'accept-language': 'en' } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'NOT_FOUND', message: 'Organisation not found' } });
    const bad = await app.inject({ method: 'GET', url: '/api/orgs/13-01' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
  });

  it('creates a department for an administrator only', async () => {
    const body = { name: '正定县卫生健康局', kind: 'health', creditCode: makeCreditCode('11130123YB0130001'), parentCode: '130123' };
    const anonymous = await app.inject({ method: 'POST', url: '/api/orgs/departments', payload: body });
    expect(anonymous.statusCode).toBe(401);

    const headers = { authorization: 'Bearer county-admin' };
    const created = await app.inject({ method: 'POST', url: '/api/orgs/departments', payload: body, headers });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ code: body.creditCode, level: 'department', departmentKind: 'health', parentCode: '130123' });

    const again = await app.inject({ method: 'POST', url: '/api/orgs/departments', payload: body, headers });
    expect(again.statusCode).toBe(409);

    const invalid = await app.inject({
      method: 'POST',
      url: '/api/orgs/departments',
      payload: { ...body, creditCode: '91350100M000100Y44' },
      headers,
    });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({ error: { code: 'INVALID_CREDIT_CODE', message: '统一社会信用代码无效：校验码不正确' } });

    const extra = await app.inject({ method: 'POST', url: '/api/orgs/departments', payload: { ...body, level: 'x' }, headers });
    expect(extra.statusCode).toBe(400);
  });

  it('documents every route in the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/orgs',
        '/api/orgs/{code}',
        '/api/orgs/{code}/children',
        '/api/orgs/{code}/ancestors',
        '/api/orgs/departments',
      ]),
    );
  });
});

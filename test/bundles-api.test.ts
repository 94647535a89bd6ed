import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/http/server.ts';
import { seedBundles } from '../src/modules/bundles/bundle-seed.ts';
import { seedDatasets, seedGrants } from '../src/modules/sharing/sharing.seed.ts';
import { testEngines } from './db.ts';
import { buildTestApp, createTestContext, PASSWORD, type TestContext } from './factories.ts';

describe.each(testEngines())('bundles HTTP API on %s', (engine) => {
  let ctx: TestContext;
  let app: App;

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    await ctx.services.sharingAdmin.upsertDatasets(seedDatasets(ctx.departments));
    for (const grant of seedGrants(ctx.departments, new Date(Date.now() + 365 * 86_400_000)))
      await ctx.services.sharingAdmin.ensureGrant(grant);
    await seedBundles(ctx.database.db, ctx.services, ctx.departments);
    app = await buildTestApp(ctx);
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
  });

  async function parentToken(): Promise<string> {
    const r = await ctx.newResident({ name: '王芳' });
    await ctx.services.sharingAdmin.upsertRecords('health.birth_record', [
      {
        residentId: r.residentId,
        data: {
          childName: '张小宝',
          childGender: '男',
          birthTime: '2026-11-18T08:30:00+08:00',
          birthPlace: '正定县',
          hospital: '正定县人民医院',
          weightGrams: '3350',
          certificateNo: 'O1',
        },
      },
    ]);
    await ctx.services.sharingAdmin.upsertRecords('ps.household_register', [
      {
        residentId: r.residentId,
        data: {
          name: '王芳',
          gender: '女',
          birthDate: '1990-03-07',
          ethnicity: '汉族',
          householdNo: '1',
          householdHead: '张伟',
          relationToHead: '配偶',
          address: '塔元庄村',
        },
      },
    ]);
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { kind: 'resident', residentIdOrPhone: r.residentId, channel: 'app', password: PASSWORD },
    });
    return res.json<{ token: string }>().token;
  }

  it('starts a bundle once per Idempotency-Key, shows progress and burden to the parent only', async () => {
    const token = await parentToken();
    const headers = { authorization: `Bearer ${token}`, 'idempotency-key': 'birth-bundle-api-1' };
    const defs = await app.inject({ method: 'GET', url: '/api/bundles/definitions', headers: { authorization: headers.authorization } });
    expect(defs.statusCode).toBe(200);
    expect(defs.json<{ code: string }[]>().map((d) => d.code)).toEqual(['birth', 'retirement']);

    const first = await app.inject({ method: 'POST', url: '/api/bundles', headers, payload: { bundle: 'birth', form: {}, consent: true } });
    expect(first.statusCode).toBe(201);
    const body = first.json<{ id: string; state: string; burden: { outputs: string[] } }>();
    expect(body.state).toBe('done');
    expect(body.burden.outputs).toHaveLength(5);
    const retry = await app.inject({ method: 'POST', url: '/api/bundles', headers, payload: { bundle: 'birth', form: {}, consent: true } });
    expect(retry.statusCode).toBe(200);
    expect(retry.json<{ id: string }>().id).toBe(body.id);

    const progress = await app.inject({ method: 'GET', url: `/api/bundles/${body.id}`, headers: { authorization: headers.authorization } });
    expect(progress.statusCode).toBe(200);
    const burden = await app.inject({
      method: 'GET',
      url: `/api/bundles/${body.id}/burden`,
      headers: { authorization: headers.authorization },
    });
    expect(burden.json()).toMatchObject({
      fieldsTotal: 5,
      fieldsPrefilled: 4,
      materialsSeparate: 13,
      materialsBundle: 1,
      daysSeparate: 40,
      trips: 0,
    });
    const mine = await app.inject({ method: 'GET', url: '/api/bundles/mine', headers: { authorization: headers.authorization } });
    expect(mine.json<{ id: string }[]>().map((b) => b.id)).toEqual([body.id]);

    const other = await parentToken();
    const hidden = await app.inject({
      method: 'GET',
      url: `/api/bundles/${body.id}`,
      headers: { authorization: `Bearer ${other}`, 'accept-language': 'en' },
    });
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json<{ error: { code: string; message: string } }>().error).toMatchObject({
      code: 'NOT_FOUND',
      message: 'Bundle not found',
    });
    const zh = await app.inject({ method: 'GET', url: `/api/bundles/${body.id}/burden`, headers: { authorization: `Bearer ${other}` } });
    expect(zh.json<{ error: { message: string } }>().error.message).toBe('未找到一件事');
    const unknown = await app.inject({
      method: 'POST',
      url: '/api/bundles',
      headers: { authorization: `Bearer ${other}` },
      payload: { bundle: 'birth', form: { shoeSize: '42' }, consent: true },
    });
    expect(unknown.statusCode).toBe(400);
  }, 120_000);
});

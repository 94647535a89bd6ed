import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../http/server.ts';
import { testEngines } from '../../../test/db.ts';
import { buildTestApp, createTestContext, PASSWORD, type TestContext } from '../../../test/factories.ts';
import { licenceDatasets } from './licence-datasets.ts';
import { LICENCE_LIBRARY_ORG, seedDatasets } from './sharing.seed.ts';
import { listCertificateTypes } from '../certificates/index.ts';

describe.each(testEngines())('sharing API on %s', (engine) => {
  let ctx: TestContext;
  let app: App;
  let police: string;
  let civil: string;
  let hr: string;

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    await ctx.services.sharingAdmin.upsertDatasets(seedDatasets(ctx.departments));
    await ctx.services.sharingAdmin.upsertDatasets(licenceDatasets(await listCertificateTypes(ctx.database.db), LICENCE_LIBRARY_ORG));
    app = await buildTestApp(ctx);
    police = await staffToken(ctx.departments.public_security!);
    civil = await staffToken(ctx.departments.civil_affairs!);
    hr = await staffToken(ctx.departments.human_resources!);
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
  async function staffToken(org: string): Promise<string> {
    const s = await ctx.newStaff('department_officer', org);
    return tokenFor({ kind: 'staff', username: s.username, channel: 'web' });
  }
  async function residentWithCase() {
    const r = await ctx.newResident({ name: '吴静' });
    await ctx.services.sharingAdmin.upsertRecords('civil.marriage_record', [
      {
        residentId: r.residentId,
        data: { maritalStatus: '已婚', spouseName: '郑浩', registeredOn: '2019-01-01', certificateNo: 'J1', registry: '正定县民政局' },
      },
    ]);
    const token = await tokenFor({ kind: 'resident', residentIdOrPhone: r.residentId, channel: 'app' });
    const submitted = await app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: auth(token),
      payload: { serviceCode: 'birth.household_registration', form: { childName: '郑小', householdHead: '郑浩' } },
    });
    expect(submitted.statusCode).toBe(201);
    return { token, caseId: submitted.json<{ id: string }>().id };
  }
  const auth = (token: string, lang = 'zh-CN') => ({ authorization: `Bearer ${token}`, 'accept-language': lang });
  const grantBody = {
    datasetCode: 'civil.marriage_record',
    consumerOrgCode: '',
    fields: ['maritalStatus', 'spouseName'],
    purpose: 'birth.household_registration',
    legalBasis: '《婚姻登记条例》',
    consentRequired: true,
    validUntil: new Date(Date.now() + 30 * 86_400_000).toISOString(),
  };

  it('serves the catalogue to signed-in callers only', async () => {
    expect((await app.inject('/api/sharing/datasets')).statusCode).toBe(401);
    const { token } = await residentWithCase();
    const res = await app.inject({ url: '/api/sharing/datasets', headers: auth(token) });
    expect(res.statusCode).toBe(200);
    const datasets = res.json<{ code: string; adapter: string; provider: { name: string } }[]>();
    expect(datasets.map((d) => d.code)).toEqual(
      expect.arrayContaining([
        'ps.household_register',
        'health.birth_record',
        'health.vaccination',
        'medsec.insured_person',
        'civil.marriage_record',
        'licence.residence',
      ]),
    );
    // The e-licence library: one dataset per certificate type, from the province.
    expect(datasets.find((d) => d.code === 'licence.residence')).toMatchObject({ adapter: 'licences', provider: { name: '河北省' } });
  });

  it('lets only the provider grant, with bilingual errors', async () => {
    const body = { ...grantBody, consumerOrgCode: ctx.departments.public_security! };
    const { token: resident } = await residentWithCase();
    expect((await app.inject({ method: 'POST', url: '/api/sharing/grants', headers: auth(resident), payload: body })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: '/api/sharing/grants', headers: auth(police), payload: body })).statusCode).toBe(403);
    const unknown = await app.inject({
      method: 'POST',
      url: '/api/sharing/grants',
      headers: auth(civil, 'en'),
      payload: { ...body, fields: ['income'] },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({
      error: { code: 'UNKNOWN_FIELD', message: 'Dataset "civil.marriage_record" has no field: income' },
    });
    expect(
      (await app.inject({ method: 'POST', url: '/api/sharing/grants', headers: auth(civil), payload: { ...body, datasetCode: 'x.y' } }))
        .statusCode,
    ).toBe(404);
    const created = await app.inject({ method: 'POST', url: '/api/sharing/grants', headers: auth(civil), payload: body });
    expect(created.statusCode).toBe(201);
    const listed = await app.inject({ url: `/api/sharing/grants?orgCode=${ctx.departments.public_security!}`, headers: auth(police) });
    expect(listed.json<{ id: string }[]>().map((g) => g.id)).toContain(created.json<{ id: string }>().id);
    expect((await app.inject({ url: `/api/sharing/grants?orgCode=${ctx.departments.civil_affairs!}`, headers: auth(hr) })).statusCode).toBe(
      403,
    );
  });

  it('runs the consent flow over HTTP, with the access matrix', async () => {
    const { token: resident, caseId } = await residentWithCase();
    const { token: stranger } = await residentWithCase();
    const exchange = {
      requestKey: `k-${Date.now()}-a`,
      datasetCode: 'civil.marriage_record',
      fields: ['spouseName'],
      purpose: 'birth.social_security_card',
      caseId,
    };
    const post = (token: string, payload: object, lang?: string) =>
      app.inject({ method: 'POST', url: '/api/sharing/exchanges', headers: auth(token, lang), payload });

    const refused = await post(police, exchange);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ error: { code: 'GRANT_REQUIRED', message: '没有覆盖所请求字段与用途的有效数据共享授权' } });
    await app.inject({
      method: 'POST',
      url: '/api/sharing/grants',
      headers: auth(civil),
      payload: { ...grantBody, consumerOrgCode: ctx.departments.public_security! },
    });

    const ok = { ...exchange, purpose: 'birth.household_registration' };
    expect((await post(hr, ok)).statusCode).toBe(404);
    expect((await post(resident, ok)).statusCode).toBe(403);
    expect((await post(police, { ...ok, fields: ['nope'] })).statusCode).toBe(400);
    const pending = await post(police, ok);
    expect(pending.statusCode).toBe(201);
    const id = pending.json<{ exchange: { id: string; status: string }; data?: unknown }>().exchange.id;
    expect(pending.json()).toMatchObject({ exchange: { status: 'pending_consent' }, replayed: false });
    expect(pending.json()).not.toHaveProperty('data');

    expect((await app.inject({ url: '/api/sharing/my/consents', headers: auth(police) })).statusCode).toBe(403);
    const consents = await app.inject({ url: '/api/sharing/my/consents', headers: auth(resident) });
    expect(consents.json<{ id: string }[]>().map((c) => c.id)).toEqual([id]);
    expect((await app.inject({ method: 'POST', url: `/api/sharing/my/consents/${id}/approve`, headers: auth(stranger) })).statusCode).toBe(
      404,
    );
    expect((await app.inject({ method: 'POST', url: `/api/sharing/my/consents/${id}/approve`, headers: auth(resident) })).statusCode).toBe(
      200,
    );
    const twice = await app.inject({ method: 'POST', url: `/api/sharing/my/consents/${id}/decline`, headers: auth(resident) });
    expect(twice.statusCode).toBe(409);
    expect(twice.json()).toMatchObject({ error: { code: 'EXCHANGE_NOT_PENDING' } });

    const collected = await post(police, ok);
    expect(collected.statusCode).toBe(200);
    expect(collected.json()).toMatchObject({ exchange: { id, status: 'completed' }, data: { spouseName: '郑浩' }, replayed: true });

    const mine = await app.inject({ url: '/api/sharing/my/exchanges', headers: auth(resident) });
    expect(mine.json<{ items: { id: string; ledgerEntryId: number | null }[] }>().items.map((e) => e.id)).toEqual([id]);
    expect(mine.json<{ items: { ledgerEntryId: number | null }[] }>().items[0]!.ledgerEntryId).not.toBeNull();
    expect((await app.inject({ url: '/api/sharing/my/exchanges', headers: auth(stranger) })).json<{ items: unknown[] }>().items).toEqual(
      [],
    );
    expect((await app.inject({ url: `/api/sharing/exchanges/${id}`, headers: auth(stranger) })).statusCode).toBe(404);
    expect((await app.inject({ url: `/api/sharing/exchanges/${id}`, headers: auth(hr) })).statusCode).toBe(404);
    expect((await app.inject({ url: `/api/sharing/exchanges/${id}`, headers: auth(police) })).statusCode).toBe(200);
  });
});

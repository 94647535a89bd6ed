import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/http/server.ts';
import { extractBundleFromPdf } from '../src/verify/pdf-extract.ts';
import { parsePayload } from '../src/verify/document.ts';
import { buildTestApp, createTestContext, PASSWORD, VILLAGE, type TestContext } from './factories.ts';

describe('GET /api/certificates/:id/pdf', () => {
  let ctx: TestContext;
  let app: App;
  beforeAll(async () => {
    ctx = await createTestContext('pglite');
    app = await buildTestApp(ctx);
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
  });

  it('gives the holder a signed PDF carrying the bundle, and a stranger a 404', async () => {
    const resident = await ctx.newResident({ name: '刘洋' });
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const { case: c } = await ctx.services.applications.submit(resident, {
      serviceCode: 'cert.residence',
      form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
    });
    await ctx.services.applications.act(reviewer, c.id, 'approve');
    const cert = await ctx.services.certificates.getByCase(resident, c.id);
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { kind: 'resident', residentIdOrPhone: resident.residentId, password: PASSWORD, channel: 'app' },
    });
    const token = login.json<{ token: string }>().token;
    const res = await app.inject({ url: `/api/certificates/${cert.id}/pdf`, headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const bundle = await extractBundleFromPdf(new Uint8Array(res.rawPayload));
    expect(parsePayload(bundle!.payload)?.id).toBe(cert.identifier);
    expect(bundle!.disclosures.map((d) => d.name)).not.toContain('residentId');

    const stranger = await ctx.newResident();
    const strangerLogin = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { kind: 'resident', residentIdOrPhone: stranger.residentId, password: PASSWORD, channel: 'app' },
    });
    const denied = await app.inject({
      url: `/api/certificates/${cert.id}/pdf`,
      headers: { authorization: `Bearer ${strangerLogin.json<{ token: string }>().token}` },
    });
    expect(denied.statusCode).toBe(404);
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/http/server.ts';
import { testEngines } from './db.ts';
import { buildTestApp, createTestContext, PASSWORD, VILLAGE, type TestContext } from './factories.ts';

const residence = {
  serviceCode: 'cert.residence',
  form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
};

interface BatchAnswer {
  results: { id: string; outcome: string; state?: string; certificateNote?: string; error?: { code: string; message: string } }[];
  counts: Record<string, number>;
}

describe.each(testEngines())('POST /api/cases/batch-decide on %s', (engine) => {
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

  async function staffToken(role: Parameters<TestContext['newStaff']>[0], org: string): Promise<string> {
    const s = await ctx.newStaff(role, org);
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { kind: 'staff', username: s.username, password: PASSWORD, channel: 'web' },
    });
    return res.json<{ token: string }>().token;
  }

  async function submitted(homeOrgCode = VILLAGE): Promise<string> {
    const resident = await ctx.newResident({ homeOrgCode });
    return (await ctx.services.applications.submit(resident, residence)).case.id;
  }

  const decide = (token: string, body: unknown, lang = 'zh-CN') =>
    app.inject({
      method: 'POST',
      url: '/api/cases/batch-decide',
      headers: { authorization: `Bearer ${token}`, 'accept-language': lang },
      payload: body as object,
    });

  it('approves a reviewer’s cases, with a result per case in the caller’s language', async () => {
    const token = await staffToken('village_reviewer', VILLAGE);
    const own = [await submitted(), await submitted()];
    const elsewhere = await submitted(ctx.otherVillage);
    const res = await decide(token, { ids: [...own, elsewhere], decision: 'approve' }, 'en');
    expect(res.statusCode).toBe(200);
    const body = res.json<BatchAnswer>();
    expect(body.counts).toEqual({ approved: 2, rejected: 0, conflict: 0, not_found: 1, forbidden: 0, failed: 0 });
    expect(body.results.map((r) => r.outcome)).toEqual(['approved', 'approved', 'not_found']);
    expect(body.results[0]?.state).toBe('completed');
    expect(body.results[0]?.certificateNote).toMatch(/1\.2\.156\.3005\.2\./);
    expect(body.results[2]).toEqual({ id: elsewhere, outcome: 'not_found', error: { code: 'NOT_FOUND', message: 'Case not found' } });

    const again = (await decide(token, { ids: own, decision: 'approve' })).json<BatchAnswer>();
    expect(again.results.map((r) => r.error?.code)).toEqual(['ALREADY_DECIDED', 'ALREADY_DECIDED']);
    expect(again.results[0]?.error?.message).toBe('该办件已有审批结论');
    // The certificates are there, once each.
    for (const id of own) {
      const cert = await ctx.services.certificates.getByCase(await ctx.newStaff('county_admin', '130123'), id);
      expect(cert.caseId).toBe(id);
    }
  });

  it('validates the body and the caller', async () => {
    const token = await staffToken('village_reviewer', VILLAGE);
    const tooMany = Array.from({ length: 501 }, () => randomUUID());
    for (const body of [
      { ids: [], decision: 'approve' },
      { ids: tooMany, decision: 'approve' },
      { ids: [randomUUID()], decision: 'maybe' },
      { ids: [randomUUID()] },
    ]) {
      const res = await decide(token, body);
      expect(res.statusCode).toBe(400);
      expect(res.json<{ error: { code: string } }>().error.code).toBe('VALIDATION_FAILED');
    }
    const noReason = await decide(token, { ids: [await submitted()], decision: 'reject' }, 'en');
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json<{ error: { message: string } }>().error.message).toContain('a reason is required');
    const anonymous = await app.inject({
      method: 'POST',
      url: '/api/cases/batch-decide',
      payload: { ids: [randomUUID()], decision: 'approve' },
    });
    expect(anonymous.statusCode).toBe(401);
    const resident = await ctx.newResident();
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { kind: 'resident', residentIdOrPhone: resident.residentId, password: PASSWORD, channel: 'app' },
    });
    const asResident = await decide(login.json<{ token: string }>().token, { ids: [randomUUID()], decision: 'approve' });
    expect(asResident.statusCode).toBe(403);
  });
});

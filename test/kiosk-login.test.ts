import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import type { App } from '../src/http/server.ts';
import { testEngines } from './db.ts';
import { createTestContext, freshResidentId, type TestContext } from './factories.ts';

describe.each(testEngines())('kiosk login with a one-time code on %s', (engine) => {
  let ctx: TestContext;
  let app: App;

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    app = await buildApp({ database: ctx.database, services: ctx.services, close: () => ctx.close() }, { logLevel: 'silent' });
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
  });

  const code = (residentId: string) => app.inject({ method: 'POST', url: '/api/auth/kiosk/code', payload: { residentId } });
  const login = (residentId: string, c: string) => app.inject({ method: 'POST', url: '/api/auth/kiosk/login', payload: { residentId, code: c } });

  it('logs in with the right code once, sets no cookie, and the session is a kiosk one', async () => {
    const r = await ctx.newResident();
    const sent = await code(r.residentId);
    expect(sent.statusCode).toBe(200);
    const demoCode = sent.json<{ demoCode: string }>().demoCode;
    expect(demoCode).toMatch(/^\d{6}$/);
    const wrong = String((Number(demoCode) + 1) % 1_000_000).padStart(6, '0');
    const bad = await login(r.residentId, wrong);
    expect(bad.statusCode).toBe(401);
    expect(bad.json<{ error: { code: string } }>().error.code).toBe('ONE_TIME_CODE_INVALID');

    const ok = await login(r.residentId, demoCode);
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['set-cookie']).toBeUndefined();
    const body = ok.json<{ token: string; expiresAt: string; account: { id: string; kind: string } }>();
    expect(body.account).toMatchObject({ id: r.accountId, kind: 'resident' });
    expect(Date.parse(body.expiresAt) - Date.now()).toBeLessThanOrEqual(15 * 60_000);
    const me = await app.inject({ url: '/api/me', headers: { authorization: `Bearer ${body.token}` } });
    expect(me.json<{ accountId: string }>().accountId).toBe(r.accountId);

    // Used up.
    expect((await login(r.residentId, demoCode)).statusCode).toBe(401);
  });

  it('answers the same for an unknown ID number and gives up a code after five wrong tries', async () => {
    const unknown = await code(freshResidentId());
    expect(unknown.statusCode).toBe(200);
    expect(unknown.json()).not.toHaveProperty('demoCode');

    const r = await ctx.newResident();
    const demoCode = (await code(r.residentId)).json<{ demoCode: string }>().demoCode;
    const wrong = String((Number(demoCode) + 1) % 1_000_000).padStart(6, '0');
    for (let i = 0; i < 5; i++) expect((await login(r.residentId, wrong)).statusCode).toBe(401);
    expect((await login(r.residentId, demoCode)).statusCode).toBe(401);
  });
});

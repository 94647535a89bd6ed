import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKioskLogin, type CodeSender } from '../src/modules/identity/kiosk-login.ts';
import type { App } from '../src/http/server.ts';
import { testEngines } from './db.ts';
import { buildTestApp, createTestContext, freshResidentId, type TestContext } from './factories.ts';

describe.each(testEngines())('kiosk login with a one-time code on %s', (engine) => {
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

  const code = (residentId: string) => app.inject({ method: 'POST', url: '/api/auth/kiosk/code', payload: { residentId } });
  // As an API client (X-Auth-Mode: bearer): the token in the body, no cookie. The kiosk page's own
  // cookie login is in test/browser-hardening.test.ts.
  const login = (residentId: string, c: string) =>
    app.inject({ method: 'POST', url: '/api/auth/kiosk/login', headers: { 'x-auth-mode': 'bearer' }, payload: { residentId, code: c } });

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

  it('sends at most one code a minute, and the code stays the one sent', async () => {
    const r = await ctx.newResident();
    const first = (await code(r.residentId)).json<{ demoCode: string; expiresAt: string }>();
    const again = await code(r.residentId);
    expect(again.statusCode).toBe(200);
    // Nothing new sent: no code in the answer, and the first code's expiry.
    expect(again.json()).not.toHaveProperty('demoCode');
    expect(again.json<{ expiresAt: string }>().expiresAt).toBe(first.expiresAt);
    expect((await login(r.residentId, first.demoCode)).statusCode).toBe(200);
  });

  it('checks a code that another process sent, and gives one session for two logins with one code', async () => {
    const sent: string[] = [];
    const sender: CodeSender = { showsCode: false, send: async (_to, c) => void sent.push(c) };
    const deps = { db: ctx.database.db, residents: ctx.services.identity, clock: () => new Date() };
    const processA = createKioskLogin({ ...deps, sender });
    const processB = createKioskLogin({ ...deps, sender });
    const r = await ctx.newResident();
    expect(await processA.requestCode(r.residentId)).not.toHaveProperty('demoCode');
    expect(sent).toHaveLength(1);
    const results = await Promise.allSettled([processB.login(r.residentId, sent[0]!), processA.login(r.residentId, sent[0]!)]);
    expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((x) => x.status === 'rejected');
    expect((rejected as PromiseRejectedResult).reason).toMatchObject({ code: 'ONE_TIME_CODE_INVALID' });
    const sessions = await ctx.database.db.execute<{ n: number }>(
      sql`select count(*)::int as n from sessions where account_id = ${r.accountId} and channel = 'kiosk'`,
    );
    expect(sessions.rows[0]?.n).toBe(1);
  });
});

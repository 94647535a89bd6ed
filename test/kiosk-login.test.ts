import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKioskLogin } from '../src/modules/identity/kiosk-login.ts';
import { demoCodeSender, type CodeSender } from '../src/modules/identity/code-senders.ts';
import { kioskRoutes } from '../src/modules/identity/kiosk.routes.ts';
import { buildServer, type App } from '../src/http/server.ts';
import { testEngines } from './db.ts';
import { capturingCodeSender } from './code-sender.ts';
import { buildTestApp, createTestContext, freshResidentId, PASSWORD, type TestContext } from './factories.ts';

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

  // As an API client (X-Auth-Mode: bearer): the token in the body, no cookie. The kiosk page's own
  // cookie login is in test/browser-hardening.test.ts.
  /** Asks for a code and waits until whatever it sends has been handed to the sender. */
  const code = async (residentId: string) => {
    const answer = await app.inject({ method: 'POST', url: '/api/auth/kiosk/code', payload: { residentId } });
    await ctx.services.kiosk.settled();
    return answer;
  };
  const login = (residentId: string, c: string) =>
    app.inject({ method: 'POST', url: '/api/auth/kiosk/login', headers: { 'x-auth-mode': 'bearer' }, payload: { residentId, code: c } });
  const passwordLogin = (residentId: string, password: string) =>
    app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { kind: 'resident', residentIdOrPhone: residentId, password, channel: 'web' },
    });
  const wrongOf = (c: string) => String((Number(c) + 1) % 1_000_000).padStart(6, '0');
  const errorCode = (r: { json: <T>() => T }) => r.json<{ error: { code: string } }>().error.code;
  const kioskSessions = async (accountId: string) =>
    (
      await ctx.database.db.execute<{ n: number }>(
        sql`select count(*)::int as n from sessions where account_id = ${accountId} and channel = 'kiosk'`,
      )
    ).rows[0]?.n;

  it('sends the code to the resident phone, never in the answer, and logs in with it once without a cookie', async () => {
    const r = await ctx.newResident();
    const sent = await code(r.residentId);
    expect(sent.statusCode).toBe(200);
    expect(sent.json()).toEqual({ accepted: true, expiresInSeconds: 300, delivery: 'sms' });
    const theCode = ctx.codes.lastCodeTo(r.phone);
    expect(theCode).toMatch(/^\d{6}$/);
    expect(sent.body).not.toContain(theCode);
    const message = ctx.codes.sent.at(-1);
    expect(message).toMatchObject({ phone: r.phone, minutes: 5 });
    expect(message?.residentIdMasked).toMatch(/^\d{6}\*{8}[\dX]{4}$/);

    const bad = await login(r.residentId, wrongOf(theCode));
    expect(bad.statusCode).toBe(401);
    expect(errorCode(bad)).toBe('ONE_TIME_CODE_INVALID');

    const ok = await login(r.residentId, theCode);
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['set-cookie']).toBeUndefined();
    const body = ok.json<{ token: string; expiresAt: string; account: { id: string; kind: string } }>();
    expect(body.account).toMatchObject({ id: r.accountId, kind: 'resident' });
    expect(Date.parse(body.expiresAt) - Date.now()).toBeLessThanOrEqual(15 * 60_000);
    const me = await app.inject({ url: '/api/me', headers: { authorization: `Bearer ${body.token}` } });
    expect(me.json<{ accountId: string }>().accountId).toBe(r.accountId);

    // Used up.
    expect((await login(r.residentId, theCode)).statusCode).toBe(401);
  });

  it('answers a registered, an unknown and a locked ID number alike, and sends only to the one that may log in', async () => {
    const registered = await ctx.newResident();
    const locked = await ctx.newResident();
    for (let i = 0; i < 5; i++) await passwordLogin(locked.residentId, 'Wrong-pass-1');
    const before = ctx.codes.sent.length;
    const answers = await Promise.all([registered.residentId, freshResidentId(), locked.residentId].map((id) => code(id)));
    await ctx.services.kiosk.settled();
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200]);
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    expect(ctx.codes.sent.slice(before).map((m) => m.phone)).toEqual([registered.phone]);
  });

  it('answers before the code is sent, so a slow gateway does not tell that an ID number is registered', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const sent: string[] = [];
    const slow: CodeSender = {
      delivery: 'sms',
      send: async (m) => {
        await held;
        sent.push(m.code);
      },
    };
    const kiosk = createKioskLogin({ db: ctx.database.db, masterKey: ctx.masterKey, sender: slow, clock: () => new Date() });
    const r = await ctx.newResident();
    // Resolves although the sender has not finished (and would not, without the release below).
    await expect(kiosk.requestCode(r.residentId)).resolves.toMatchObject({ accepted: true });
    expect(sent).toEqual([]);
    release();
    await kiosk.settled();
    expect(sent).toHaveLength(1);
  });

  it('stores the code only as a keyed hash', async () => {
    const r = await ctx.newResident();
    await code(r.residentId);
    const theCode = ctx.codes.lastCodeTo(r.phone);
    const rows = await ctx.database.db.execute<{ code_hash: string }>(
      sql`select code_hash from kiosk_codes where account_id = ${r.accountId}`,
    );
    const stored = rows.rows[0]?.code_hash ?? '';
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
    expect(stored).not.toBe(createHash('sha256').update(theCode).digest('hex'));
    expect(stored).not.toContain(theCode);
  });

  it('wrong codes count toward the password lock: five lock the account, then neither the code nor the password works', async () => {
    const r = await ctx.newResident();
    await code(r.residentId);
    const theCode = ctx.codes.lastCodeTo(r.phone);
    for (let i = 0; i < 4; i++) expect(errorCode(await login(r.residentId, wrongOf(theCode)))).toBe('ONE_TIME_CODE_INVALID');
    const fifth = await login(r.residentId, wrongOf(theCode));
    expect(fifth.statusCode).toBe(423);
    expect(errorCode(fifth)).toBe('ACCOUNT_LOCKED');
    expect((await login(r.residentId, theCode)).statusCode).toBe(423);
    expect((await passwordLogin(r.residentId, PASSWORD)).statusCode).toBe(423);
    expect(await kioskSessions(r.accountId)).toBe(0);
  });

  it('wrong passwords and wrong codes add up to one lock, and a locked account cannot log in with a code', async () => {
    const r = await ctx.newResident();
    await code(r.residentId);
    const theCode = ctx.codes.lastCodeTo(r.phone);
    for (let i = 0; i < 3; i++) expect((await passwordLogin(r.residentId, 'Wrong-pass-1')).statusCode).toBe(401);
    expect((await login(r.residentId, wrongOf(theCode))).statusCode).toBe(401);
    expect((await login(r.residentId, wrongOf(theCode))).statusCode).toBe(423);
    // The right code, sent before the lock, does not open a locked account.
    const refused = await login(r.residentId, theCode);
    expect(refused.statusCode).toBe(423);
    expect(errorCode(refused)).toBe('ACCOUNT_LOCKED');
    expect(await kioskSessions(r.accountId)).toBe(0);
  });

  it('a good kiosk login clears earlier failures, as a good password login does', async () => {
    const r = await ctx.newResident();
    for (let i = 0; i < 4; i++) await passwordLogin(r.residentId, 'Wrong-pass-1');
    await code(r.residentId);
    expect((await login(r.residentId, ctx.codes.lastCodeTo(r.phone))).statusCode).toBe(200);
    // Four more failures do not lock: the counter started again.
    for (let i = 0; i < 4; i++) expect((await passwordLogin(r.residentId, 'Wrong-pass-1')).statusCode).toBe(401);
  });

  it('refuses a disabled account at login, with the right code, and gives no session', async () => {
    const r = await ctx.newResident();
    await code(r.residentId);
    const theCode = ctx.codes.lastCodeTo(r.phone);
    const township = await ctx.newStaff('township_admin', '130123100');
    await ctx.services.identity.disableAccount(township, r.accountId);
    const refused = await login(r.residentId, theCode);
    expect(refused.statusCode).toBe(403);
    expect(errorCode(refused)).toBe('ACCOUNT_DISABLED');
    expect(await kioskSessions(r.accountId)).toBe(0);
    // And no new code reaches a disabled account.
    const sentBefore = ctx.codes.codesTo(r.phone).length;
    expect((await code(r.residentId)).statusCode).toBe(200);
    expect(ctx.codes.codesTo(r.phone)).toHaveLength(sentBefore);
  });

  it('sends at most one code a minute, and the code stays the one sent', async () => {
    const r = await ctx.newResident();
    const first = await code(r.residentId);
    const again = await code(r.residentId);
    expect(again.statusCode).toBe(200);
    expect(again.body).toBe(first.body);
    expect(ctx.codes.codesTo(r.phone)).toHaveLength(1);
    expect((await login(r.residentId, ctx.codes.lastCodeTo(r.phone))).statusCode).toBe(200);
  });

  it('a code expires after five minutes', async () => {
    let now = new Date();
    const sender = capturingCodeSender();
    const kiosk = createKioskLogin({ db: ctx.database.db, masterKey: ctx.masterKey, sender, clock: () => now });
    const r = await ctx.newResident();
    await kiosk.requestCode(r.residentId);
    await kiosk.settled();
    now = new Date(now.getTime() + 5 * 60_000 + 1000);
    await expect(kiosk.login(r.residentId, sender.lastCodeTo(r.phone))).rejects.toMatchObject({ code: 'ONE_TIME_CODE_INVALID' });
  });

  it('checks a code that another process sent, and gives one session for two logins with one code', async () => {
    const sender = capturingCodeSender();
    const deps = { db: ctx.database.db, masterKey: ctx.masterKey, clock: () => new Date() };
    const processA = createKioskLogin({ ...deps, sender });
    const processB = createKioskLogin({ ...deps, sender });
    const r = await ctx.newResident();
    await processA.requestCode(r.residentId);
    await processA.settled();
    const theCode = sender.lastCodeTo(r.phone);
    const results = await Promise.allSettled([processB.login(r.residentId, theCode), processA.login(r.residentId, theCode)]);
    expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((x) => x.status === 'rejected');
    expect((rejected as PromiseRejectedResult).reason).toMatchObject({ code: 'ONE_TIME_CODE_INVALID' });
    expect(await kioskSessions(r.accountId)).toBe(1);
  });

  it('without a configured sender, every code request answers 503 KIOSK_LOGIN_UNAVAILABLE in both languages', async () => {
    const kiosk = createKioskLogin({ db: ctx.database.db, masterKey: ctx.masterKey, sender: null, clock: () => new Date() });
    const bare = await buildServer({
      database: ctx.database,
      auth: ctx.services.identity,
      apiRoutes: [kioskRoutes({ kiosk })],
      logLevel: 'silent',
    });
    try {
      const r = await ctx.newResident();
      for (const residentId of [r.residentId, freshResidentId()]) {
        const zh = await bare.inject({ method: 'POST', url: '/api/auth/kiosk/code', payload: { residentId } });
        expect(zh.statusCode).toBe(503);
        const error = zh.json<{ error: { code: string; message: string } }>().error;
        expect(error.code).toBe('KIOSK_LOGIN_UNAVAILABLE');
        expect(error.message).toContain('自助终端验证码登录暂不可用');
        const en = await bare.inject({
          method: 'POST',
          url: '/api/auth/kiosk/code',
          payload: { residentId },
          headers: { 'accept-language': 'en' },
        });
        expect(en.json<{ error: { message: string } }>().error.message).toContain('Kiosk login with a text-message code is unavailable');
      }
      expect(
        await ctx.database.db.execute(sql`select 1 from kiosk_codes where account_id = ${r.accountId}`).then((x) => x.rows.length),
      ).toBe(0);
    } finally {
      await bare.close();
    }
  });

  it('in demo mode the code goes to the server console, labelled, and still never into the answer', async () => {
    const printed: string[] = [];
    const kiosk = createKioskLogin({
      db: ctx.database.db,
      masterKey: ctx.masterKey,
      sender: demoCodeSender((l) => printed.push(l)),
      clock: () => new Date(),
    });
    const demo = await buildServer({
      database: ctx.database,
      auth: ctx.services.identity,
      apiRoutes: [kioskRoutes({ kiosk })],
      logLevel: 'silent',
    });
    try {
      const r = await ctx.newResident();
      const answer = await demo.inject({ method: 'POST', url: '/api/auth/kiosk/code', payload: { residentId: r.residentId } });
      await kiosk.settled();
      expect(answer.json()).toEqual({ accepted: true, expiresInSeconds: 300, delivery: 'console' });
      expect(printed).toHaveLength(1);
      const printedCode = /: (\d{6}) /.exec(printed[0] ?? '')?.[1];
      expect(printedCode).toMatch(/^\d{6}$/);
      expect(answer.body).not.toContain(printedCode);
      expect(printed[0]).toContain('演示 DEMO');
      expect(printed[0]).not.toContain(r.phone);
      expect(
        (await demo.inject({ method: 'POST', url: '/api/auth/kiosk/login', payload: { residentId: r.residentId, code: printedCode } }))
          .statusCode,
      ).toBe(200);
    } finally {
      await demo.close();
    }
  });

  it('refuses a malformed ID number with the one error type, and changes nothing', async () => {
    const valid = freshResidentId();
    const bad = await code(valid.slice(0, 17) + (valid[17] === '0' ? '1' : '0'));
    expect(bad.statusCode).toBe(400);
    expect(errorCode(bad)).toBe('INVALID_RESIDENT_ID');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GLOBAL_LOCK_SOURCES, LOCK_MS, MAX_FAILED_LOGINS } from '../src/modules/identity/lockout.ts';
import { testEngines } from './db.ts';
import { createTestContext, PASSWORD, type TestContext } from './factories.ts';

/**
 * The lockout shared by password and kiosk-code login: per account and address first, for
 * everyone only while several addresses are locked, and never longer than 15 minutes.
 */
describe.each(testEngines())('login lockout on %s', (engine) => {
  let ctx: TestContext;
  const clock = { now: new Date() };

  beforeAll(async () => {
    ctx = await createTestContext(engine, { clock: () => clock.now });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  const password = (residentId: string, pw: string, source: string) =>
    ctx.services.identity.login({ kind: 'resident', residentIdOrPhone: residentId, password: pw, channel: 'web', source });
  const lockFrom = async (residentId: string, source: string) => {
    for (let i = 0; i < MAX_FAILED_LOGINS - 1; i++)
      await expect(password(residentId, 'Wrong-pass-1', source)).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    await expect(password(residentId, 'Wrong-pass-1', source)).rejects.toMatchObject({ code: 'ACCOUNT_LOCKED' });
  };
  const kioskCode = async (r: { residentId: string; phone: string }, source: string) => {
    await ctx.services.kiosk.requestCode(r.residentId, source);
    await ctx.services.kiosk.settled();
    return ctx.codes.lastCodeTo(r.phone);
  };

  it("one address's failures lock the account only for that address: the resident still logs in elsewhere, by password or kiosk code", async () => {
    const r = await ctx.newResident();
    await lockFrom(r.residentId, '203.0.113.7');
    await expect(password(r.residentId, PASSWORD, '203.0.113.7')).rejects.toMatchObject({ code: 'ACCOUNT_LOCKED' });
    await expect(password(r.residentId, PASSWORD, '198.51.100.20')).resolves.toMatchObject({ account: { id: r.accountId } });
    const code = await kioskCode(r, '192.0.2.30');
    await expect(ctx.services.kiosk.login(r.residentId, code, '192.0.2.30')).resolves.toMatchObject({ account: { id: r.accountId } });
  });

  it('wrong kiosk codes lock that address too, and the lock does not follow the resident to another kiosk', async () => {
    const r = await ctx.newResident();
    const code = await kioskCode(r, '192.0.2.40');
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    for (let i = 0; i < MAX_FAILED_LOGINS - 1; i++)
      await expect(ctx.services.kiosk.login(r.residentId, wrong, '203.0.113.8')).rejects.toMatchObject({ code: 'ONE_TIME_CODE_INVALID' });
    await expect(ctx.services.kiosk.login(r.residentId, wrong, '203.0.113.8')).rejects.toMatchObject({ code: 'ACCOUNT_LOCKED' });
    await expect(ctx.services.kiosk.login(r.residentId, code, '203.0.113.8')).rejects.toMatchObject({ code: 'ACCOUNT_LOCKED' });
    await expect(password(r.residentId, PASSWORD, '203.0.113.8')).rejects.toMatchObject({ code: 'ACCOUNT_LOCKED' });
    // The guesses used up that code's tries; a new one (a minute later) works at the resident's kiosk.
    clock.now = new Date(clock.now.getTime() + 61_000);
    const fresh = await kioskCode(r, '192.0.2.40');
    expect(fresh).not.toBe(code);
    await expect(ctx.services.kiosk.login(r.residentId, fresh, '192.0.2.40')).resolves.toMatchObject({ account: { id: r.accountId } });
  });

  it(`failures from ${GLOBAL_LOCK_SOURCES} addresses lock the account for everyone, and every lock ends after 15 minutes`, async () => {
    const r = await ctx.newResident();
    for (let i = 0; i < GLOBAL_LOCK_SOURCES; i++) await lockFrom(r.residentId, `203.0.113.${100 + i}`);
    await expect(password(r.residentId, PASSWORD, '198.51.100.99')).rejects.toMatchObject({ code: 'ACCOUNT_LOCKED' });
    // A locked account gets no code either (the answer is the same as ever).
    const before = ctx.codes.codesTo(r.phone).length;
    await ctx.services.kiosk.requestCode(r.residentId, '198.51.100.99');
    await ctx.services.kiosk.settled();
    expect(ctx.codes.codesTo(r.phone)).toHaveLength(before);

    clock.now = new Date(clock.now.getTime() + LOCK_MS + 1000);
    await expect(password(r.residentId, PASSWORD, '198.51.100.99')).resolves.toMatchObject({ account: { id: r.accountId } });
    await expect(password(r.residentId, PASSWORD, '203.0.113.100')).resolves.toMatchObject({ account: { id: r.accountId } });
  });

  it('failures older than the window are forgotten: four, a quarter of an hour, four more do not lock', async () => {
    const r = await ctx.newResident();
    for (let i = 0; i < MAX_FAILED_LOGINS - 1; i++)
      await expect(password(r.residentId, 'Wrong-pass-1', '203.0.113.9')).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    clock.now = new Date(clock.now.getTime() + LOCK_MS + 1000);
    for (let i = 0; i < MAX_FAILED_LOGINS - 1; i++)
      await expect(password(r.residentId, 'Wrong-pass-1', '203.0.113.9')).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    await expect(password(r.residentId, PASSWORD, '203.0.113.9')).resolves.toBeTruthy();
  });

  it('an administrator enabling a disabled account lifts its locks', async () => {
    const r = await ctx.newResident();
    await lockFrom(r.residentId, '203.0.113.10');
    const township = await ctx.newStaff('township_admin', '130123100');
    await ctx.services.identity.disableAccount(township, r.accountId);
    await ctx.services.identity.enableAccount(township, r.accountId);
    await expect(password(r.residentId, PASSWORD, '203.0.113.10')).resolves.toMatchObject({ account: { id: r.accountId } });
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ACCOUNT_WIDE_FACTOR,
  DEFAULT_RATE_LIMITS,
  loadRateLimits,
  parseLimit,
  raiseRateLimits,
  rateLimitEnvName,
} from '../src/core/rate-limits.ts';
import type { App } from '../src/http/server.ts';
import { buildTestApp, createTestContext, freshResidentId, type TestContext } from './factories.ts';

describe('rate limit configuration', () => {
  it('reads N/window from the environment over the defaults, and refuses nonsense', () => {
    expect(parseLimit('10/1m', 'X')).toEqual({ max: 10, windowMs: 60_000 });
    expect(parseLimit(' 5 / 30s ', 'X')).toEqual({ max: 5, windowMs: 30_000 });
    expect(parseLimit('100/2h', 'X')).toEqual({ max: 100, windowMs: 7_200_000 });
    for (const bad of ['10', '0/1m', '10/0m', '10/1d', 'ten/1m', '-1/1m']) expect(() => parseLimit(bad, 'X')).toThrow(/X must look like/);

    expect(rateLimitEnvName('kioskCode', 'perAddress')).toBe('YIBAN_RATE_KIOSK_CODE_PER_ADDRESS');
    const limits = loadRateLimits({ YIBAN_RATE_KIOSK_CODE_PER_ADDRESS: '3/1h', YIBAN_RATE_LOGIN_PER_ACCOUNT: '7/5m' });
    expect(limits.kioskCode.perAddress).toEqual({ max: 3, windowMs: 3_600_000 });
    expect(limits.login.perAccount).toEqual({ max: 7, windowMs: 300_000 });
    expect(limits.verify).toEqual(DEFAULT_RATE_LIMITS.verify);
    expect(() => loadRateLimits({ YIBAN_RATE_VERIFY_PER_ACCOUNT: '1/1m' })).toThrow(/name no account/);
    expect(raiseRateLimits(DEFAULT_RATE_LIMITS, 10).login.perAddress.max).toBe(DEFAULT_RATE_LIMITS.login.perAddress.max * 10);
  });
});

/** The production defaults, at work: each limited route class answers 429 with Retry-After past its limit. */
describe('rate limits at the default values', () => {
  let ctx: TestContext;
  let app: App;
  let addressCounter = 0;
  /** A fresh client address for each use, so that tests do not share per-address counters. */
  const freshAddress = () => `10.9.${Math.floor(++addressCounter / 250)}.${(addressCounter % 250) + 1}`;

  beforeAll(async () => {
    ctx = await createTestContext('pglite');
    app = await buildTestApp(ctx, { rateLimits: DEFAULT_RATE_LIMITS });
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  type Payload = Record<string, unknown>;
  const post = (url: string, payload: Payload, remoteAddress: string, lang?: string) =>
    app.inject({ method: 'POST', url, payload, remoteAddress, ...(lang ? { headers: { 'accept-language': lang } } : {}) });

  function expectLimited(response: Awaited<ReturnType<typeof post>>, windowMs: number): void {
    expect(response.statusCode).toBe(429);
    const retryAfter = Number(response.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(windowMs / 1000);
    const body = response.json<{ error: { code: string; message: string } }>();
    expect(body.error.code).toBe('RATE_LIMITED');
  }

  const routes = {
    login: {
      url: '/api/auth/login',
      body: (account: string): Payload => ({ kind: 'staff', username: account, password: 'Wrong-pass-1', channel: 'web' }),
    },
    kioskCode: { url: '/api/auth/kiosk/code', body: (account: string): Payload => ({ residentId: account }) },
    kioskLogin: { url: '/api/auth/kiosk/login', body: (account: string): Payload => ({ residentId: account, code: '000000' }) },
    register: {
      url: '/api/auth/residents/register',
      body: (account: string): Payload => ({ name: '限流', residentId: account, phone: '13900000000', password: 'short' }),
    },
  } as const;
  const accountFor = (cls: keyof typeof routes) =>
    cls === 'login' ? `nobody${addressCounter}x${Math.random().toString(36).slice(2, 8)}` : freshResidentId();

  it.each(Object.keys(routes) as (keyof typeof routes)[])(
    '%s: per address, many accounts from one address end in 429 with Retry-After',
    async (cls) => {
      const { url, body } = routes[cls];
      const { max, windowMs } = DEFAULT_RATE_LIMITS[cls].perAddress;
      const address = freshAddress();
      for (let i = 0; i < max; i++) expect((await post(url, body(accountFor(cls)), address)).statusCode).not.toBe(429);
      const refused = await post(url, body(accountFor(cls)), address);
      expectLimited(refused, windowMs);
      expect(refused.json<{ error: { message: string } }>().error.message).toMatch(/^请求过于频繁，请 \d+ 秒后再试$/);
      const english = await post(url, body(accountFor(cls)), address, 'en');
      expectLimited(english, windowMs);
      expect(english.json<{ error: { message: string } }>().error.message).toMatch(/^Too many requests; try again in \d+ s$/);
      // Another address is not affected.
      expect((await post(url, body(accountFor(cls)), freshAddress())).statusCode).not.toBe(429);
    },
  );

  it.each(Object.keys(routes) as (keyof typeof routes)[])(
    '%s: per account, one address asking for one account ends in 429, and neither that address for other accounts nor others for that account are refused',
    async (cls) => {
      const { url, body } = routes[cls];
      const limit = DEFAULT_RATE_LIMITS[cls].perAccount;
      if (!limit) throw new Error(`${cls} has no per-account limit`);
      const account = accountFor(cls);
      const attacker = freshAddress();
      for (let i = 0; i < limit.max; i++) expect((await post(url, body(account), attacker)).statusCode).not.toBe(429);
      expectLimited(await post(url, body(account), attacker), limit.windowMs);
      expect((await post(url, body(accountFor(cls)), attacker)).statusCode).not.toBe(429);
      // The resident, somewhere else, is not shut out by the attacker's requests.
      expect((await post(url, body(account), freshAddress())).statusCode).not.toBe(429);
    },
  );

  it.each(['kioskCode', 'kioskLogin', 'register'] as const)(
    '%s: one account asked for from many addresses ends in 429 at the account-wide limit',
    async (cls) => {
      const { url, body } = routes[cls];
      const limit = DEFAULT_RATE_LIMITS[cls].perAccount!;
      const account = accountFor(cls);
      for (let i = 0; i < limit.max * ACCOUNT_WIDE_FACTOR; i++)
        expect((await post(url, body(account), freshAddress())).statusCode).not.toBe(429);
      expectLimited(await post(url, body(account), freshAddress()), limit.windowMs);
      expect((await post(url, body(accountFor(cls)), freshAddress())).statusCode).not.toBe(429);
    },
  );

  it('a per-account limit ends with its window: an attacker cannot keep the account shut by spending one burst', async () => {
    const { url, body } = routes.kioskCode;
    const limit = DEFAULT_RATE_LIMITS.kioskCode.perAccount!;
    vi.useFakeTimers({ toFake: ['Date'] });
    const account = accountFor('kioskCode');
    const attacker = freshAddress();
    for (let i = 0; i < limit.max; i++) await post(url, body(account), attacker);
    expectLimited(await post(url, body(account), attacker), limit.windowMs);
    vi.setSystemTime(Date.now() + limit.windowMs + 1000);
    expect((await post(url, body(account), attacker)).statusCode).toBe(200);
  });

  it('verify: public verification (POST /api/verify and share links) is limited per address', async () => {
    const { max, windowMs } = DEFAULT_RATE_LIMITS.verify.perAddress;
    const address = freshAddress();
    for (let i = 0; i < max; i++) expect((await post('/api/verify', { qr: 'YB1.nonsense' }, address)).statusCode).toBe(200);
    expectLimited(await post('/api/verify', { qr: 'YB1.nonsense' }, address), windowMs);
    const share = await app.inject({ url: '/api/shared/not-a-real-token', remoteAddress: address });
    expectLimited(share, windowMs);
    expect((await app.inject({ url: '/api/shared/not-a-real-token', remoteAddress: freshAddress() })).statusCode).toBe(404);
  });

  it('routes without a class are not limited', async () => {
    const address = freshAddress();
    for (let i = 0; i < 80; i++) expect((await app.inject({ url: '/api/services', remoteAddress: address })).statusCode).toBe(200);
  });
});

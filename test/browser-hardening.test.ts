import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../src/platform.ts';
import { parseTrustProxy } from '../src/core/config.ts';
import type { App } from '../src/http/server.ts';
import { seedDatasets } from '../src/modules/sharing/sharing.seed.ts';
import { testEngines } from './db.ts';
import { createTestContext, PASSWORD, VILLAGE, type TestContext } from './factories.ts';

// Issue 10, finding 8: cross-site writes with the session cookie, the cookie's attributes behind a
// TLS proxy, security headers, and a session that page scripts cannot read.
const PUBLIC = 'https://yiban.example.gov.cn';
const SITE = { host: 'yiban.example.gov.cn', 'x-forwarded-proto': 'https' };

describe('browser hardening', () => {
  let ctx: TestContext;
  let app: App;
  let police: string;

  beforeAll(async () => {
    ctx = await createTestContext(testEngines()[0]!);
    await ctx.services.sharingAdmin.upsertDatasets(seedDatasets(ctx.departments));
    // Behind one TLS-terminating proxy on the loopback interface (light-my-request's peer address).
    app = await buildApp(
      { database: ctx.database, services: ctx.services, close: () => ctx.close() },
      { logLevel: 'silent', publicUrl: PUBLIC, trustProxy: '127.0.0.1' },
    );
    const civil = await bearerFor({
      kind: 'staff',
      username: (await ctx.newStaff('department_officer', ctx.departments.civil_affairs!)).username,
      channel: 'web',
    });
    police = await bearerFor({
      kind: 'staff',
      username: (await ctx.newStaff('department_officer', ctx.departments.public_security!)).username,
      channel: 'web',
    });
    const grant = await app.inject({
      method: 'POST',
      url: '/api/sharing/grants',
      headers: { authorization: `Bearer ${civil}` },
      payload: {
        datasetCode: 'civil.marriage_record',
        consumerOrgCode: ctx.departments.public_security!,
        fields: ['spouseName'],
        purpose: 'birth.household_registration',
        legalBasis: '《婚姻登记条例》',
        consentRequired: true,
        validUntil: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      },
    });
    expect(grant.statusCode).toBe(201);
  });
  afterAll(async () => {
    await app?.close();
  });

  async function bearerFor(body: Record<string, string>): Promise<string> {
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { ...body, password: PASSWORD },
    });
    expect(res.statusCode).toBe(200);
    expect(res.cookies).toEqual([]);
    return res.json<{ token: string }>().token;
  }

  /** A resident logged in the way the browser does it (from the site, no X-Auth-Mode): the cookie's value. */
  async function browserLogin(headers: Record<string, string> = { ...SITE, origin: PUBLIC }) {
    const r = await ctx.newResident({ name: '吴静' });
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers,
      payload: { kind: 'resident', residentIdOrPhone: r.residentId, password: PASSWORD, channel: 'app' },
    });
    expect(res.statusCode).toBe(200);
    return { resident: r, res, cookie: res.cookies.find((c) => c.name === 'yiban_session') };
  }

  /** A resident with a case and a data request waiting for their consent. */
  async function pendingConsent() {
    const { resident, cookie } = await browserLogin();
    await ctx.services.sharingAdmin.upsertRecords('civil.marriage_record', [
      {
        residentId: resident.residentId,
        data: { maritalStatus: '已婚', spouseName: '郑浩', registeredOn: '2019-01-01', certificateNo: 'J1', registry: '正定县民政局' },
      },
    ]);
    const session = `yiban_session=${cookie!.value}`;
    const submitted = await app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: { ...SITE, origin: PUBLIC, cookie: session },
      payload: { serviceCode: 'birth.household_registration', form: { childName: '郑小', householdHead: '郑浩' } },
    });
    expect(submitted.statusCode).toBe(201);
    const requested = await app.inject({
      method: 'POST',
      url: '/api/sharing/exchanges',
      headers: { authorization: `Bearer ${police}` },
      payload: {
        requestKey: `k-${Date.now()}-${Math.floor(Math.random() * 1e9)}`,
        datasetCode: 'civil.marriage_record',
        fields: ['spouseName'],
        purpose: 'birth.household_registration',
        caseId: submitted.json<{ id: string }>().id,
      },
    });
    expect(requested.json()).toMatchObject({ exchange: { status: 'pending_consent' } });
    return { session, id: requested.json<{ exchange: { id: string } }>().exchange.id };
  }

  async function consentStatus(session: string, id: string): Promise<string | undefined> {
    const res = await app.inject({ url: '/api/sharing/my/consents', headers: { ...SITE, cookie: session } });
    return res.json<{ id: string; status: string }[]>().find((c) => c.id === id)?.status ?? 'gone';
  }

  const decline = (id: string, headers: InjectOptions['headers'], payload = '{}'): Promise<LightMyRequestResponse> =>
    app.inject({ method: 'POST', url: `/api/sharing/my/consents/${id}/decline`, headers, payload });

  it('refuses the cross-site text/plain decline that used to succeed, and changes nothing', async () => {
    const { session, id } = await pendingConsent();
    const attack = await decline(id, {
      ...SITE,
      cookie: session,
      origin: 'https://evil.example',
      'sec-fetch-site': 'cross-site',
      'content-type': 'text/plain',
      'accept-language': 'en',
    });
    expect(attack.statusCode).toBe(403);
    expect(attack.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'CROSS_SITE_REQUEST' });
    expect(attack.json<{ error: { message: string } }>().error.message).toContain('cross-site');
    expect(await consentStatus(session, id)).toBe('pending_consent');
    // A sibling subdomain is same-site (SameSite cookies go along) but not same-origin.
    const sibling = await decline(id, {
      ...SITE,
      cookie: session,
      origin: 'https://blog.example.gov.cn',
      'content-type': 'application/json',
    });
    expect(sibling.statusCode).toBe(403);
    // Origin "null" (a sandboxed frame, a data: page) is no origin of ours either.
    expect((await decline(id, { ...SITE, cookie: session, origin: 'null', 'content-type': 'application/json' })).statusCode).toBe(403);
    expect(await consentStatus(session, id)).toBe('pending_consent');
  });

  it('refuses a text/plain body even from the site itself (415), and accepts the same-origin JSON decline', async () => {
    const { session, id } = await pendingConsent();
    const plain = await decline(id, { ...SITE, cookie: session, origin: PUBLIC, 'content-type': 'text/plain' });
    expect(plain.statusCode).toBe(415);
    expect(plain.json()).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    const form = await decline(
      id,
      { ...SITE, cookie: session, origin: PUBLIC, 'content-type': 'application/x-www-form-urlencoded' },
      'a=1',
    );
    expect(form.statusCode).toBe(415);
    expect(await consentStatus(session, id)).toBe('pending_consent');

    const ok = await decline(id, {
      ...SITE,
      cookie: session,
      origin: PUBLIC,
      'sec-fetch-site': 'same-origin',
      'content-type': 'application/json',
    });
    expect(ok.statusCode).toBe(200);
    expect(await consentStatus(session, id)).not.toBe('pending_consent');
  });

  it("accepts the request's own origin, Sec-Fetch-Site same-origin, or (without Origin) a same-site Referer", async () => {
    const a = await pendingConsent();
    // Reached under another name than the public URL: the page and the API share that origin.
    expect(
      (
        await decline(a.id, {
          host: 'intranet.local:8080',
          cookie: a.session,
          origin: 'http://intranet.local:8080',
          'content-type': 'application/json',
        })
      ).statusCode,
    ).toBe(200);
    // An explicit default port and another letter case in Host name the same origin.
    const d = await pendingConsent();
    expect(
      (
        await decline(d.id, {
          host: 'Intranet.Local:80',
          cookie: d.session,
          origin: 'http://intranet.local',
          'content-type': 'application/json',
        })
      ).statusCode,
    ).toBe(200);
    const b = await pendingConsent();
    expect((await decline(b.id, { ...SITE, cookie: b.session, 'content-type': 'application/json' })).statusCode).toBe(403);
    expect(
      (await decline(b.id, { ...SITE, cookie: b.session, referer: 'https://evil.example/x', 'content-type': 'application/json' }))
        .statusCode,
    ).toBe(403);
    expect(await consentStatus(b.session, b.id)).toBe('pending_consent');
    expect(
      (await decline(b.id, { ...SITE, cookie: b.session, referer: `${PUBLIC}/me/data-use`, 'content-type': 'application/json' }))
        .statusCode,
    ).toBe(200);
    const c = await pendingConsent();
    expect(
      (
        await decline(c.id, {
          ...SITE,
          cookie: c.session,
          origin: 'https://other.example',
          'sec-fetch-site': 'same-origin',
          'content-type': 'application/json',
        })
      ).statusCode,
    ).toBe(200);
  });

  it('leaves bearer-token clients alone', async () => {
    const { session, id } = await pendingConsent();
    const resident = await ctx.newResident();
    const bearer = await bearerFor({ kind: 'resident', residentIdOrPhone: resident.residentId, channel: 'app' });
    // No Origin, no cookie: a CLI or a server.
    const me = await app.inject({
      method: 'PUT',
      url: '/api/me/home-org',
      headers: { authorization: `Bearer ${bearer}` },
      payload: { orgCode: VILLAGE },
    });
    expect(me.statusCode).not.toBe(403);
    // A bearer token is not something another site's page can attach, so even a foreign Origin passes.
    const other = await app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      headers: { authorization: `Bearer ${bearer}`, origin: 'https://evil.example' },
    });
    expect(other.statusCode).toBe(204);
    expect((await app.inject({ url: '/api/me', headers: { authorization: `Bearer ${bearer}` } })).statusCode).toBe(401);
    expect(await consentStatus(session, id)).toBe('pending_consent');
  });

  it('answers a browser login with an HttpOnly, Secure-behind-TLS cookie and no token in the body', async () => {
    const { res, cookie } = await browserLogin();
    expect(res.json()).not.toHaveProperty('token');
    expect(res.json()).toMatchObject({ account: { kind: 'resident' } });
    expect(Date.parse(res.json<{ expiresAt: string }>().expiresAt)).toBeGreaterThan(Date.now());
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    expect(cookie!.expires).toBeInstanceOf(Date);
    const me = await app.inject({ url: '/api/me', headers: { ...SITE, cookie: `yiban_session=${cookie!.value}` } });
    expect(me.statusCode).toBe(200);
  });

  it('marks the cookie Secure only when the request came over HTTPS per a trusted proxy', async () => {
    // Plain HTTP: no Secure (the browser would drop a Secure cookie set over HTTP on a LAN deployment).
    const plain = await browserLogin({ host: 'yiban.example.gov.cn' });
    expect(plain.cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(plain.cookie!.secure).toBeUndefined();
    // X-Forwarded-Proto from an address that is not the trusted proxy is ignored.
    const spoofed = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: '203.0.113.9',
      headers: SITE,
      payload: { kind: 'resident', residentIdOrPhone: (await ctx.newResident()).residentId, password: PASSWORD, channel: 'app' },
    });
    expect(spoofed.cookies[0]!.secure).toBeUndefined();

    // Without YIBAN_TRUST_PROXY the header is never believed.
    const untrusting = await buildApp(
      { database: ctx.database, services: ctx.services, close: async () => undefined },
      { logLevel: 'silent', publicUrl: PUBLIC },
    );
    try {
      const res = await untrusting.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: SITE,
        payload: { kind: 'resident', residentIdOrPhone: (await ctx.newResident()).residentId, password: PASSWORD, channel: 'app' },
      });
      expect(res.statusCode).toBe(200);
      expect(res.cookies[0]!.secure).toBeUndefined();
    } finally {
      await untrusting.close();
    }
  });

  it('gives the kiosk page a browser-session cookie only (no Expires, no token in the body)', async () => {
    const r = await ctx.newResident();
    const sent = await app.inject({
      method: 'POST',
      url: '/api/auth/kiosk/code',
      headers: { ...SITE, origin: PUBLIC },
      payload: { residentId: r.residentId },
    });
    expect(sent.statusCode).toBe(200);
    await ctx.services.kiosk.settled();
    const code = ctx.codes.lastCodeTo(r.phone);
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/kiosk/login',
      headers: { ...SITE, origin: PUBLIC },
      payload: { residentId: r.residentId, code },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).not.toHaveProperty('token');
    const cookie = res.cookies.find((c) => c.name === 'yiban_session');
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    expect(cookie!.expires).toBeUndefined();
    expect(cookie!.maxAge).toBeUndefined();
    const me = await app.inject({ url: '/api/me', headers: { ...SITE, cookie: `yiban_session=${cookie!.value}` } });
    expect(me.json()).toMatchObject({ accountId: r.accountId });
  });

  it('logs out server-side and clears the cookie', async () => {
    const { cookie } = await browserLogin();
    const session = `yiban_session=${cookie!.value}`;
    // A cross-site logout is refused like any other write.
    expect(
      (await app.inject({ method: 'POST', url: '/api/auth/logout', headers: { ...SITE, cookie: session, origin: 'https://evil.example' } }))
        .statusCode,
    ).toBe(403);
    expect((await app.inject({ url: '/api/me', headers: { ...SITE, cookie: session } })).statusCode).toBe(200);
    const out = await app.inject({ method: 'POST', url: '/api/auth/logout', headers: { ...SITE, cookie: session, origin: PUBLIC } });
    expect(out.statusCode).toBe(204);
    const cleared = out.cookies.find((c) => c.name === 'yiban_session');
    expect(cleared).toMatchObject({ value: '', path: '/', httpOnly: true, secure: true });
    expect(cleared!.expires!.getTime()).toBeLessThanOrEqual(Date.now());
    expect((await app.inject({ url: '/api/me', headers: { ...SITE, cookie: session } })).statusCode).toBe(401);
  });

  it('treats a session of another account than the tab shows (X-Yiban-Account) as none, and does not end it', async () => {
    const first = await browserLogin();
    const second = await browserLogin();
    // The browser now holds the second login's cookie; a tab still showing the first account sends its id.
    const session = `yiban_session=${second.cookie!.value}`;
    const stale = { ...SITE, origin: PUBLIC, cookie: session, 'x-yiban-account': first.resident.accountId };
    expect((await app.inject({ url: '/api/me', headers: stale })).statusCode).toBe(401);
    const out = await app.inject({ method: 'POST', url: '/api/auth/logout', headers: stale });
    expect(out.statusCode).toBe(204);
    expect(out.cookies).toEqual([]);
    const current = { ...SITE, cookie: session, 'x-yiban-account': second.resident.accountId };
    expect((await app.inject({ url: '/api/me', headers: current })).json()).toMatchObject({ accountId: second.resident.accountId });
  });

  it('keeps helper mode (X-On-Behalf-Of) working on a cookie session', async () => {
    const resident = await ctx.newResident({ name: '李梅' });
    const helper = await ctx.newStaff('helper', VILLAGE);
    await ctx.services.identity.createDelegation(resident, {
      helperUsername: helper.username,
      scopes: ['applications.submit', 'applications.view'],
      validUntil: new Date(Date.now() + 86_400_000).toISOString(),
    });
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { ...SITE, origin: PUBLIC },
      payload: { kind: 'staff', username: helper.username, password: PASSWORD, channel: 'app' },
    });
    const session = `yiban_session=${login.cookies[0]!.value}`;
    const me = await app.inject({
      url: '/api/me',
      headers: { ...SITE, cookie: session, 'x-on-behalf-of': resident.accountId, 'x-yiban-account': helper.accountId },
    });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ kind: 'staff', actingFor: { residentId: resident.accountId } });
  });

  it('sends the security headers, with the API docs on their own CSP', async () => {
    const res = await app.inject({ url: '/api/services', headers: SITE });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('same-origin');
    expect(res.headers['permissions-policy']).toContain('camera=()');
    const docs = await app.inject({ url: '/api/docs/', headers: SITE });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger-initializer.js');
    expect(String(docs.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    expect(String(docs.headers['content-security-policy'])).not.toContain('upgrade-insecure-requests');
  });

  it("reads YIBAN_TRUST_PROXY with Fastify's meaning and refuses what Fastify would ignore", () => {
    expect(parseTrustProxy(undefined)).toBe(false);
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy('true')).toBe(true);
    expect(parseTrustProxy(' 127.0.0.1, 10.0.0.0/8 ,::1,loopback')).toBe('127.0.0.1,10.0.0.0/8,::1,loopback');
    expect(() => parseTrustProxy('2')).toThrow(/hop count/);
    expect(() => parseTrustProxy('proxy.local')).toThrow(/YIBAN_TRUST_PROXY/);
  });
});

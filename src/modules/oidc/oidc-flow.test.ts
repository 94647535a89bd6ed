/**
 * One identity across nodes, over real HTTP: a hub (oidc-provider) and a province (openid-client)
 * as two Fastify apps listening on 127.0.0.1, each on its own database; a browser played by fetch
 * with a cookie jar per origin (two nodes are two sites), following redirects by hand.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../../app.ts';
import type { OidcConfig } from '../../core/config.ts';
import type { Database } from '../../db/database.ts';
import type { App } from '../../http/server.ts';
import { buildApp } from '../../platform.ts';
import { createTestDatabase, testEngines } from '../../../test/db.ts';
import { freshResidentId, PASSWORD, TEST_RATE_LIMITS } from '../../../test/factories.ts';

const MAX_REDIRECTS = 12;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A browser's cookies, kept per origin; every answer's text is recorded for the "secret never shown" check. */
class Browser {
  readonly jar = new Map<string, Map<string, string>>();
  constructor(private readonly seen: string[]) {}

  async fetch(url: string, init: { method?: string; form?: Record<string, string>; cookie?: Record<string, string> } = {}) {
    const target = new URL(url);
    const cookies = this.jar.get(target.origin) ?? new Map<string, string>();
    for (const [k, v] of Object.entries(init.cookie ?? {})) cookies.set(k, v);
    const headers: Record<string, string> = {};
    if (cookies.size > 0) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers.origin = target.origin;
    }
    const res = await fetch(target, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      headers,
      redirect: 'manual',
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const gone = /max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '';
      if (gone) cookies.delete(name);
      else cookies.set(name, value);
    }
    this.jar.set(target.origin, cookies);
    const body = await res.text();
    this.seen.push(body, JSON.stringify([...res.headers]));
    const location = res.headers.get('location');
    return { status: res.status, body, headers: res.headers, location: location ? new URL(location, target).href : null };
  }

  /** Follows redirects within one origin; stops at a page or at a redirect to another site. */
  async follow(url: string) {
    let current = url;
    for (let i = 0; i < MAX_REDIRECTS; i++) {
      const res = await this.fetch(current);
      if (!res.location || new URL(res.location).origin !== new URL(current).origin) return { ...res, url: current };
      current = res.location;
    }
    throw new Error('too many redirects');
  }
}

interface Node {
  db: Database;
  services: Services;
  app: App;
  url: string;
}

async function startNode(db: Database, oidc: OidcConfig, port: number, logStream?: NodeJS.WritableStream): Promise<Node> {
  const url = `http://127.0.0.1:${port}`;
  const services = createServices(db, { masterKey: randomBytes(32), publicUrl: url, oidc });
  const app = await buildApp(
    { database: db, services, close: () => db.close() },
    { publicUrl: url, rateLimits: TEST_RATE_LIMITS, ...(logStream ? { logStream, logLevel: 'info' } : { logLevel: 'silent' }) },
  );
  await app.listen({ host: '127.0.0.1', port });
  return { db, services, app, url };
}

describe.each(testEngines())('logging in to a province with the national account (OpenID Connect) on %s', (engine) => {
  const seen: string[] = [];
  const logs: string[] = [];
  let hub: Node;
  let province: Node;
  /** The same province's code, with a wrong client secret. */
  let impostor: Node;
  let secret: string;
  const resident = { name: '韦小宝', residentId: freshResidentId(), phone: '13912345678', password: PASSWORD };
  let hubMasked: string;

  beforeAll(async () => {
    const [hubPort, provincePort, impostorPort] = [await freePort(), await freePort(), await freePort()];
    const hubDb = await createTestDatabase(engine);
    hub = await startNode(hubDb, { kind: 'provider', issuer: `http://127.0.0.1:${hubPort}/oidc` }, hubPort);
    const callback = (port: number) => `http://127.0.0.1:${port}/api/auth/oidc/callback`;
    const clients = hub.services.oidcClients;
    if (!clients) throw new Error('the hub has no client registry');
    const added = await clients.add({
      clientId: 'guangxi',
      name: '广西政务服务平台',
      redirectUris: [callback(provincePort), callback(impostorPort)],
    });
    secret = added.clientSecret;
    hubMasked = (await hub.services.identity.registerResident(resident)).residentIdMasked;
    const issuerUrl = `${hub.url}/oidc`;
    const logStream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(chunk.toString('utf8'));
        done();
      },
    });
    const provinceDb = await createTestDatabase(engine);
    province = await startNode(
      provinceDb,
      { kind: 'client', issuerUrl, clientId: 'guangxi', clientSecret: secret },
      provincePort,
      logStream,
    );
    impostor = await startNode(
      await createTestDatabase(engine),
      { kind: 'client', issuerUrl, clientId: 'guangxi', clientSecret: `${secret}x` },
      impostorPort,
    );
  });

  afterAll(async () => {
    for (const node of [impostor, province, hub]) await node?.app.close();
  });

  /** From the province's button to the hub's redirect back to the province (not yet followed), logging in and consenting at the hub. */
  async function throughHub(browser: Browser, node: Node, options: { consent?: boolean } = {}) {
    const start = await browser.fetch(`${node.url}/api/auth/oidc/start`);
    expect(start.status).toBe(303);
    expect(start.location?.startsWith(`${hub.url}/oidc/auth?`)).toBe(true);
    let page = await browser.follow(start.location ?? '');
    for (let step = 0; step < 4; step++) {
      if (page.status === 303 && page.location) return page.location;
      expect(page.status, page.body).toBe(200);
      // The page may send its form on to the province's callback (form-action).
      expect(page.headers.get('content-security-policy')).toContain(`form-action 'self' ${node.url}`);
      const uidPath = new URL(page.url).pathname;
      const next = page.body.includes('name="password"')
        ? await browser.fetch(`${hub.url}${uidPath}/login`, {
            form: { residentIdOrPhone: resident.residentId, password: resident.password },
          })
        : await browser.fetch(`${hub.url}${uidPath}/${options.consent === false ? 'abort' : 'confirm'}`, { form: {} });
      expect(next.status, next.body).toBe(303);
      page = await browser.follow(next.location ?? '');
    }
    throw new Error('the hub never sent the browser back');
  }

  it('opens a local session for the resident registered at the hub, the same person on every login', async () => {
    const browser = new Browser(seen);
    const back = await throughHub(browser, province);
    expect(back.startsWith(`${province.url}/api/auth/oidc/callback?`)).toBe(true);
    const landed = await browser.fetch(back);
    expect(landed.status, landed.body).toBe(303);
    expect(landed.location).toBe(`${province.url}/login?oidc=1`);
    const me = await browser.fetch(`${province.url}/api/me`);
    expect(me.status).toBe(200);
    const profile = JSON.parse(me.body) as { kind: string; accountId: string; name: string; residentIdMasked: string; phoneMasked: string };
    expect(profile).toMatchObject({ kind: 'resident', name: resident.name, residentIdMasked: hubMasked, phoneMasked: '139****5678' });

    // Keyed as local registration keys it: the province finds them by the ID number.
    expect((await province.services.identity.findResidentByResidentId(resident.residentId))?.accountId).toBe(profile.accountId);

    // Another browser, another login: the same resident.
    const second = new Browser(seen);
    await second.fetch(await throughHub(second, province));
    const again = JSON.parse((await second.fetch(`${province.url}/api/me`)).body) as { accountId: string; residentIdMasked: string };
    expect(again).toMatchObject({ accountId: profile.accountId, residentIdMasked: hubMasked });

    // The button shows where it works.
    expect(JSON.parse((await browser.fetch(`${province.url}/api/platform`)).body)).toMatchObject({ oidcLogin: true });
    expect(JSON.parse((await browser.fetch(`${hub.url}/api/platform`)).body)).toMatchObject({ oidcLogin: false });
  });

  it('refuses a callback whose state is not the one this browser started with', async () => {
    const browser = new Browser(seen);
    const back = new URL(await throughHub(browser, province));
    back.searchParams.set('state', 'not-the-state');
    const res = await browser.fetch(back.href);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'OIDC_STATE_MISMATCH' } });
    expect(res.headers.getSetCookie().some((c) => c.startsWith('yiban_session='))).toBe(false);
  });

  it('refuses a replayed authorization code, and a callback without a login in progress', async () => {
    const browser = new Browser(seen);
    const back = await throughHub(browser, province);
    const pending = browser.jar.get(province.url)?.get('yiban_oidc');
    expect(pending).toBeTruthy();
    expect((await browser.fetch(back)).status).toBe(303);
    const replay = await browser.fetch(back, { cookie: { yiban_oidc: pending ?? '' } });
    expect(replay.status).toBe(401);
    expect(JSON.parse(replay.body)).toMatchObject({ error: { code: 'OIDC_CODE_REJECTED' } });

    const stranger = await new Browser(seen).fetch(back);
    expect(stranger.status).toBe(400);
    expect(JSON.parse(stranger.body)).toMatchObject({ error: { code: 'OIDC_LOGIN_EXPIRED' } });
  });

  it('refuses a node whose client secret is wrong, and says so', async () => {
    const browser = new Browser(seen);
    const back = await throughHub(browser, impostor);
    const res = await browser.fetch(back);
    expect(res.status).toBe(502);
    const body = JSON.parse(res.body) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('OIDC_CLIENT_REJECTED');
    expect(body.error.message).toContain('YIBAN_OIDC_CLIENT_SECRET');
  });

  it('tells the province when the resident does not consent', async () => {
    const browser = new Browser(seen);
    const back = await throughHub(browser, province, { consent: false });
    expect(new URL(back).searchParams.get('error')).toBe('access_denied');
    const res = await browser.fetch(back);
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'OIDC_LOGIN_REFUSED' } });
  });

  it('refuses a redirect URI the hub has not registered for the client', async () => {
    const browser = new Browser(seen);
    const start = await browser.fetch(`${province.url}/api/auth/oidc/start`);
    const auth = new URL(start.location ?? '');
    auth.searchParams.set('redirect_uri', 'http://127.0.0.1:9/api/auth/oidc/callback');
    const res = await browser.fetch(auth.href);
    expect(res.status).toBe(400);
    expect(res.location).toBeNull();
    expect(res.body).toContain('invalid_redirect_uri');

    const unknown = new URL(auth);
    unknown.searchParams.set('client_id', 'nobody');
    expect((await browser.fetch(unknown.href)).body).toContain('invalid_client');
  });

  it('never shows the client secret, in any answer or log line', () => {
    expect(seen.length).toBeGreaterThan(20);
    for (const text of seen) expect(text).not.toContain(secret);
    expect(logs.length).toBeGreaterThan(0);
    for (const line of logs) expect(line).not.toContain(secret);
  });
});

import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/db.ts';
import type { Database } from '../../db/database.ts';
import { SESSION_COOKIE } from '../../http/auth.ts';
import { buildServer, type App } from '../../http/server.ts';
import { identityRoutes } from './identity.routes.ts';
import { createIdentityAdmin, createIdentityService, type IdentityService, type OrgDirectory } from './identity.service.ts';
import { makeResidentId } from './resident-id.ts';

const VILLAGE = { code: '130123100201', level: 'village', name: '甲村', path: '13.1301.130123.130123100.130123100201' };
const TOWNSHIP = { code: '130123100', level: 'township', name: '甲镇', path: '13.1301.130123.130123100' };
const OTHER_TOWNSHIP = { code: '130123101', level: 'township', name: '乙镇', path: '13.1301.130123.130123101' };
const ORGS = new Map([VILLAGE, TOWNSHIP, OTHER_TOWNSHIP].map((o) => [o.code, o]));
const orgs: OrgDirectory = {
  getOrg: (code) => Promise.resolve(ORGS.get(code) ?? null),
  divisionExists: (code6) => Promise.resolve(code6 === '130123'),
};

// The HTTP contract only; the rules behind it are covered by identity.service.test.ts.
describe('identity routes', () => {
  let database: Database;
  let app: App;
  let identity: IdentityService;
  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    identity = createIdentityService({ db: database.db, masterKey: randomBytes(32), orgs });
    app = await buildServer({ database, auth: identity, apiRoutes: [identityRoutes({ identity })], logLevel: 'silent' });
  });
  afterAll(async () => {
    await app.close();
    await database.close();
  });

  it('registers, logs in with a cookie, shows the profile and logs out', async () => {
    const residentId = makeResidentId('130123', '1990-03-07', 11);
    const registered = await app.inject({
      method: 'POST',
      url: '/api/auth/residents/register',
      payload: { name: '张三', residentId, phone: '13812345678', password: 'Lianghao-Mima-731', homeOrgCode: VILLAGE.code },
    });
    expect(registered.statusCode).toBe(201);
    expect(registered.body).not.toContain(residentId);

    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { kind: 'resident', residentIdOrPhone: '13812345678', password: 'Lianghao-Mima-731', channel: 'app' },
    });
    expect(login.statusCode).toBe(200);
    const cookie = login.cookies.find((c) => c.name === SESSION_COOKIE);
    // A browser login: the session only in the HttpOnly cookie, never in the body.
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(login.json()).not.toHaveProperty('token');
    expect(login.json()).toMatchObject({ account: { kind: 'resident', capabilities: {} } });

    const me = await app.inject({ method: 'GET', url: '/api/me', cookies: { [SESSION_COOKIE]: cookie!.value } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ kind: 'resident', phoneMasked: '138****5678', homeOrg: { code: VILLAGE.code, name: '甲村' } });

    const bearer = { authorization: `Bearer ${cookie!.value}` };
    const acting = await app.inject({ method: 'GET', url: '/api/me', headers: { ...bearer, 'x-on-behalf-of': randomUUID() } });
    expect(acting.json()).toMatchObject({ error: { code: 'DELEGATION_REQUIRED' } });
    const logout = await app.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer });
    expect(logout.statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url: '/api/me', headers: bearer })).statusCode).toBe(401);
  });

  it("tells a staff member at login and in /api/me what they may do where (policy.ts's capabilities)", async () => {
    const password = 'Lianghao-Mima-731';
    await createIdentityAdmin({ identity }).createPlatformAdmin({ username: 'root-caps', name: '平台', password, orgCode: VILLAGE.code });
    const login = async (username: string) => {
      const response = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: { 'x-auth-mode': 'bearer' },
        payload: { kind: 'staff', username, password, channel: 'web' },
      });
      expect(response.statusCode).toBe(200);
      return response.json<{ token: string; account: { capabilities: Record<string, string[]> } }>();
    };
    const admin = await login('root-caps');
    expect(admin.account.capabilities).toMatchObject({ 'staff.manage': [VILLAGE.code], 'overview.view': [VILLAGE.code] });
    expect(admin.account.capabilities).not.toHaveProperty('signature.upload');

    const created = await app.inject({
      method: 'POST',
      url: '/api/staff',
      headers: { authorization: `Bearer ${admin.token}` },
      payload: { username: 'reviewer-caps', name: '审核员', password, roles: [{ role: 'village_reviewer', orgCode: VILLAGE.code }] },
    });
    expect(created.statusCode).toBe(201);
    const reviewer = await login('reviewer-caps');
    const expected = {
      'case.view': [VILLAGE.code],
      'case.handle': [VILLAGE.code],
      'certificate.view': [VILLAGE.code],
      'certificate.changeStatus': [VILLAGE.code],
      'exchange.request': [VILLAGE.code],
      'sharing.view': [VILLAGE.code],
      'seal.view': [VILLAGE.code],
      'signature.upload': [VILLAGE.code],
      'rule.view': [VILLAGE.code],
      // The village's own supervision dashboard (督查), no level above it.
      'dashboard.view': [VILLAGE.code],
      // 好差评 at the village's service station: its ratings, and encounters to be rated.
      'rating.view': [VILLAGE.code],
      'rating.manage': [VILLAGE.code],
    };
    expect(reviewer.account.capabilities).toEqual(expected);
    const me = await app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${reviewer.token}` } });
    expect(me.json()).toMatchObject({ kind: 'staff', capabilities: expected });
  });

  it("offers a township administrator the roles it may grant at an org: the grant's own checks, nothing outside its area", async () => {
    const password = 'Lianghao-Mima-731';
    await createIdentityAdmin({ identity }).ensureStaff({
      username: 'township-grants',
      name: '镇管理员',
      password,
      roles: [{ role: 'township_admin', orgCode: TOWNSHIP.code }],
    });
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { kind: 'staff', username: 'township-grants', password, channel: 'web' },
    });
    const headers = { authorization: `Bearer ${login.json<{ token: string }>().token}` };
    const grantable = async (orgCode: string) => {
      const response = await app.inject({ method: 'GET', url: `/api/staff/grantable-roles?orgCode=${orgCode}`, headers });
      expect(response.statusCode).toBe(200);
      return response.json<{ orgCode: string; roles: string[] }>();
    };
    expect(await grantable(VILLAGE.code)).toEqual({ orgCode: VILLAGE.code, roles: ['village_reviewer', 'helper'] });
    // At its own node only a helper: an administrator is appointed from above, and a reviewer sits at a village.
    expect((await grantable(TOWNSHIP.code)).roles).toEqual(['helper']);
    expect((await grantable(OTHER_TOWNSHIP.code)).roles).toEqual([]);
    const unknown = await app.inject({ method: 'GET', url: '/api/staff/grantable-roles?orgCode=130123999', headers });
    expect(unknown.statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/api/staff/grantable-roles?orgCode=${VILLAGE.code}` })).statusCode).toBe(401);
  });

  it('answers bad requests with stable codes', async () => {
    const extra = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { kind: 'staff', username: 'x', password: 'y', channel: 'web', admin: true },
    });
    expect(extra.statusCode).toBe(400);
    expect(extra.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    const wrong = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'accept-language': 'en' },
      payload: { kind: 'staff', username: 'nobody', password: 'whatever1', channel: 'web' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toEqual({ error: { code: 'INVALID_CREDENTIALS', message: 'Wrong account or password' } });
    const badId = await app.inject({
      method: 'POST',
      url: '/api/auth/residents/register',
      payload: { name: '李四', residentId: '130123199003070017', phone: '13812345670', password: 'Lianghao-Mima-731' },
    });
    const { error } = badId.json<{ error: { code: string; message: string } }>();
    expect(error.code).toBe('INVALID_RESIDENT_ID');
    expect(error.message).toContain('校验码');
    expect((await app.inject({ method: 'POST', url: '/api/staff', payload: {} })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/api/delegations' })).statusCode).toBe(401);
  });

  it('changes a password over HTTP: the current one is needed, the other session ends, this one goes on', async () => {
    const residentId = makeResidentId('130123', '1992-05-06', 21);
    const register = await app.inject({
      method: 'POST',
      url: '/api/auth/residents/register',
      headers: { 'accept-language': 'en' },
      payload: { name: '王五', residentId, phone: '13812345690', password: 'abcdefg1', homeOrgCode: VILLAGE.code },
    });
    expect(register.statusCode).toBe(400);
    expect(register.json()).toMatchObject({ error: { code: 'WEAK_PASSWORD', details: { reason: 'too_short' } } });
    expect(register.json<{ error: { message: string } }>().error.message).toContain('at least 10 characters');
    const created = await app.inject({
      method: 'POST',
      url: '/api/auth/residents/register',
      payload: { name: '王五', residentId, phone: '13812345690', password: 'Lianghao-Mima-731', homeOrgCode: VILLAGE.code },
    });
    expect(created.statusCode).toBe(201);
    const login = async (password: string) =>
      app.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: { 'x-auth-mode': 'bearer' },
        payload: { kind: 'resident', residentIdOrPhone: '13812345690', password, channel: 'app' },
      });
    const here = { authorization: `Bearer ${(await login('Lianghao-Mima-731')).json<{ token: string }>().token}` };
    const other = { authorization: `Bearer ${(await login('Lianghao-Mima-731')).json<{ token: string }>().token}` };
    const change = (currentPassword: string, newPassword: string, headers: Record<string, string> = here) =>
      app.inject({ method: 'POST', url: '/api/auth/password', headers, payload: { currentPassword, newPassword } });

    expect((await change('Lianghao-Mima-731', 'Xinmima-Anquan-2026', {})).json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    const wrong = await change('not-my-password', 'Xinmima-Anquan-2026');
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json()).toMatchObject({ error: { code: 'CURRENT_PASSWORD_WRONG' } });
    expect((await change('Lianghao-Mima-731', 'password1')).json()).toMatchObject({ error: { code: 'WEAK_PASSWORD' } });
    const ok = await change('Lianghao-Mima-731', 'Xinmima-Anquan-2026');
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ revokedSessions: 1 });
    expect((await app.inject({ method: 'GET', url: '/api/me', headers: other })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/api/me', headers: here })).statusCode).toBe(200);
    expect((await login('Lianghao-Mima-731')).statusCode).toBe(401);
    expect((await login('Xinmima-Anquan-2026')).statusCode).toBe(200);
  });

  it('documents every route in the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/auth/login',
        '/api/auth/password',
        '/api/auth/bootstrap',
        '/api/me',
        '/api/staff',
        '/api/delegations/{id}',
        '/api/accounts/{id}/disable',
      ]),
    );
  });
});

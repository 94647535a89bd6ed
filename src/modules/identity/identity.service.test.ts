import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testEngines } from '../../../test/db.ts';
import type { ErrorCode } from '../../core/errors.ts';
import type { Database, Db } from '../../db/database.ts';
import type { StaffRole } from './identity.tables.ts';
import { createIdentityAdmin, createIdentityService, type OrgDirectory, type OrgInfo } from './identity.service.ts';
import { requireResidentScope } from './principal.ts';
import { makeResidentId } from './resident-id.ts';
import { SESSION_CACHE_TTL_MS, SESSION_CHANGES_CHANNEL, SessionCache } from './session-cache.ts';
import type { LoginChannel } from './sessions.ts';
import { hanDigits } from '../../demo/han-digits.ts';

/**
 * The orgs module owns the tree; identity only asks it two questions. This fake answers them
 * for a small slice of Hebei: two counties, each with one township and one village.
 */
const ORGS: OrgInfo[] = [
  { code: '13', level: 'province', name: '河北省', path: '13' },
  { code: '1301', level: 'city', name: '石家庄市', path: '13.1301' },
  { code: '130123', level: 'county', name: '正定县', path: '13.1301.130123' },
  { code: '130123100', level: 'township', name: '正定镇', path: '13.1301.130123.130123100' },
  { code: '130123100201', level: 'village', name: '甲村', path: '13.1301.130123.130123100.130123100201' },
  { code: '130125', level: 'county', name: '行唐县', path: '13.1301.130125' },
  { code: '130125100', level: 'township', name: '龙州镇', path: '13.1301.130125.130125100' },
  { code: '130125100201', level: 'village', name: '乙村', path: '13.1301.130125.130125100.130125100201' },
];
const VILLAGE_A = '130123100201';
const VILLAGE_B = '130125100201';
const CURRENT_COUNTIES = new Set(['130123', '130125']);

const orgs: OrgDirectory = {
  getOrg: (code) => Promise.resolve(ORGS.find((o) => o.code === code) ?? null),
  divisionExists: (code6) => Promise.resolve(CURRENT_COUNTIES.has(code6)),
};

const PASSWORD = 'Lianghao-Mima-731';
const HOUR = 3600_000;
let seq = 0;

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code });
}

/** One key per database, as in production: the database records its fingerprint (master-key.ts). */
const MASTER_KEY = randomBytes(32);

function setup(db: Db) {
  const clock = { now: new Date('2025-06-01T02:00:00Z') };
  const masterKey = MASTER_KEY;
  const identity = createIdentityService({ db, masterKey, orgs, clock: () => clock.now });
  const admin = createIdentityAdmin({ identity });

  const newResident = async (options: { homeOrgCode?: string; addressCode?: string } = {}) => {
    const n = ++seq;
    const residentId = makeResidentId(options.addressCode ?? '130123', '1990-03-07', n);
    const phone = `138${String(n).padStart(8, '0')}`;
    const result = await identity.registerResident({
      name: `居民${hanDigits(n)}`,
      residentId,
      phone,
      password: PASSWORD,
      homeOrgCode: options.homeOrgCode ?? VILLAGE_A,
    });
    return { ...result, residentId, phone };
  };

  const loginAs = async (input: { resident: string } | { staff: string }, channel: LoginChannel = 'app') => {
    const result = await identity.login(
      'resident' in input
        ? { kind: 'resident', residentIdOrPhone: input.resident, password: PASSWORD, channel }
        : { kind: 'staff', username: input.staff, password: PASSWORD, channel },
    );
    const principal = await identity.authenticate(result.token);
    if (!principal) throw new Error('a fresh session did not authenticate');
    return { ...result, principal };
  };

  const newStaff = async (role: StaffRole, orgCode: string) => {
    const username = `${role.replace('_', '-')}-${++seq}`;
    await admin.ensureStaff({ username, name: `工作人员${seq}`, password: PASSWORD, roles: [{ role, orgCode }] });
    return { username, ...(await loginAs({ staff: username }, 'web')) };
  };

  const auditActions = async (accountId: string) => {
    const rows = await db.execute<{ action: string }>(sql`select action from identity_audit where account_id = ${accountId} order by id`);
    return rows.rows.map((r) => r.action);
  };

  return {
    identity,
    admin,
    clock,
    advance: (ms: number) => (clock.now = new Date(clock.now.getTime() + ms)),
    newResident,
    loginAs,
    newStaff,
    auditActions,
  };
}

describe.each(testEngines())('identity service on %s', (engine) => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase(engine);
  });
  afterAll(async () => {
    await database.close();
  });

  describe('registration', () => {
    it('registers a resident, masks the ID and writes an audit row', async () => {
      const t = setup(database.db);
      const r = await t.newResident();
      expect(r.residentIdMasked).toBe(`130123********${r.residentId.slice(14)}`);
      expect(r.warnings).toEqual([]);
      expect(await t.identity.getResidentSummary(r.accountId)).toEqual({
        accountId: r.accountId,
        name: r.name,
        residentIdMasked: r.residentIdMasked,
        homeOrgCode: VILLAGE_A,
      });
      expect(await t.identity.findResidentByResidentId(r.residentId)).toMatchObject({ accountId: r.accountId });
      expect(await t.auditActions(r.accountId)).toEqual(['resident.registered']);
    });

    it('refuses bad input with clear codes', async () => {
      const t = setup(database.db);
      const base = { name: '张三', residentId: makeResidentId('130123', '1990-03-07', 900), phone: '13800009999', password: PASSWORD };
      await rejectsWith(t.identity.registerResident({ ...base, residentId: '130123199003070017' }), 'INVALID_RESIDENT_ID');
      await rejectsWith(t.identity.registerResident({ ...base, phone: '12800009999' }), 'INVALID_PHONE');
      await rejectsWith(t.identity.registerResident({ ...base, password: 'password' }), 'WEAK_PASSWORD');
      await rejectsWith(t.identity.registerResident({ ...base, name: '   ' }), 'VALIDATION_FAILED');
      await rejectsWith(t.identity.registerResident({ ...base, homeOrgCode: '130123100' }), 'INVALID_DIVISION_CODE');
      await rejectsWith(t.identity.registerResident({ ...base, homeOrgCode: '999999999999' }), 'INVALID_DIVISION_CODE');
      expect(await t.identity.findResidentByResidentId(base.residentId)).toBeNull();
    });

    it('warns, without refusing, when the address code is no longer current', async () => {
      const t = setup(database.db);
      const r = await t.newResident({ addressCode: '130121' });
      expect(r.warnings.map((w) => w.code)).toEqual(['ADDRESS_CODE_NOT_CURRENT']);
    });

    it('refuses a second registration of the same ID, also written with a lower-case x', async () => {
      const t = setup(database.db);
      const residentId = makeResidentId('110105', '1949-12-31', 2); // 11010519491231002X
      expect(residentId).toBe('11010519491231002X');
      const input = { name: '李四', residentId: residentId.toLowerCase(), phone: '13900000001', password: PASSWORD };
      const first = await t.identity.registerResident(input);
      expect(first.residentIdMasked).toBe('110105********002X');
      await rejectsWith(t.identity.registerResident({ ...input, residentId }), 'ALREADY_REGISTERED');
      expect(await t.identity.revealResidentId(first.accountId)).toBe(residentId);
    });

    it('lets exactly one of ten concurrent registrations of one ID through', async () => {
      const t = setup(database.db);
      const residentId = makeResidentId('130125', '1985-10-01', 777);
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          t.identity.registerResident({ name: `并发${hanDigits(i)}`, residentId, phone: '13700000000', password: PASSWORD }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'ALREADY_REGISTERED' });
      const count = await database.db.execute<{ n: number }>(sql`select count(*)::int as n from accounts where name like '并发%'`);
      expect(count.rows[0]?.n).toBe(1);
    });

    it('keeps no clear ID number at rest', async () => {
      const t = setup(database.db);
      const r = await t.newResident();
      const dump = await database.db.execute<{ text: string }>(sql`
        select (select row_to_json(x)::text from residents x where account_id = ${r.accountId})
          || (select row_to_json(x)::text from accounts x where id = ${r.accountId})
          || (select coalesce(string_agg(row_to_json(x)::text, ''), '') from identity_audit x where account_id = ${r.accountId}) as text`);
      const text = dump.rows[0]!.text;
      expect(text).toContain(r.residentIdMasked);
      expect(text).not.toContain(r.residentId);
      expect(text).not.toContain(r.residentId.slice(6, 14));
      expect(await t.identity.revealResidentId(r.accountId)).toBe(r.residentId);
    });
  });

  describe('sessions', () => {
    it('logs in by ID number or phone, and a wrong or unknown login gives the same answer', async () => {
      const t = setup(database.db);
      const r = await t.newResident();
      const byId = await t.loginAs({ resident: r.residentId });
      expect(byId.account).toMatchObject({ id: r.accountId, kind: 'resident', residentIdMasked: r.residentIdMasked, roles: [] });
      expect(byId.principal).toMatchObject({ accountId: r.accountId, kind: 'resident', sessionChannel: 'app', roles: [] });
      expect(new Date(byId.expiresAt).getTime() - t.clock.now.getTime()).toBe(12 * HOUR);
      expect((await t.loginAs({ resident: r.phone })).principal.accountId).toBe(r.accountId);
      const wrong = { kind: 'resident' as const, password: 'wrong1234', channel: 'app' as const };
      await rejectsWith(t.identity.login({ ...wrong, residentIdOrPhone: r.residentId }), 'INVALID_CREDENTIALS');
      await rejectsWith(
        t.identity.login({ ...wrong, residentIdOrPhone: makeResidentId('130123', '1990-03-07', 999) }),
        'INVALID_CREDENTIALS',
      );
      await rejectsWith(t.identity.login({ ...wrong, residentIdOrPhone: 'nobody' }), 'INVALID_CREDENTIALS');
      expect(await t.identity.authenticate('not-a-token')).toBeNull();
      expect(await t.auditActions(r.accountId)).toEqual(['resident.registered', 'login.succeeded', 'login.succeeded', 'login.failed']);
    });

    it('locks after five failures for fifteen minutes, then lets the right password in', async () => {
      const t = setup(database.db);
      const r = await t.newResident();
      const attempt = (password: string) => t.identity.login({ kind: 'resident', residentIdOrPhone: r.phone, password, channel: 'app' });
      for (let i = 0; i < 4; i++) await rejectsWith(attempt('wrong1234'), 'INVALID_CREDENTIALS');
      await expect(attempt('wrong1234')).rejects.toMatchObject({
        code: 'ACCOUNT_LOCKED',
        params: { until: new Date(t.clock.now.getTime() + 15 * 60_000).toISOString() },
      });
      await rejectsWith(attempt(PASSWORD), 'ACCOUNT_LOCKED');
      t.advance(15 * 60_000 - 1000);
      await rejectsWith(attempt(PASSWORD), 'ACCOUNT_LOCKED');
      t.advance(2000);
      await expect(attempt(PASSWORD)).resolves.toMatchObject({ account: { id: r.accountId } });
      // Success resets the count: four more failures do not lock.
      for (let i = 0; i < 4; i++) await rejectsWith(attempt('wrong1234'), 'INVALID_CREDENTIALS');
      await expect(attempt(PASSWORD)).resolves.toBeTruthy();
      const actions = await t.auditActions(r.accountId);
      expect(actions.filter((a) => a === 'login.failed')).toHaveLength(9);
      expect(actions.filter((a) => a === 'login.locked')).toHaveLength(1);
    });

    it('ends sessions on logout and kiosk sessions after fifteen minutes', async () => {
      const t = setup(database.db);
      const r = await t.newResident();
      const web = await t.loginAs({ resident: r.residentId }, 'web');
      await t.identity.logout(web.token);
      expect(await t.identity.authenticate(web.token)).toBeNull();

      const kiosk = await t.loginAs({ resident: r.residentId }, 'kiosk');
      const app = await t.loginAs({ resident: r.residentId }, 'app');
      expect(kiosk.principal.sessionChannel).toBe('kiosk');
      t.advance(16 * 60_000);
      expect(await t.identity.authenticate(kiosk.token)).toBeNull();
      expect(await t.identity.authenticate(app.token)).not.toBeNull();
      t.advance(12 * HOUR);
      expect(await t.identity.authenticate(app.token)).toBeNull();
    });

    it('disabling an account ends its sessions at once and refuses new logins until enabled', async () => {
      const t = setup(database.db);
      const r = await t.newResident();
      const session = await t.loginAs({ resident: r.residentId });
      const township = await t.newStaff('township_admin', '130123100');
      await expect(t.identity.disableAccount(township.principal, r.accountId)).resolves.toEqual({
        accountId: r.accountId,
        status: 'disabled',
      });
      expect(await t.identity.authenticate(session.token)).toBeNull();
      await rejectsWith(t.loginAs({ resident: r.residentId }), 'ACCOUNT_DISABLED');
      await t.identity.enableAccount(township.principal, r.accountId);
      expect(await t.identity.authenticate(session.token)).toBeNull();
      await expect(t.loginAs({ resident: r.residentId })).resolves.toBeTruthy();
      expect(await t.auditActions(r.accountId)).toContain('account.disabled');
    });
  });

  describe('cached sessions', () => {
    it('sees a new home, granted and revoked roles and a logout on the next request', async () => {
      const t = setup(database.db);
      const r = await t.newResident();
      const resident = await t.loginAs({ resident: r.phone });
      expect(resident.principal.homeOrgCode).toBe(VILLAGE_A);
      expect((await t.identity.authenticate(resident.token))?.homeOrgCode).toBe(VILLAGE_A);
      await t.identity.setHomeOrg(resident.principal, VILLAGE_B);
      expect((await t.identity.authenticate(resident.token))?.homeOrgCode).toBe(VILLAGE_B);

      const admin = await t.newStaff('county_admin', '130123');
      const reviewer = await t.newStaff('village_reviewer', VILLAGE_A);
      expect((await t.identity.authenticate(reviewer.token))?.roles.map((g) => g.role)).toEqual(['village_reviewer']);
      await t.identity.grantRole(admin.principal, reviewer.principal.accountId, { role: 'helper', orgCode: VILLAGE_A });
      expect((await t.identity.authenticate(reviewer.token))?.roles.map((g) => g.role).sort()).toEqual(['helper', 'village_reviewer']);
      await t.identity.revokeRole(admin.principal, reviewer.principal.accountId, { role: 'helper', orgCode: VILLAGE_A });
      expect((await t.identity.authenticate(reviewer.token))?.roles.map((g) => g.role)).toEqual(['village_reviewer']);

      await t.identity.logout(reviewer.token);
      expect(await t.identity.authenticate(reviewer.token)).toBeNull();
      expect(await t.identity.authenticate(admin.token)).not.toBeNull();
    });

    it.runIf(engine === 'postgres')('hears of a logout and a disabled account in another process well within the cache TTL', async () => {
      const t = setup(database.db);
      // "Another process": a second service with its own cache, fed by LISTEN as openPlatform does.
      const otherCache = new SessionCache();
      const unlisten = await database.listen!(SESSION_CHANGES_CHANNEL, (payload) => otherCache.applyAnnounced(payload));
      try {
        const other = createIdentityService({
          db: database.db,
          masterKey: MASTER_KEY,
          orgs,
          clock: () => t.clock.now,
          sessionCache: otherCache,
        });
        const goneWithin = async (token: string, ms: number) => {
          const until = Date.now() + ms;
          while (Date.now() < until) {
            if ((await other.authenticate(token)) === null) return true;
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          return false;
        };
        const r = await t.newResident();
        const session = await t.loginAs({ resident: r.phone });
        expect(await other.authenticate(session.token)).not.toBeNull();
        await t.identity.logout(session.token);
        expect(await goneWithin(session.token, SESSION_CACHE_TTL_MS / 3)).toBe(true);

        const again = await t.loginAs({ resident: r.phone });
        expect(await other.authenticate(again.token)).not.toBeNull();
        const township = await t.newStaff('township_admin', '130123100');
        await t.identity.disableAccount(township.principal, r.accountId);
        expect(await goneWithin(again.token, SESSION_CACHE_TTL_MS / 3)).toBe(true);
      } finally {
        await unlisten();
      }
    });
  });

  describe('staff administration', () => {
    it('lets a county admin appoint reviewers in its own county only', async () => {
      const t = setup(database.db);
      const root = await t.newStaff('platform_admin', '13');
      const county = `county-${++seq}`;
      await t.identity.createStaff(root.principal, {
        username: county,
        name: '县管理员',
        password: PASSWORD,
        roles: [{ role: 'county_admin', orgCode: '130123' }],
      });
      const admin = await t.loginAs({ staff: county }, 'web');
      const reviewerInput = (orgCode: string, role: StaffRole = 'village_reviewer') => ({
        username: `rev-${++seq}`,
        name: '审核员',
        password: PASSWORD,
        roles: [{ role, orgCode }],
      });

      const reviewer = await t.identity.createStaff(admin.principal, reviewerInput(VILLAGE_A));
      expect(reviewer.roles).toEqual([{ role: 'village_reviewer', orgCode: VILLAGE_A }]);
      await rejectsWith(t.identity.createStaff(admin.principal, reviewerInput(VILLAGE_B)), 'FORBIDDEN');
      await rejectsWith(t.identity.createStaff(admin.principal, reviewerInput('130123', 'county_admin')), 'FORBIDDEN');
      await rejectsWith(t.identity.createStaff(admin.principal, reviewerInput('130123', 'platform_admin')), 'FORBIDDEN');
      await rejectsWith(t.identity.createStaff(admin.principal, reviewerInput('130123999999')), 'INVALID_DIVISION_CODE');
      await rejectsWith(t.identity.createStaff(admin.principal, reviewerInput('130123100', 'village_reviewer')), 'VALIDATION_FAILED');
      await rejectsWith(
        t.identity.createStaff(admin.principal, { ...reviewerInput(VILLAGE_A), username: reviewer.username }),
        'USERNAME_TAKEN',
      );
      await expect(t.identity.createStaff(admin.principal, reviewerInput('130123100', 'township_admin'))).resolves.toBeTruthy();

      const villageReviewer = await t.loginAs({ staff: reviewer.username }, 'web');
      await rejectsWith(t.identity.createStaff(villageReviewer.principal, reviewerInput(VILLAGE_A)), 'FORBIDDEN');
      const resident = await t.newResident();
      await rejectsWith(t.identity.disableAccount(villageReviewer.principal, resident.accountId), 'FORBIDDEN');

      // Out of reach is "not found", not "forbidden".
      const other = await t.newStaff('county_admin', '130125');
      await rejectsWith(t.identity.disableAccount(other.principal, reviewer.accountId), 'NOT_FOUND');
      await rejectsWith(t.identity.disableAccount(other.principal, resident.accountId), 'NOT_FOUND');
      await rejectsWith(t.identity.grantRole(other.principal, reviewer.accountId, { role: 'helper', orgCode: VILLAGE_B }), 'NOT_FOUND');
      await rejectsWith(t.identity.listStaff(other.principal, { orgCode: '130123' }), 'NOT_FOUND');

      const listed = await t.identity.listStaff(admin.principal, { orgCode: '130123' });
      expect(listed.items.map((s) => s.username)).toContain(reviewer.username);
      expect(listed.items.map((s) => s.username)).not.toContain(other.username);
      const firstPage = await t.identity.listStaff(admin.principal, { orgCode: '130123', limit: 1 });
      expect(firstPage.items).toHaveLength(1);
      const secondPage = await t.identity.listStaff(admin.principal, { orgCode: '130123', limit: 1, after: firstPage.next! });
      expect(secondPage.items[0]?.username).not.toBe(firstPage.items[0]?.username);

      await expect(
        t.identity.grantRole(admin.principal, reviewer.accountId, { role: 'helper', orgCode: VILLAGE_A }),
      ).resolves.toMatchObject({
        roles: [{ role: 'helper' }, { role: 'village_reviewer' }],
      });
      await expect(
        t.identity.revokeRole(admin.principal, reviewer.accountId, { role: 'helper', orgCode: VILLAGE_A }),
      ).resolves.toMatchObject({
        roles: [{ role: 'village_reviewer' }],
      });
      await t.identity.disableAccount(admin.principal, reviewer.accountId);
      expect(await t.identity.authenticate(villageReviewer.token)).toBeNull();
      expect(await t.auditActions(reviewer.accountId)).toEqual([
        'staff.created',
        'login.succeeded',
        'role.granted',
        'role.revoked',
        'account.disabled',
      ]);
    });

    it("has none of the identity admin's methods: the CLI and the seed act without an access check, the routes cannot", () => {
      const t = setup(database.db);
      const adminMethods = Object.keys(t.admin);
      expect(adminMethods).toEqual(
        expect.arrayContaining(['ensureStaff', 'createPlatformAdmin', 'resetStaffPassword', 'issueBootstrapToken']),
      );
      for (const name of adminMethods) expect(t.identity).not.toHaveProperty(name);
    });

    it('bootstraps staff idempotently', async () => {
      const t = setup(database.db);
      const input = {
        username: `Seed-${++seq}`,
        name: '种子',
        password: PASSWORD,
        roles: [{ role: 'platform_admin' as const, orgCode: '13' }],
      };
      const first = await t.admin.ensureStaff(input);
      const again = await t.admin.ensureStaff(input);
      expect(first.created).toBe(true);
      expect(again).toEqual({ accountId: first.accountId, created: false });
      const me = await t.identity.getMyProfile((await t.loginAs({ staff: input.username.toLowerCase() })).principal);
      expect(me).toMatchObject({
        kind: 'staff',
        username: input.username.toLowerCase(),
        roles: [{ role: 'platform_admin', orgCode: '13' }],
      });
    });
  });

  describe('residents', () => {
    it('shows a masked profile and moves the home village', async () => {
      const t = setup(database.db);
      const r = await t.newResident();
      const { principal } = await t.loginAs({ resident: r.phone });
      expect(await t.identity.getMyProfile(principal)).toEqual({
        kind: 'resident',
        accountId: r.accountId,
        name: r.name,
        residentIdMasked: r.residentIdMasked,
        phoneMasked: `${r.phone.slice(0, 3)}****${r.phone.slice(7)}`,
        birthDate: '1990-03-07',
        gender: Number(r.residentId[16]) % 2 === 1 ? 'male' : 'female',
        homeOrg: { code: VILLAGE_A, name: '甲村' },
      });
      await expect(t.identity.setHomeOrg(principal, VILLAGE_B)).resolves.toMatchObject({ homeOrg: { code: VILLAGE_B } });
      await rejectsWith(t.identity.setHomeOrg(principal, '130125100'), 'INVALID_DIVISION_CODE');
    });
  });

  describe('delegation (帮办代办)', () => {
    it('lets a helper act within the granted scopes until the resident withdraws it', async () => {
      const t = setup(database.db);
      const r = await t.newResident();
      const resident = await t.loginAs({ resident: r.residentId });
      const helper = await t.newStaff('helper', VILLAGE_A);
      const reviewer = await t.newStaff('village_reviewer', VILLAGE_A);
      const validUntil = new Date(t.clock.now.getTime() + 30 * 24 * HOUR).toISOString();

      await rejectsWith(
        t.identity.createDelegation(resident.principal, { helperUsername: reviewer.username, scopes: ['applications.submit'], validUntil }),
        'NOT_FOUND',
      );
      await rejectsWith(
        t.identity.createDelegation(resident.principal, {
          helperUsername: helper.username,
          scopes: ['applications.submit'],
          validUntil: new Date(t.clock.now.getTime() + 400 * 24 * HOUR).toISOString(),
        }),
        'VALIDATION_FAILED',
      );
      await rejectsWith(t.identity.authenticate(helper.token, r.accountId), 'DELEGATION_REQUIRED');

      const delegation = await t.identity.createDelegation(resident.principal, {
        helperUsername: helper.username,
        scopes: ['applications.submit', 'applications.view'],
        validUntil,
      });
      expect(delegation).toMatchObject({
        status: 'active',
        resident: { residentIdMasked: r.residentIdMasked },
        helper: { username: helper.username },
      });

      const acting = await t.identity.authenticate(helper.token, r.accountId);
      expect(acting?.actingFor).toEqual({
        residentId: r.accountId,
        delegationId: delegation.id,
        scopes: ['applications.submit', 'applications.view'],
      });
      expect(requireResidentScope(acting!, 'applications.submit')).toBe(r.accountId);
      expect(() => requireResidentScope(acting!, 'certificates.view')).toThrow(expect.objectContaining({ code: 'DELEGATION_REQUIRED' }));
      expect(() => requireResidentScope(helper.principal, 'applications.submit')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
      expect(requireResidentScope(resident.principal, 'applications.submit')).toBe(r.accountId);
      await rejectsWith(t.identity.authenticate(reviewer.token, r.accountId), 'DELEGATION_REQUIRED');

      const principals = await t.identity.listMyPrincipals(helper.principal);
      expect(principals.map((d) => d.resident)).toEqual([{ accountId: r.accountId, name: r.name, residentIdMasked: r.residentIdMasked }]);
      expect((await t.identity.listMyDelegations(resident.principal)).map((d) => d.id)).toEqual([delegation.id]);

      const stranger = await t.loginAs({ resident: (await t.newResident()).residentId });
      await rejectsWith(t.identity.revokeDelegation(stranger.principal, delegation.id), 'NOT_FOUND');
      await rejectsWith(t.identity.revokeDelegation(acting!, delegation.id), 'NOT_FOUND');
      await t.identity.revokeDelegation(resident.principal, delegation.id);
      await rejectsWith(t.identity.authenticate(helper.token, r.accountId), 'DELEGATION_REQUIRED');
      expect(await t.identity.listMyPrincipals(helper.principal)).toEqual([]);
      expect((await t.identity.listMyDelegations(resident.principal))[0]?.status).toBe('revoked');
      expect(await t.auditActions(r.accountId)).toEqual(expect.arrayContaining(['delegation.created', 'delegation.revoked']));
    });

    it('ends with its validity period', async () => {
      const t = setup(database.db);
      const r = await t.newResident();
      const resident = await t.loginAs({ resident: r.residentId });
      const helper = await t.newStaff('helper', VILLAGE_A);
      await t.identity.createDelegation(resident.principal, {
        helperUsername: helper.username,
        scopes: ['applications.view'],
        validUntil: new Date(t.clock.now.getTime() + 2 * HOUR).toISOString(),
      });
      expect((await t.identity.authenticate(helper.token, r.accountId))?.actingFor?.scopes).toEqual(['applications.view']);
      t.advance(3 * HOUR);
      await rejectsWith(t.identity.authenticate(helper.token, r.accountId), 'DELEGATION_REQUIRED');
    });
  });
});

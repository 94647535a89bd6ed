import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testEngines } from '../../../test/db.ts';
import type { ErrorCode } from '../../core/errors.ts';
import type { Database, Db } from '../../db/database.ts';
import { BOOTSTRAP_TOKEN_TTL_MS } from './first-admin.ts';
import { createIdentityAdmin, createIdentityService, type OrgDirectory, type OrgInfo } from './identity.service.ts';
import { makeResidentId } from './resident-id.ts';
import { hanDigits } from '../../demo/han-digits.ts';

const ORGS: OrgInfo[] = [
  { code: '13', level: 'province', name: '河北省', path: '13' },
  { code: '130123', level: 'county', name: '正定县', path: '13.1301.130123' },
  { code: '130123100201', level: 'village', name: '甲村', path: '13.1301.130123.130123100.130123100201' },
];
const orgs: OrgDirectory = {
  getOrg: (code) => Promise.resolve(ORGS.find((o) => o.code === code) ?? null),
  divisionExists: (code6) => Promise.resolve(code6 === '130123'),
};

const PASSWORD = 'Lianghao-Mima-731';
const NEW_PASSWORD = 'Xinmima-Anquan-2026';
/** The three passwords the old rule (8 characters, a letter and a digit) let through. */
const OLD_RULE_PASSWORDS = ['password1', 'abcdefg1', '        1a'];
let seq = 0;

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code });
}

// One master key for the database: its fingerprint is recorded with the first resident.
const MASTER_KEY = randomBytes(32);

function setup(db: Db) {
  const clock = { now: new Date('2026-06-01T02:00:00Z') };
  const identity = createIdentityService({ db, masterKey: MASTER_KEY, orgs, clock: () => clock.now });
  const admin = createIdentityAdmin({ identity });
  const newResident = async () => {
    const n = 500 + ++seq;
    const residentId = makeResidentId('130123', '1988-02-03', n);
    const phone = `137${String(n).padStart(8, '0')}`;
    const r = await identity.registerResident({
      name: `居民${hanDigits(n)}`,
      residentId,
      phone,
      password: PASSWORD,
      homeOrgCode: '130123100201',
    });
    return { ...r, phone };
  };
  const loginResident = (phone: string, password = PASSWORD) =>
    identity.login({ kind: 'resident', residentIdOrPhone: phone, password, channel: 'app' });
  const auditActions = async (accountId: string) =>
    (await db.execute<{ action: string }>(sql`select action from identity_audit where account_id = ${accountId} order by id`)).rows.map(
      (r) => r.action,
    );
  return { identity, admin, clock, newResident, loginResident, auditActions };
}

describe.each(testEngines())('passwords on %s', (engine) => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase(engine);
  });
  afterAll(async () => {
    await database.close();
  });

  describe('policy', () => {
    it('refuses password1, abcdefg1 and "        1a" at registration with WEAK_PASSWORD, and registers nothing', async () => {
      const t = setup(database.db);
      for (const [i, weak] of OLD_RULE_PASSWORDS.entries()) {
        const residentId = makeResidentId('130123', '1991-01-01', 700 + i);
        await rejectsWith(
          t.identity.registerResident({ name: '弱密码', residentId, phone: '13600000001', password: weak }),
          'WEAK_PASSWORD',
        );
        expect(await t.identity.findResidentByResidentId(residentId)).toBeNull();
      }
      await expect(t.newResident()).resolves.toHaveProperty('residentIdMasked');
    });

    it('refuses a weak or self-named password for staff, and takes a strong one', async () => {
      const t = setup(database.db);
      for (const password of [...OLD_RULE_PASSWORDS, 'Yiban2026', 'county-officer-77']) {
        await rejectsWith(
          t.admin.ensureStaff({
            username: 'county-officer-77',
            name: '县办事员',
            password,
            roles: [{ role: 'supervisor', orgCode: '130123' }],
          }),
          'WEAK_PASSWORD',
        );
      }
      await expect(
        t.admin.ensureStaff({
          username: 'county-officer-77',
          name: '县办事员',
          password: PASSWORD,
          roles: [{ role: 'supervisor', orgCode: '130123' }],
        }),
      ).resolves.toMatchObject({ created: true });
    });
  });

  describe('change', () => {
    it('needs the current password, ends the other sessions, keeps this one, and the new password works', async () => {
      const t = setup(database.db);
      const r = await t.newResident();
      const here = await t.loginResident(r.phone);
      const phone2 = await t.loginResident(r.phone);
      const kiosk = await t.identity.login({ kind: 'resident', residentIdOrPhone: r.phone, password: PASSWORD, channel: 'kiosk' });
      const me = (await t.identity.authenticate(here.token))!;
      // Cached as valid before the change: the change must drop that too.
      expect(await t.identity.authenticate(phone2.token)).not.toBeNull();

      await rejectsWith(
        t.identity.changePassword(me, { currentPassword: 'Wrong-Current-123', newPassword: NEW_PASSWORD }, here.token),
        'CURRENT_PASSWORD_WRONG',
      );
      for (const weak of OLD_RULE_PASSWORDS) {
        await rejectsWith(t.identity.changePassword(me, { currentPassword: PASSWORD, newPassword: weak }, here.token), 'WEAK_PASSWORD');
      }
      await rejectsWith(
        t.identity.changePassword(me, { currentPassword: PASSWORD, newPassword: r.phone + 'x' }, here.token),
        'WEAK_PASSWORD',
      );
      await rejectsWith(
        t.identity.changePassword(me, { currentPassword: PASSWORD, newPassword: PASSWORD }, here.token),
        'PASSWORD_UNCHANGED',
      );
      // Nothing changed so far.
      expect(await t.identity.authenticate(phone2.token)).not.toBeNull();
      await expect(t.loginResident(r.phone)).resolves.toBeTruthy();

      const result = await t.identity.changePassword(me, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, here.token);
      expect(result.revokedSessions).toBe(3);
      expect(await t.identity.authenticate(phone2.token)).toBeNull();
      expect(await t.identity.authenticate(kiosk.token)).toBeNull();
      expect(await t.identity.authenticate(here.token)).toMatchObject({ accountId: r.accountId });
      await rejectsWith(t.loginResident(r.phone), 'INVALID_CREDENTIALS');
      await expect(t.loginResident(r.phone, NEW_PASSWORD)).resolves.toMatchObject({ account: { id: r.accountId } });
      expect(await t.auditActions(r.accountId)).toContain('password.changed');
      const stored = await database.db.execute<{ password_hash: string }>(
        sql`select password_hash from accounts where id = ${r.accountId}`,
      );
      expect(stored.rows[0]!.password_hash).toMatch(/^\$argon2id\$/);
      expect(stored.rows[0]!.password_hash).not.toContain(NEW_PASSWORD);
    });

    it('counts wrong current passwords as failed logins: the fifth locks the account', async () => {
      const t = setup(database.db);
      const r = await t.newResident();
      const me = (await t.identity.authenticate((await t.loginResident(r.phone)).token))!;
      for (let i = 0; i < 4; i++) {
        await rejectsWith(
          t.identity.changePassword(me, { currentPassword: `Guess-Number-${i}x`, newPassword: NEW_PASSWORD }),
          'CURRENT_PASSWORD_WRONG',
        );
      }
      await rejectsWith(t.identity.changePassword(me, { currentPassword: 'Guess-Number-5x', newPassword: NEW_PASSWORD }), 'ACCOUNT_LOCKED');
      await rejectsWith(t.identity.changePassword(me, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }), 'ACCOUNT_LOCKED');
      await rejectsWith(t.loginResident(r.phone), 'ACCOUNT_LOCKED');
      expect(await t.auditActions(r.accountId)).toContain('password.change_failed');
    });

    it('lets a staff member change theirs; the operator resets it and every session ends', async () => {
      const t = setup(database.db);
      const username = `reset-me-${++seq}`;
      await t.admin.ensureStaff({ username, name: '重置者', password: PASSWORD, roles: [{ role: 'supervisor', orgCode: '130123' }] });
      const login = (password: string) => t.identity.login({ kind: 'staff', username, password, channel: 'web' });
      const session = await login(PASSWORD);
      const principal = (await t.identity.authenticate(session.token))!;
      await expect(
        t.identity.changePassword(principal, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, session.token),
      ).resolves.toEqual({ revokedSessions: 0 });
      await rejectsWith(login(PASSWORD), 'INVALID_CREDENTIALS');

      await rejectsWith(t.admin.resetStaffPassword(username, 'abcdefg1'), 'WEAK_PASSWORD');
      await rejectsWith(t.admin.resetStaffPassword('no-such-user', 'Operator-Set-4471'), 'NOT_FOUND');
      await expect(t.admin.resetStaffPassword(username, 'Operator-Set-4471')).resolves.toEqual({ revokedSessions: 1 });
      expect(await t.identity.authenticate(session.token)).toBeNull();
      await rejectsWith(login(NEW_PASSWORD), 'INVALID_CREDENTIALS');
      await expect(login('Operator-Set-4471')).resolves.toBeTruthy();
    });
  });
});

describe.each(testEngines())('the first administrator on %s', (engine) => {
  // Each test starts from an install without an administrator: a database of its own.
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase(engine);
  });
  afterAll(async () => {
    await database.close();
  });
  const wipeAdmins = () =>
    database.db.execute(
      sql`update accounts set status = 'disabled' where id in (select account_id from staff_roles where role = 'platform_admin')`,
    );

  it('yiban admin create: refuses a weak password, creates the administrator, refuses a taken name', async () => {
    await wipeAdmins();
    const t = setup(database.db);
    expect(await t.identity.needsBootstrap()).toBe(true);
    for (const weak of [...OLD_RULE_PASSWORDS, 'Yiban2026']) {
      await rejectsWith(t.admin.createPlatformAdmin({ username: 'root-admin', name: '平台管理员', password: weak }), 'WEAK_PASSWORD');
    }
    expect(await t.identity.needsBootstrap()).toBe(true);
    const admin = await t.admin.createPlatformAdmin({ username: 'root-admin', name: '平台管理员', password: PASSWORD });
    expect(admin.roles).toEqual([{ role: 'platform_admin', orgCode: '13' }]);
    expect(await t.identity.needsBootstrap()).toBe(false);
    expect(await t.admin.issueBootstrapToken()).toBeNull();
    await rejectsWith(t.admin.createPlatformAdmin({ username: 'root-admin', name: '又一个', password: NEW_PASSWORD }), 'USERNAME_TAKEN');
    await expect(t.identity.login({ kind: 'staff', username: 'root-admin', password: PASSWORD, channel: 'web' })).resolves.toBeTruthy();
  });

  it('a bootstrap token is stored hashed, creates one administrator once, and is refused after', async () => {
    await wipeAdmins();
    const t = setup(database.db);
    const issued = (await t.admin.issueBootstrapToken())!;
    expect(issued.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = await database.db.execute<{ token_hash: string }>(sql`select token_hash from bootstrap_tokens where used_at is null`);
    expect(stored.rows).toHaveLength(1);
    expect(stored.rows[0]!.token_hash).not.toContain(issued.token);

    const input = { token: issued.token, username: 'first-admin', name: '首位管理员', password: PASSWORD };
    await rejectsWith(t.identity.bootstrapAdmin({ ...input, token: 'x'.repeat(43) }), 'BOOTSTRAP_TOKEN_INVALID');
    // A weak password is refused without burning the token.
    await rejectsWith(t.identity.bootstrapAdmin({ ...input, password: 'abcdefg1' }), 'WEAK_PASSWORD');
    // Two uses at once: exactly one administrator.
    const results = await Promise.allSettled([
      t.identity.bootstrapAdmin(input),
      t.identity.bootstrapAdmin({ ...input, username: 'second-admin' }),
    ]);
    const created = results.filter((r) => r.status === 'fulfilled');
    expect(created).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'BOOTSTRAP_TOKEN_INVALID' } });
    expect(await t.identity.needsBootstrap()).toBe(false);
    await rejectsWith(t.identity.bootstrapAdmin({ ...input, username: 'third-admin' }), 'BOOTSTRAP_TOKEN_INVALID');
    expect(await t.admin.issueBootstrapToken()).toBeNull();
    const admins = await database.db.execute<{ n: number }>(
      sql`select count(*)::int as n from staff_roles r join accounts a on a.id = r.account_id where r.role = 'platform_admin' and a.status = 'active'`,
    );
    expect(admins.rows[0]!.n).toBe(1);
  });

  it('a bootstrap token expires, and a new one replaces the old', async () => {
    await wipeAdmins();
    const t = setup(database.db);
    const first = (await t.admin.issueBootstrapToken())!;
    const second = (await t.admin.issueBootstrapToken())!;
    const input = { username: 'late-admin', name: '迟到管理员', password: PASSWORD };
    await rejectsWith(t.identity.bootstrapAdmin({ ...input, token: first.token }), 'BOOTSTRAP_TOKEN_INVALID');
    t.clock.now = new Date(t.clock.now.getTime() + BOOTSTRAP_TOKEN_TTL_MS + 1000);
    await rejectsWith(t.identity.bootstrapAdmin({ ...input, token: second.token }), 'BOOTSTRAP_TOKEN_INVALID');
    const third = (await t.admin.issueBootstrapToken())!;
    await expect(t.identity.bootstrapAdmin({ ...input, token: third.token })).resolves.toMatchObject({ username: 'late-admin' });
  });
});

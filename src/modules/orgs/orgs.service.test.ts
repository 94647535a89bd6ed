import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testEngines } from '../../../test/db.ts';
import type { Database } from '../../db/database.ts';
import type { StaffRole } from '../identity/identity.tables.ts';
import type { Principal } from '../identity/principal.ts';
import { makeCreditCode } from './credit-code.ts';
import { createOrgsAdmin, createOrgsService, DEMO_DEPARTMENT_CODES, type OrgsAdmin, type OrgsService } from './orgs.service.ts';

const VILLAGE = '130123100242'; // 塔元庄村民委员会, 正定镇
const ZHENGDING = '13.1301.130123';

function staff(role: StaffRole, orgPath: string): Principal {
  return {
    accountId: randomUUID(),
    kind: 'staff',
    name: '测试人员',
    roles: [{ role, orgCode: orgPath.split('.').at(-1)!, orgPath }],
    sessionChannel: 'web',
  };
}

let serial = 0;
/** A fresh valid credit code for an organ of 正定县. */
function nextCreditCode(): string {
  serial++;
  return makeCreditCode(`11130123YBT${String(serial).padStart(6, '0')}`);
}

describe.each(testEngines())('orgs service on %s', (engine) => {
  let database: Database;
  let orgs: OrgsService;
  let admin: OrgsAdmin;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    orgs = createOrgsService({ db: database.db });
    admin = createOrgsAdmin({ db: database.db, orgs });
    await admin.loadDivisions({ scope: { prefix: '130123' } });
  });
  afterAll(async () => {
    await database?.close();
  });

  it("has none of the orgs admin's methods: the seed and the CLI load divisions without an access check, the routes cannot", () => {
    const adminMethods = Object.keys(admin);
    expect(adminMethods).toEqual(expect.arrayContaining(['loadDivisions', 'ensureDemoDepartments']));
    for (const name of adminMethods) expect(orgs).not.toHaveProperty(name);
  });

  it('finds an org by code, or answers null / NOT_FOUND', async () => {
    expect(await orgs.getOrg(VILLAGE)).toMatchObject({ name: '塔元庄村民委员会', level: 'village' });
    expect(await orgs.getOrg('130124')).toBeNull();
    await expect(orgs.requireOrg('130124')).rejects.toMatchObject({ code: 'NOT_FOUND', params: { what: 'org' } });
  });

  it('reads orgs and their names through a cache that reloading divisions clears', async () => {
    expect(await orgs.nameOf(VILLAGE)).toBe('塔元庄村民委员会');
    expect(await orgs.nameOf('999999999999')).toBeNull();
    expect((await orgs.byCode(VILLAGE))?.path).toBe((await orgs.getOrg(VILLAGE))?.path);
    await database.db.execute(sql`update orgs set name = '改名村' where code = ${VILLAGE}`);
    expect(await orgs.nameOf(VILLAGE)).toBe('塔元庄村民委员会');
    await admin.ensureDemoDepartments(); // may load divisions: clears the cache
    expect(await orgs.nameOf(VILLAGE)).toBe('改名村');
    // The reload puts the bundled name back, and this process sees it at once.
    await admin.loadDivisions({ scope: { prefix: VILLAGE } });
    expect(await orgs.nameOf(VILLAGE)).toBe('塔元庄村民委员会');
  });

  it('lists the ancestors from the province down to the org itself', async () => {
    const chain = await orgs.getAncestors(VILLAGE);
    expect(chain.map((o) => o.name)).toEqual(['河北省', '石家庄市', '正定县', '正定镇', '塔元庄村民委员会']);
    expect(chain.map((o) => o.level)).toEqual(['province', 'city', 'county', 'township', 'village']);
  });

  it('pages through children so that each appears exactly once, in code order', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await orgs.listChildren('130123100', { after, limit: 7 });
      expect(page.items.length).toBeLessThanOrEqual(7);
      seen.push(...page.items.map((o) => o.code));
      after = page.next ?? undefined;
      pages++;
    } while (after);
    expect(seen).toHaveLength(52);
    expect(new Set(seen).size).toBe(52);
    expect([...seen].sort()).toEqual(seen);
    expect(seen).toContain(VILLAGE);
    expect(pages).toBe(8);
    const whole = await orgs.listChildren('130123100', { limit: 200 });
    expect(whole.items.map((o) => o.code)).toEqual(seen);
    expect(whole.next).toBeNull();
  });

  it('refuses a forged cursor and an unknown parent', async () => {
    await expect(orgs.listChildren('130123100', { after: 'bm90LWpzb24', limit: 5 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(orgs.listChildren('999999', { limit: 5 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('searches by name fragment, level and subtree', async () => {
    const hits = await orgs.searchOrgs({ q: '塔元庄' });
    expect(hits.map((o) => o.code)).toContain(VILLAGE);
    const towns = await orgs.searchOrgs({ q: '正定', level: 'township' });
    expect(towns.map((o) => o.name)).toEqual(['正定镇']);
    const firstIsExact = await orgs.searchOrgs({ q: '正定县' });
    expect(firstIsExact[0]?.code).toBe('130123');
    expect(await orgs.searchOrgs({ q: '塔元庄', under: '130123102' })).toEqual([]);
    expect((await orgs.searchOrgs({ q: '塔元庄', under: '130123100' })).map((o) => o.code)).toContain(VILLAGE);
    expect(await orgs.searchOrgs({ q: '%' })).toEqual([]);
    expect(await orgs.searchOrgs({ q: '村', limit: 3 })).toHaveLength(3);
  });

  it('tells whether a county code is in today’s list, before and after seeding', async () => {
    expect(await orgs.divisionExists('130123')).toBe(true);
    expect(await orgs.divisionExists('110101')).toBe(true); // 东城区: not loaded, known from the bundled list
    expect(await orgs.divisionExists('130199')).toBe(false);
    expect(await orgs.divisionExists('13012')).toBe(false);
  });

  it('creates the demo departments once, with valid credit codes, however often it runs', async () => {
    const first = await admin.ensureDemoDepartments();
    const second = await admin.ensureDemoDepartments();
    expect(second.map((d) => d.code)).toEqual(first.map((d) => d.code));
    expect(first.map((d) => d.code)).toEqual(DEMO_DEPARTMENT_CODES);
    expect(first.map((d) => d.departmentKind)).toEqual([
      'health',
      'public_security',
      'medical_security',
      'human_resources',
      'civil_affairs',
      'bank',
    ]);
    expect(first[0]).toMatchObject({ name: '正定县卫生健康局', parentCode: '130123', divisionCode: '130123000000', depth: 3 });
    expect(first[0]?.path).toBe(`${ZHENGDING}.${first[0]?.code}`);
  });

  it('finds the nearest department of a kind by walking up from a division', async () => {
    await createOrgsAdmin({ db: database.db, orgs }).ensureDemoDepartments();
    expect((await orgs.findDepartment('health', VILLAGE))?.name).toBe('正定县卫生健康局');
    expect((await orgs.findDepartment('health', '130123000000'))?.name).toBe('正定县卫生健康局');
    expect(await orgs.findDepartment('health', '1301')).toBeNull();
    expect(await orgs.findDepartment('health', '999999')).toBeNull();

    const admin = staff('county_admin', ZHENGDING);
    const townHealth = await orgs.createDepartment(admin, {
      name: '正定镇卫生院',
      kind: 'health',
      creditCode: nextCreditCode(),
      parentCode: '130123100',
    });
    expect((await orgs.findDepartment('health', VILLAGE))?.code).toBe(townHealth.code);
    // A village of another township still reaches the county's department.
    const [otherVillage] = (await orgs.listChildren('130123102', { limit: 1 })).items;
    expect((await orgs.findDepartment('health', otherVillage!.code))?.name).toBe('正定县卫生健康局');
  });

  describe('creating a department', () => {
    const input = (overrides: Partial<{ name: string; creditCode: string; parentCode: string }> = {}) => ({
      name: '正定县测试局',
      kind: 'civil_affairs' as const,
      creditCode: nextCreditCode(),
      parentCode: '130123',
      ...overrides,
    });

    it('is allowed to the county’s administrator, an administrator above it and the platform administrator', async () => {
      for (const principal of [staff('county_admin', ZHENGDING), staff('city_admin', '13.1301'), staff('platform_admin', '13')]) {
        const request = input();
        const created = await orgs.createDepartment(principal, { ...request, creditCode: request.creditCode.toLowerCase() });
        expect(created).toMatchObject({
          code: request.creditCode,
          level: 'department',
          departmentKind: 'civil_affairs',
          parentCode: '130123',
          path: `${ZHENGDING}.${request.creditCode}`,
        });
        expect(await orgs.getOrg(request.creditCode)).toMatchObject({ code: request.creditCode });
      }
    });

    it('is refused to a village reviewer, a township admin and the admin of another county', async () => {
      for (const principal of [
        staff('village_reviewer', `${ZHENGDING}.130123100.${VILLAGE}`),
        staff('township_admin', `${ZHENGDING}.130123100`),
        staff('county_admin', '13.1301.130124'),
        staff('department_officer', ZHENGDING),
        { ...staff('county_admin', ZHENGDING), roles: [] },
      ]) {
        const request = input();
        await expect(orgs.createDepartment(principal, request)).rejects.toMatchObject({ code: 'FORBIDDEN' });
        expect(await orgs.getOrg(request.creditCode)).toBeNull();
      }
    });

    it('lets a township admin attach one to the township', async () => {
      const created = await orgs.createDepartment(staff('township_admin', `${ZHENGDING}.130123100`), input({ parentCode: '130123100' }));
      expect(created).toMatchObject({ parentCode: '130123100', divisionCode: '130123100000', depth: 4 });
    });

    it('rejects an invalid credit code with the reason in both languages', async () => {
      const valid = nextCreditCode();
      const wrongCheck = valid.slice(0, 17) + (valid[17] === '0' ? '1' : '0');
      await expect(orgs.createDepartment(staff('county_admin', ZHENGDING), input({ creditCode: wrongCheck }))).rejects.toMatchObject({
        code: 'INVALID_CREDIT_CODE',
        params: { reason: { zh: '校验码不正确', en: 'the check character does not match' } },
      });
      await expect(orgs.createDepartment(staff('county_admin', ZHENGDING), input({ creditCode: '123' }))).rejects.toMatchObject({
        code: 'INVALID_CREDIT_CODE',
      });
    });

    it('refuses a duplicate credit code, a village parent and an unknown parent', async () => {
      const admin = staff('county_admin', ZHENGDING);
      const request = input();
      await orgs.createDepartment(admin, request);
      await expect(orgs.createDepartment(admin, { ...request, name: '另一个名字' })).rejects.toMatchObject({
        code: 'ALREADY_EXISTS',
        params: { what: 'org' },
      });
      await expect(orgs.createDepartment(admin, input({ parentCode: VILLAGE }))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(orgs.createDepartment(admin, input({ parentCode: '130199' }))).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(orgs.createDepartment(admin, input({ name: '   ' }))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    });
  });
});

import type { Services } from '../app.ts';
import type { Principal } from '../modules/identity/index.ts';
import type { StaffRole } from '../modules/identity/index.ts';
import { makeResidentId, maskResidentId } from '../modules/identity/index.ts';
import { SEED_SERVICE_ITEMS } from '../modules/catalog/index.ts';
import { SEED_CERTIFICATE_TYPES } from '../modules/certificates/index.ts';
import { ensureDemoDepartments } from '../modules/orgs/index.ts';
import { createApplicationsService } from '../modules/applications/index.ts';
import type { Database } from '../db/database.ts';
import { seedSharingDemo, type DemoPerson } from '../modules/sharing/index.ts';
import { seedBundles } from '../modules/bundles/index.ts';

/** 塔元庄村民委员会, 正定镇, 正定县, 石家庄市, 河北省: the village of the e-certificate story. */
export const DEMO_VILLAGE = '130123100242';
export const DEMO_TOWNSHIP = '130123100';
export const DEMO_COUNTY = '130123';
export const DEMO_CITY = '1301';
export const DEMO_PROVINCE = '13';
/** The one password of every demo account (demo mode only; it passes the password policy). */
export const DEMO_PASSWORD = 'Yiban-Demo-2026';

export interface DemoCredential {
  who: string;
  login: string;
  password: string;
}

export interface DemoStaffDef {
  username: string;
  name: string;
  role: StaffRole;
  orgCode: string | ((departments: Record<string, string>) => string);
  who: string;
}

const STAFF: DemoStaffDef[] = [
  { username: 'admin', name: '平台管理员', role: 'platform_admin', orgCode: DEMO_PROVINCE, who: '平台管理员 platform administrator' },
  { username: 'sjz-admin', name: '石家庄市管理员', role: 'city_admin', orgCode: DEMO_CITY, who: '石家庄市管理员 city administrator' },
  { username: 'zd-admin', name: '正定县管理员', role: 'county_admin', orgCode: DEMO_COUNTY, who: '正定县管理员 county administrator' },
  {
    username: 'zdz-admin',
    name: '正定镇管理员',
    role: 'township_admin',
    orgCode: DEMO_TOWNSHIP,
    who: '正定镇管理员 township administrator',
  },
  {
    username: 'tyz-reviewer',
    name: '塔元庄村审核员',
    role: 'village_reviewer',
    orgCode: DEMO_VILLAGE,
    who: '塔元庄村两委审核员 village reviewer',
  },
  { username: 'tyz-helper', name: '塔元庄村帮办员', role: 'helper', orgCode: DEMO_VILLAGE, who: '塔元庄村帮办代办员 helper' },
  { username: 'zd-supervisor', name: '正定县行政审批局督查员', role: 'supervisor', orgCode: DEMO_COUNTY, who: '正定县督查员 supervisor' },
  {
    username: 'zd-police',
    name: '正定县公安局民警',
    role: 'department_officer',
    orgCode: (d) => d.public_security!,
    who: '公安局办事员 police officer',
  },
  {
    username: 'zd-health',
    name: '正定县卫健局办事员',
    role: 'department_officer',
    orgCode: (d) => d.health!,
    who: '卫健局办事员 health officer',
  },
];

/** The demo residents as the datasets know them (a department's own system serves records of the same people). */
export function demoPeople(): [DemoPerson, DemoPerson, DemoPerson, DemoPerson] {
  return RESIDENTS.map((r, i): DemoPerson => {
    const residentId = demoResidentId(i);
    return { residentId, name: r.name, birthDate: r.birth, gender: Number(residentId[16]) % 2 === 1 ? 'male' : 'female' };
  }) as [DemoPerson, DemoPerson, DemoPerson, DemoPerson];
}

const RESIDENTS = [
  { name: '张伟', birth: '1985-06-12', seq: 31, phone: '13831100001' },
  { name: '王芳', birth: '1990-03-07', seq: 42, phone: '13831100002' },
  { name: '李娜', birth: '1978-11-23', seq: 64, phone: '13831100003' },
  { name: '刘洋', birth: '2001-08-30', seq: 15, phone: '13831100004' },
];

/** The demo number of the n-th demo resident (kiosk codes go there; tests capture them). */
export function demoResidentPhone(index: number): string {
  const resident = RESIDENTS[index];
  if (!resident) throw new Error(`no demo resident ${index}`);
  return resident.phone;
}

export interface SeedDemoOptions {
  /** Hebei by default; the whole country; or (for tests) one subtree by code prefix. */
  divisions: 'hebei' | 'all' | { prefix: string };
  onProgress?: (stage: string, done: number, total: number) => void;
}

/** True once the demo has been loaded into this database. */
export async function isDemoSeeded(services: Services): Promise<boolean> {
  return (await services.identity.findResidentByResidentId(demoResidentId(0))) !== null;
}

/** The demo accounts, as printed at start; no database work. */
export function demoCredentials(): DemoCredential[] {
  return [
    ...STAFF.map((s) => ({ who: s.who, login: s.username, password: DEMO_PASSWORD })),
    ...RESIDENTS.map((r, i) => ({
      who: `居民 resident ${r.name}`,
      login: `${r.phone} (${maskResidentId(demoResidentId(i))})`,
      password: DEMO_PASSWORD,
    })),
  ];
}

export function demoResidentId(index: number): string {
  const r = RESIDENTS[index]!;
  return makeResidentId(DEMO_COUNTY, r.birth, r.seq);
}

/**
 * What every install loads, demo or not: divisions, departments, the service catalogue and
 * certificate types, the platform root key, the sharing datasets and grants (no personal
 * records) and the life-event bundles. No accounts. Safe to run again. Returns the department
 * codes by kind.
 */
export async function seedPlatform(database: Database, services: Services, options: SeedDemoOptions): Promise<Record<string, string>> {
  await services.orgs.loadDivisions({
    scope: options.divisions,
    onProgress: (done, total) => options.onProgress?.('divisions', done, total),
  });
  const departments = await ensureDemoDepartments(database.db);
  const byKind: Record<string, string> = {};
  for (const d of departments) if (d.departmentKind) byKind[d.departmentKind] ??= d.code;
  await services.catalog.upsertItems(SEED_SERVICE_ITEMS);
  await services.certificates.upsertTypes(SEED_CERTIFICATE_TYPES);
  await services.keys.ensurePlatformRoot();
  await seedSharingDemo(services.dataSharing, byKind, null, { licenceTypes: await services.certificates.listTypes() });
  await seedBundles(services, byKind);
  return byKind;
}

/** True once seedPlatform has run on this database (the province and the catalogue are there). */
export async function isPlatformSeeded(services: Services): Promise<boolean> {
  return (await services.orgs.getOrg(DEMO_PROVINCE)) !== null && (await services.certificates.listTypes()).length > 0;
}

/**
 * Demo mode only: seedPlatform, then staff at every level of the four-level liaison with the
 * published DEMO_PASSWORD, residents of 塔元庄村, their dataset records and cases in every state.
 * Safe to run again.
 */
export async function seedDemo(database: Database, services: Services, options: SeedDemoOptions): Promise<DemoCredential[]> {
  const byKind = await seedPlatform(database, services, options);

  for (const s of STAFF) {
    const orgCode = typeof s.orgCode === 'string' ? s.orgCode : s.orgCode(byKind);
    await services.identity.ensureStaff({
      username: s.username,
      name: s.name,
      password: DEMO_PASSWORD,
      roles: [{ role: s.role, orgCode }],
    });
  }
  const credentials = demoCredentials();

  const seeded = await isDemoSeeded(services);
  const residents: Principal[] = [];
  for (const [i, r] of RESIDENTS.entries()) {
    const residentId = demoResidentId(i);
    if (!seeded) {
      await services.identity.registerResident({
        name: r.name,
        residentId,
        phone: r.phone,
        password: DEMO_PASSWORD,
        homeOrgCode: DEMO_VILLAGE,
      });
    }
    residents.push(await loginAs(services, { kind: 'resident', residentIdOrPhone: residentId, password: DEMO_PASSWORD, channel: 'app' }));
  }
  await seedSharingDemo(services.dataSharing, byKind, demoPeople(), { licenceTypes: await services.certificates.listTypes() });
  if (seeded) return credentials;

  const reviewer = await loginAs(services, { kind: 'staff', username: 'tyz-reviewer', password: DEMO_PASSWORD, channel: 'web' });
  const police = await loginAs(services, { kind: 'staff', username: 'zd-police', password: DEMO_PASSWORD, channel: 'web' });
  const [zhang, wang, li, liu] = residents as [Principal, Principal, Principal, Principal];
  const apps = services.applications;
  const residence = (purpose: string) => ({
    serviceCode: 'cert.residence',
    form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose },
  });

  await apps.submit(zhang, residence('school'));
  const inReview = await apps.submit(wang, residence('employment'));
  await apps.act(reviewer, inReview.case.id, 'accept');
  await apps.act(reviewer, inReview.case.id, 'start_review');
  const returned = await apps.submit(li, {
    serviceCode: 'cert.family_economic_status',
    form: { householdSize: '4', annualIncome: '36000', purpose: 'school' },
  });
  await apps.act(reviewer, returned.case.id, 'return', '请补充家庭收入情况说明（村委会盖章）');
  const done = await apps.submit(liu, {
    serviceCode: 'cert.kinship',
    form: { relativeName: '刘建国', relation: 'parent', purpose: 'social_security' },
  });
  // Approval issues the kinship proof and completes the case.
  await apps.act(reviewer, done.case.id, 'approve');
  const rejected = await apps.submit(li, residence('other'));
  await apps.act(reviewer, rejected.case.id, 'reject', '申请人户籍与居住信息不符');
  await apps.submit(zhang, { serviceCode: 'cert.no_criminal_record', form: { purpose: 'employment', destination: '正定县第一中学' } });
  const policeCase = await apps.submit(wang, { serviceCode: 'cert.no_criminal_record', form: { purpose: 'employment' } });
  await apps.act(police, policeCase.case.id, 'accept');

  // A case submitted three weeks ago and still waiting: it shows up as overdue.
  const past = new Date(Date.now() - 21 * 86_400_000);
  const pastApps = createApplicationsService({
    db: database.db,
    catalog: services.catalog,
    orgs: services.orgs,
    residents: services.identity,
    events: services.events,
    clock: () => past,
  });
  await pastApps.submit(liu, residence('school'));

  // 王芳 applies for her newborn's household registration; 公安 fetches the delivery record under
  // a law-based grant and asks for the marriage record, which waits for her consent.
  const birthCase = await apps.submit(wang, {
    serviceCode: 'birth.household_registration',
    form: { childName: '张小宝', householdHead: '张伟' },
  });
  for (const [datasetCode, fields] of [
    ['health.birth_record', ['childName', 'childGender', 'birthTime', 'birthPlace', 'certificateNo']],
    ['civil.marriage_record', ['maritalStatus', 'spouseName', 'certificateNo']],
  ] as const) {
    await services.dataSharing.requestExchange(police, {
      requestKey: `demo-${datasetCode.replace('.', '-')}`,
      datasetCode,
      fields: [...fields],
      purpose: 'birth.household_registration',
      caseId: birthCase.case.id,
    });
  }

  await services.identity.createDelegation(wang, {
    helperUsername: 'tyz-helper',
    scopes: ['applications.submit', 'applications.view'],
    validUntil: new Date(Date.now() + 180 * 86_400_000),
  });
  return credentials;
}

async function loginAs(services: Services, input: Parameters<Services['identity']['login']>[0]): Promise<Principal> {
  const { token } = await services.identity.login(input);
  const principal = await services.identity.authenticate(token);
  if (!principal) throw new Error('demo login failed');
  return principal;
}

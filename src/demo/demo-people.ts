import type { DemoPerson } from '../modules/sharing/index.ts';
import { makeResidentId, maskResidentId, type StaffRole } from '../modules/identity/index.ts';

/** Who the demo is about, and where: its places, staff and residents, and the one password (seeded by demo-data.ts). */

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

export const DEMO_STAFF: DemoStaffDef[] = [
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
  // Two at the civil affairs bureau: rules are switched on by an officer other than their author.
  {
    username: 'zd-civil',
    name: '正定县民政局办事员',
    role: 'department_officer',
    orgCode: (d) => d.civil_affairs!,
    who: '民政局办事员 civil affairs officer',
  },
  {
    username: 'zd-civil2',
    name: '正定县民政局审核员',
    role: 'department_officer',
    orgCode: (d) => d.civil_affairs!,
    who: '民政局第二办事员 second civil affairs officer (four eyes)',
  },
  {
    username: 'zd-medsec',
    name: '正定县医疗保障局办事员',
    role: 'department_officer',
    orgCode: (d) => d.medical_security!,
    who: '医保局办事员 medical security officer (benefits)',
  },
];

/** The demo residents as the datasets know them (a department's own system serves records of the same people). */
export function demoPeople(): [DemoPerson, DemoPerson, DemoPerson, DemoPerson] {
  return DEMO_RESIDENTS.map((r, i): DemoPerson => {
    const residentId = demoResidentId(i);
    return { residentId, name: r.name, birthDate: r.birth, gender: Number(residentId[16]) % 2 === 1 ? 'male' : 'female' };
  }) as [DemoPerson, DemoPerson, DemoPerson, DemoPerson];
}

export const DEMO_RESIDENTS = [
  { name: '张伟', birth: '1985-06-12', seq: 31, phone: '13831100001' },
  { name: '王芳', birth: '1990-03-07', seq: 42, phone: '13831100002' },
  { name: '李娜', birth: '1978-11-23', seq: 64, phone: '13831100003' },
  { name: '刘洋', birth: '2001-08-30', seq: 15, phone: '13831100004' },
];

/** The demo number of the n-th demo resident (kiosk codes go there; tests capture them). */
export function demoResidentPhone(index: number): string {
  const resident = DEMO_RESIDENTS[index];
  if (!resident) throw new Error(`no demo resident ${index}`);
  return resident.phone;
}

/** The demo accounts, as printed at start; no database work. */
export function demoCredentials(): DemoCredential[] {
  return [
    ...DEMO_STAFF.map((s) => ({ who: s.who, login: s.username, password: DEMO_PASSWORD })),
    ...DEMO_RESIDENTS.map((r, i) => ({
      who: `居民 resident ${r.name}`,
      login: `${r.phone} (${maskResidentId(demoResidentId(i))})`,
      password: DEMO_PASSWORD,
    })),
  ];
}

export function demoResidentId(index: number): string {
  const r = DEMO_RESIDENTS[index]!;
  return makeResidentId(DEMO_COUNTY, r.birth, r.seq);
}

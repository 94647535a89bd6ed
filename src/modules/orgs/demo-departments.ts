import type { Db } from '../../db/database.ts';
import { makeCreditCode } from './credit-code.ts';
import { loadDivisions } from './division-loader.ts';
import { findOrg, findOrgs, insertOrgIfAbsent, type OrgRow } from './orgs.repository.ts';
import type { DepartmentKind } from './orgs.tables.ts';

/** 正定县, 石家庄市, 河北省: the county the demo runs in. */
const DEMO_COUNTY_CODE = '130123';

interface DemoDepartment {
  name: string;
  kind: DepartmentKind;
  /** GB 32100 places 1–2: registration authority and category ('11' 机构编制·机关, '91' 市场监管·企业). */
  authority: '11' | '91';
  /** Places 9–17: a fixed, made-up organisation code (YB = Yiban), so the demo codes never change. */
  orgCode: string;
}

const DEMO_DEPARTMENTS: readonly DemoDepartment[] = [
  { name: '正定县卫生健康局', kind: 'health', authority: '11', orgCode: 'YB0130001' },
  { name: '正定县公安局', kind: 'public_security', authority: '11', orgCode: 'YB0130002' },
  { name: '正定县医疗保障局', kind: 'medical_security', authority: '11', orgCode: 'YB0130003' },
  { name: '正定县人力资源和社会保障局', kind: 'human_resources', authority: '11', orgCode: 'YB0130004' },
  { name: '正定县民政局', kind: 'civil_affairs', authority: '11', orgCode: 'YB0130005' },
  { name: '中国农业银行正定县支行', kind: 'bank', authority: '91', orgCode: 'YB0130006' },
];

/** The demo departments' credit codes, in the order of `ensureDemoDepartments`' result. */
export const DEMO_DEPARTMENT_CODES: readonly string[] = DEMO_DEPARTMENTS.map((d) =>
  makeCreditCode(`${d.authority}${DEMO_COUNTY_CODE}${d.orgCode}`),
);

/**
 * Creates the 正定县 departments the demo bundles route to (卫健, 公安, 医保, 人社, 民政 and a
 * bank), loading 正定县's divisions first if the tree lacks them. Safe to run again.
 */
export async function ensureDemoDepartments(db: Db): Promise<OrgRow[]> {
  let county = await findOrg(db, DEMO_COUNTY_CODE);
  if (!county) {
    await loadDivisions(db, { scope: { prefix: DEMO_COUNTY_CODE } });
    county = await findOrg(db, DEMO_COUNTY_CODE);
    if (!county) throw new Error(`division ${DEMO_COUNTY_CODE} is missing from the bundled list`);
  }
  for (const [i, department] of DEMO_DEPARTMENTS.entries()) {
    const code = DEMO_DEPARTMENT_CODES[i]!;
    await insertOrgIfAbsent(db, {
      code,
      level: 'department',
      name: department.name,
      parentCode: county.code,
      path: `${county.path}.${code}`,
      depth: county.depth + 1,
      divisionCode: county.divisionCode,
      departmentKind: department.kind,
    });
  }
  const rows = await findOrgs(db, DEMO_DEPARTMENT_CODES);
  return DEMO_DEPARTMENT_CODES.map((code) => rows.find((r) => r.code === code)!);
}

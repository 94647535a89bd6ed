import { licenceDatasets, type LicenceType } from './licence-datasets.ts';
import { seedRecords, type DemoPerson } from './sharing-records.seed.ts';
import type { DatasetDef } from './sharing.service.ts';
import type { DatasetField, Sensitivity } from './sharing.tables.ts';

const f = (name: string, labelZh: string, labelEn: string, sensitivity: Sensitivity): DatasetField => ({
  name,
  labelZh,
  labelEn,
  sensitivity,
});

/** Department kinds (orgs' DepartmentKind) to their org codes, as the demo departments give them. */
export type DepartmentCodes = Record<string, string>;

/**
 * The data catalogue of the 正定县 demo departments: 公安 household register, 卫健 birth records and
 * vaccinations, 医保 insured persons, 民政 marriage records, all kept in the platform.
 */
export function seedDatasets(departments: DepartmentCodes): DatasetDef[] {
  const provider = (kind: string): string => {
    const code = departments[kind];
    if (!code) throw new Error(`no demo department of kind ${kind}`);
    return code;
  };
  const internal = { kind: 'internal' } as const;
  return [
    {
      code: 'ps.household_register',
      providerOrgCode: provider('public_security'),
      nameZh: '户籍信息',
      nameEn: 'Household register',
      fields: [
        f('name', '姓名', 'Name', 'medium'),
        f('gender', '性别', 'Gender', 'medium'),
        f('birthDate', '出生日期', 'Date of birth', 'medium'),
        f('ethnicity', '民族', 'Ethnicity', 'high'),
        f('householdNo', '户号', 'Household number', 'medium'),
        f('householdHead', '户主姓名', 'Head of household', 'medium'),
        f('relationToHead', '与户主关系', 'Relation to the head', 'medium'),
        f('address', '户籍地址', 'Registered address', 'medium'),
      ],
      legalBasis: '《中华人民共和国户口登记条例》',
      provider: internal,
    },
    {
      code: 'health.birth_record',
      providerOrgCode: provider('health'),
      nameZh: '出生医学记录',
      nameEn: 'Birth medical record',
      fields: [
        f('childName', '新生儿姓名', "Child's name", 'medium'),
        f('childGender', '新生儿性别', "Child's gender", 'medium'),
        f('birthTime', '出生时间', 'Time of birth', 'medium'),
        f('birthPlace', '出生地点', 'Place of birth', 'medium'),
        f('hospital', '接生机构', 'Delivering hospital', 'low'),
        f('weightGrams', '出生体重（克）', 'Birth weight (g)', 'high'),
        f('certificateNo', '出生医学证明编号', 'Birth medical certificate number', 'medium'),
        f('deliveryMode', '分娩方式', 'Mode of delivery', 'high'),
        f('babies', '胎数', 'Babies born', 'high'),
      ],
      legalBasis: '《中华人民共和国母婴保健法》第二十三条',
      provider: internal,
    },
    {
      code: 'health.vaccination',
      providerOrgCode: provider('health'),
      nameZh: '预防接种记录',
      nameEn: 'Vaccination record',
      fields: [
        f('vaccinationCardNo', '预防接种证编号', 'Vaccination card number', 'low'),
        f('doses', '已接种剂次', 'Doses given', 'high'),
        f('lastDoseDate', '最近接种日期', 'Last dose date', 'high'),
      ],
      legalBasis: '《中华人民共和国疫苗管理法》第四十七条',
      provider: internal,
    },
    {
      code: 'medsec.insured_person',
      providerOrgCode: provider('medical_security'),
      nameZh: '参保人员信息',
      nameEn: 'Insured persons',
      fields: [
        f('name', '姓名', 'Name', 'medium'),
        f('insuranceType', '险种', 'Insurance scheme', 'medium'),
        f('insuredRegion', '参保地', 'Insured region', 'low'),
        f('status', '参保状态', 'Enrolment status', 'medium'),
        f('enrolledSince', '参保日期', 'Enrolled since', 'medium'),
      ],
      legalBasis: '《中华人民共和国社会保险法》第二十三条',
      provider: internal,
    },
    {
      code: 'medsec.maternity_insurance',
      providerOrgCode: provider('medical_security'),
      nameZh: '生育保险参保缴费信息',
      nameEn: 'Maternity insurance contributions',
      fields: [
        f('employer', '参保单位', 'Employer', 'medium'),
        f('status', '缴费状态', 'Contribution status', 'medium'),
        f('contributionWageFen', '单位月平均缴费工资（分）', "Employer's average monthly contribution wage (fen)", 'high'),
        f('contributionMonths', '连续缴费月数', 'Months of continuous contributions', 'medium'),
      ],
      legalBasis: '《中华人民共和国社会保险法》第五十三条至第五十六条',
      provider: internal,
    },
    {
      code: 'civil.marriage_record',
      providerOrgCode: provider('civil_affairs'),
      nameZh: '婚姻登记信息',
      nameEn: 'Marriage record',
      fields: [
        f('maritalStatus', '婚姻状况', 'Marital status', 'high'),
        f('spouseName', '配偶姓名', "Spouse's name", 'high'),
        f('registeredOn', '登记日期', 'Date of registration', 'high'),
        f('certificateNo', '结婚证字号', 'Marriage certificate number', 'high'),
        f('registry', '登记机关', 'Registry', 'low'),
      ],
      legalBasis: '《婚姻登记条例》',
      provider: internal,
    },
  ];
}

/**
 * Standing grants of the birth bundle's departments (the birth record to 公安 is law-based, without
 * consent) and the civil affairs bureau's law-based read of the register for 高龄津贴 (the seeded rule).
 */
export function seedGrants(departments: DepartmentCodes, validUntil: Date) {
  const code = (kind: string) => departments[kind] ?? '';
  return [
    {
      datasetCode: 'health.birth_record',
      consumerOrgCode: code('public_security'),
      fields: ['childName', 'childGender', 'birthTime', 'birthPlace', 'certificateNo'],
      purpose: 'birth.household_registration',
      legalBasis: '《中华人民共和国户口登记条例》第七条：婴儿出生后一个月以内申报出生登记',
      legalBasisCode: 'hukou-7',
      consentRequired: false,
      validUntil,
    },
    {
      datasetCode: 'civil.marriage_record',
      consumerOrgCode: code('public_security'),
      fields: ['maritalStatus', 'spouseName', 'certificateNo'],
      purpose: 'birth.household_registration',
      legalBasis: '《婚姻登记条例》；经本人同意共享',
      consentRequired: true,
      validUntil,
    },
    {
      datasetCode: 'ps.household_register',
      consumerOrgCode: code('medical_security'),
      fields: ['name', 'gender', 'birthDate', 'householdNo', 'address'],
      purpose: 'birth.medical_insurance',
      legalBasis: '《中华人民共和国社会保险法》；经本人同意共享',
      consentRequired: true,
      validUntil,
    },
    {
      datasetCode: 'ps.household_register',
      consumerOrgCode: code('human_resources'),
      fields: ['name', 'gender', 'birthDate', 'address'],
      purpose: 'birth.social_security_card',
      legalBasis: '《社会保障卡管理办法》；经本人同意共享',
      consentRequired: true,
      validUntil,
    },
    {
      datasetCode: 'ps.household_register',
      consumerOrgCode: code('civil_affairs'),
      fields: ['birthDate', 'address'],
      purpose: 'benefit.old_age_allowance',
      legalBasis: '《河北省老年人权益保障条例》第三十条：高龄津贴由民政部门依户籍信息核定发放',
      // The allowance is paid without an application: the bureau reads the register for its statutory duty.
      legalBasisCode: 'pipl-13-1-3',
      consentRequired: false,
      validUntil,
    },
  ];
}

/**
 * The e-licence library's provider org: the province, 河北省 (13), the root of the demo's tree.
 * A province is one Yiban deployment, and its library holds the certificates of every village,
 * township and department below it (in practice the provincial government-service and data
 * bureau runs it); no county department issues them all. The province is also where the
 * platform administrator sits, so grants on the library are theirs to give.
 */
export const LICENCE_LIBRARY_ORG = '13';

/**
 * Loads the demo catalogue, records and grants, and with `licenceTypes` the e-licence library
 * (one dataset per certificate type, provided by LICENCE_LIBRARY_ORG). Safe to run again.
 */
export async function seedSharingDemo(
  sharing: {
    upsertDatasets(defs: readonly DatasetDef[]): Promise<void>;
    upsertRecords(code: string, records: readonly { residentId: string; data: Record<string, string> }[]): Promise<void>;
    ensureGrant(input: ReturnType<typeof seedGrants>[number]): Promise<void>;
  },
  departments: DepartmentCodes,
  /** The demo people whose records the internal datasets hold; null outside demo mode (no records). */
  people: readonly [DemoPerson, DemoPerson, DemoPerson, DemoPerson] | null,
  options: { licenceTypes?: readonly LicenceType[]; now?: Date } = {},
): Promise<void> {
  const now = options.now ?? new Date();
  await sharing.upsertDatasets(seedDatasets(departments));
  if (options.licenceTypes) await sharing.upsertDatasets(licenceDatasets(options.licenceTypes, LICENCE_LIBRARY_ORG));
  if (people) for (const [code, records] of Object.entries(seedRecords(people))) await sharing.upsertRecords(code, records);
  const validUntil = new Date(now.getTime() + 3 * 365 * 86_400_000);
  for (const grant of seedGrants(departments, validUntil)) await sharing.ensureGrant(grant);
}

import type { Executor } from '../../db/database.ts';
import { listTypes, upsertType, type CertificateTypeRow } from './certificates.repository.ts';
import type { CertificateField, CertificateTemplate } from './certificates.tables.ts';

export interface CertificateTypeDef {
  code: string;
  typeCode: string;
  nameZh: string;
  nameEn: string;
  serviceCode: string;
  fields: CertificateField[];
  validityDays: number | null;
  template: CertificateTemplate;
}

const holder: CertificateField[] = [
  { name: 'holderName', labelZh: '姓名', labelEn: 'Name', source: 'holder.name' },
  { name: 'residentIdMasked', labelZh: '身份证号码', labelEn: 'Resident ID', source: 'holder.residentIdMasked' },
  { name: 'residentId', labelZh: '身份证号码（完整）', labelEn: 'Resident ID (full)', source: 'holder.residentId' },
];
/** Fields whose values the issuing module gives (a record's certificate, not a case's form). */
const statementFields = (fields: [name: string, zh: string, en: string][]): CertificateField[] =>
  fields.map(([name, labelZh, labelEn]) => ({ name, labelZh, labelEn, source: 'form' }));
const purpose: CertificateField = { name: 'purpose', labelZh: '用途', labelEn: 'Purpose', source: 'form', formField: 'purpose' };

/**
 * The certificate types of the grassroots e-certificate story. Type codes fill the type part of
 * the GB/T 36904 identifier; `YB` marks types defined by this platform.
 */
export const SEED_CERTIFICATE_TYPES: CertificateTypeDef[] = [
  {
    code: 'residence',
    typeCode: 'YB101',
    nameZh: '居住证明',
    nameEn: 'Residence proof',
    serviceCode: 'cert.residence',
    fields: [
      ...holder,
      { name: 'address', labelZh: '居住地址', labelEn: 'Address', source: 'form', formField: 'address' },
      { name: 'residentSince', labelZh: '居住起始日期', labelEn: 'Living there since', source: 'form', formField: 'residentSince' },
      purpose,
    ],
    validityDays: 180,
    template: {
      titleZh: '居住证明',
      titleEn: 'Residence Proof',
      bodyZh: '兹证明 {{holderName}}（居民身份证号码 {{residentIdMasked}}）自 {{residentSince}} 起居住于 {{address}}。\n特此证明。',
      bodyEn: 'This is to certify that {{holderName}} (resident ID {{residentIdMasked}}) has lived at {{address}} since {{residentSince}}.',
    },
  },
  {
    code: 'no_criminal_record',
    typeCode: 'YB102',
    nameZh: '无犯罪记录证明',
    nameEn: 'No-criminal-record proof',
    serviceCode: 'cert.no_criminal_record',
    fields: [...holder, purpose],
    validityDays: 90,
    template: {
      titleZh: '无犯罪记录证明',
      titleEn: 'Certificate of No Criminal Record',
      bodyZh:
        '经查询全国违法犯罪人员信息资源库，截至出具之日，未发现 {{holderName}}（居民身份证号码 {{residentIdMasked}}）有犯罪记录。\n特此证明。',
      bodyEn:
        'A search of the national records found no criminal record for {{holderName}} (resident ID {{residentIdMasked}}) as of the date of issue.',
    },
  },
  {
    code: 'family_economic_status',
    typeCode: 'YB103',
    nameZh: '家庭经济状况证明',
    nameEn: 'Family economic status proof',
    serviceCode: 'cert.family_economic_status',
    fields: [
      ...holder,
      { name: 'householdSize', labelZh: '家庭人口数', labelEn: 'Household size', source: 'form', formField: 'householdSize' },
      {
        name: 'annualIncome',
        labelZh: '家庭年收入（元）',
        labelEn: 'Annual household income (CNY)',
        source: 'form',
        formField: 'annualIncome',
      },
      purpose,
    ],
    validityDays: 180,
    template: {
      titleZh: '家庭经济状况证明',
      titleEn: 'Family Economic Status Proof',
      bodyZh:
        '兹证明 {{holderName}}（居民身份证号码 {{residentIdMasked}}）家庭共 {{householdSize}} 人，家庭年收入约 {{annualIncome}} 元。\n特此证明。',
      bodyEn:
        'This is to certify that the household of {{holderName}} (resident ID {{residentIdMasked}}) has {{householdSize}} members and an annual income of about CNY {{annualIncome}}.',
    },
  },
  {
    code: 'kinship',
    typeCode: 'YB104',
    nameZh: '亲属关系证明',
    nameEn: 'Kinship proof',
    serviceCode: 'cert.kinship',
    fields: [
      ...holder,
      { name: 'relativeName', labelZh: '亲属姓名', labelEn: "Relative's name", source: 'form', formField: 'relativeName' },
      { name: 'relation', labelZh: '关系', labelEn: 'Relation', source: 'form', formField: 'relation' },
      purpose,
    ],
    validityDays: 180,
    template: {
      titleZh: '亲属关系证明',
      titleEn: 'Kinship Proof',
      bodyZh: '兹证明 {{holderName}}（居民身份证号码 {{residentIdMasked}}）与 {{relativeName}} 系{{relation}}关系。\n特此证明。',
      bodyEn: 'This is to certify that {{holderName}} (resident ID {{residentIdMasked}}) and {{relativeName}} are related as {{relation}}.',
    },
  },
  // Records of the medical insurance module, issued by its event handler and CLI, not by a case:
  // their service codes name no catalogue item, so no approval ever issues them.
  {
    code: 'insurance_settlement_statement',
    typeCode: 'YB301',
    nameZh: '医疗保障结算单',
    nameEn: 'Medical insurance settlement statement',
    serviceCode: 'insurance.settlement_statement',
    fields: [
      { name: 'holderName', labelZh: '姓名', labelEn: 'Name', source: 'holder.name' },
      { name: 'residentIdMasked', labelZh: '身份证号码', labelEn: 'Resident ID', source: 'holder.residentIdMasked' },
      ...statementFields([
        ['psnNo', '人员编号', 'Person number'],
        ['setlId', '结算编号', 'Settlement id'],
        ['institution', '定点医药机构', 'Institution'],
        ['regions', '就医地与参保地', 'Places of treatment and insurance'],
        ['dates', '就诊与结算日期', 'Dates of treatment and settlement'],
        ['policyVersion', '政策版本', 'Policy version'],
        ['legalBasis', '政策依据', 'Legal basis'],
        // One field for the nine totals: each disclosed field adds a digest to the payload, and the
        // payload must fit in the QR code.
        ['amounts', '结算金额', 'Amounts'],
        ['why', '结算说明', 'Explanation'],
        ['lines', '费用明细', 'Fee lines'],
      ]),
    ],
    validityDays: null,
    template: {
      titleZh: '医疗保障结算单',
      titleEn: 'Medical Insurance Settlement Statement',
      bodyZh:
        '参保人 {{holderName}}（身份证号码 {{residentIdMasked}}，人员编号 {{psnNo}}）在 {{institution}} 就医，{{regions}}，{{dates}}；结算编号 {{setlId}}；按参保地政策 {{policyVersion}} 结算，依据：{{legalBasis}}。\n' +
        '{{amounts}}。\n结算说明：{{why}}\n费用明细（金额单位：元）：\n{{lines}}',
      bodyEn:
        '{{holderName}} (resident ID {{residentIdMasked}}, person {{psnNo}}) was treated at {{institution}}, {{regions}}, {{dates}}; settlement {{setlId}} under policy {{policyVersion}} ({{legalBasis}}).\n{{amounts}}.\n{{why}}\n{{lines}}',
      bodySize: 9,
    },
  },
  {
    code: 'insurance_clearing_statement',
    typeCode: 'YB302',
    nameZh: '医疗保障基金清算单',
    nameEn: 'Medical insurance clearing statement',
    serviceCode: 'insurance.clearing_statement',
    fields: statementFields([
      ['month', '清算月份', 'Month'],
      ['treatmentRegion', '就医地统筹区', 'Pooling region of treatment'],
      ['insuranceRegion', '参保地统筹区', 'Pooling region of insurance'],
      ['count', '结算笔数', 'Settlements'],
      ['totalYuan', '医疗费总额（元）', 'Total (CNY)'],
      ['fundYuan', '统筹基金支付（元）', 'Fund paid (CNY)'],
      ['accountYuan', '个人账户支付（元）', 'Personal account paid (CNY)'],
      ['cashYuan', '个人现金支付（元）', 'Paid in cash (CNY)'],
      ['discrepancyCount', '对账差异（医院日）', 'Discrepancies (hospital days)'],
      ['discrepancies', '差异明细', 'Discrepancies'],
      ['discrepancyDigest', '差异清单摘要（SHA-256）', 'Digest of the discrepancy list (SHA-256)'],
    ]),
    validityDays: null,
    template: {
      titleZh: '医疗保障基金清算单',
      titleEn: 'Medical Insurance Clearing Statement',
      bodyZh:
        '{{month}} 就医地 {{treatmentRegion}} 与参保地 {{insuranceRegion}} 之间已结算 {{count}} 笔，医疗费总额 {{totalYuan}} 元，其中统筹基金支付 {{fundYuan}} 元、个人账户支付 {{accountYuan}} 元、个人现金支付 {{cashYuan}} 元。\n' +
        '对账差异 {{discrepancyCount}} 个医院日（清单摘要 {{discrepancyDigest}}）：\n{{discrepancies}}',
      bodyEn:
        '{{month}}, treated in {{treatmentRegion}} and insured in {{insuranceRegion}}: {{count}} settlements, total CNY {{totalYuan}}, fund {{fundYuan}}, personal accounts {{accountYuan}}, cash {{cashYuan}}. Discrepancies: {{discrepancyCount}} hospital days (digest {{discrepancyDigest}}).\n{{discrepancies}}',
      bodySize: 10,
    },
  },
];

/**
 * Loads certificate types (seed and CLI only: no principal, no access check, so it is no method of
 * the service that routes use). Safe to run again: a type with the same code is updated.
 */
export async function upsertCertificateTypes(db: Executor, types: readonly CertificateTypeDef[]): Promise<void> {
  for (const t of types) await upsertType(db, t);
}

/** The certificate types loaded (seed, demo and tests: e.g. the licence datasets are built from them). */
export async function listCertificateTypes(db: Executor): Promise<CertificateTypeRow[]> {
  return listTypes(db);
}

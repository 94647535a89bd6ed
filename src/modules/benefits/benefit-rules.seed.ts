import { CHILDCARE_SUBSIDY, MATERNITY_ALLOWANCE, MATERNITY_MEDICAL } from './benefit-defs.ts';

const BIRTH = 'health.birth_record';
const INSURED = 'medsec.insured_person';
const MATERNITY = 'medsec.maternity_insurance';
const REGISTER = 'ps.household_register';

const recentBirth = {
  id: 'recentBirth',
  expr: 'daysBetween(birthTime, today) >= 0 && daysBetween(birthTime, today) <= 365',
  zh: '分娩在一年以内',
  en: 'The birth was within the last year',
};

/**
 * The benefit rules the benefits seed proposes and switches on (高龄津贴 is the rules seed's).
 * Published-style, made up for the demo: each amount a dated parameter in fen, each rule citing
 * the document it applies. Wording to be checked by the departments' legal offices.
 */
export function benefitRules(orgs: { medicalSecurity: string; health: string }) {
  return [
    {
      code: MATERNITY_MEDICAL,
      input: {
        nameZh: '生育医疗费用报销',
        nameEn: 'Maternity medical expenses',
        orgCode: orgs.medicalSecurity,
        purpose: MATERNITY_MEDICAL,
        body: {
          inputs: [
            { name: 'insuranceStatus', dataset: INSURED, field: 'status', type: 'string' as const },
            { name: 'birthTime', dataset: BIRTH, field: 'birthTime', type: 'date' as const },
            { name: 'deliveryMode', dataset: BIRTH, field: 'deliveryMode', type: 'string' as const },
            { name: 'certificateNo', dataset: BIRTH, field: 'certificateNo', type: 'string' as const },
          ],
          params: [
            { name: 'vaginalFen', values: [{ from: '2025-01-01', value: 200000 }] },
            { name: 'caesareanFen', values: [{ from: '2025-01-01', value: 300000 }] },
          ],
          clauses: [
            {
              id: 'insured',
              expr: 'insuranceStatus == "正常参保"',
              zh: '分娩时正常参加基本医疗保险',
              en: 'Insured by basic medical insurance at the birth',
            },
            recentBirth,
          ],
          amount: 'deliveryMode == "剖宫产" ? caesareanFen : vaginalFen',
        },
        legalBasis: {
          titleZh: '《中华人民共和国社会保险法》',
          titleEn: 'Social Insurance Law of the PRC',
          articleZh: '第五十五条：生育医疗费用包括生育的医疗费用',
          articleEn: 'Art. 55: maternity medical expenses include the medical costs of giving birth',
        },
        effectiveFrom: '2025-01-01',
        reason: '生育医疗费用定额报销，出生医学证明签发后免申即享',
      },
    },
    {
      code: MATERNITY_ALLOWANCE,
      input: {
        nameZh: '生育津贴',
        nameEn: 'Maternity allowance',
        orgCode: orgs.medicalSecurity,
        purpose: MATERNITY_ALLOWANCE,
        body: {
          inputs: [
            { name: 'contributionStatus', dataset: MATERNITY, field: 'status', type: 'string' as const },
            { name: 'wageFen', dataset: MATERNITY, field: 'contributionWageFen', type: 'int' as const },
            { name: 'months', dataset: MATERNITY, field: 'contributionMonths', type: 'int' as const },
            { name: 'birthTime', dataset: BIRTH, field: 'birthTime', type: 'date' as const },
            { name: 'deliveryMode', dataset: BIRTH, field: 'deliveryMode', type: 'string' as const },
            { name: 'babies', dataset: BIRTH, field: 'babies', type: 'int' as const },
            { name: 'certificateNo', dataset: BIRTH, field: 'certificateNo', type: 'string' as const },
          ],
          params: [
            { name: 'leaveDays', values: [{ from: '2012-04-28', value: 98 }] },
            { name: 'difficultDays', values: [{ from: '2012-04-28', value: 15 }] },
            { name: 'extraBabyDays', values: [{ from: '2012-04-28', value: 15 }] },
            { name: 'provinceDays', values: [{ from: '2021-11-23', value: 60 }] },
            { name: 'minMonths', values: [{ from: '2025-01-01', value: 12 }] },
          ],
          clauses: [
            {
              id: 'contributing',
              expr: 'contributionStatus == "正常缴费"',
              zh: '用人单位正常缴纳生育保险费',
              en: 'The employer pays maternity insurance',
            },
            { id: 'longEnough', expr: 'months >= minMonths', zh: '连续缴费满 12 个月', en: 'Twelve months of continuous contributions' },
            recentBirth,
          ],
          amount:
            'wageFen * (leaveDays + (deliveryMode == "剖宫产" ? difficultDays : 0) + (babies > 1 ? (babies - 1) * extraBabyDays : 0) + provinceDays) / 30',
        },
        legalBasis: {
          titleZh: '《女职工劳动保护特别规定》《中华人民共和国社会保险法》《河北省人口与计划生育条例》',
          titleEn:
            'Special Provisions on Labour Protection of Female Employees; Social Insurance Law; Hebei Population and Family Planning Regulations',
          articleZh:
            '第七条（产假 98 天，难产增加 15 天，多胞胎每多 1 个婴儿增加 15 天）；社会保险法第五十六条（按用人单位上年度职工月平均工资计发）；河北条例延长产假 60 天',
          articleEn:
            'Art. 7 (98 days, 15 more for a difficult birth, 15 per extra baby); SIL Art. 56 (the employer’s average monthly wage); Hebei: 60 more days',
        },
        effectiveFrom: '2025-01-01',
        reason: '生育津贴 = 月平均缴费工资 ÷ 30 × 产假天数，出生医学证明签发后免申即办',
      },
    },
    {
      code: CHILDCARE_SUBSIDY,
      input: {
        nameZh: '育儿补贴',
        nameEn: 'Childcare subsidy',
        orgCode: orgs.health,
        purpose: CHILDCARE_SUBSIDY,
        body: {
          inputs: [
            { name: 'birthTime', dataset: BIRTH, field: 'birthTime', type: 'date' as const },
            { name: 'certificateNo', dataset: BIRTH, field: 'certificateNo', type: 'string' as const },
            { name: 'address', dataset: REGISTER, field: 'address', type: 'string' as const },
          ],
          params: [{ name: 'yearlyFen', values: [{ from: '2025-01-01', value: 360000 }] }],
          clauses: [
            { id: 'underThree', expr: 'yearsBetween(birthTime, today) < 3', zh: '孩子未满 3 周岁', en: 'The child is under three' },
            { id: 'inProvince', expr: 'address.startsWith("河北省")', zh: '户籍在河北省', en: 'Household registered in the province' },
          ],
          amount: 'yearlyFen',
        },
        legalBasis: {
          titleZh: '《育儿补贴制度实施方案》',
          titleEn: 'Implementation Plan of the Childcare Subsidy System',
          articleZh: '三岁以下婴幼儿每孩每年 3600 元',
          articleEn: '3,600 yuan a year for each child under three',
        },
        effectiveFrom: '2025-01-01',
        reason: '新生儿户口登记后主动告知，家长确认后按年发放',
      },
    },
  ];
}

/** Law-based grants the benefit rules read through (no consent: the departments' statutory duties). */
export function benefitGrants(orgs: { medicalSecurity: string; health: string; civilAffairs: string }) {
  const basis = (text: string) => ({ legalBasis: text, legalBasisCode: 'pipl-13-1-3', consentRequired: false });
  return [
    {
      datasetCode: INSURED,
      consumerOrgCode: orgs.medicalSecurity,
      fields: ['status'],
      purpose: MATERNITY_MEDICAL,
      ...basis('《中华人民共和国社会保险法》第五十五条：生育医疗费用由医疗保障部门依参保信息核定支付'),
    },
    {
      datasetCode: BIRTH,
      consumerOrgCode: orgs.medicalSecurity,
      fields: ['birthTime', 'deliveryMode', 'certificateNo'],
      purpose: MATERNITY_MEDICAL,
      ...basis('《中华人民共和国社会保险法》第五十五条：依医院分娩记录核定生育医疗费用'),
    },
    {
      datasetCode: MATERNITY,
      consumerOrgCode: orgs.medicalSecurity,
      fields: ['status', 'contributionWageFen', 'contributionMonths'],
      purpose: MATERNITY_ALLOWANCE,
      ...basis('《中华人民共和国社会保险法》第五十六条：生育津贴按职工所在用人单位上年度职工月平均工资计发'),
    },
    {
      datasetCode: BIRTH,
      consumerOrgCode: orgs.medicalSecurity,
      fields: ['birthTime', 'deliveryMode', 'babies', 'certificateNo'],
      purpose: MATERNITY_ALLOWANCE,
      ...basis('《女职工劳动保护特别规定》第七条：依分娩记录核定产假天数'),
    },
    {
      datasetCode: BIRTH,
      consumerOrgCode: orgs.health,
      fields: ['birthTime', 'certificateNo'],
      purpose: CHILDCARE_SUBSIDY,
      ...basis('《育儿补贴制度实施方案》：依出生医学记录核定三岁以下婴幼儿'),
    },
    {
      datasetCode: REGISTER,
      consumerOrgCode: orgs.health,
      fields: ['address'],
      purpose: CHILDCARE_SUBSIDY,
      ...basis('《育儿补贴制度实施方案》：依户籍信息核定发放地'),
    },
  ];
}

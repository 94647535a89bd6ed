import type { FormField, Material } from './catalog.tables.ts';
import { ALL_CHANNELS, idCard, type ServiceItemDef } from './service-item-def.ts';

/**
 * 医疗保障政务服务事项: the 43 medical insurance services of issue 14, named after the national
 * list of medical insurance handling services (《全国医疗保障经办政务服务事项清单》) and its
 * sub-items, all fully online: every channel, no counter visit, nothing asked that shared data
 * knows. Forms are prefilled from the data catalogue (免填单, prefill.ts): each field's `prefill`
 * names the dataset field it comes from, and the resident only confirms. Time limits are working
 * days: `legalLimitDays` as the national handling rules allow, `timeLimitDays` as promised here
 * (demo figures modelled on published promises, to be checked by the bureau). The 43rd service,
 * 生育津贴支付, is `medsec.maternity_allowance` in benefit-items.seed.ts (the benefits module opens
 * it without an application); INSURANCE_SERVICE_CODES lists all 43.
 */

/** The medical security bureau's datasets (sharing.seed.ts): insured persons and maternity insurance contributions. */
const INSURED = 'medsec.insured_person';
const MATERNITY = 'medsec.maternity_insurance';
const REGISTER = 'ps.household_register';

/** 异地就医备案's instant-approval rule (rules/insurance-rules.seed.ts proposes and switches it on). */
export const OFFSITE_FILING_RULE = 'instant.medsec_offsite_filing';

const text = (name: string, labelZh: string, labelEn: string, maxLength: number, required = true): FormField => ({
  name,
  labelZh,
  labelEn,
  type: 'text',
  required,
  maxLength,
});
const select = (name: string, labelZh: string, labelEn: string, options: [string, string, string][], required = true): FormField => ({
  name,
  labelZh,
  labelEn,
  type: 'select',
  required,
  options: options.map(([value, zh, en]) => ({ value, labelZh: zh, labelEn: en })),
});
const date = (name: string, labelZh: string, labelEn: string, required = true): FormField => ({
  name,
  labelZh,
  labelEn,
  type: 'date',
  required,
});

// Fields shared data knows: prefilled, the resident confirms.
const insuredName: FormField = { ...text('name', '姓名', 'Name', 50), prefill: { dataset: INSURED, field: 'name' } };
const registeredName: FormField = { ...text('name', '姓名', 'Name', 50), prefill: { dataset: REGISTER, field: 'name' } };
const registeredAddress: FormField = {
  ...text('registeredAddress', '户籍地址', 'Registered address', 200),
  prefill: { dataset: REGISTER, field: 'address' },
};
const insuredRegion: FormField = {
  ...text('insuredRegion', '参保地', 'Insured region', 100),
  prefill: { dataset: INSURED, field: 'insuredRegion' },
};
const scheme: FormField = {
  ...text('insuranceType', '参保险种', 'Insurance scheme', 50),
  prefill: { dataset: INSURED, field: 'insuranceType' },
};
const employer: FormField = { ...text('employer', '参保单位', 'Employer', 100), prefill: { dataset: MATERNITY, field: 'employer' } };
const phone: FormField = { ...text('phone', '联系电话', 'Phone', 20), prefill: { account: 'phone' } };

// Fields only the resident or the unit knows.
const bankAccount = text('bankAccount', '收款银行账号（社会保障卡金融账户）', 'Bank account for the payment (social security card)', 30);
const unitName = text('unitName', '单位名称', 'Name of the unit', 100);
const creditCode = text('creditCode', '统一社会信用代码', 'Unified social credit code', 18);
const reason = (labelZh: string, labelEn: string): FormField => ({
  name: 'reason',
  labelZh,
  labelEn,
  type: 'textarea',
  required: true,
  maxLength: 500,
});
const effectiveDate = { ...date('effectiveDate', '生效日期', 'Effective from'), future: true, pastDays: 90 } satisfies FormField;
const targetRegion = { ...text('targetRegion', '转入地（县级行政区划代码）', 'Region moving to (county division code)', 6), division: {} };

/** The person the service is for: who they are and their insurance, from the insured persons dataset. */
const insuredPerson = [insuredName, insuredRegion, scheme, phone];

// Materials: none where shared data knows the answer; proofFree ones the platform fetches itself.
const eInvoice: Material = {
  code: 'medical_e_invoice',
  nameZh: '医疗收费电子票据',
  nameEn: 'Electronic medical invoices',
  required: true,
  proofFree: true,
};
const feeDetail: Material = {
  code: 'fee_detail',
  nameZh: '费用明细清单',
  nameEn: 'Itemised bill',
  required: true,
  proofFree: false,
};
const dischargeSummary: Material = {
  code: 'discharge_summary',
  nameZh: '出院小结（住院的）',
  nameEn: 'Discharge summary (for a stay)',
  required: false,
  proofFree: false,
};
const diagnosis: Material = {
  code: 'diagnosis_record',
  nameZh: '诊断证明及病历资料',
  nameEn: 'Diagnosis and medical records',
  required: true,
  proofFree: false,
};
const businessLicence: Material = {
  code: 'business_licence',
  nameZh: '营业执照或事业单位法人证书',
  nameEn: 'Business licence or public institution certificate',
  required: true,
  proofFree: true,
};

interface Spec {
  code: string;
  zh: string;
  en: string;
  fields: FormField[];
  materials?: Material[];
  /** Promised and legal working days. */
  days: [promised: number, legal: number];
  instantRule?: string;
}

function item(spec: Spec): ServiceItemDef {
  return {
    code: `medsec.${spec.code}`,
    nameZh: spec.zh,
    nameEn: spec.en,
    category: 'medical_insurance',
    handlerLevel: 'department',
    departmentKind: 'medical_security',
    materials: spec.materials ?? [],
    formFields: spec.fields,
    timeLimitDays: spec.days[0],
    legalLimitDays: spec.days[1],
    channels: ALL_CHANNELS,
    feeCents: 0,
    online: true,
    certificateType: null,
    ...(spec.instantRule ? { instantRule: spec.instantRule } : {}),
  };
}

const OFFSITE_KINDS: [string, string, string][] = [
  ['long_term_residence', '异地长期居住（异地安置退休、异地长期居住、常驻异地工作）', 'Living in another province for a long time'],
  ['temporary', '临时外出就医（转诊转院、其他临时外出）', 'Temporary treatment in another province'],
  ['emergency', '急诊抢救', 'Emergency treatment'],
];

/**
 * 异地就医备案: decided at once by its rule (秒批). The destination is a county in another province
 * than the place of insurance; the stay may have begun already (filing is possible until
 * discharge), and an emergency counts as filed, so it may be filed after the fact too.
 */
const offsiteFiling = item({
  code: 'offsite_filing',
  zh: '异地就医备案',
  en: 'Filing for medical treatment in another province',
  fields: [
    ...insuredPerson,
    select('kind', '备案类型', 'Kind of filing', OFFSITE_KINDS),
    {
      ...text('destination', '就医地（县级行政区划代码）', 'Place of treatment (county division code)', 6),
      division: { otherProvinceThan: 'insuredRegion' },
    },
    { ...date('startDate', '开始日期', 'Start date'), future: true, pastDays: 365 },
    {
      ...date('endDate', '结束日期', 'End date', false),
      future: true,
      pastDays: 365,
      notBefore: 'startDate',
      pastOnlyIf: {
        field: 'kind',
        values: ['emergency'],
        zh: '治疗已经结束：异地就医备案须在出院结算前办理（急诊抢救视同已备案，不受此限）；已自付的费用请申请“异地就医费用手工报销”',
        en: 'The treatment has ended: a filing must be made before discharge (an emergency counts as filed and is exempt); for costs already paid, apply for reimbursement of costs paid elsewhere',
      },
    },
  ],
  days: [1, 5],
  instantRule: OFFSITE_FILING_RULE,
});

/** The 42 services of this seed; with medsec.maternity_allowance (benefit-items.seed.ts), the 43. */
export const INSURANCE_ITEMS: ServiceItemDef[] = [
  // 参保登记 · enrolment
  item({
    code: 'employer_enrolment',
    zh: '单位参保登记',
    en: 'Employer enrolment in medical insurance',
    fields: [unitName, creditCode, text('contact', '经办人', 'Contact person', 50), phone],
    materials: [businessLicence],
    days: [1, 5],
  }),
  item({
    code: 'employer_change',
    zh: '单位参保信息变更登记',
    en: "Change of an employer's enrolment details",
    fields: [unitName, creditCode, text('changedItem', '变更事项', 'What changes', 100), text('newValue', '变更后内容', 'New value', 200)],
    days: [1, 5],
  }),
  item({
    code: 'employer_deregistration',
    zh: '单位参保注销登记',
    en: 'Deregistration of an employer',
    fields: [unitName, creditCode, reason('注销原因', 'Why the unit deregisters')],
    days: [3, 15],
  }),
  item({
    code: 'employee_enrolment',
    zh: '职工参保登记',
    en: 'Employee enrolment',
    fields: [
      registeredName,
      registeredAddress,
      unitName,
      creditCode,
      { ...date('hiredOn', '入职日期', 'Hired on'), future: true, pastDays: 365 },
      phone,
    ],
    days: [1, 5],
  }),
  item({
    code: 'flexible_enrolment',
    zh: '灵活就业人员参保登记',
    en: 'Enrolment of a flexibly employed person',
    fields: [registeredName, registeredAddress, phone],
    days: [1, 5],
  }),
  item({
    code: 'resident_enrolment',
    zh: '城乡居民参保登记',
    en: 'Urban and rural resident enrolment',
    fields: [registeredName, registeredAddress, phone],
    days: [1, 5],
  }),
  item({
    code: 'person_change',
    zh: '参保人员信息变更登记',
    en: "Change of an insured person's details",
    fields: [...insuredPerson, text('changedItem', '变更事项', 'What changes', 100), text('newValue', '变更后内容', 'New value', 200)],
    days: [1, 5],
  }),
  item({
    code: 'scheme_change',
    zh: '参保险种变更（职工医保与居民医保互转）',
    en: 'Change of scheme (employee and resident insurance)',
    fields: [
      ...insuredPerson,
      select('newScheme', '变更后险种', 'New scheme', [
        ['employee', '职工基本医疗保险', 'Employee basic medical insurance'],
        ['resident', '城乡居民基本医疗保险', 'Urban and rural resident basic medical insurance'],
      ]),
      effectiveDate,
    ],
    days: [1, 5],
  }),
  item({
    code: 'suspension',
    zh: '参保人员中止参保登记',
    en: 'Suspension of insurance',
    fields: [...insuredPerson, reason('中止原因', 'Why the insurance is suspended'), effectiveDate],
    days: [1, 5],
  }),
  item({
    code: 'termination',
    zh: '参保人员终止参保登记',
    en: 'End of insurance',
    fields: [...insuredPerson, reason('终止原因', 'Why the insurance ends'), effectiveDate],
    days: [1, 5],
  }),
  // 参保缴费 · contributions
  item({
    code: 'contribution_base',
    zh: '单位缴费基数申报',
    en: "Declaration of an employer's contribution base",
    fields: [unitName, creditCode, text('baseFen', '缴费基数（分）', 'Contribution base (fen)', 12), text('year', '申报年度', 'Year', 4)],
    days: [1, 5],
  }),
  item({
    code: 'resident_contribution',
    zh: '城乡居民医保参保缴费',
    en: 'Contribution payment for resident insurance',
    fields: [...insuredPerson, text('year', '缴费年度', 'Year', 4)],
    days: [1, 1],
  }),
  item({
    code: 'flexible_contribution',
    zh: '灵活就业人员医保缴费',
    en: 'Contribution payment of a flexibly employed person',
    fields: [...insuredPerson, text('year', '缴费年度', 'Year', 4)],
    days: [1, 1],
  }),
  item({
    code: 'back_payment',
    zh: '职工医保欠费补缴',
    en: 'Back payment of employee contributions',
    fields: [
      ...insuredPerson,
      employer,
      date('fromMonth', '补缴起始月份', 'From'),
      { ...date('toMonth', '补缴截止月份', 'To'), notBefore: 'fromMonth' },
    ],
    days: [5, 20],
  }),
  item({
    code: 'contribution_years',
    zh: '退休人员医保缴费年限认定',
    en: 'Recognition of contribution years at retirement',
    fields: [...insuredPerson, employer, { ...date('retiredOn', '退休日期', 'Retired on'), future: true, pastDays: 1825 }],
    days: [10, 20],
  }),
  // 参保信息 · records and proofs
  item({
    code: 'enrolment_certificate',
    zh: '个人参保凭证开具',
    en: 'Proof of insurance',
    fields: insuredPerson,
    days: [1, 1],
  }),
  item({
    code: 'contribution_record',
    zh: '参保人员缴费明细查询打印',
    en: 'Statement of contributions',
    fields: [...insuredPerson, text('year', '查询年度', 'Year', 4)],
    days: [1, 1],
  }),
  item({
    code: 'e_voucher',
    zh: '医保电子凭证激活',
    en: 'Activation of the medical insurance e-voucher',
    fields: insuredPerson,
    materials: [idCard],
    days: [1, 1],
  }),
  // 个人账户 · personal account
  item({
    code: 'account_family_sharing',
    zh: '职工医保个人账户家庭共济绑定',
    en: 'Sharing the personal account with family members',
    fields: [
      ...insuredPerson,
      text('relativeName', '共济家庭成员姓名', "Family member's name", 50),
      select('relation', '关系', 'Relation', [
        ['spouse', '配偶', 'Spouse'],
        ['parent', '父母', 'Parent'],
        ['child', '子女', 'Child'],
      ]),
    ],
    days: [1, 5],
  }),
  item({
    code: 'account_withdrawal',
    zh: '个人账户一次性支取',
    en: 'One-off withdrawal of the personal account',
    fields: [
      ...insuredPerson,
      select('withdrawalReason', '支取原因', 'Reason', [
        ['death', '参保人死亡（继承）', 'Death of the insured (inheritance)'],
        ['emigration', '出国（境）定居', 'Settling abroad'],
      ]),
      bankAccount,
    ],
    days: [5, 20],
  }),
  item({
    code: 'account_transfer',
    zh: '个人账户余额转移',
    en: 'Transfer of the personal account balance',
    fields: [...insuredPerson, targetRegion],
    days: [5, 15],
  }),
  // 转移接续 · moving between regions
  item({
    code: 'relation_transfer_out',
    zh: '基本医疗保险关系转移（转出，开具参保凭证）',
    en: 'Transfer of basic medical insurance: moving out',
    fields: [...insuredPerson, targetRegion],
    days: [1, 5],
  }),
  item({
    code: 'relation_transfer_in',
    zh: '基本医疗保险关系转移接续（转入）',
    en: 'Transfer of basic medical insurance: moving in and continuing',
    fields: [
      ...insuredPerson,
      { ...text('fromRegion', '转出地（县级行政区划代码）', 'Region moved from (county division code)', 6), division: {} },
    ],
    days: [10, 15],
  }),
  // 异地就医 · treatment elsewhere
  offsiteFiling,
  item({
    code: 'offsite_filing_change',
    zh: '异地就医备案变更',
    en: 'Change of a filing for treatment in another province',
    fields: [
      ...insuredPerson,
      { ...text('destination', '新的就医地（县级行政区划代码）', 'New place of treatment (county division code)', 6), division: {} },
      effectiveDate,
    ],
    days: [1, 5],
  }),
  item({
    code: 'offsite_filing_cancel',
    zh: '异地就医备案取消',
    en: 'Cancelling a filing for treatment in another province',
    fields: [...insuredPerson, effectiveDate],
    days: [1, 5],
  }),
  item({
    code: 'offsite_reimbursement',
    zh: '异地就医费用手工报销',
    en: 'Reimbursement of costs paid in another province',
    fields: [
      ...insuredPerson,
      { ...text('placeOfTreatment', '就医地（县级行政区划代码）', 'Place of treatment (county division code)', 6), division: {} },
      text('hospital', '就医医疗机构', 'Hospital', 100),
      date('admittedOn', '就诊（入院）日期', 'Treated (admitted) on'),
      bankAccount,
    ],
    materials: [eInvoice, feeDetail, dischargeSummary],
    days: [20, 30],
  }),
  // 待遇认定 · recognition of entitlements
  item({
    code: 'chronic_disease',
    zh: '门诊慢特病病种待遇认定',
    en: 'Recognition of a chronic or special outpatient disease',
    fields: [
      ...insuredPerson,
      select('disease', '病种', 'Disease', [
        ['hypertension', '高血压', 'Hypertension'],
        ['diabetes', '糖尿病', 'Diabetes'],
        ['uremia_dialysis', '尿毒症透析', 'Uraemia dialysis'],
        ['cancer_treatment', '恶性肿瘤门诊放化疗', 'Outpatient radio- or chemotherapy for cancer'],
        ['organ_transplant', '器官移植抗排异治疗', 'Anti-rejection treatment after a transplant'],
        ['other', '其他（本地门诊慢特病目录）', 'Other (the local list)'],
      ]),
      text('hospital', '认定医疗机构', 'Hospital that certifies it', 100),
    ],
    materials: [diagnosis],
    days: [10, 15],
  }),
  item({
    code: 'special_drugs',
    zh: '“双通道”单行支付药品待遇备案',
    en: 'Filing for special drugs paid separately (dual channel)',
    fields: [
      ...insuredPerson,
      text('drug', '药品名称', 'Drug', 100),
      text('pharmacy', '定点零售药店', 'Designated pharmacy', 100),
      text('doctor', '责任医师', 'Responsible doctor', 50),
    ],
    materials: [diagnosis],
    days: [3, 10],
  }),
  item({
    code: 'referral',
    zh: '转诊转院备案（省内）',
    en: 'Filing of a referral to another hospital in the province',
    fields: [
      ...insuredPerson,
      text('fromHospital', '转出医院', 'Referring hospital', 100),
      text('toHospital', '转入医院', 'Receiving hospital', 100),
    ],
    days: [1, 5],
  }),
  item({
    code: 'ltc_assessment',
    zh: '长期护理保险失能等级评估',
    en: 'Disability assessment for long-term care insurance',
    fields: [...insuredPerson, registeredAddress],
    materials: [diagnosis],
    days: [20, 30],
  }),
  item({
    code: 'ltc_benefit',
    zh: '长期护理保险待遇申请',
    en: 'Long-term care insurance benefit',
    fields: [
      ...insuredPerson,
      select('careMode', '护理方式', 'Care', [
        ['institution', '机构护理', 'In a care institution'],
        ['home', '居家护理', 'At home'],
      ]),
      bankAccount,
    ],
    days: [10, 15],
  }),
  // 零星报销 · reimbursement of hand-paid costs
  item({
    code: 'manual_reimbursement',
    zh: '零星报销（门诊、住院费用手工报销）',
    en: 'Reimbursement of hand-paid outpatient and inpatient costs',
    fields: [
      ...insuredPerson,
      select('setting', '就诊类型', 'Treatment', [
        ['outpatient', '门诊', 'Outpatient'],
        ['inpatient', '住院', 'Inpatient'],
      ]),
      text('hospital', '就医医疗机构', 'Hospital', 100),
      date('admittedOn', '就诊（入院）日期', 'Treated (admitted) on'),
      bankAccount,
    ],
    materials: [eInvoice, feeDetail, dischargeSummary],
    days: [20, 30],
  }),
  item({
    code: 'injury_reimbursement',
    zh: '意外伤害医疗费用报销',
    en: 'Reimbursement of accidental injury costs',
    fields: [
      ...insuredPerson,
      reason('受伤经过（无第三方责任的说明）', 'How the injury happened (no third party liable)'),
      date('injuredOn', '受伤日期', 'Injured on'),
      bankAccount,
    ],
    materials: [eInvoice, feeDetail, dischargeSummary],
    days: [20, 30],
  }),
  // 生育保险 · maternity (the allowance is medsec.maternity_allowance)
  item({
    code: 'prenatal_costs',
    zh: '产前检查费支付',
    en: 'Payment of prenatal check-up costs',
    fields: [...insuredPerson, employer, { ...date('expectedOn', '预产期', 'Due date'), future: true, pastDays: 365 }, bankAccount],
    materials: [eInvoice],
    days: [10, 20],
  }),
  item({
    code: 'maternity_medical',
    zh: '生育医疗费用支付',
    en: 'Payment of childbirth medical costs',
    fields: [...insuredPerson, employer, date('deliveredOn', '分娩日期', 'Delivered on'), bankAccount],
    materials: [
      eInvoice,
      { code: 'birth_medical_certificate', nameZh: '出生医学证明', nameEn: 'Birth medical certificate', required: true, proofFree: true },
    ],
    days: [10, 20],
  }),
  item({
    code: 'family_planning',
    zh: '计划生育医疗费用支付',
    en: 'Payment of family planning medical costs',
    fields: [...insuredPerson, employer, date('treatedOn', '手术日期', 'Treated on'), bankAccount],
    materials: [eInvoice],
    days: [10, 20],
  }),
  // 医疗救助 · medical assistance
  item({
    code: 'assistance_enrolment',
    zh: '医疗救助对象参保资助',
    en: 'Subsidised enrolment of a medical assistance recipient',
    fields: [registeredName, registeredAddress, phone],
    days: [5, 15],
  }),
  item({
    code: 'assistance_payment',
    zh: '医疗救助费用手工结算',
    en: 'Medical assistance payment of hand-paid costs',
    fields: [...insuredPerson, date('admittedOn', '就诊（入院）日期', 'Treated (admitted) on'), bankAccount],
    materials: [eInvoice, feeDetail],
    days: [15, 30],
  }),
  // 定点医药机构 · designated institutions
  item({
    code: 'institution_designation',
    zh: '医疗机构申请定点协议管理',
    en: 'Application of a medical institution for designation',
    fields: [unitName, creditCode, text('licenceNo', '医疗机构执业许可证登记号', 'Practice licence number', 40), phone],
    materials: [businessLicence],
    days: [40, 60],
  }),
  item({
    code: 'pharmacy_designation',
    zh: '零售药店申请定点协议管理',
    en: 'Application of a retail pharmacy for designation',
    fields: [unitName, creditCode, text('licenceNo', '药品经营许可证编号', 'Drug trading licence number', 40), phone],
    materials: [businessLicence],
    days: [40, 60],
  }),
  item({
    code: 'institution_change',
    zh: '定点医药机构信息变更',
    en: "Change of a designated institution's details",
    fields: [unitName, creditCode, text('changedItem', '变更事项', 'What changes', 100), text('newValue', '变更后内容', 'New value', 200)],
    days: [5, 10],
  }),
];

/** The 43 medical insurance services: this seed's 42 and the maternity allowance (benefit-items.seed.ts). */
export const INSURANCE_SERVICE_CODES: readonly string[] = [...INSURANCE_ITEMS.map((i) => i.code), 'medsec.maternity_allowance'];

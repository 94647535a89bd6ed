import { ALL_CHANNELS, idCard, type ServiceItemDef } from './service-item-def.ts';

const reviewReason = {
  name: 'reason',
  labelZh: '复核理由',
  labelEn: 'Why a person should look again',
  type: 'textarea',
  required: true,
  maxLength: 500,
} as const;

/** A person's review of what a benefit rule decided (人工复核): one item per paying department. */
function reviewItem(kind: 'civil_affairs' | 'medical_security' | 'health', zh: string, en: string): ServiceItemDef {
  return {
    code: `benefit.review.${kind}`,
    nameZh: `${zh}待遇人工复核`,
    nameEn: `Review of a ${en} benefit decision by a person`,
    category: 'benefit',
    handlerLevel: 'department',
    departmentKind: kind,
    materials: [],
    formFields: [
      { name: 'benefitCode', labelZh: '待遇', labelEn: 'Benefit', type: 'text', required: true, maxLength: 64 },
      { name: 'decisionId', labelZh: '决定编号', labelEn: 'Decision', type: 'text', required: true, maxLength: 36 },
      reviewReason,
    ],
    timeLimitDays: 5,
    channels: ['app', 'window', 'helper'],
    feeCents: 0,
    online: true,
    certificateType: null,
  };
}

/**
 * The items benefits with no application use (免申即享 / 免申即办, benefits module): the maternity
 * allowance case the medical security bureau opens and completes for the mother, the reviews a
 * resident asks for when a rule said no, and the death registration that stops every payment.
 */
export const BENEFIT_ITEMS: ServiceItemDef[] = [
  {
    code: 'medsec.maternity_allowance',
    nameZh: '生育津贴支付',
    nameEn: 'Maternity allowance',
    category: 'benefit',
    handlerLevel: 'department',
    departmentKind: 'medical_security',
    materials: [
      { code: 'birth_medical_certificate', nameZh: '出生医学证明', nameEn: 'Birth medical certificate', required: true, proofFree: true },
    ],
    formFields: [
      {
        name: 'certificateNo',
        labelZh: '出生医学证明编号',
        labelEn: 'Birth medical certificate number',
        type: 'text',
        required: true,
        maxLength: 32,
      },
    ],
    timeLimitDays: 10,
    legalLimitDays: 20,
    // One of the 43 medical insurance services (insurance-items.seed.ts): fully online, every channel.
    channels: ALL_CHANNELS,
    feeCents: 0,
    online: true,
    certificateType: null,
  },
  reviewItem('civil_affairs', '民政', 'civil affairs'),
  reviewItem('medical_security', '医疗保障', 'medical security'),
  reviewItem('health', '卫生健康', 'health'),
  {
    code: 'ps.death_registration',
    nameZh: '死亡登记（户口注销）',
    nameEn: 'Death registration',
    category: 'household',
    handlerLevel: 'department',
    departmentKind: 'public_security',
    materials: [
      {
        code: 'death_certificate',
        nameZh: '居民死亡医学证明（推断）书',
        nameEn: 'Medical certificate of death',
        required: true,
        proofFree: false,
      },
      { ...idCard, nameZh: '申报人居民身份证', nameEn: "Declarant's resident ID card" },
    ],
    formFields: [
      { name: 'deceasedName', labelZh: '死者姓名', labelEn: 'Name of the deceased', type: 'text', required: true, maxLength: 50 },
      {
        name: 'deceasedResidentId',
        labelZh: '死者公民身份号码',
        labelEn: 'ID number of the deceased',
        type: 'text',
        required: true,
        maxLength: 18,
      },
      { name: 'deathDate', labelZh: '死亡日期', labelEn: 'Date of death', type: 'date', required: true },
    ],
    timeLimitDays: 1,
    channels: ['app', 'window', 'helper'],
    feeCents: 0,
    online: true,
    certificateType: null,
  },
];

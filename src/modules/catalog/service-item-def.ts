import type { Channel, FormField, HandlerLevel, Material } from './catalog.tables.ts';

/** A service item as seeded (catalog.seed.ts, bundles' items), and the channels, materials and fields several seed items share. */

export interface ServiceItemDef {
  code: string;
  nameZh: string;
  nameEn: string;
  category: string;
  handlerLevel: HandlerLevel;
  departmentKind: string | null;
  materials: Material[];
  formFields: FormField[];
  /** 承诺时限: promised working days. */
  timeLimitDays: number;
  /** 法定时限: the working days the law or the national list allows (≥ the promise); absent where not known. */
  legalLimitDays?: number | null;
  channels: Channel[];
  feeCents: number;
  online: boolean;
  certificateType: string | null;
  /** 秒批: the instant-approval rule's code; absent or null, people decide every case. */
  instantRule?: string | null;
}

export const ALL_CHANNELS: Channel[] = ['app', 'kiosk', 'window', 'helper'];

export const idCard: Material = { code: 'id_card', nameZh: '居民身份证', nameEn: 'Resident ID card', required: true, proofFree: true };
export const household: Material = {
  code: 'household_register',
  nameZh: '户口簿',
  nameEn: 'Household register',
  required: true,
  proofFree: true,
};

export const purposeField: FormField = {
  name: 'purpose',
  labelZh: '用途',
  labelEn: 'Purpose',
  type: 'select',
  required: true,
  options: [
    { value: 'school', labelZh: '子女入学', labelEn: 'School enrolment' },
    { value: 'employment', labelZh: '就业', labelEn: 'Employment' },
    { value: 'social_security', labelZh: '社保医保办理', labelEn: 'Social or medical insurance' },
    { value: 'other', labelZh: '其他', labelEn: 'Other' },
  ],
};
export const addressField: FormField = {
  name: 'address',
  labelZh: '现居住地址',
  labelEn: 'Current address',
  type: 'text',
  required: true,
  maxLength: 200,
};

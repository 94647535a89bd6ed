import {
  bigint,
  boolean,
  customType,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import type { RegionPolicy, Scheme } from './policies.ts';
import type { CompactSettlement, ItemClass, Settlement } from './settlement.ts';

/** Raw bytes: Buffer from node-postgres, Uint8Array from PGlite; both are Uint8Array. */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  toDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)),
});

/** 统筹区: a pooling region (a city, 450800) and the medical security bureau that runs its fund. */
export const insuranceRegions = pgTable('insurance_regions', {
  region: text('region').primaryKey(),
  nameZh: text('name_zh').notNull(),
  /** The bureau's org: its staff see the region's persons, settlements and clearing. */
  officeOrgCode: text('office_org_code').notNull(),
});

/**
 * 参保地政策: one dated version of a place of insurance's policy. `data` is the whole version
 * (deductibles, ratios, away reductions, caps, class-B share); a new version never edits an old one.
 */
export const insurancePolicies = pgTable(
  'insurance_policies',
  {
    region: text('region').notNull(),
    version: text('version').notNull(),
    effectiveFrom: date('effective_from').notNull(),
    effectiveTo: date('effective_to'),
    legalBasis: text('legal_basis').notNull(),
    data: jsonb('data').$type<RegionPolicy>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    /** Who published it: a staff account id, or the seed. */
    createdBy: text('created_by').notNull(),
  },
  (t) => [primaryKey({ columns: [t.region, t.version] })],
);

export type CatalogueKind = 'drug' | 'service' | 'consumable';

/**
 * 就医地目录: the place of treatment's catalogue (per province) of drugs, service items (15-digit
 * national codes) and consumables: the class (甲/乙/丙), the payment standard (支付标准: above it the
 * insured pays the difference) and the highest allowed price (最高限价: a charge above it is refused).
 */
export const insuranceCatalogue = pgTable(
  'insurance_catalogue',
  {
    /** The province of treatment: 450000. */
    region: text('region').notNull(),
    code: text('code').notNull(),
    kind: text('kind').$type<CatalogueKind>().notNull(),
    nameZh: text('name_zh').notNull(),
    nameEn: text('name_en').notNull(),
    unit: text('unit').notNull(),
    itemClass: text('item_class').$type<ItemClass>().notNull(),
    /** 支付标准 per unit; null: none. */
    priceLimitFen: bigint('price_limit_fen', { mode: 'number' }),
    /** 最高限价 per unit; null: none. */
    maxPriceFen: bigint('max_price_fen', { mode: 'number' }),
    effectiveFrom: date('effective_from').notNull(),
    effectiveTo: date('effective_to'),
  },
  (t) => [primaryKey({ columns: [t.region, t.code, t.effectiveFrom] })],
);

/** 定点医药机构: a designated institution, its national code (H + 11 digits), level and the SM2 key its system signs with. */
export const insuranceInstitutions = pgTable('insurance_institutions', {
  code: text('code').primaryKey(),
  nameZh: text('name_zh').notNull(),
  nameEn: text('name_en').notNull(),
  level: integer('level').$type<1 | 2 | 3>().notNull(),
  /** Its division (the place of treatment): 450103. */
  region: text('region').notNull(),
  keyId: text('key_id').notNull().unique(),
  /** SM2 public key, 04 ‖ x ‖ y. */
  publicKey: bytea('public_key').notNull(),
  status: text('status').$type<'active' | 'suspended'>().notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  /** The hospital's org (a department of kind 'hospital'): its insurance window clerks (hospital_window) act for this institution only. */
  orgCode: text('org_code').unique(),
});

export type InsuredStatus = 'active' | 'suspended' | 'ended';

/**
 * 参保人员: a person insured here, keyed by the keyed digest of their ID number (never the number),
 * with the scheme, the place of insurance, the status and the employee's personal account.
 */
export const insurancePersons = pgTable(
  'insurance_persons',
  {
    /** 人员编号 (psn_no): what the hospital's system carries after 1101. */
    psnNo: text('psn_no').primaryKey(),
    subjectKey: text('subject_key').notNull().unique(),
    name: text('name').notNull(),
    /** The masked ID number, for display. */
    idMasked: text('id_masked').notNull(),
    gender: text('gender').$type<'1' | '2'>().notNull(),
    birthDate: date('birth_date').notNull(),
    scheme: text('scheme').$type<Scheme>().notNull(),
    /** 参保地 (insuplc_admdvs). */
    region: text('region').notNull(),
    status: text('status').$type<InsuredStatus>().notNull(),
    accountBalanceFen: bigint('account_balance_fen', { mode: 'number' }).notNull().default(0),
    /** The resident's platform account, once they have one. */
    accountId: uuid('account_id'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    /**
     * A copy of a person insured in another province (cross-province-person.ts): when that
     * province's node last answered for them. Null for a person enrolled at this node.
     */
    confirmedAt: timestamp('confirmed_at', { withTimezone: true }),
  },
  (t) => [index('insurance_persons_account').on(t.accountId)],
);

/** Every change of scheme, region or status, from the date it applies. */
export const insurancePersonHistory = pgTable(
  'insurance_person_history',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    psnNo: text('psn_no')
      .notNull()
      .references(() => insurancePersons.psnNo),
    fromDate: date('from_date').notNull(),
    scheme: text('scheme').$type<Scheme>().notNull(),
    region: text('region').notNull(),
    status: text('status').$type<InsuredStatus>().notNull(),
    reason: text('reason').notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('insurance_person_history_psn').on(t.psnNo, t.fromDate)],
);

/** 年度累计: what a person used in a year; a settlement adds to it and its cancellation or reversal takes exactly that back. */
export const insuranceYearTotals = pgTable(
  'insurance_year_totals',
  {
    psnNo: text('psn_no').notNull(),
    year: integer('year').notNull(),
    deductibleUsedFen: bigint('deductible_used_fen', { mode: 'number' }).notNull().default(0),
    fundPaidFen: bigint('fund_paid_fen', { mode: 'number' }).notNull().default(0),
    accountPaidFen: bigint('account_paid_fen', { mode: 'number' }).notNull().default(0),
    /** Inpatient stays settled this year (the deductible of a later stay is lower). */
    stays: integer('stays').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.psnNo, t.year] })],
);

export type FilingKind = 'long_term_residence' | 'temporary' | 'emergency';

/** 异地就医备案: filed treatment in another province, from the case that decided it. */
export const insuranceFilings = pgTable(
  'insurance_filings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    psnNo: text('psn_no')
      .notNull()
      .references(() => insurancePersons.psnNo),
    kind: text('kind').$type<FilingKind>().notNull(),
    /** The division of treatment it covers (a province covers its whole area). */
    destination: text('destination').notNull(),
    startDate: date('start_date').notNull(),
    endDate: date('end_date'),
    /** The case it came from; unique, so a replayed decision files once. */
    caseId: uuid('case_id').unique(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('insurance_filings_psn').on(t.psnNo)],
);

/** 11 普通门诊, 14 门诊慢特病, 21 普通住院, 52 生育住院 (national med_type codes). */
export type MedType = '11' | '14' | '21' | '52';
/** Where the treatment is, seen from the place of insurance. */
export type EncounterWhere = 'local' | 'province' | 'other_province';

/** 就诊: an encounter, opened by the entitlement check (2001) of its hospital; its fee lines and pre-settlement. */
export const insuranceEncounters = pgTable(
  'insurance_encounters',
  {
    mdtrtId: text('mdtrt_id').primaryKey(),
    institutionCode: text('institution_code')
      .notNull()
      .references(() => insuranceInstitutions.code),
    psnNo: text('psn_no')
      .notNull()
      .references(() => insurancePersons.psnNo),
    medType: text('med_type').$type<MedType>().notNull(),
    beginDate: date('begin_date').notNull(),
    emergency: boolean('emergency').notNull(),
    where: text('where').$type<EncounterWhere>().notNull(),
    /** A filing (or an emergency) covered it when opened. */
    filed: boolean('filed').notNull(),
    status: text('status').$type<'open' | 'settled'>().notNull(),
    /** The pre-settlement's digest and total: the settlement must match it. */
    presettleDigest: text('presettle_digest'),
    presettleTotalFen: bigint('presettle_total_fen', { mode: 'number' }),
    /**
     * Raised by every change to the encounter's fee lines (2301 uploads, 2601 reversals of one):
     * a pre-settlement computed from the lines of version n is written only while it is still n.
     */
    linesVersion: integer('lines_version').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('insurance_encounters_psn').on(t.psnNo)],
);

/** 费用明细 (2301): one uploaded fee line, with the catalogue's class and limits as they were. */
export const insuranceFeeLines = pgTable(
  'insurance_fee_lines',
  {
    mdtrtId: text('mdtrt_id')
      .notNull()
      .references(() => insuranceEncounters.mdtrtId),
    feedetlSn: text('feedetl_sn').notNull(),
    code: text('code').notNull(),
    nameZh: text('name_zh').notNull(),
    itemClass: text('item_class').$type<ItemClass>().notNull(),
    quantity: integer('quantity').notNull(),
    unitPriceFen: bigint('unit_price_fen', { mode: 'number' }).notNull(),
    priceLimitFen: bigint('price_limit_fen', { mode: 'number' }),
    /** The upload it came with (2601 takes a whole upload back). */
    msgid: text('msgid').notNull(),
  },
  (t) => [primaryKey({ columns: [t.mdtrtId, t.feedetlSn] }), index('insurance_fee_lines_msgid').on(t.msgid)],
);

/** What the hospital uploads with a settlement for the insurance office (医保结算清单). */
export interface SettlementListFields {
  /** 主要诊断 (ICD-10). */
  diagCode?: string;
  diagName?: string;
  /** 入院 / 出院 dates. */
  admDate?: string;
  dscgDate?: string;
  /** 离院方式. */
  dscgWay?: string;
  /** 主诊医师. */
  chfpdrName?: string;
  deptName?: string;
}

/** 结算 (2304): a settlement and its explanation; cancelled (2305) or reversed (2601) ones stay with their status. */
export const insuranceSettlements = pgTable(
  'insurance_settlements',
  {
    setlId: text('setl_id').primaryKey(),
    mdtrtId: text('mdtrt_id')
      .notNull()
      .references(() => insuranceEncounters.mdtrtId),
    psnNo: text('psn_no').notNull(),
    institutionCode: text('institution_code').notNull(),
    /** 就医地 (mdtrtarea_admvs) and 参保地 (insuplc_admdvs): the pair clearing sums by. */
    treatmentRegion: text('treatment_region').notNull(),
    insuranceRegion: text('insurance_region').notNull(),
    year: integer('year').notNull(),
    status: text('status').$type<'settled' | 'cancelled'>().notNull(),
    policyVersion: text('policy_version').notNull(),
    totalFen: bigint('total_fen', { mode: 'number' }).notNull(),
    inscpFen: bigint('inscp_fen', { mode: 'number' }).notNull(),
    deductibleFen: bigint('deductible_fen', { mode: 'number' }).notNull(),
    hifpPayFen: bigint('hifp_pay_fen', { mode: 'number' }).notNull(),
    acctPayFen: bigint('acct_pay_fen', { mode: 'number' }).notNull(),
    cashPayFen: bigint('cash_pay_fen', { mode: 'number' }).notNull(),
    /** The inpatient stay counted for the deductible (a cancellation gives it back). */
    countsStay: boolean('counts_stay').notNull(),
    /** The settlement, compact (rows written before it was: full); `expandSettlement` gives the full form. */
    result: jsonb('result').$type<CompactSettlement | Settlement>().notNull(),
    list: jsonb('list').$type<SettlementListFields>(),
    /** The settlement statement (结算单), once sealed. */
    certificateId: uuid('certificate_id'),
    msgid: text('msgid').notNull(),
    settledAt: timestamp('settled_at', { withTimezone: true }).notNull(),
    /** The settlement's day in China (UTC+8): what reconciliation and clearing sum by. */
    day: date('day').notNull(),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
    cancelMsgid: text('cancel_msgid'),
    ledgerEntryId: bigint('ledger_entry_id', { mode: 'number' }).notNull(),
  },
  (t) => [
    index('insurance_settlements_psn').on(t.psnNo),
    index('insurance_settlements_inst_day').on(t.institutionCode, t.day),
    index('insurance_settlements_day').on(t.day),
    unique('insurance_settlements_msgid').on(t.msgid),
  ],
);

/**
 * One answered transaction of a hospital's system, by its msgid: a retried msgid gets this answer
 * again, and a msgid reused for another request is refused. Written in the transaction of its effect.
 */
export const insuranceMessages = pgTable(
  'insurance_messages',
  {
    msgid: text('msgid').primaryKey(),
    institutionCode: text('institution_code').notNull(),
    infno: text('infno').notNull(),
    requestDigest: text('request_digest').notNull(),
    /**
     * The answer, as the JSON text that was signed and sent. Text, not jsonb: it is only ever read
     * back whole (a retried msgid), and parsing it into jsonb on every window transaction cost
     * PostgreSQL more than anything else the window writes.
     */
    response: text('response').notNull(),
    /** A 2601 reversal that took this message's effect back. */
    reversedBy: text('reversed_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('insurance_messages_inst').on(t.institutionCode, t.createdAt)],
);

/** 对账 (3201): a hospital's totals for a day against ours. */
export const insuranceReconciliations = pgTable(
  'insurance_reconciliations',
  {
    institutionCode: text('institution_code').notNull(),
    day: date('day').notNull(),
    insuranceRegion: text('insurance_region').notNull(),
    theirs: jsonb('theirs').$type<ReconTotals>().notNull(),
    ours: jsonb('ours').$type<ReconTotals>().notNull(),
    matched: boolean('matched').notNull(),
    msgid: text('msgid').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.institutionCode, t.day, t.insuranceRegion] })],
);

export interface ReconTotals {
  count: number;
  totalFen: number;
  fundFen: number;
  accountFen: number;
  cashFen: number;
}

/** 清算: a month's totals between the fund of a place of treatment and that of a place of insurance, sealed. */
export const insuranceClearings = pgTable(
  'insurance_clearings',
  {
    month: text('month').notNull(),
    treatmentRegion: text('treatment_region').notNull(),
    insuranceRegion: text('insurance_region').notNull(),
    totals: jsonb('totals').$type<ReconTotals>().notNull(),
    /** Hospital days whose reconciliation did not match ours, or that never reconciled. */
    discrepancies: jsonb('discrepancies').$type<{ institutionCode: string; day: string; reason: string }[]>().notNull(),
    certificateId: uuid('certificate_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.month, t.treatmentRegion, t.insuranceRegion] })],
);

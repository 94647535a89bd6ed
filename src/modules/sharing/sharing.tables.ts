import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';

/** How much harm a field's disclosure can do; shown to the resident in the consent preview. */
export type Sensitivity = 'low' | 'medium' | 'high';

export interface DatasetField {
  name: string;
  labelZh: string;
  labelEn: string;
  sensitivity: Sensitivity;
}

/**
 * Where a dataset's records live: `internal` — kept in the platform (sharing_records); `external`
 * — the department's own system over signed HTTP (RFC 9421): its base URL, and the key id and
 * Ed25519 public key (SPKI PEM) its answers must be signed with, pinned here; `licences` — the
 * e-licence library (电子证照库): the certificates of one type issued on the platform, a person's
 * record being their newest active, unexpired certificate of that type (`certificate_types.code`).
 */
export type ProviderConfig =
  | { kind: 'internal' }
  | { kind: 'licences'; certificateType: string }
  | {
      kind: 'external';
      baseUrl: string;
      keyId: string;
      publicKey: string;
      /** Per attempt; default 3000 ms. */
      timeoutMs?: number;
      /** Bounded attempts with exponential backoff and jitter; default 4. */
      attempts?: number;
    };

/** 数据目录: a dataset one department publishes. */
export const sharingDatasets = pgTable('sharing_datasets', {
  code: text('code').primaryKey(),
  providerOrgCode: text('provider_org_code').notNull(),
  nameZh: text('name_zh').notNull(),
  nameEn: text('name_en').notNull(),
  fields: jsonb('fields').$type<DatasetField[]>().notNull(),
  legalBasis: text('legal_basis').notNull(),
  provider: jsonb('provider').$type<ProviderConfig>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * The internal adapter's records: one per dataset and person. `subject_key` is a keyed HMAC of
 * the person's resident ID number, so records of people without an account (a newborn) fit too.
 */
export const sharingRecords = pgTable(
  'sharing_records',
  {
    datasetCode: text('dataset_code')
      .notNull()
      .references(() => sharingDatasets.code),
    subjectKey: text('subject_key').notNull(),
    data: jsonb('data').$type<Record<string, string>>().notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.datasetCode, t.subjectKey] })],
);

/** A standing grant from the provider department to a consumer org: which fields, for what, until when. */
export const sharingGrants = pgTable(
  'sharing_grants',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    datasetCode: text('dataset_code')
      .notNull()
      .references(() => sharingDatasets.code),
    providerOrgCode: text('provider_org_code').notNull(),
    consumerOrgCode: text('consumer_org_code').notNull(),
    fields: text('fields').array().notNull(),
    purpose: text('purpose').notNull(),
    legalBasis: text('legal_basis').notNull(),
    /** False only for a law-based grant that waives the resident's consent. */
    consentRequired: boolean('consent_required').notNull(),
    /**
     * A waived-consent grant waits in `pending_approval` until a supervisor other than its
     * author approves it (`active`) or refuses it (`refused`); other grants start `active`.
     */
    status: text('status').$type<GrantStatus>().notNull().default('active'),
    /** The cited entry of the legal-basis catalogue (legal-bases.ts); set on every waived-consent grant. */
    legalBasisCode: text('legal_basis_code'),
    decidedBy: uuid('decided_by'),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    decisionNote: text('decision_note'),
    validUntil: timestamp('valid_until', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdBy: uuid('created_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('sharing_grants_consumer_idx').on(t.consumerOrgCode, t.datasetCode),
    index('sharing_grants_provider_idx').on(t.providerOrgCode, t.createdAt),
    index('sharing_grants_status_idx').on(t.status),
    check('sharing_grants_status_check', sql`${t.status} in ('pending_approval','active','refused')`),
  ],
);

export const GRANT_STATUSES = ['pending_approval', 'active', 'refused'] as const;
export type GrantStatus = (typeof GRANT_STATUSES)[number];

export const EXCHANGE_STATUSES = ['pending_consent', 'approved', 'declined', 'completed'] as const;
export type ExchangeStatus = (typeof EXCHANGE_STATUSES)[number];

/**
 * One exchange: a consumer asks for fields about one resident, for a purpose, for a case. It
 * never holds the fetched data: only its digest, salted, as on the ledger leaf.
 */
export const sharingExchanges = pgTable(
  'sharing_exchanges',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The consumer's idempotency key: a retry with the same key is the same exchange. */
    requestKey: text('request_key').notNull(),
    requestHash: text('request_hash').notNull(),
    consumerOrgCode: text('consumer_org_code').notNull(),
    requestedBy: uuid('requested_by').notNull(),
    datasetCode: text('dataset_code')
      .notNull()
      .references(() => sharingDatasets.code),
    providerOrgCode: text('provider_org_code').notNull(),
    grantId: uuid('grant_id')
      .notNull()
      .references(() => sharingGrants.id),
    subjectId: uuid('subject_id').notNull(),
    caseId: uuid('case_id').notNull(),
    purpose: text('purpose').notNull(),
    fields: text('fields').array().notNull(),
    consentRequired: boolean('consent_required').notNull(),
    status: text('status').$type<ExchangeStatus>().notNull(),
    /** Random, per exchange: the subject and response digests on the leaf are salted with it. */
    salt: text('salt').notNull(),
    responseDigest: text('response_digest'),
    /** The exchange's ledger entry, once completed. */
    ledgerEntryId: bigint('ledger_entry_id', { mode: 'number' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [
    unique('sharing_exchanges_request_key').on(t.consumerOrgCode, t.requestKey),
    index('sharing_exchanges_subject_idx').on(t.subjectId, t.createdAt, t.id),
    check('sharing_exchanges_status_check', sql`${t.status} in ('pending_consent','approved','declined','completed')`),
  ],
);

export const PAYMENT_STATUSES = ['pending', 'accepted', 'refused'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/**
 * A payment instruction to the paying bank (payments.ts): one row per instruction id, whatever the
 * retries. The payee is held as the keyed subject digest and the masked ID number only; the bank
 * gets the full number in the instruction itself, never from this table.
 */
export const sharingPayments = pgTable(
  'sharing_payments',
  {
    /** The caller's idempotency key: the same id is one payment, however often it is sent. */
    instructionId: uuid('instruction_id').primaryKey(),
    /** SHA-256 of the instruction's canonical content: the same id with another content is a conflict. */
    instructionHash: text('instruction_hash').notNull(),
    payerOrgCode: text('payer_org_code').notNull(),
    /** The payer's org path, for list access by subtree. */
    payerOrgPath: text('payer_org_path').notNull(),
    requestedBy: uuid('requested_by').notNull(),
    payeeKey: text('payee_key').notNull(),
    payeeMasked: text('payee_masked').notNull(),
    amountFen: bigint('amount_fen', { mode: 'number' }).notNull(),
    purpose: text('purpose').notNull(),
    reference: text('reference').notNull(),
    status: text('status').$type<PaymentStatus>().notNull().default('pending'),
    /** Random, per payment: the ledger leaf's digest of payee, amount and reference is salted with it. */
    salt: text('salt').notNull(),
    bankReference: text('bank_reference'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    ledgerEntryId: bigint('ledger_entry_id', { mode: 'number' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }),
    refusedAt: timestamp('refused_at', { withTimezone: true }),
  },
  (t) => [
    index('sharing_payments_payer_idx').on(t.payerOrgCode, t.createdAt, t.instructionId),
    check('sharing_payments_status_check', sql`${t.status} in ('pending','accepted','refused')`),
    check('sharing_payments_amount_check', sql`${t.amountFen} > 0`),
  ],
);

import { sql } from 'drizzle-orm';
import type { LegacyDisclosure, StoredDisclosure } from './disclosure-vault.ts';
import { bigint, bigserial, check, index, integer, jsonb, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';

export interface CertificateField {
  name: string;
  labelZh: string;
  labelEn: string;
  /** Where the value comes from: the case form, the holder's record, or a constant. */
  source: 'form' | 'holder.name' | 'holder.residentId' | 'holder.residentIdMasked' | 'issuer.name';
  formField?: string;
}

export interface CertificateTemplate {
  titleZh: string;
  titleEn: string;
  /** Body text with {{field}} placeholders. */
  bodyZh: string;
  bodyEn: string;
  /** Body font size in points (default 15); a long statement sets a smaller one and runs onto more pages. */
  bodySize?: number;
}

/** Certificate types are data: adding one needs no code. */
export const certificateTypes = pgTable('certificate_types', {
  code: text('code').primaryKey(),
  /** The type code part of the GB/T 36904 identifier (0–9, A–Z). */
  typeCode: text('type_code').notNull().unique(),
  nameZh: text('name_zh').notNull(),
  nameEn: text('name_en').notNull(),
  /** The catalogue item whose approval issues this certificate. */
  serviceCode: text('service_code').notNull().unique(),
  fields: jsonb('fields').$type<CertificateField[]>().notNull(),
  validityDays: integer('validity_days'),
  template: jsonb('template').$type<CertificateTemplate>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export type CertificateStatus = 'active' | 'revoked' | 'suspended';

export const certificates = pgTable(
  'certificates',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    serial: bigserial('serial', { mode: 'number' }).notNull().unique(),
    identifier: text('identifier').notNull().unique(),
    /** Exactly one certificate per case, whatever the retries or concurrency. */
    caseId: uuid('case_id').notNull().unique(),
    typeCode: text('type_code').notNull(),
    holderId: uuid('holder_id').notNull(),
    issuerOrgCode: text('issuer_org_code').notNull(),
    issuerOrgPath: text('issuer_org_path').notNull(),
    reviewerId: uuid('reviewer_id').notNull(),
    keyId: text('key_id').notNull(),
    /** The canonical JSON that was signed, byte for byte. */
    payload: text('payload').notNull(),
    signature: text('signature').notNull(),
    /** Each field's value and salt, sealed under the master key (disclosure-vault.ts); never in clear. */
    disclosures: jsonb('disclosures').$type<(StoredDisclosure | LegacyDisclosure)[]>().notNull(),
    statusList: text('status_list').notNull(),
    statusIndex: integer('status_index').notNull(),
    /** Its `certificate.issued` ledger entry (the index comes when the sequencer numbers it). */
    ledgerEntryId: bigint('ledger_entry_id', { mode: 'number' }).notNull(),
    issuedAt: timestamp('issued_at', { withTimezone: true }).notNull(),
    validUntil: timestamp('valid_until', { withTimezone: true }),
    status: text('status').$type<CertificateStatus>().notNull().default('active'),
    statusReason: text('status_reason'),
    statusChangedAt: timestamp('status_changed_at', { withTimezone: true }),
    statusChangedBy: uuid('status_changed_by'),
  },
  (t) => [
    unique('certificates_status_slot').on(t.statusList, t.statusIndex),
    index('certificates_holder_idx').on(t.holderId, t.serial),
    index('certificates_issuer_idx').using('btree', t.issuerOrgPath.op('text_pattern_ops'), t.serial),
    index('certificates_revoked_idx')
      .on(t.statusList, t.status)
      .where(sql`${t.status} <> 'active'`),
    check('certificates_status_check', sql`${t.status} in ('active','revoked','suspended')`),
  ],
);

/**
 * The W3C Bitstring Status Lists, 1, 2, 3, …: issuance draws random slots in the newest list and
 * opens the next once the newest is past a fill threshold (random slots collide more as a list
 * fills). `used` counts the list's certificates, kept in the issuing transaction.
 */
export const statusLists = pgTable(
  'status_lists',
  {
    id: integer('id').primaryKey(),
    size: integer('size').notNull(),
    used: integer('used').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('status_lists_size_check', sql`${t.size} > 0 and ${t.size} % 8 = 0`),
    check('status_lists_used_check', sql`${t.used} >= 0`),
  ],
);

/** Status changes (revoke, suspend, reinstate): who, when, why; each also goes on the ledger. */
export const certificateStatusEvents = pgTable('certificate_status_events', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  certificateId: uuid('certificate_id')
    .notNull()
    .references(() => certificates.id),
  fromStatus: text('from_status').notNull(),
  toStatus: text('to_status').notNull(),
  reason: text('reason').notNull(),
  actorId: uuid('actor_id').notNull(),
  ledgerEntryId: bigint('ledger_entry_id', { mode: 'number' }).notNull(),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
});

/** 手签备案: a reviewer's handwritten signature image, active once their township admin approves it. */
export const registeredSignatures = pgTable(
  'registered_signatures',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    accountId: uuid('account_id').notNull(),
    orgCode: text('org_code').notNull(),
    orgPath: text('org_path').notNull(),
    /** SVG (sanitised) or PNG as a data URL. */
    image: text('image').notNull(),
    status: text('status').$type<'pending' | 'active' | 'retired'>().notNull().default('pending'),
    uploadedAt: timestamp('uploaded_at', { withTimezone: true }).notNull().defaultNow(),
    activatedBy: uuid('activated_by'),
    activatedAt: timestamp('activated_at', { withTimezone: true }),
  },
  (t) => [index('registered_signatures_account_idx').on(t.accountId, t.status)],
);

/** Time-limited, revocable links that show a certificate (or a selective view of it) to a third party. */
export const shareLinks = pgTable('share_links', {
  tokenHash: text('token_hash').primaryKey(),
  certificateId: uuid('certificate_id')
    .notNull()
    .references(() => certificates.id),
  fields: text('fields').array().notNull(),
  createdBy: uuid('created_by').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

import { sql } from 'drizzle-orm';
import { bigserial, check, date, index, integer, jsonb, pgTable, primaryKey, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { masterKey } from './master-key.tables.ts';

export type AccountKind = 'resident' | 'staff';
export type AccountStatus = 'active' | 'disabled';
export type StaffRole =
  | 'village_reviewer'
  | 'township_admin'
  | 'county_admin'
  | 'city_admin'
  | 'department_officer'
  | 'supervisor'
  | 'platform_admin'
  | 'helper'
  /** 医保窗口: a hospital's insurance window clerk, held at the hospital's org (a department of kind 'hospital'). */
  | 'hospital_window';

export const accounts = pgTable(
  'accounts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind').$type<AccountKind>().notNull(),
    name: text('name').notNull(),
    passwordHash: text('password_hash').notNull(),
    status: text('status').$type<AccountStatus>().notNull().default('active'),
    failedLogins: integer('failed_logins').notNull().default(0),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('accounts_kind_check', sql`${t.kind} in ('resident','staff')`),
    check('accounts_status_check', sql`${t.status} in ('active','disabled')`),
  ],
);

/** Real-name data of a resident account. The ID number is kept encrypted, found by a keyed hash, shown masked. */
export const residents = pgTable(
  'residents',
  {
    accountId: uuid('account_id')
      .primaryKey()
      .references(() => accounts.id),
    residentIdCipher: text('resident_id_cipher').notNull(),
    residentIdHash: text('resident_id_hash').notNull().unique(),
    residentIdMasked: text('resident_id_masked').notNull(),
    /**
     * The master key the cipher and hash are under. Lookup hashes are keyed, so a unique hash
     * alone would not stop a second key from registering an ID again; the reference to the
     * one-row `master_key` means every hash here is under the same key.
     */
    keyFingerprint: text('key_fingerprint')
      .notNull()
      .references(() => masterKey.fingerprint, { onUpdate: 'cascade' }),
    phone: text('phone').notNull(),
    birthDate: date('birth_date').notNull(),
    gender: text('gender').$type<'male' | 'female'>().notNull(),
    addressCode: text('address_code').notNull(),
    /** The village (or community) where the resident lives; cases for village services go there. */
    homeOrgCode: text('home_org_code'),
  },
  (t) => [index('residents_phone_idx').on(t.phone)],
);

export const staff = pgTable('staff', {
  accountId: uuid('account_id')
    .primaryKey()
    .references(() => accounts.id),
  username: text('username').notNull().unique(),
});

/** A role held at one org node. `orgPath` is copied from orgs so that subtree checks need no join. */
export const staffRoles = pgTable(
  'staff_roles',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id),
    role: text('role').$type<StaffRole>().notNull(),
    orgCode: text('org_code').notNull(),
    orgPath: text('org_path').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('staff_roles_unique').on(t.accountId, t.role, t.orgCode),
    index('staff_roles_org_idx').on(t.orgCode),
    // Subtree listings (`org_path like 'p.%'`) for the administrators above a node.
    index('staff_roles_path_idx').using('btree', t.orgPath.op('text_pattern_ops')),
  ],
);

export const sessions = pgTable(
  'sessions',
  {
    /** SHA-256 of the token: a leaked table does not give usable tokens. */
    tokenHash: text('token_hash').primaryKey(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id),
    channel: text('channel').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  // expires_at: the purge of ended sessions reads the oldest first, a bounded batch at a time.
  (t) => [index('sessions_account_idx').on(t.accountId), index('sessions_expires_idx').on(t.expiresAt)],
);

/**
 * Kiosk one-time codes (自助终端验证码), one live code per resident, kept in the database so that
 * any app process can check a code another one sent, and a restart loses none.
 */
export const kioskCodes = pgTable('kiosk_codes', {
  accountId: uuid('account_id')
    .primaryKey()
    .references(() => accounts.id),
  /** SHA-256 of the code: the table never holds a usable code. */
  codeHash: text('code_hash').notNull(),
  sentAt: timestamp('sent_at', { withTimezone: true }).notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  attempts: integer('attempts').notNull().default(0),
});

/**
 * The one-time token that creates the first platform administrator of an install without one
 * (printed once at start). Only its SHA-256 is kept; it expires, and using it burns it.
 */
export const bootstrapTokens = pgTable('bootstrap_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true }),
});

/**
 * Failed logins (password or kiosk code) per account and client address (a hash of it), for the
 * lockout in lockout.ts: five failures from one address within 15 minutes lock the account for
 * that address; the account is locked for everyone only while several addresses are locked.
 */
export const loginFailures = pgTable(
  'login_failures',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id),
    source: text('source').notNull(),
    failures: integer('failures').notNull().default(0),
    windowStartedAt: timestamp('window_started_at', { withTimezone: true }).notNull(),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.source] })],
);

/** 帮办代办: a resident authorises a helper to act for them within scopes, for a period. */
export const delegations = pgTable(
  'delegations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    residentId: uuid('resident_id')
      .notNull()
      .references(() => accounts.id),
    helperId: uuid('helper_id')
      .notNull()
      .references(() => accounts.id),
    scopes: text('scopes').array().notNull(),
    validFrom: timestamp('valid_from', { withTimezone: true }).notNull(),
    validUntil: timestamp('valid_until', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('delegations_helper_idx').on(t.helperId, t.residentId), index('delegations_resident_idx').on(t.residentId)],
);

/** Identity changes and every act done on a resident's behalf, written with the change. */
export const identityAudit = pgTable(
  'identity_audit',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    accountId: uuid('account_id').notNull(),
    actorId: uuid('actor_id'),
    action: text('action').notNull(),
    detail: jsonb('detail').$type<Record<string, unknown>>().notNull().default({}),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('identity_audit_account_idx').on(t.accountId, t.at)],
);

import { sql } from 'drizzle-orm';
import { check, index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { KeyAlgorithm } from '../../../verify/keys.ts';

/** root: the platform's self-signed CA; seal: an org's electronic seal (电子印章); pdf: the PDF signing key. */
export type KeyPurpose = 'root' | 'seal' | 'pdf';
export type KeyStatus = 'active' | 'retired';

/**
 * Signing keys with their certificates. The private key is stored only encrypted
 * (AES-256-GCM under a key derived from the master key, the key id as associated data).
 */
export const signingKeys = pgTable(
  'signing_keys',
  {
    /** The first 16 bytes of SHA-256 over the SPKI, hex: stable, derived from the key itself. */
    id: text('id').primaryKey(),
    /** An org code, or 'platform'. */
    owner: text('owner').notNull(),
    purpose: text('purpose').$type<KeyPurpose>().notNull(),
    algorithm: text('algorithm').$type<KeyAlgorithm>().notNull(),
    /** SubjectPublicKeyInfo, base64 DER. */
    publicKeySpki: text('public_key_spki').notNull(),
    /** base64 of (12-byte IV ‖ ciphertext ‖ 16-byte tag) of the raw 32-byte private key. */
    encryptedPrivateKey: text('encrypted_private_key').notNull(),
    certificatePem: text('certificate_pem').notNull(),
    /** The issuers' certificates up to the root, PEM, leaf's issuer first; empty for a root. */
    chainPem: text('chain_pem').notNull(),
    notBefore: timestamp('not_before', { withTimezone: true }).notNull(),
    notAfter: timestamp('not_after', { withTimezone: true }).notNull(),
    status: text('status').$type<KeyStatus>().notNull().default('active'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    retiredAt: timestamp('retired_at', { withTimezone: true }),
  },
  (t) => [
    // One active key per owner, purpose and algorithm: concurrent first starts create one root.
    uniqueIndex('signing_keys_active_unique')
      .on(t.owner, t.purpose, t.algorithm)
      .where(sql`${t.status} = 'active'`),
    index('signing_keys_owner_idx').on(t.owner, t.purpose),
    check('signing_keys_purpose_check', sql`${t.purpose} in ('root','seal','pdf')`),
    check('signing_keys_algorithm_check', sql`${t.algorithm} in ('SM2','Ed25519','P-256')`),
    check('signing_keys_status_check', sql`${t.status} in ('active','retired')`),
  ],
);

import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The hub's OpenID Connect clients: the province nodes a hub administrator registered with
 * `yiban oidc client add`. The secret is kept encrypted under the master key (the provider
 * compares it, and never hashed-only for that reason) and is printed once, at registration.
 */
export const oidcClients = pgTable('oidc_clients', {
  clientId: text('client_id').primaryKey(),
  name: text('name').notNull(),
  secretSealed: text('secret_sealed').notNull(),
  redirectUris: jsonb('redirect_uris').$type<string[]>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  disabledAt: timestamp('disabled_at', { withTimezone: true }),
});

/**
 * oidc-provider's models (sessions, interactions, grants, authorization codes, access tokens…) by
 * model name and id, shared by every hub process through the database. `consumed_at` marks a
 * used authorization code (a replay is refused); `expires_at` ends every row.
 */
export const oidcPayloads = pgTable(
  'oidc_payloads',
  {
    model: text('model').notNull(),
    id: text('id').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    grantId: text('grant_id'),
    userCode: text('user_code'),
    uid: text('uid'),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    consumedAt: timestamp('consumed_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ name: 'oidc_payloads_pk', columns: [t.model, t.id] }),
    index('oidc_payloads_grant_idx')
      .on(t.grantId)
      .where(sql`${t.grantId} is not null`),
    index('oidc_payloads_uid_idx')
      .on(t.uid)
      .where(sql`${t.uid} is not null`),
    index('oidc_payloads_user_code_idx')
      .on(t.userCode)
      .where(sql`${t.userCode} is not null`),
    index('oidc_payloads_expires_idx').on(t.expiresAt),
  ],
);

/** The hub's ID token signing keys (ES256 JWKs): the private part encrypted under the master key, the kid as AAD. */
export const oidcKeys = pgTable('oidc_keys', {
  kid: text('kid').primaryKey(),
  /** One slot per purpose ('id-token'), so that concurrent first starts create one key. */
  slot: text('slot').notNull().unique(),
  alg: text('alg').notNull(),
  publicJwk: jsonb('public_jwk').$type<Record<string, unknown>>().notNull(),
  privateSealed: text('private_sealed').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

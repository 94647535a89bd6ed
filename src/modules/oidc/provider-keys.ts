import { createHash, generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db, Executor } from '../../db/database.ts';
import { deriveKey, openText, sealText } from '../../core/sealing.ts';
import { oidcKeys } from './oidc.tables.ts';

const KEY_INFO = 'yiban/oidc/signing-key/aes-256-gcm/v1';
const COOKIE_INFO = 'yiban/oidc/cookie-keys/v1';
const ID_TOKEN_SLOT = 'id-token';

/** A private JWK oidc-provider signs ID tokens with (ES256: SM2 has no JOSE algorithm). */
export type PrivateJwk = JsonWebKey & { kid: string; alg: string; use: string };

/**
 * The hub's ID token key: generated on first use and stored with its private part encrypted
 * under the master key (the kid as associated data); several processes starting at once create
 * one (the slot is unique, the first insert wins, everyone reads it back).
 */
export async function loadOrCreateSigningKey(db: Db, masterKey: Buffer): Promise<PrivateJwk> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicJwk = publicKey.export({ format: 'jwk' });
  const kid = thumbprint(publicJwk);
  const privateJwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
  await db
    .insert(oidcKeys)
    .values({
      kid,
      slot: ID_TOKEN_SLOT,
      alg: 'ES256',
      publicJwk: { ...publicJwk, kid, alg: 'ES256', use: 'sig' },
      privateSealed: sealText(deriveKey(masterKey, KEY_INFO), JSON.stringify(privateJwk), kid),
    })
    .onConflictDoNothing({ target: oidcKeys.slot });
  const [row] = await db.select().from(oidcKeys).where(eq(oidcKeys.slot, ID_TOKEN_SLOT));
  if (!row) throw new Error('the OpenID Connect signing key vanished');
  try {
    return JSON.parse(openText(deriveKey(masterKey, KEY_INFO), row.privateSealed, row.kid)) as PrivateJwk;
  } catch {
    throw new Error('the OpenID Connect signing key cannot be decrypted: is YIBAN_MASTER_KEY the one it was created with?');
  }
}

/** RFC 7638 thumbprint of an EC public key, base64url: the key's id. */
function thumbprint(jwk: JsonWebKey): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

/** The keys oidc-provider signs its cookies with: derived from the master key, the same in every hub process. */
export function cookieKeys(masterKey: Buffer): string[] {
  return [deriveKey(masterKey, COOKIE_INFO).toString('base64url')];
}

/** Master key rotation: the signing keys' private parts under `to`, in the caller's transaction. */
export async function rekeyOidcSigningKeys(tx: Executor, from: Buffer, to: Buffer): Promise<number> {
  const rows = await tx.select({ kid: oidcKeys.kid, sealed: oidcKeys.privateSealed }).from(oidcKeys).for('update');
  for (const row of rows) {
    const clear = openText(deriveKey(from, KEY_INFO), row.sealed, row.kid);
    await tx
      .update(oidcKeys)
      .set({ privateSealed: sealText(deriveKey(to, KEY_INFO), clear, row.kid) })
      .where(eq(oidcKeys.kid, row.kid));
  }
  return rows.length;
}

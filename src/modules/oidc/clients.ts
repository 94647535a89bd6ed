import { randomBytes } from 'node:crypto';
import { eq, isNull, and } from 'drizzle-orm';
import type { AdapterPayload } from 'oidc-provider';
import { AppError } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import { deriveKey, openText, sealText } from '../../core/sealing.ts';
import type { Db, Executor } from '../../db/database.ts';
import { isUniqueViolation } from '../../db/pg-errors.ts';
import { oidcClients } from './oidc.tables.ts';
import type { ClientSource } from './provider-adapter.ts';

const SECRET_INFO = 'yiban/oidc/client-secret/aes-256-gcm/v1';
const CLIENT_ID = /^[a-z0-9][a-z0-9._-]{2,63}$/;

interface OidcClientDto {
  clientId: string;
  name: string;
  redirectUris: string[];
  createdAt: string;
  disabled: boolean;
}

/** The hub administrator's registry of province nodes (the CLI): never handed to a route. */
export interface OidcClientsAdmin {
  /** Registers a client; the secret is in this answer only (stored encrypted, printed once by the CLI). */
  add(input: { clientId: string; name?: string; redirectUris: string[] }): Promise<OidcClientDto & { clientSecret: string }>;
  list(): Promise<OidcClientDto[]>;
  disable(clientId: string): Promise<void>;
}

export function createOidcClients(deps: { db: Db; masterKey: Buffer; clock?: () => Date }): OidcClientsAdmin & ClientSource {
  const { db } = deps;
  const clock = deps.clock ?? (() => new Date());
  const key = deriveKey(deps.masterKey, SECRET_INFO);
  const toDto = (row: typeof oidcClients.$inferSelect): OidcClientDto => ({
    clientId: row.clientId,
    name: row.name,
    redirectUris: row.redirectUris,
    createdAt: row.createdAt.toISOString(),
    disabled: row.disabledAt !== null,
  });
  return {
    async add(input) {
      const clientId = input.clientId.trim();
      if (!CLIENT_ID.test(clientId)) throw new AppError('VALIDATION_FAILED', { detail: message('oidc.clientIdInvalid') });
      const redirectUris = input.redirectUris.map((u) => checkRedirectUri(u));
      if (redirectUris.length === 0) throw new AppError('VALIDATION_FAILED', { detail: message('oidc.redirectUriRequired') });
      const clientSecret = randomBytes(32).toString('base64url');
      try {
        const [row] = await db
          .insert(oidcClients)
          .values({
            clientId,
            name: input.name?.trim() || clientId,
            secretSealed: sealText(key, clientSecret, clientId),
            redirectUris,
            createdAt: clock(),
          })
          .returning();
        if (!row) throw new Error('insert into oidc_clients returned nothing');
        return { ...toDto(row), clientSecret };
      } catch (error) {
        if (isUniqueViolation(error))
          throw new AppError('ALREADY_EXISTS', { what: { zh: `客户端 ${clientId}`, en: `Client ${clientId}` } });
        throw error;
      }
    },
    async list() {
      return (await db.select().from(oidcClients).orderBy(oidcClients.clientId)).map(toDto);
    },
    async disable(clientId) {
      const rows = await db
        .update(oidcClients)
        .set({ disabledAt: clock() })
        .where(and(eq(oidcClients.clientId, clientId), isNull(oidcClients.disabledAt)))
        .returning({ clientId: oidcClients.clientId });
      if (rows.length === 0) throw new AppError('NOT_FOUND', { what: { zh: `客户端 ${clientId}`, en: `Client ${clientId}` } });
    },
    async clientMetadata(clientId): Promise<AdapterPayload | undefined> {
      const [row] = await db.select().from(oidcClients).where(eq(oidcClients.clientId, clientId));
      if (!row || row.disabledAt) return undefined;
      return {
        client_id: row.clientId,
        client_name: row.name,
        client_secret: openText(key, row.secretSealed, row.clientId),
        redirect_uris: row.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'ES256',
      };
    },
  };
}

/** An absolute https URL, or http to a loopback address (a node on this machine); no fragment. */
function checkRedirectUri(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new AppError('VALIDATION_FAILED', { detail: message('oidc.redirectUriInvalid', { uri: text.slice(0, 200) }) });
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.hash || !(url.protocol === 'https:' || (url.protocol === 'http:' && loopback)))
    throw new AppError('VALIDATION_FAILED', { detail: message('oidc.redirectUriInvalid', { uri: text.slice(0, 200) }) });
  return url.toString();
}

/** Master key rotation: every client secret under `to`, in the caller's transaction. */
export async function rekeyOidcClientSecrets(tx: Executor, from: Buffer, to: Buffer): Promise<number> {
  const fromKey = deriveKey(from, SECRET_INFO);
  const toKey = deriveKey(to, SECRET_INFO);
  const rows = await tx.select({ clientId: oidcClients.clientId, sealed: oidcClients.secretSealed }).from(oidcClients).for('update');
  for (const row of rows) {
    await tx
      .update(oidcClients)
      .set({ secretSealed: sealText(toKey, openText(fromKey, row.sealed, row.clientId), row.clientId) })
      .where(eq(oidcClients.clientId, row.clientId));
  }
  return rows.length;
}

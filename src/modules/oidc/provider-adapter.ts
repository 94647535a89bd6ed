import { and, eq, sql } from 'drizzle-orm';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Db } from '../../db/database.ts';
import { oidcPayloads } from './oidc.tables.ts';

/** How oidc-provider finds a client by id (the Client model is read from `oidc_clients`, never written). */
export interface ClientSource {
  clientMetadata(clientId: string): Promise<AdapterPayload | undefined>;
}

/**
 * oidc-provider's storage on our PostgreSQL/PGlite through drizzle (its `adapter` option, a
 * factory by model name), so that several hub processes share sessions, interactions, grants and
 * codes. Expired rows read as absent; `purgeExpiredPayloads` deletes them in bounded batches.
 */
export function createAdapterFactory(deps: { db: Db; clients: ClientSource; clock: () => Date }): (model: string) => Adapter {
  const { db, clients, clock } = deps;
  return (model: string): Adapter => {
    if (model === 'Client') {
      return {
        find: (id) => clients.clientMetadata(id),
        upsert: () => Promise.reject(new Error('clients are registered with `yiban oidc client add`')),
        findByUid: () => Promise.resolve(undefined),
        findByUserCode: () => Promise.resolve(undefined),
        consume: () => Promise.resolve(undefined),
        destroy: () => Promise.resolve(undefined),
        revokeByGrantId: () => Promise.resolve(undefined),
      };
    }
    const key = (id: string) => and(eq(oidcPayloads.model, model), eq(oidcPayloads.id, id));
    const live = async (where: ReturnType<typeof and>): Promise<AdapterPayload | undefined> => {
      const [row] = await db
        .select({ payload: oidcPayloads.payload, expiresAt: oidcPayloads.expiresAt, consumedAt: oidcPayloads.consumedAt })
        .from(oidcPayloads)
        .where(where)
        .limit(1);
      if (!row || (row.expiresAt && row.expiresAt <= clock())) return undefined;
      return {
        ...(row.payload as AdapterPayload),
        ...(row.consumedAt ? { consumed: Math.floor(row.consumedAt.getTime() / 1000) } : {}),
      };
    };
    return {
      async upsert(id, payload, expiresIn) {
        const values = {
          payload: payload as Record<string, unknown>,
          grantId: typeof payload.grantId === 'string' ? payload.grantId : null,
          userCode: typeof payload.userCode === 'string' ? payload.userCode : null,
          uid: typeof payload.uid === 'string' ? payload.uid : null,
          expiresAt: expiresIn ? new Date(clock().getTime() + expiresIn * 1000) : null,
        };
        await db
          .insert(oidcPayloads)
          .values({ model, id, ...values })
          .onConflictDoUpdate({ target: [oidcPayloads.model, oidcPayloads.id], set: values });
      },
      find: (id) => live(key(id)),
      findByUid: (uid) => live(and(eq(oidcPayloads.model, model), eq(oidcPayloads.uid, uid))),
      findByUserCode: (userCode) => live(and(eq(oidcPayloads.model, model), eq(oidcPayloads.userCode, userCode))),
      async consume(id) {
        // The first use of a code marks it; oidc-provider refuses a marked code and revokes its grant.
        await db
          .update(oidcPayloads)
          .set({ consumedAt: sql`coalesce(${oidcPayloads.consumedAt}, ${clock()})` })
          .where(key(id));
      },
      async destroy(id) {
        await db.delete(oidcPayloads).where(key(id));
      },
      async revokeByGrantId(grantId) {
        await db.delete(oidcPayloads).where(eq(oidcPayloads.grantId, grantId));
      },
    };
  };
}

/** Deletes at most `limit` expired rows; the caller repeats while it returns `limit`. */
export async function purgeExpiredPayloads(db: Db, now: Date, limit = 1000): Promise<number> {
  const { rows } = await db.execute<{ n: number }>(sql`
    with gone as (
      delete from oidc_payloads where (model, id) in (
        select model, id from oidc_payloads where expires_at < ${now.toISOString()}::timestamptz
        order by expires_at limit ${limit} for update skip locked)
      returning 1)
    select count(*)::int as n from gone`);
  return rows[0]?.n ?? 0;
}

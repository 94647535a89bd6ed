import { and, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import type { Db, Executor } from '../../db/database.ts';
import { queryPrepared, type PreparedStatement } from '../../db/prepared.ts';
import { encodeSessionChange, SESSION_CHANGES_CHANNEL, type SessionChange } from './session-cache.ts';
import { sessions, type AccountKind, type StaffRole } from './identity.tables.ts';

/**
 * Sessions: issuing, ending and finding them.
 * Every function takes the executor, so that callers choose the transaction.
 */

export async function insertSession(
  ex: Executor,
  values: { tokenHash: string; accountId: string; channel: string; createdAt: Date; expiresAt: Date },
): Promise<void> {
  await ex.insert(sessions).values(values);
}

export async function revokeSession(ex: Executor, tokenHash: string, at: Date): Promise<string | null> {
  const [row] = await ex
    .update(sessions)
    .set({ revokedAt: at })
    .where(and(eq(sessions.tokenHash, tokenHash), isNull(sessions.revokedAt)))
    .returning({ accountId: sessions.accountId });
  return row?.accountId ?? null;
}

/** Tells other app processes to drop their cached copies (session-cache.ts); delivered on commit. */
export async function announceSessionChange(ex: Executor, change: SessionChange): Promise<void> {
  await ex.execute(sql`select pg_notify(${SESSION_CHANGES_CHANNEL}, ${encodeSessionChange(change)})`);
}

/** Ends the account's open sessions (all, or all but `keepTokenHash`); returns how many. */
export async function revokeAccountSessions(ex: Executor, accountId: string, at: Date, keepTokenHash?: string): Promise<number> {
  const rows = await ex
    .update(sessions)
    .set({ revokedAt: at })
    .where(
      and(
        eq(sessions.accountId, accountId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, at),
        keepTokenHash === undefined ? undefined : ne(sessions.tokenHash, keepTokenHash),
      ),
    )
    .returning({ tokenHash: sessions.tokenHash });
  return rows.length;
}

export type SessionRow = {
  account_id: string;
  kind: AccountKind;
  name: string;
  channel: string;
  /** When the session ends (the server's text for timestamptz). */
  expires_at: string;
  /** A resident's registered home (village code); null for staff and residents without one. */
  home_org_code: string | null;
  roles: { role: StaffRole; orgCode: string; orgPath: string }[];
  /** The newest active delegation from `onBehalfOf` to this account, when asked for. */
  delegation: { id: string; scopes: string[] } | null;
};

/**
 * Everything `authenticate` needs in one round trip: the live session (primary key), the
 * account, its roles (unique index on account_id, role, org_code), a resident's home and, when
 * a resident is named, the delegation (index on helper_id, resident_id). It runs on every
 * request, so it is a named prepared statement.
 */
const FIND_SESSION: PreparedStatement = {
  name: 'identity_find_session_v1',
  text: `
    select s.account_id, a.kind, a.name, s.channel, s.expires_at,
      (select r.home_org_code from residents r where r.account_id = a.id) as home_org_code,
      coalesce((select json_agg(json_build_object('role', r.role, 'orgCode', r.org_code, 'orgPath', r.org_path))
                from staff_roles r where r.account_id = a.id), '[]'::json) as roles,
      (select json_build_object('id', d.id, 'scopes', d.scopes)
         from delegations d join accounts ra on ra.id = d.resident_id
        where $3::uuid is not null and d.helper_id = a.id and d.resident_id = $3::uuid
          and d.revoked_at is null and d.valid_from <= $2::timestamptz and d.valid_until > $2::timestamptz
          and ra.status = 'active'
        order by d.created_at desc limit 1) as delegation
    from sessions s join accounts a on a.id = s.account_id
    where s.token_hash = $1::text and s.revoked_at is null and s.expires_at > $2::timestamptz and a.status = 'active'`,
};

export async function findSession(db: Db, tokenHash: string, now: Date, onBehalfOf: string | null): Promise<SessionRow | null> {
  const rows = await queryPrepared<SessionRow>(db, FIND_SESSION, [tokenHash, now.toISOString(), onBehalfOf]);
  return rows[0] ?? null;
}

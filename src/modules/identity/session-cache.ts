import type { SessionRow } from './sessions.repository.ts';

/**
 * Validated sessions, kept in memory for a few seconds so that a busy caller does not cost a
 * database round trip on every request (the session lookup was one of the eight round trips of
 * a case submission).
 *
 * What keeps it correct:
 * - In this process, every change that can end or alter a session (logout, disabling an
 *   account, granting or revoking a role, moving a resident's home) drops the entries at once,
 *   after its transaction commits. A generation counter stops a lookup that read the database
 *   before such a change from caching its now-stale answer after it.
 * - A hit still checks the session's own expiry against the service clock, so a kiosk session
 *   ends on the minute, cached or not.
 * - Other app processes on the same PostgreSQL database hear of each change through
 *   pg_notify on SESSION_CHANGES_CHANNEL, sent inside the change's transaction and so delivered
 *   when it commits (app.ts subscribes the cache). Should that be missed (the listening
 *   connection lost; its reconnect clears the whole cache), a revoked session stays usable
 *   elsewhere for at most SESSION_CACHE_TTL_MS: the bound we accept, shorter than a logout takes
 *   to reach a second browser tab anyway. PGlite is one process (the data folder is locked).
 * - Only plain sessions are cached; a helper acting for a resident (X-On-Behalf-Of) is looked up
 *   every time, so a revoked delegation ends at once everywhere.
 */
export const SESSION_CACHE_TTL_MS = 5_000;
export const SESSION_CHANGES_CHANNEL = 'yiban_session_changes';

/** What a pg_notify on SESSION_CHANGES_CHANNEL carries. */
export type SessionChange = { token: string } | { account: string };

export function encodeSessionChange(change: SessionChange): string {
  return 'token' in change ? `token:${change.token}` : `account:${change.account}`;
}
const MAX_ENTRIES = 20_000;

export interface CachedSession {
  row: SessionRow;
  expiresAt: number;
  cachedAt: number;
}

export class SessionCache {
  private readonly entries = new Map<string, CachedSession>();
  private gen = 0;

  constructor(
    private readonly ttlMs = SESSION_CACHE_TTL_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Take before reading the database; pass to `set` so that a change in between wins. */
  get generation(): number {
    return this.gen;
  }

  get(tokenHash: string): CachedSession | undefined {
    const hit = this.entries.get(tokenHash);
    if (!hit) return undefined;
    if (this.now() - hit.cachedAt >= this.ttlMs) {
      this.entries.delete(tokenHash);
      return undefined;
    }
    return hit;
  }

  set(tokenHash: string, row: SessionRow, expiresAt: Date, generation: number): void {
    if (generation !== this.gen || this.ttlMs <= 0) return;
    if (this.entries.size >= MAX_ENTRIES) {
      // Map keeps insertion order: drop the oldest.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(tokenHash, { row, expiresAt: expiresAt.getTime(), cachedAt: this.now() });
  }

  /** Applies a change another process announced ('*': messages may have been missed, forget everything). */
  applyAnnounced(payload: string): void {
    if (payload.startsWith('token:')) this.dropToken(payload.slice(6));
    else if (payload.startsWith('account:')) this.dropAccount(payload.slice(8));
    else {
      this.gen++;
      this.entries.clear();
    }
  }

  /** Forget one session (logout). */
  dropToken(tokenHash: string): void {
    this.gen++;
    this.entries.delete(tokenHash);
  }

  /** Forget every session of an account (disabled, roles changed, home moved). */
  dropAccount(accountId: string): void {
    this.gen++;
    for (const [key, entry] of this.entries) if (entry.row.account_id === accountId) this.entries.delete(key);
  }
}

import { createHash } from 'node:crypto';
import { and, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { loginFailures } from './identity.tables.ts';

/**
 * Account lockout after failed logins, shared by password and kiosk-code login.
 *
 * Failures are counted per account *and client address*: five within 15 minutes from one address
 * lock the account for that address for 15 minutes. The account is locked for every address only
 * while `GLOBAL_LOCK_SOURCES` addresses are locked out of it at once. So someone who knows a
 * resident's ID number cannot shut the resident out from their own phone or the kiosk by guessing
 * from one address (their guesses lock only themselves), and a guesser spread over many addresses
 * still gets about 5 × 5 tries per 15 minutes before everyone waits. Every lock ends by itself after
 * 15 minutes and none grows; a success from an address clears that address's count.
 */
export const MAX_FAILED_LOGINS = 5;
export const LOCK_MS = 15 * 60_000;
export const GLOBAL_LOCK_SOURCES = 5;

/** The stored form of a client address (a hash: the table keeps no addresses); `unknown` without one. */
export function loginSource(address: string | undefined): string {
  if (!address) return 'unknown';
  return createHash('sha256').update(`yiban/login-source/v1:${address}`).digest('base64url').slice(0, 22);
}

/** For each of these accounts that is locked for `source` (or for everyone), until when. */
export async function findLocks(ex: Executor, accountIds: readonly string[], source: string, now: Date): Promise<Map<string, Date>> {
  const locks = new Map<string, Date>();
  if (accountIds.length === 0) return locks;
  const rows = await ex
    .select({ accountId: loginFailures.accountId, source: loginFailures.source, lockedUntil: loginFailures.lockedUntil })
    .from(loginFailures)
    .where(and(inArray(loginFailures.accountId, [...accountIds]), gt(loginFailures.lockedUntil, now)))
    .orderBy(desc(loginFailures.lockedUntil));
  for (const id of accountIds) {
    const mine = rows.filter((r) => r.accountId === id);
    const own = mine.find((r) => r.source === source)?.lockedUntil;
    // Locked for everyone until fewer than GLOBAL_LOCK_SOURCES addresses remain locked.
    const global = mine.length >= GLOBAL_LOCK_SOURCES ? mine[GLOBAL_LOCK_SOURCES - 1]?.lockedUntil : undefined;
    const until = [own, global].filter((d): d is Date => !!d).sort((a, b) => b.getTime() - a.getTime())[0];
    if (until) locks.set(id, until);
  }
  return locks;
}

/** Counts one failure; returns the end of the lock when this failure locked the account for `source`. */
export async function recordFailure(ex: Executor, accountId: string, source: string, now: Date): Promise<Date | null> {
  const windowEnded = sql`${loginFailures.windowStartedAt} <= ${new Date(now.getTime() - LOCK_MS).toISOString()}::timestamptz`;
  const [row] = await ex
    .insert(loginFailures)
    .values({ accountId, source, failures: 1, windowStartedAt: now })
    .onConflictDoUpdate({
      target: [loginFailures.accountId, loginFailures.source],
      set: {
        failures: sql`case when ${windowEnded} then 1 else ${loginFailures.failures} + 1 end`,
        windowStartedAt: sql`case when ${windowEnded} then ${now.toISOString()}::timestamptz else ${loginFailures.windowStartedAt} end`,
      },
    })
    .returning({ failures: loginFailures.failures });
  if (!row || row.failures < MAX_FAILED_LOGINS) return null;
  const lockedUntil = new Date(now.getTime() + LOCK_MS);
  // The count starts again, so the next lock needs another full run of failures.
  await ex
    .update(loginFailures)
    .set({ failures: 0, windowStartedAt: now, lockedUntil })
    .where(and(eq(loginFailures.accountId, accountId), eq(loginFailures.source, source)));
  return lockedUntil;
}

/** A success from `source` forgets that address's failures (not other addresses'). */
export async function clearFailures(ex: Executor, accountId: string, source: string): Promise<void> {
  await ex.delete(loginFailures).where(and(eq(loginFailures.accountId, accountId), eq(loginFailures.source, source)));
}

/** An administrator enabling an account lifts every lock on it. */
export async function clearAllFailures(ex: Executor, accountId: string): Promise<void> {
  await ex.delete(loginFailures).where(eq(loginFailures.accountId, accountId));
}

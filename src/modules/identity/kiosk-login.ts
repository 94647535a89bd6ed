import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { and, eq, gt, lt, sql } from 'drizzle-orm';
import { AppError } from '../../core/errors.ts';
import type { Db } from '../../db/database.ts';
import { newSessionToken } from './crypto.ts';
import * as repo from './identity.repository.ts';
import { kioskCodes } from './identity.tables.ts';
import type { ResidentSummary } from './residents.ts';
import { SESSION_TTL_MS, type LoginResult } from './sessions.ts';

/**
 * Kiosk login (自助终端): ID number + a one-time code sent to the resident, never a password typed
 * on a shared device. The sender is swappable (an SMS gateway in production); the default demo
 * sender writes the code to the server log and lets the kiosk show it, for the demo only.
 * Codes are stored hashed in `kiosk_codes`: 6 digits, 5 minutes, 5 tries, one use, one new code a minute.
 */
export interface CodeSender {
  /** True when the code may be shown on the kiosk screen (demo deployments only). */
  readonly showsCode: boolean;
  send(to: ResidentSummary, code: string): Promise<void>;
}

export function demoCodeSender(log: (line: string) => void = (line) => console.log(line)): CodeSender {
  return {
    showsCode: true,
    async send(to, code) {
      log(`自助终端验证码 kiosk one-time code for ${to.name} (${to.residentIdMasked}): ${code}`);
    },
  };
}

export interface KioskLoginDeps {
  db: Db;
  residents: { findResidentByResidentId(residentId: string): Promise<ResidentSummary | null> };
  sender: CodeSender;
  clock: () => Date;
  ttlMs?: number;
  maxAttempts?: number;
  /** At most one new code per resident in this period: no flood of texts, no reset of the tries. */
  resendAfterMs?: number;
}

const hashCode = (code: string) => createHash('sha256').update(code).digest('hex');

export function createKioskLogin(deps: KioskLoginDeps) {
  const ttlMs = deps.ttlMs ?? 5 * 60_000;
  const maxAttempts = deps.maxAttempts ?? 5;
  const resendAfterMs = deps.resendAfterMs ?? 60_000;
  const { db } = deps;

  return {
    /**
     * Sends a code to the resident with this ID number. The answer has the same shape whether or not
     * one exists; within `resendAfterMs` of the last code nothing new is sent and that code stays valid.
     */
    async requestCode(residentId: string): Promise<{ expiresAt: string; demoCode?: string }> {
      const now = deps.clock();
      const expiresAt = new Date(now.getTime() + ttlMs);
      const resident = await deps.residents.findResidentByResidentId(residentId.trim());
      if (!resident) return { expiresAt: expiresAt.toISOString() };
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const resendBefore = new Date(now.getTime() - resendAfterMs);
      // One statement, so two kiosks asking at once store one code: the row is replaced only when
      // the last code is older than the resend period.
      const stored = await db
        .insert(kioskCodes)
        .values({ accountId: resident.accountId, codeHash: hashCode(code), sentAt: now, expiresAt, attempts: 0 })
        .onConflictDoUpdate({
          target: kioskCodes.accountId,
          set: { codeHash: hashCode(code), sentAt: now, expiresAt, attempts: 0 },
          setWhere: lt(kioskCodes.sentAt, resendBefore),
        })
        .returning({ expiresAt: kioskCodes.expiresAt });
      if (stored.length === 0) {
        const [live] = await db.select({ expiresAt: kioskCodes.expiresAt }).from(kioskCodes).where(eq(kioskCodes.accountId, resident.accountId));
        return { expiresAt: (live?.expiresAt ?? expiresAt).toISOString() };
      }
      await deps.sender.send(resident, code);
      return deps.sender.showsCode ? { expiresAt: expiresAt.toISOString(), demoCode: code } : { expiresAt: expiresAt.toISOString() };
    },

    /** A kiosk session (15 minutes at most) for the right code; the code is then used up. */
    async login(residentId: string, code: string): Promise<LoginResult> {
      const now = deps.clock();
      const resident = await deps.residents.findResidentByResidentId(residentId.trim());
      if (!resident) throw new AppError('ONE_TIME_CODE_INVALID');
      // Count the try first (one statement: concurrent tries each count), then compare.
      const [entry] = await db
        .update(kioskCodes)
        .set({ attempts: sql`${kioskCodes.attempts} + 1` })
        .where(and(eq(kioskCodes.accountId, resident.accountId), gt(kioskCodes.expiresAt, now), lt(kioskCodes.attempts, maxAttempts)))
        .returning({ codeHash: kioskCodes.codeHash });
      if (!entry) throw new AppError('ONE_TIME_CODE_INVALID');
      const given = Buffer.from(hashCode(code.trim()), 'hex');
      if (!timingSafeEqual(given, Buffer.from(entry.codeHash, 'hex'))) throw new AppError('ONE_TIME_CODE_INVALID');
      const { token, tokenHash } = newSessionToken();
      const expiresAt = new Date(now.getTime() + SESSION_TTL_MS.kiosk);
      await db.transaction(async (tx) => {
        // Used up in the session's transaction: of two logins with one code, one gets the session.
        const used = await tx
          .delete(kioskCodes)
          .where(and(eq(kioskCodes.accountId, resident.accountId), eq(kioskCodes.codeHash, entry.codeHash)))
          .returning({ accountId: kioskCodes.accountId });
        if (used.length === 0) throw new AppError('ONE_TIME_CODE_INVALID');
        await repo.insertSession(tx, { tokenHash, accountId: resident.accountId, channel: 'kiosk', createdAt: now, expiresAt });
        await repo.insertAudit(tx, [
          { accountId: resident.accountId, actorId: resident.accountId, action: 'login.succeeded', detail: { channel: 'kiosk', method: 'one-time-code' }, at: now },
        ]);
      });
      return {
        token,
        expiresAt: expiresAt.toISOString(),
        account: { id: resident.accountId, kind: 'resident', name: resident.name, residentIdMasked: resident.residentIdMasked, roles: [] },
      };
    },
  };
}

export type KioskLogin = ReturnType<typeof createKioskLogin>;

import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { and, eq, gt, lt, sql } from 'drizzle-orm';
import { AppError } from '../../core/errors.ts';
import type { Db } from '../../db/database.ts';
import type { CodeDelivery, CodeSender } from './code-senders.ts';
import { createResidentIdVault, deriveKioskCodeKey, newSessionToken } from './crypto.ts';
import * as accountsRepo from './accounts.repository.ts';
import * as residentsRepo from './residents.repository.ts';
import * as sessionsRepo from './sessions.repository.ts';
import { kioskCodes } from './identity.tables.ts';
import { parseResidentId, residentIdProblemText } from './resident-id.ts';
import { clearFailures, findLocks, loginSource, recordFailure } from './lockout.ts';
import { SESSION_TTL_MS, type LoginResult } from './sessions.ts';
import { chinaToday } from './validation.ts';

export type { CodeDelivery, CodeMessage, CodeSender } from './code-senders.ts';

/**
 * Kiosk login (自助终端): ID number + a one-time code sent to the resident's phone, never a
 * password typed on a shared device. The code goes only through the configured sender (an SMS
 * gateway; on a demo deployment the server console) and never back in an answer.
 *
 * - The answer to a code request is the same for every well-formed ID number, registered or not,
 *   locked or not: the lookup is the only work done before answering, and storing and sending the
 *   code happen after the answer (so a slow gateway does not tell either).
 * - Codes: 6 digits, 5 minutes, 5 tries, one use, one new code a minute; stored as an HMAC under a
 *   key derived from the master key (a plain hash of six digits is reversed by trying them all).
 * - Lockout is the password login's: every wrong code counts toward the same account lock, and a
 *   locked account cannot log in with a code either. A disabled account is refused at login.
 */
export interface KioskLoginDeps {
  db: Db;
  masterKey: Buffer;
  /** null: no sender configured, so code requests answer KIOSK_LOGIN_UNAVAILABLE. */
  sender: CodeSender | null;
  clock: () => Date;
  ttlMs?: number;
  maxAttempts?: number;
  /** At most one new code per resident in this period: no flood of texts, no reset of the tries. */
  resendAfterMs?: number;
  /** A code that could not be stored or sent after the answer went out. */
  onSendError?: (error: unknown) => void;
}

export interface CodeRequestAnswer {
  /** Always true: the answer does not say whether the ID number is registered. */
  accepted: true;
  expiresInSeconds: number;
  delivery: CodeDelivery;
}

export function createKioskLogin(deps: KioskLoginDeps) {
  const ttlMs = deps.ttlMs ?? 5 * 60_000;
  const maxAttempts = deps.maxAttempts ?? 5;
  const resendAfterMs = deps.resendAfterMs ?? 60_000;
  const { db } = deps;
  const vault = createResidentIdVault(deps.masterKey);
  const codeKey = deriveKioskCodeKey(deps.masterKey);
  const hashCode = (accountId: string, code: string) => createHmac('sha256', codeKey).update(`${accountId}:${code}`, 'utf8').digest('hex');
  const onSendError =
    deps.onSendError ?? ((error: unknown) => console.error(`自助终端验证码未能发送 kiosk code not sent: ${(error as Error).message}`));
  const pending = new Set<Promise<void>>();

  function lookupHash(residentId: string, now: Date): string | null {
    const parsed = parseResidentId(residentId.trim(), chinaToday(now));
    return parsed.ok ? vault.lookupHash(parsed.value.id) : null;
  }

  /**
   * Stores a new code (unless one was sent within `resendAfterMs`) and sends it, when the account
   * may log in from this address: active and not locked.
   */
  async function issueCode(
    resident: NonNullable<Awaited<ReturnType<typeof residentsRepo.findKioskResident>>>,
    source: string,
    sender: CodeSender,
    now: Date,
  ): Promise<void> {
    if (resident.status !== 'active' || (await lockOf(resident, source, now))) return;
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const codeHash = hashCode(resident.accountId, code);
    const expiresAt = new Date(now.getTime() + ttlMs);
    // One statement, so two kiosks asking at once store one code: the row is replaced only when
    // the last code is older than the resend period.
    const stored = await db
      .insert(kioskCodes)
      .values({ accountId: resident.accountId, codeHash, sentAt: now, expiresAt, attempts: 0 })
      .onConflictDoUpdate({
        target: kioskCodes.accountId,
        set: { codeHash, sentAt: now, expiresAt, attempts: 0 },
        setWhere: lt(kioskCodes.sentAt, new Date(now.getTime() - resendAfterMs)),
      })
      .returning({ accountId: kioskCodes.accountId });
    if (stored.length === 0) return;
    await sender.send({ phone: resident.phone, code, minutes: Math.round(ttlMs / 60_000), residentIdMasked: resident.residentIdMasked });
  }

  /** One failed try, counted toward the account's lock exactly like a wrong password (lockout.ts). */
  async function countFailure(accountId: string, source: string, now: Date): Promise<Date | null> {
    return db.transaction(async (tx) => {
      const lockedUntil = await recordFailure(tx, accountId, source, now);
      await accountsRepo.insertAudit(tx, [
        { accountId, actorId: null, action: 'login.failed', detail: { channel: 'kiosk', method: 'one-time-code' }, at: now },
        ...(lockedUntil
          ? [{ accountId, actorId: null, action: 'login.locked', detail: { until: lockedUntil.toISOString(), perAddress: true }, at: now }]
          : []),
      ]);
      return lockedUntil;
    });
  }

  /** The account's lock for this address (or for everyone), if any; the legacy account-wide lock too. */
  async function lockOf(resident: { accountId: string; lockedUntil: Date | null }, source: string, now: Date): Promise<Date | null> {
    const lock = (await findLocks(db, [resident.accountId], source, now)).get(resident.accountId);
    const legacy = resident.lockedUntil && resident.lockedUntil > now ? resident.lockedUntil : undefined;
    const until = Math.max(lock?.getTime() ?? 0, legacy?.getTime() ?? 0);
    return until > 0 ? new Date(until) : null;
  }

  return {
    /**
     * Accepts a code request for an ID number. A registered, active, unlocked resident gets a code
     * on their phone; everyone gets the same answer.
     */
    async requestCode(residentId: string, address?: string): Promise<CodeRequestAnswer> {
      const sender = deps.sender;
      if (!sender) throw new AppError('KIOSK_LOGIN_UNAVAILABLE');
      const now = deps.clock();
      const parsed = parseResidentId(residentId.trim(), chinaToday(now));
      if (!parsed.ok) throw new AppError('INVALID_RESIDENT_ID', { reason: residentIdProblemText(parsed.problem) });
      const resident = await residentsRepo.findKioskResident(db, vault.lookupHash(parsed.value.id));
      // Everything else happens after the answer, so that it takes as long for every ID number.
      if (resident) {
        const task = issueCode(resident, loginSource(address), sender, now)
          .catch(onSendError)
          .finally(() => pending.delete(task));
        pending.add(task);
      }
      return { accepted: true, expiresInSeconds: Math.round(ttlMs / 1000), delivery: sender.delivery };
    },

    /**
     * A kiosk session (15 minutes at most) for the right code; the code is then used up.
     * `address`: the kiosk's address, for the lockout.
     */
    async login(residentId: string, code: string, address?: string): Promise<LoginResult> {
      const now = deps.clock();
      const source = loginSource(address);
      const hash = lookupHash(residentId, now);
      const resident = hash ? await residentsRepo.findKioskResident(db, hash) : null;
      if (!resident) throw new AppError('ONE_TIME_CODE_INVALID');
      const lockedUntil = await lockOf(resident, source, now);
      if (lockedUntil) throw new AppError('ACCOUNT_LOCKED', { until: lockedUntil.toISOString() });
      // Count the try first (one statement: concurrent tries each count), then compare.
      const [entry] = await db
        .update(kioskCodes)
        .set({ attempts: sql`${kioskCodes.attempts} + 1` })
        .where(and(eq(kioskCodes.accountId, resident.accountId), gt(kioskCodes.expiresAt, now), lt(kioskCodes.attempts, maxAttempts)))
        .returning({ codeHash: kioskCodes.codeHash });
      const given = Buffer.from(hashCode(resident.accountId, code.trim()), 'hex');
      if (!entry || !timingSafeEqual(given, Buffer.from(entry.codeHash, 'hex'))) {
        const nowLocked = await countFailure(resident.accountId, source, now);
        if (nowLocked) throw new AppError('ACCOUNT_LOCKED', { until: nowLocked.toISOString() });
        throw new AppError('ONE_TIME_CODE_INVALID');
      }
      if (resident.status !== 'active') {
        await db.delete(kioskCodes).where(eq(kioskCodes.accountId, resident.accountId));
        throw new AppError('ACCOUNT_DISABLED');
      }
      const { token, tokenHash } = newSessionToken();
      const expiresAt = new Date(now.getTime() + SESSION_TTL_MS.kiosk);
      await db.transaction(async (tx) => {
        // Used up in the session's transaction: of two logins with one code, one gets the session.
        const used = await tx
          .delete(kioskCodes)
          .where(and(eq(kioskCodes.accountId, resident.accountId), eq(kioskCodes.codeHash, entry.codeHash)))
          .returning({ accountId: kioskCodes.accountId });
        if (used.length === 0) throw new AppError('ONE_TIME_CODE_INVALID');
        await accountsRepo.resetLoginFailures(tx, resident.accountId);
        await clearFailures(tx, resident.accountId, source);
        await sessionsRepo.insertSession(tx, { tokenHash, accountId: resident.accountId, channel: 'kiosk', createdAt: now, expiresAt });
        await accountsRepo.insertAudit(tx, [
          {
            accountId: resident.accountId,
            actorId: resident.accountId,
            action: 'login.succeeded',
            detail: { channel: 'kiosk', method: 'one-time-code' },
            at: now,
          },
        ]);
      });
      return {
        token,
        expiresAt: expiresAt.toISOString(),
        account: {
          id: resident.accountId,
          kind: 'resident',
          name: resident.name,
          residentIdMasked: resident.residentIdMasked,
          roles: [],
          capabilities: {},
        },
      };
    },

    /** Resolves when every code accepted so far has been stored and handed to the sender (shutdown, tests). */
    async settled(): Promise<void> {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}

export type KioskLogin = ReturnType<typeof createKioskLogin>;

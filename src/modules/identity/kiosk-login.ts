import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../core/errors.ts';
import type { Db } from '../../db/database.ts';
import { newSessionToken } from './crypto.ts';
import * as repo from './identity.repository.ts';
import type { ResidentSummary } from './residents.ts';
import { SESSION_TTL_MS, type LoginResult } from './sessions.ts';

/**
 * Kiosk login (自助终端): ID number + a one-time code sent to the resident, never a password typed
 * on a shared device. The sender is swappable (an SMS gateway in production); the default demo
 * sender writes the code to the server log and lets the kiosk show it, for the demo only.
 * Codes live in this process's memory: 6 digits, 5 minutes, 5 tries, one use.
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
}

interface Pending {
  hash: Buffer;
  expiresAt: number;
  attempts: number;
}

const hashCode = (code: string) => createHash('sha256').update(code).digest();

export function createKioskLogin(deps: KioskLoginDeps) {
  const ttlMs = deps.ttlMs ?? 5 * 60_000;
  const maxAttempts = deps.maxAttempts ?? 5;
  const pending = new Map<string, Pending>();

  function sweep(now: number) {
    for (const [key, p] of pending) if (p.expiresAt <= now) pending.delete(key);
  }

  return {
    /** Sends a code to the resident with this ID number. The answer is the same whether or not one exists. */
    async requestCode(residentId: string): Promise<{ expiresAt: string; demoCode?: string }> {
      const now = deps.clock().getTime();
      sweep(now);
      const expiresAt = new Date(now + ttlMs).toISOString();
      const resident = await deps.residents.findResidentByResidentId(residentId.trim());
      if (!resident) return { expiresAt };
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      pending.set(resident.accountId, { hash: hashCode(code), expiresAt: now + ttlMs, attempts: 0 });
      await deps.sender.send(resident, code);
      return deps.sender.showsCode ? { expiresAt, demoCode: code } : { expiresAt };
    },

    /** A kiosk session (15 minutes at most) for the right code; the code is then used up. */
    async login(residentId: string, code: string): Promise<LoginResult> {
      const now = deps.clock();
      const resident = await deps.residents.findResidentByResidentId(residentId.trim());
      const entry = resident ? pending.get(resident.accountId) : undefined;
      if (!resident || !entry || entry.expiresAt <= now.getTime()) throw new AppError('ONE_TIME_CODE_INVALID');
      entry.attempts += 1;
      const given = hashCode(code.trim());
      if (!timingSafeEqual(given, entry.hash)) {
        if (entry.attempts >= maxAttempts) pending.delete(resident.accountId);
        throw new AppError('ONE_TIME_CODE_INVALID');
      }
      pending.delete(resident.accountId);
      const { token, tokenHash } = newSessionToken();
      const expiresAt = new Date(now.getTime() + SESSION_TTL_MS.kiosk);
      await deps.db.transaction(async (tx) => {
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

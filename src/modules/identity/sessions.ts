import { AppError } from '../../core/errors.ts';
import type { IdentityContext } from './context.ts';
import { hashSessionToken, MAX_PASSWORD_LENGTH, newSessionToken, verifyDummyPassword, verifyPassword } from './crypto.ts';
import * as accountsRepo from './accounts.repository.ts';
import * as residentsRepo from './residents.repository.ts';
import * as sessionsRepo from './sessions.repository.ts';
import * as staffRepo from './staff.repository.ts';
import { clearFailures, findLocks, loginSource, recordFailure } from './lockout.ts';
import type { StaffRole } from './identity.tables.ts';
import { capabilitiesOf, type Capabilities } from './policy.ts';
import { DELEGATION_SCOPES, type DelegationScope, type Principal } from './principal.ts';
import { parseResidentId } from './resident-id.ts';
import { chinaToday, isUuid, PHONE_PATTERN } from './validation.ts';

export const LOGIN_CHANNELS = ['web', 'app', 'kiosk', 'window'] as const;
export type LoginChannel = (typeof LOGIN_CHANNELS)[number];

/** A kiosk is a shared device: its sessions end quickly. */
export const SESSION_TTL_MS: Record<LoginChannel, number> = {
  web: 12 * 3600_000,
  app: 12 * 3600_000,
  window: 12 * 3600_000,
  kiosk: 15 * 60_000,
};

/** `source`: the client's address; failures lock an account per address first (lockout.ts). */
export type LoginInput =
  | { kind: 'resident'; residentIdOrPhone: string; password: string; channel: LoginChannel; source?: string }
  | { kind: 'staff'; username: string; password: string; channel: LoginChannel; source?: string };

export interface ResidentPasswordInput {
  residentIdOrPhone: string;
  password: string;
  source?: string;
}

export interface AccountDto {
  id: string;
  kind: 'resident' | 'staff';
  name: string;
  /** Staff only. */
  username?: string;
  /** Residents only. */
  residentIdMasked?: string;
  roles: { role: StaffRole; orgCode: string }[];
  /** What the account may do where (policy.ts); residents: none. */
  capabilities: Capabilities;
}

export interface LoginResult {
  token: string;
  expiresAt: string;
  account: AccountDto;
}

export function createSessionFunctions({ db, vault, clock, sessionCache }: IdentityContext) {
  async function findCandidates(input: LoginInput, now: Date): Promise<accountsRepo.LoginCandidate[]> {
    if (input.kind === 'staff') return accountsRepo.findStaffCandidates(db, input.username.trim().toLowerCase());
    const key = input.residentIdOrPhone.trim();
    if (PHONE_PATTERN.test(key)) return accountsRepo.findResidentCandidates(db, { phone: key });
    const parsed = parseResidentId(key, chinaToday(now));
    return parsed.ok ? accountsRepo.findResidentCandidates(db, { hash: vault.lookupHash(parsed.value.id) }) : [];
  }

  async function describeAccount(candidate: accountsRepo.LoginCandidate): Promise<AccountDto> {
    if (candidate.kind === 'resident') {
      const resident = await residentsRepo.getResident(db, { accountId: candidate.id });
      return {
        id: candidate.id,
        kind: 'resident',
        name: candidate.name,
        residentIdMasked: resident?.residentIdMasked,
        roles: [],
        capabilities: {},
      };
    }
    const [staffRow, roles] = await Promise.all([staffRepo.getStaff(db, candidate.id), staffRepo.getRoles(db, [candidate.id])]);
    return {
      id: candidate.id,
      kind: 'staff',
      name: candidate.name,
      username: staffRow?.username,
      roles: roles.map((r) => ({ role: r.role, orgCode: r.orgCode })),
      capabilities: capabilitiesOf({ kind: 'staff', roles }),
    };
  }

  /**
   * The password check of a login, with its lockout: the matched, enabled account, or the error a
   * login answers. Failures are recorded (per account and address); success clears nothing yet.
   */
  async function checkCredentials(input: LoginInput, now: Date): Promise<accountsRepo.LoginCandidate> {
    const candidates = input.password.length > MAX_PASSWORD_LENGTH ? [] : await findCandidates(input, now);
    if (candidates.length === 0) {
      // Same cost as a wrong password, so that timing does not tell which accounts exist.
      await verifyDummyPassword(input.password.slice(0, MAX_PASSWORD_LENGTH));
      throw new AppError('INVALID_CREDENTIALS');
    }
    // Several residents may share a phone (a family); the password picks the account.
    const source = loginSource(input.source);
    const locks = await findLocks(
      db,
      candidates.map((c) => c.id),
      source,
      now,
    );
    const lockOf = (c: accountsRepo.LoginCandidate) =>
      Math.max(c.lockedUntil && c.lockedUntil > now ? c.lockedUntil.getTime() : 0, locks.get(c.id)?.getTime() ?? 0);
    const open = candidates.filter((c) => lockOf(c) === 0);
    if (open.length === 0) {
      const until = Math.max(...candidates.map(lockOf));
      throw new AppError('ACCOUNT_LOCKED', { until: new Date(until).toISOString() });
    }
    let matched: accountsRepo.LoginCandidate | undefined;
    for (const candidate of open) {
      if (await verifyPassword(candidate.passwordHash, input.password)) {
        matched = candidate;
        break;
      }
    }

    if (!matched) {
      const lockUntil = await db.transaction(async (tx) => {
        let lastLock: Date | null = null;
        for (const candidate of open) {
          const nowLocked = await recordFailure(tx, candidate.id, source, now);
          lastLock = nowLocked ?? lastLock;
          await accountsRepo.insertAudit(tx, [
            { accountId: candidate.id, actorId: null, action: 'login.failed', detail: { channel: input.channel }, at: now },
            ...(nowLocked
              ? [
                  {
                    accountId: candidate.id,
                    actorId: null,
                    action: 'login.locked',
                    detail: { until: nowLocked.toISOString(), perAddress: true },
                    at: now,
                  },
                ]
              : []),
          ]);
        }
        return lastLock;
      });
      if (lockUntil && open.length === 1) throw new AppError('ACCOUNT_LOCKED', { until: lockUntil.toISOString() });
      throw new AppError('INVALID_CREDENTIALS');
    }

    if (matched.status === 'disabled') throw new AppError('ACCOUNT_DISABLED');
    return matched;
  }

  async function login(input: LoginInput): Promise<LoginResult> {
    const now = clock();
    const matched = await checkCredentials(input, now);
    const source = loginSource(input.source);
    const accountId = matched.id;
    const { token, tokenHash } = newSessionToken();
    const expiresAt = new Date(now.getTime() + SESSION_TTL_MS[input.channel]);
    await db.transaction(async (tx) => {
      await accountsRepo.resetLoginFailures(tx, accountId);
      await clearFailures(tx, accountId, source);
      await sessionsRepo.insertSession(tx, { tokenHash, accountId, channel: input.channel, createdAt: now, expiresAt });
      await accountsRepo.insertAudit(tx, [
        { accountId, actorId: accountId, action: 'login.succeeded', detail: { channel: input.channel }, at: now },
      ]);
    });
    return { token, expiresAt: expiresAt.toISOString(), account: await describeAccount(matched) };
  }

  async function logout(token: string): Promise<void> {
    const now = clock();
    const tokenHash = hashSessionToken(token);
    try {
      await db.transaction(async (tx) => {
        const accountId = await sessionsRepo.revokeSession(tx, tokenHash, now);
        if (accountId) {
          await accountsRepo.insertAudit(tx, [{ accountId, actorId: accountId, action: 'logout', at: now }]);
          await sessionsRepo.announceSessionChange(tx, { token: tokenHash });
        }
      });
    } finally {
      sessionCache.dropToken(tokenHash);
    }
  }

  /** A plain session: from the cache when it holds a live entry, else one indexed query (then cached). */
  async function findPlainSession(tokenHash: string, now: Date): Promise<sessionsRepo.SessionRow | null> {
    const hit = sessionCache.get(tokenHash);
    if (hit) return hit.expiresAt > now.getTime() ? hit.row : null;
    const generation = sessionCache.generation;
    const row = await sessionsRepo.findSession(db, tokenHash, now, null);
    if (row) sessionCache.set(tokenHash, row, new Date(row.expires_at), generation);
    return row;
  }

  /**
   * Runs on every request: a cached session (session-cache.ts) or one indexed query. With
   * `onBehalfOf` (a resident's account id) the caller must be a helper holding an active
   * delegation from that resident; that is always read from the database.
   */
  async function authenticate(token: string, onBehalfOf?: string): Promise<Principal | null> {
    if (!token || token.length > 200) return null;
    const actFor = onBehalfOf?.trim() || undefined;
    const tokenHash = hashSessionToken(token);
    const now = clock();
    const row =
      actFor === undefined
        ? await findPlainSession(tokenHash, now)
        : await sessionsRepo.findSession(db, tokenHash, now, isUuid(actFor) ? actFor : null);
    if (!row) return null;
    const principal: Principal = {
      accountId: row.account_id,
      kind: row.kind,
      name: row.name,
      roles: row.roles,
      sessionChannel: row.channel,
      ...(row.kind === 'resident' ? { homeOrgCode: row.home_org_code } : {}),
    };
    if (actFor === undefined || (row.kind === 'resident' && actFor === row.account_id)) return principal;
    if (row.kind !== 'staff' || !row.delegation || !row.roles.some((r) => r.role === 'helper')) {
      throw new AppError('DELEGATION_REQUIRED');
    }
    principal.actingFor = {
      residentId: actFor.toLowerCase(),
      delegationId: row.delegation.id,
      scopes: row.delegation.scopes.filter((s): s is DelegationScope => (DELEGATION_SCOPES as readonly string[]).includes(s)),
    };
    return principal;
  }

  /**
   * The hub's OpenID Connect login (oidc module): a resident's password checked as at login, with
   * the same lockout, and no session of this node opened (the provider keeps its own).
   */
  async function checkResidentPassword(input: ResidentPasswordInput): Promise<{ accountId: string }> {
    const now = clock();
    const matched = await checkCredentials({ kind: 'resident', channel: 'web', ...input }, now);
    await db.transaction(async (tx) => {
      await accountsRepo.resetLoginFailures(tx, matched.id);
      await clearFailures(tx, matched.id, loginSource(input.source));
      await accountsRepo.insertAudit(tx, [
        {
          accountId: matched.id,
          actorId: matched.id,
          action: 'login.succeeded',
          detail: { channel: 'web', via: 'oidc-provider' },
          at: now,
        },
      ]);
    });
    return { accountId: matched.id };
  }

  return { login, logout, authenticate, checkResidentPassword };
}

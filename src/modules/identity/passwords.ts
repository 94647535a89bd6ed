import { AppError, notFound } from '../../core/errors.ts';
import type { IdentityContext } from './context.ts';
import { hashPassword, hashSessionToken, MAX_PASSWORD_LENGTH, verifyPassword } from './crypto.ts';
import * as accountsRepo from './accounts.repository.ts';
import * as residentsRepo from './residents.repository.ts';
import * as sessionsRepo from './sessions.repository.ts';
import * as staffRepo from './staff.repository.ts';
import { checkPasswordPolicy } from './password-policy.ts';
import type { Principal } from './principal.ts';
import { findLocks, loginSource, recordFailure } from './lockout.ts';
import { normaliseUsername } from './validation.ts';

export interface ChangePasswordInput {
  currentPassword: string;
  newPassword: string;
}

export interface ChangePasswordResult {
  /** How many of the account's other sessions ended. */
  revokedSessions: number;
}

export function createPasswordFunctions({ db, clock, sessionCache }: IdentityContext) {
  /** The words an attacker would try first for this account: its login, name and phone. */
  async function userInputsOf(accountId: string, name: string): Promise<string[]> {
    const [staffRow, resident] = await Promise.all([staffRepo.getStaff(db, accountId), residentsRepo.getResident(db, { accountId })]);
    return [name, ...(staffRow ? [staffRow.username] : []), ...(resident ? [resident.phone] : [])];
  }

  /** Sets the hash, ends sessions (all but `keep`), writes the audit row: one transaction. */
  async function storePassword(
    accountId: string,
    passwordHash: string,
    audit: { actorId: string | null; action: string },
    keepTokenHash?: string,
  ) {
    const now = clock();
    const revoked = await db.transaction(async (tx) => {
      await accountsRepo.setPasswordHash(tx, accountId, passwordHash);
      const count = await sessionsRepo.revokeAccountSessions(tx, accountId, now, keepTokenHash);
      await accountsRepo.insertAudit(tx, [
        { accountId, actorId: audit.actorId, action: audit.action, detail: { revokedSessions: count }, at: now },
      ]);
      await sessionsRepo.announceSessionChange(tx, { account: accountId });
      return count;
    });
    sessionCache.dropAccount(accountId);
    return revoked;
  }

  /**
   * The caller changes their own password: the current one is required (a wrong one counts as a
   * failed login, so this is no way around the lockout), the new one must pass the policy, and
   * every other session of the account ends; the caller's own session (`currentToken`) goes on.
   */
  async function changePassword(
    principal: Principal,
    input: ChangePasswordInput,
    currentToken?: string,
    address?: string,
  ): Promise<ChangePasswordResult> {
    // A helper acting for a resident is still only themself: that is not the resident's password.
    if (principal.actingFor) throw new AppError('FORBIDDEN');
    const now = clock();
    const account = await accountsRepo.getPasswordState(db, principal.accountId);
    if (!account) throw notFound('account');
    if (account.status === 'disabled') throw new AppError('ACCOUNT_DISABLED');
    const source = loginSource(address);
    const lock = (await findLocks(db, [principal.accountId], source, now)).get(principal.accountId);
    if (lock) throw new AppError('ACCOUNT_LOCKED', { until: lock.toISOString() });
    const matches =
      input.currentPassword.length <= MAX_PASSWORD_LENGTH && (await verifyPassword(account.passwordHash, input.currentPassword));
    if (!matches) {
      const lockedUntil = await db.transaction(async (tx) => {
        const until = await recordFailure(tx, principal.accountId, source, now);
        await accountsRepo.insertAudit(tx, [
          { accountId: principal.accountId, actorId: principal.accountId, action: 'password.change_failed', at: now },
        ]);
        return until;
      });
      if (lockedUntil) throw new AppError('ACCOUNT_LOCKED', { until: lockedUntil.toISOString() });
      throw new AppError('CURRENT_PASSWORD_WRONG');
    }
    if (input.newPassword === input.currentPassword) throw new AppError('PASSWORD_UNCHANGED');
    checkPasswordPolicy(input.newPassword, await userInputsOf(principal.accountId, account.name));
    const passwordHash = await hashPassword(input.newPassword);
    const keep = currentToken ? hashSessionToken(currentToken) : undefined;
    const revokedSessions = await storePassword(
      principal.accountId,
      passwordHash,
      { actorId: principal.accountId, action: 'password.changed' },
      keep,
    );
    return { revokedSessions };
  }

  /**
   * The operator (the `yiban` CLI, with the database in hand) sets a staff member's password,
   * e.g. for an administrator who lost theirs. Every session of the account ends.
   */
  async function resetStaffPassword(username: string, newPassword: string): Promise<ChangePasswordResult> {
    const found = await staffRepo.findStaffByUsername(db, normaliseUsername(username));
    if (!found) throw notFound('account');
    checkPasswordPolicy(newPassword, await userInputsOf(found.id, found.name));
    const passwordHash = await hashPassword(newPassword);
    const revokedSessions = await storePassword(found.id, passwordHash, { actorId: null, action: 'password.reset' });
    return { revokedSessions };
  }

  return { changePassword, resetStaffPassword };
}

import { AppError } from '../../core/errors.ts';
import type { Executor } from '../../db/database.ts';
import { canGrantRole, isAccountAdmin } from './access.ts';
import * as accountsRepo from './accounts.repository.ts';
import type { IdentityContext } from './context.ts';
import { hashPassword } from './crypto.ts';
import { checkPasswordPolicy } from './password-policy.ts';
import type { Principal } from './principal.ts';
import * as sessionsRepo from './sessions.repository.ts';
import { getStaffDto, resolveRoles, type ResolvedRole, type RoleRequest, type StaffDto } from './staff.ts';
import * as staffRepo from './staff.repository.ts';
import { isUniqueViolation, normaliseName, normaliseUsername } from './validation.ts';

/** New staff accounts: by an administrator, by the operator or the bootstrap token (first-admin.ts), by seeding. */

export interface CreateStaffInput {
  username: string;
  name: string;
  password: string;
  roles: RoleRequest[];
}

export function createStaffEnrolmentFunctions({ db, orgs, clock, sessionCache }: IdentityContext) {
  /** `inTx` runs first inside the account's transaction (the bootstrap token is burnt there). */
  async function insertStaff(
    actorId: string | null,
    input: CreateStaffInput,
    username: string,
    roles: ResolvedRole[],
    inTx?: (tx: Executor) => Promise<void>,
  ) {
    const now = clock();
    const name = normaliseName(input.name);
    checkPasswordPolicy(input.password, [username, name]);
    const passwordHash = await hashPassword(input.password);
    try {
      return await db.transaction(async (tx) => {
        await inTx?.(tx);
        const accountId = await accountsRepo.insertAccount(tx, { kind: 'staff', name, passwordHash, createdAt: now });
        await staffRepo.insertStaff(tx, accountId, username);
        await staffRepo.insertRoles(
          tx,
          roles.map((r) => ({ accountId, role: r.role, orgCode: r.orgCode, orgPath: r.orgPath, createdAt: now })),
        );
        const detail = { username, roles: roles.map((r) => ({ role: r.role, orgCode: r.orgCode })) };
        await accountsRepo.insertAudit(tx, [{ accountId, actorId, action: 'staff.created', detail, at: now }]);
        return accountId;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('USERNAME_TAKEN');
      throw error;
    }
  }

  return {
    /**
     * For the operator (CLI) and the bootstrap token, not for a caller: a new staff account,
     * refused when the username is taken. `inTx` runs in the account's transaction.
     */
    provisionStaff: async (input: CreateStaffInput, inTx?: (tx: Executor) => Promise<void>): Promise<StaffDto> => {
      const username = normaliseUsername(input.username);
      const roles = await resolveRoles(orgs, input.roles);
      if (await staffRepo.findStaffByUsername(db, username)) throw new AppError('USERNAME_TAKEN');
      return getStaffDto(db, await insertStaff(null, input, username, roles, inTx));
    },

    async createStaff(principal: Principal, input: CreateStaffInput): Promise<StaffDto> {
      if (!isAccountAdmin(principal)) throw new AppError('FORBIDDEN');
      const username = normaliseUsername(input.username);
      const roles = await resolveRoles(orgs, input.roles);
      if (!roles.every((r) => canGrantRole(principal, r))) throw new AppError('FORBIDDEN');
      if (await staffRepo.findStaffByUsername(db, username)) throw new AppError('USERNAME_TAKEN');
      return getStaffDto(db, await insertStaff(principal.accountId, input, username, roles));
    },

    /** Seeding without a caller: creates the account, or adds missing roles to an existing one (password untouched). */
    async ensureStaff(input: CreateStaffInput): Promise<{ accountId: string; created: boolean }> {
      const username = normaliseUsername(input.username);
      const roles = await resolveRoles(orgs, input.roles);
      const addRoles = async (accountId: string) => {
        const now = clock();
        await db.transaction(async (tx) => {
          const added = await staffRepo.insertRoles(
            tx,
            roles.map((r) => ({ accountId, ...r, createdAt: now })),
          );
          const detail = { bootstrap: true, roles: roles.map((r) => ({ role: r.role, orgCode: r.orgCode })) };
          if (added > 0) {
            await accountsRepo.insertAudit(tx, [{ accountId, actorId: null, action: 'role.granted', detail, at: now }]);
            await sessionsRepo.announceSessionChange(tx, { account: accountId });
          }
        });
        sessionCache.dropAccount(accountId);
        return { accountId, created: false };
      };
      const existing = await staffRepo.findStaffByUsername(db, username);
      if (existing) return addRoles(existing.id);
      try {
        return { accountId: await insertStaff(null, input, username, roles), created: true };
      } catch (error) {
        const raced =
          error instanceof AppError && error.code === 'USERNAME_TAKEN' ? await staffRepo.findStaffByUsername(db, username) : null;
        if (raced) return addRoles(raced.id);
        throw error;
      }
    },
  };
}

import { AppError, notFound } from '../../core/errors.ts';
import { decodeCursor, encodeCursor } from '../../core/cursor.ts';
import { administersOrg, canGrantRole, grantableRoles, canManageResident, canManageStaff, canSeeStaff, isAccountAdmin } from './access.ts';
import * as accountsRepo from './accounts.repository.ts';
import type { IdentityContext } from './context.ts';
import type { AccountStatus, StaffRole } from './identity.tables.ts';
import { clearAllFailures } from './lockout.ts';
import type { Principal } from './principal.ts';
import * as residentsRepo from './residents.repository.ts';
import * as sessionsRepo from './sessions.repository.ts';
import { getStaffDto, resolveRoles, toStaffDtos, type RoleRequest, type StaffDto } from './staff.ts';
import * as staffRepo from './staff.repository.ts';
import { isUuid } from './validation.ts';

/** Administering existing accounts: a staff member's roles, disabling and enabling any account, listing staff under a node. */

export interface StaffPage {
  items: StaffDto[];
  next: string | null;
}

export function createStaffAdminFunctions({ db, orgs, clock, sessionCache }: IdentityContext) {
  /** The staff account, if the caller may see it; any other account is "not found". */
  async function loadVisibleStaff(principal: Principal, accountId: string) {
    if (!isAccountAdmin(principal) || accountId === principal.accountId) throw new AppError('FORBIDDEN');
    if (!isUuid(accountId)) throw notFound('account');
    const [row, roles] = await Promise.all([staffRepo.getStaff(db, accountId), staffRepo.getRoles(db, [accountId])]);
    if (!row || !canSeeStaff(principal, roles)) throw notFound('account');
    return { row, roles };
  }

  /** `inTx` runs first inside the account's transaction (the bootstrap token is burnt there). */
  async function setStatus(
    principal: Principal,
    accountId: string,
    status: AccountStatus,
  ): Promise<{ accountId: string; status: AccountStatus }> {
    if (!isAccountAdmin(principal) || accountId === principal.accountId) throw new AppError('FORBIDDEN');
    const account = isUuid(accountId) ? await accountsRepo.getAccount(db, accountId) : null;
    if (!account) throw notFound('account');
    if (account.kind === 'staff') {
      const roles = await staffRepo.getRoles(db, [accountId]);
      if (!canSeeStaff(principal, roles)) throw notFound('account');
      if (!canManageStaff(principal, roles)) throw new AppError('FORBIDDEN');
    } else {
      const resident = await residentsRepo.getResident(db, { accountId });
      const home = resident?.homeOrgCode ? await orgs.getOrg(resident.homeOrgCode) : null;
      if (!canManageResident(principal, home?.path ?? null)) throw notFound('account');
    }
    if (account.status === status) return { accountId, status };
    const now = clock();
    await db.transaction(async (tx) => {
      await accountsRepo.setAccountStatus(tx, accountId, status);
      // Enabling is also how an administrator lifts a lockout.
      if (status === 'active') await clearAllFailures(tx, accountId);
      // A disabled account loses its sessions at once, not when they expire.
      if (status === 'disabled') await sessionsRepo.revokeAccountSessions(tx, accountId, now);
      const action = status === 'disabled' ? 'account.disabled' : 'account.enabled';
      await accountsRepo.insertAudit(tx, [{ accountId, actorId: principal.accountId, action, at: now }]);
      await sessionsRepo.announceSessionChange(tx, { account: accountId });
    });
    sessionCache.dropAccount(accountId);
    return { accountId, status };
  }

  return {
    async grantRole(principal: Principal, accountId: string, request: RoleRequest): Promise<StaffDto> {
      await loadVisibleStaff(principal, accountId);
      const [role] = await resolveRoles(orgs, [request]);
      if (!role || !canGrantRole(principal, role)) throw new AppError('FORBIDDEN');
      const now = clock();
      await db.transaction(async (tx) => {
        const added = await staffRepo.insertRoles(tx, [{ accountId, ...role, createdAt: now }]);
        const detail = { role: role.role, orgCode: role.orgCode };
        if (added > 0) {
          await accountsRepo.insertAudit(tx, [{ accountId, actorId: principal.accountId, action: 'role.granted', detail, at: now }]);
          await sessionsRepo.announceSessionChange(tx, { account: accountId });
        }
      });
      sessionCache.dropAccount(accountId);
      return getStaffDto(db, accountId);
    },

    async revokeRole(principal: Principal, accountId: string, request: RoleRequest): Promise<StaffDto> {
      const { roles } = await loadVisibleStaff(principal, accountId);
      const held = roles.find((r) => r.role === request.role && r.orgCode === request.orgCode.trim());
      if (!held) throw notFound('role');
      if (!canGrantRole(principal, held)) throw new AppError('FORBIDDEN');
      const now = clock();
      await db.transaction(async (tx) => {
        if (await staffRepo.deleteRole(tx, accountId, held.role, held.orgCode)) {
          const detail = { role: held.role, orgCode: held.orgCode };
          await accountsRepo.insertAudit(tx, [{ accountId, actorId: principal.accountId, action: 'role.revoked', detail, at: now }]);
          await sessionsRepo.announceSessionChange(tx, { account: accountId });
        }
      });
      sessionCache.dropAccount(accountId);
      return getStaffDto(db, accountId);
    },

    disableAccount: (principal: Principal, accountId: string) => setStatus(principal, accountId, 'disabled'),
    enableAccount: (principal: Principal, accountId: string) => setStatus(principal, accountId, 'active'),

    /** The roles the caller may grant at `orgCode` (none outside their area): what the grant itself checks, for the console's forms. */
    async listGrantableRoles(principal: Principal, orgCode: string): Promise<{ orgCode: string; roles: StaffRole[] }> {
      if (principal.kind !== 'staff') throw new AppError('FORBIDDEN');
      const org = await orgs.getOrg(orgCode.trim());
      if (!org) throw notFound('org');
      return { orgCode: org.code, roles: grantableRoles(principal, org) };
    },

    /** Staff holding a role at `orgCode` or below, by username; for the administrators above that node. */
    async listStaff(principal: Principal, query: { orgCode: string; after?: string; limit?: number }): Promise<StaffPage> {
      if (!isAccountAdmin(principal)) throw new AppError('FORBIDDEN');
      const org = await orgs.getOrg(query.orgCode.trim());
      if (!org || !administersOrg(principal, org.path)) throw notFound('org');
      const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
      const after = query.after ? String(decodeCursor(query.after, 1)[0]) : null;
      const rows = await staffRepo.listStaffUnder(db, org.path, after, limit + 1);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return { items: await toStaffDtos(db, page), next: rows.length > limit && last ? encodeCursor([last.username]) : null };
    },
  };
}

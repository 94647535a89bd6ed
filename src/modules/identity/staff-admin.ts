import type { Static } from '@sinclair/typebox';
import type { StaffDto as StaffSchema } from './identity.schemas.ts';
import { AppError, notFound } from '../../core/errors.ts';
import { decodeCursor, encodeCursor } from '../../core/cursor.ts';
import {
  administersOrg,
  canGrantRole,
  canManageResident,
  canManageStaff,
  canSeeStaff,
  isAccountAdmin,
  ROLE_LEVELS,
  STAFF_ROLES,
} from './access.ts';
import type { Executor } from '../../db/database.ts';
import type { IdentityContext } from './context.ts';
import { hashPassword } from './crypto.ts';
import { checkPasswordPolicy } from './password-policy.ts';
import * as accountsRepo from './accounts.repository.ts';
import * as residentsRepo from './residents.repository.ts';
import * as sessionsRepo from './sessions.repository.ts';
import * as staffRepo from './staff.repository.ts';
import { clearAllFailures } from './lockout.ts';
import type { AccountStatus, StaffRole } from './identity.tables.ts';
import type { Principal } from './principal.ts';
import { isUniqueViolation, isUuid, normaliseName, normaliseUsername } from './validation.ts';
import { message } from '../../core/messages.ts';

export interface RoleRequest {
  role: StaffRole;
  orgCode: string;
}

export interface CreateStaffInput {
  username: string;
  name: string;
  password: string;
  roles: RoleRequest[];
}

/** A staff member as the API returns it: identity.schemas.ts's StaffMember schema is the one definition. */
export type StaffDto = Static<typeof StaffSchema>;

export interface StaffPage {
  items: StaffDto[];
  next: string | null;
}

interface ResolvedRole extends RoleRequest {
  orgPath: string;
}

const MAX_ROLES = 20;

export function createStaffFunctions({ db, orgs, clock, sessionCache }: IdentityContext) {
  /** Checks each requested role against the org tree: the org exists and sits at a level the role belongs to. */
  async function resolveRoles(requests: readonly RoleRequest[]): Promise<ResolvedRole[]> {
    if (requests.length === 0 || requests.length > MAX_ROLES) {
      throw new AppError('VALIDATION_FAILED', { detail: message('identity.roles.count', { max: MAX_ROLES }) });
    }
    const unique = new Map(requests.map((r) => [`${r.role}|${r.orgCode.trim()}`, { role: r.role, orgCode: r.orgCode.trim() }]));
    const resolved: ResolvedRole[] = [];
    for (const { role, orgCode } of unique.values()) {
      if (!STAFF_ROLES.includes(role)) throw new AppError('VALIDATION_FAILED', { detail: `role ${String(role).slice(0, 40)}` });
      const org = await orgs.getOrg(orgCode);
      if (!org) throw new AppError('INVALID_DIVISION_CODE', { code: orgCode.slice(0, 40) });
      if (!ROLE_LEVELS[role].includes(org.level)) {
        throw new AppError('VALIDATION_FAILED', {
          detail: message('identity.roles.notAtLevel', { role, orgName: org.name, orgCode: org.code, level: org.level }),
        });
      }
      resolved.push({ role, orgCode: org.code, orgPath: org.path });
    }
    return resolved;
  }

  async function toStaffDtos(rows: { id: string; username: string; name: string; status: AccountStatus; createdAt: Date }[]) {
    const roles = await staffRepo.getRoles(
      db,
      rows.map((r) => r.id),
    );
    return rows.map((r): StaffDto => ({
      accountId: r.id,
      username: r.username,
      name: r.name,
      status: r.status,
      roles: roles.filter((g) => g.accountId === r.id).map((g) => ({ role: g.role, orgCode: g.orgCode })),
      createdAt: r.createdAt.toISOString(),
    }));
  }

  async function getStaffDto(accountId: string): Promise<StaffDto> {
    const row = await staffRepo.getStaff(db, accountId);
    if (!row) throw notFound('account');
    const [dto] = await toStaffDtos([row]);
    return dto!;
  }

  /** The staff account, if the caller may see it; any other account is "not found". */
  async function loadVisibleStaff(principal: Principal, accountId: string) {
    if (!isAccountAdmin(principal) || accountId === principal.accountId) throw new AppError('FORBIDDEN');
    if (!isUuid(accountId)) throw notFound('account');
    const [row, roles] = await Promise.all([staffRepo.getStaff(db, accountId), staffRepo.getRoles(db, [accountId])]);
    if (!row || !canSeeStaff(principal, roles)) throw notFound('account');
    return { row, roles };
  }

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
    /**
     * For the operator (CLI) and the bootstrap token, not for a caller: a new staff account,
     * refused when the username is taken. `inTx` runs in the account's transaction.
     */
    provisionStaff: async (input: CreateStaffInput, inTx?: (tx: Executor) => Promise<void>): Promise<StaffDto> => {
      const username = normaliseUsername(input.username);
      const roles = await resolveRoles(input.roles);
      if (await staffRepo.findStaffByUsername(db, username)) throw new AppError('USERNAME_TAKEN');
      return getStaffDto(await insertStaff(null, input, username, roles, inTx));
    },

    async createStaff(principal: Principal, input: CreateStaffInput): Promise<StaffDto> {
      if (!isAccountAdmin(principal)) throw new AppError('FORBIDDEN');
      const username = normaliseUsername(input.username);
      const roles = await resolveRoles(input.roles);
      if (!roles.every((r) => canGrantRole(principal, r))) throw new AppError('FORBIDDEN');
      if (await staffRepo.findStaffByUsername(db, username)) throw new AppError('USERNAME_TAKEN');
      return getStaffDto(await insertStaff(principal.accountId, input, username, roles));
    },

    /** Seeding without a caller: creates the account, or adds missing roles to an existing one (password untouched). */
    async ensureStaff(input: CreateStaffInput): Promise<{ accountId: string; created: boolean }> {
      const username = normaliseUsername(input.username);
      const roles = await resolveRoles(input.roles);
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

    async grantRole(principal: Principal, accountId: string, request: RoleRequest): Promise<StaffDto> {
      await loadVisibleStaff(principal, accountId);
      const [role] = await resolveRoles([request]);
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
      return getStaffDto(accountId);
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
      return getStaffDto(accountId);
    },

    disableAccount: (principal: Principal, accountId: string) => setStatus(principal, accountId, 'disabled'),
    enableAccount: (principal: Principal, accountId: string) => setStatus(principal, accountId, 'active'),

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
      return { items: await toStaffDtos(page), next: rows.length > limit && last ? encodeCursor([last.username]) : null };
    },
  };
}

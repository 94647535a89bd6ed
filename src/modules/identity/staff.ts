import type { Static } from '@sinclair/typebox';
import type { StaffDto as StaffSchema } from './identity.schemas.ts';
import { AppError, notFound } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import type { Executor } from '../../db/database.ts';
import { roleHeldAt, STAFF_ROLES } from './policy.ts';
import type { OrgDirectory } from './identity.service.ts';
import type { AccountStatus, StaffRole } from './identity.tables.ts';
import * as staffRepo from './staff.repository.ts';

/** What the staff use cases (staff-enrolment.ts, staff-admin.ts) share: roles checked against the org tree, and the DTO. */

export interface RoleRequest {
  role: StaffRole;
  orgCode: string;
}

/** A staff member as the API returns it: identity.schemas.ts's StaffMember schema is the one definition. */
export type StaffDto = Static<typeof StaffSchema>;

export interface ResolvedRole extends RoleRequest {
  orgPath: string;
}

const MAX_ROLES = 20;

/** Checks each requested role against the org tree: the org exists and sits at a level the role belongs to. */
export async function resolveRoles(orgs: OrgDirectory, requests: readonly RoleRequest[]): Promise<ResolvedRole[]> {
  if (requests.length === 0 || requests.length > MAX_ROLES) {
    throw new AppError('VALIDATION_FAILED', { detail: message('identity.roles.count', { max: MAX_ROLES }) });
  }
  const unique = new Map(requests.map((r) => [`${r.role}|${r.orgCode.trim()}`, { role: r.role, orgCode: r.orgCode.trim() }]));
  const resolved: ResolvedRole[] = [];
  for (const { role, orgCode } of unique.values()) {
    if (!STAFF_ROLES.includes(role)) throw new AppError('VALIDATION_FAILED', { detail: `role ${String(role).slice(0, 40)}` });
    const org = await orgs.getOrg(orgCode);
    if (!org) throw new AppError('INVALID_DIVISION_CODE', { code: orgCode.slice(0, 40) });
    if (!roleHeldAt(role, org.level)) {
      throw new AppError('VALIDATION_FAILED', {
        detail: message('identity.roles.notAtLevel', { role, orgName: org.name, orgCode: org.code, level: org.level }),
      });
    }
    resolved.push({ role, orgCode: org.code, orgPath: org.path });
  }
  return resolved;
}

export async function toStaffDtos(
  ex: Executor,
  rows: { id: string; username: string; name: string; status: AccountStatus; createdAt: Date }[],
): Promise<StaffDto[]> {
  const roles = await staffRepo.getRoles(
    ex,
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

export async function getStaffDto(ex: Executor, accountId: string): Promise<StaffDto> {
  const row = await staffRepo.getStaff(ex, accountId);
  if (!row) throw notFound('account');
  const [dto] = await toStaffDtos(ex, [row]);
  return dto!;
}

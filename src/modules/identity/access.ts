import type { StaffRole } from './identity.tables.ts';
import { APPOINTED_FROM_ABOVE, grantsFor, roleCovers, roleHeldAt, STAFF_ROLES } from './policy.ts';
import type { Principal, RoleGrant } from './principal.ts';

export { STAFF_ROLES } from './policy.ts';

/**
 * Who may manage which accounts. Pure functions over the caller's role grants and the org
 * paths of the target, so that the rules are tested without a database.
 */

export interface RoleAt {
  role: StaffRole;
  orgPath: string;
}

function adminGrants(principal: Principal): RoleGrant[] {
  return grantsFor(principal, 'staff.manage');
}

function isPlatformAdmin(principal: Principal): boolean {
  return principal.kind === 'staff' && principal.roles.some((g) => g.role === 'platform_admin');
}

/** Whether the caller administers accounts anywhere at all. */
export function isAccountAdmin(principal: Principal): boolean {
  return adminGrants(principal).length > 0;
}

/** Whether the caller may grant `role` at the org with path `orgPath`. */
export function canGrantRole(principal: Principal, target: RoleAt): boolean {
  if (isPlatformAdmin(principal)) return true;
  if (target.role === 'platform_admin') return false;
  return adminGrants(principal).some((g) =>
    APPOINTED_FROM_ABOVE.has(target.role) ? target.orgPath.startsWith(g.orgPath + '.') : roleCovers(g, target.orgPath),
  );
}

/**
 * The roles the caller may grant at an org, in STAFF_ROLES order: those held at the org's level
 * (`roleHeldAt`, as staff.ts's resolveRoles checks) that `canGrantRole` allows, the two checks a grant passes.
 */
export function grantableRoles(principal: Principal, org: { path: string; level: string }): StaffRole[] {
  return STAFF_ROLES.filter((role) => roleHeldAt(role, org.level) && canGrantRole(principal, { role, orgPath: org.path }));
}

/** A staff account is visible to an administrator when one of its roles lies in the administrator's subtree. */
export function canSeeStaff(principal: Principal, targetRoles: readonly RoleAt[]): boolean {
  if (isPlatformAdmin(principal)) return true;
  const grants = adminGrants(principal);
  return targetRoles.some((t) => grants.some((g) => roleCovers(g, t.orgPath)));
}

/** It can be managed when the caller could have granted every role it holds. */
export function canManageStaff(principal: Principal, targetRoles: readonly RoleAt[]): boolean {
  if (isPlatformAdmin(principal)) return true;
  return targetRoles.length > 0 && targetRoles.every((t) => canGrantRole(principal, t));
}

/** Whether the caller administers accounts at the org with path `orgPath`. */
export function administersOrg(principal: Principal, orgPath: string): boolean {
  return isPlatformAdmin(principal) || adminGrants(principal).some((g) => roleCovers(g, orgPath));
}

/** A resident is managed by the administrators above their home village (platform admins for those without one). */
export function canManageResident(principal: Principal, homeOrgPath: string | null): boolean {
  return homeOrgPath === null ? isPlatformAdmin(principal) : administersOrg(principal, homeOrgPath);
}

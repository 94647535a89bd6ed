import { AppError } from '../../core/errors.ts';
import type { StaffRole } from './identity.tables.ts';

export interface RoleGrant {
  role: StaffRole;
  orgCode: string;
  /** Dot-joined org codes from the province down to `orgCode`. */
  orgPath: string;
}

/** What a helper may do for the resident who authorised them. */
export type DelegationScope = 'applications.submit' | 'applications.view' | 'certificates.view';
export const DELEGATION_SCOPES: readonly DelegationScope[] = ['applications.submit', 'applications.view', 'certificates.view'];

/** Who is calling: the authenticated account, its roles, and the resident it acts for, if any. */
export interface Principal {
  accountId: string;
  kind: 'resident' | 'staff';
  name: string;
  roles: RoleGrant[];
  sessionChannel: string;
  /** A resident's registered home village, as the session lookup read it (undefined when not loaded). */
  homeOrgCode?: string | null;
  /** Set when a helper acts for a resident under an active delegation. */
  actingFor?: { residentId: string; delegationId: string; scopes: DelegationScope[] };
}

/**
 * The resident account a call acts for: the resident themself, or the resident who authorised
 * this helper with `scope`. A helper without that scope gets DELEGATION_REQUIRED; other staff
 * act for no resident and get FORBIDDEN.
 */
export function requireResidentScope(principal: Principal, scope: DelegationScope): string {
  if (principal.kind === 'resident') return principal.accountId;
  if (!principal.actingFor) throw new AppError('FORBIDDEN');
  if (!principal.actingFor.scopes.includes(scope)) throw new AppError('DELEGATION_REQUIRED');
  return principal.actingFor.residentId;
}

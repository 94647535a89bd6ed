import { AppError } from '../../core/errors.ts';
import { createHash } from 'node:crypto';
import type { StaffRole } from './identity.tables.ts';
import type { StaffAction } from './policy.ts';

export interface RoleGrant {
  role: StaffRole;
  orgCode: string;
  /** Dot-joined org codes from the province down to `orgCode`. */
  orgPath: string;
}

/** What a helper may do for the resident who authorised them. */
export type DelegationScope = 'applications.submit' | 'applications.view' | 'certificates.view';
export const DELEGATION_SCOPES: readonly DelegationScope[] = ['applications.submit', 'applications.view', 'certificates.view'];

/**
 * What a non-person actor may do: the actions it may take at one org node (that node only), and
 * the resident it acts for with which scopes (the resident consented when they started the work).
 */
export interface SystemAuthority {
  /** Who the actor is, for audit rows and messages: e.g. `rule:birth.medical`, `bundle-prefill`. */
  actor: string;
  at?: { orgCode: string; orgPath: string; actions: readonly StaffAction[] };
  forResident?: { residentId: string; scopes: readonly DelegationScope[] };
}

/**
 * Who is calling: the authenticated account, its roles, and the resident it acts for, if any.
 * `system` is a rule or the platform's own work (a bundle's prefill and instant approval): it holds
 * no roles, only its `system` authority, and no session.
 */
export interface Principal {
  accountId: string;
  kind: 'resident' | 'staff' | 'system';
  name: string;
  roles: RoleGrant[];
  sessionChannel: string;
  /** A resident's registered home village, as the session lookup read it (undefined when not loaded). */
  homeOrgCode?: string | null;
  /** Set when a helper acts for a resident under an active delegation. */
  actingFor?: { residentId: string; delegationId: string; scopes: DelegationScope[] };
  /** Set on (and only on) a `system` principal. */
  system?: SystemAuthority;
}

/**
 * A `system` principal: the actor's stable account id (a name-based UUID, so that its audit rows
 * group by actor and place), no roles, and exactly the authority given.
 */
export function systemPrincipal(authority: SystemAuthority): Principal {
  const place = authority.at?.orgCode ?? authority.forResident?.residentId ?? '';
  return {
    accountId: systemActorId(`${authority.actor}@${place}`),
    kind: 'system',
    name: authority.actor,
    roles: [],
    sessionChannel: 'system',
    system: authority,
  };
}

function systemActorId(name: string): string {
  const h = createHash('sha256').update(`yiban/system-actor/${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The resident a helper or a system actor acts for (recorded on case events as `onBehalfOf`), or null. */
export function onBehalfOf(principal: Principal): string | null {
  return principal.actingFor?.residentId ?? principal.system?.forResident?.residentId ?? null;
}

/** Whether the caller acts for an org (staff in their own name, or a system actor at an org), not for a resident. */
export function actsForAnOrg(principal: Principal): boolean {
  if (principal.kind === 'system') return principal.system?.at !== undefined;
  return principal.kind === 'staff' && !principal.actingFor;
}

/**
 * The resident account a call acts for: the resident themself, or the resident who authorised
 * this helper (or system actor) with `scope`. A helper without that scope gets DELEGATION_REQUIRED; other staff
 * act for no resident and get FORBIDDEN.
 */
export function requireResidentScope(principal: Principal, scope: DelegationScope): string {
  if (principal.kind === 'resident') return principal.accountId;
  if (principal.kind === 'system') {
    const r = principal.system?.forResident;
    if (!r) throw new AppError('FORBIDDEN');
    if (!r.scopes.includes(scope)) throw new AppError('DELEGATION_REQUIRED');
    return r.residentId;
  }
  if (!principal.actingFor) throw new AppError('FORBIDDEN');
  if (!principal.actingFor.scopes.includes(scope)) throw new AppError('DELEGATION_REQUIRED');
  return principal.actingFor.residentId;
}

import type { StaffRole } from './identity.tables.ts';
import type { Principal, RoleGrant } from './principal.ts';

/**
 * Who may do what, in one place. A staff action is allowed when the caller holds one of the
 * action's roles at an org node that covers the resource's org (`roleCovers`: administrators and
 * supervisors cover their subtree, every other role its own node; the platform administrator
 * covers every node). A `system` actor (a rule, a bundle's prefill) may do the actions its
 * authority names at its one org node, nothing else. Residents, helpers acting for a resident and
 * system actors acting for one are checked by `requireResidentScope`, not here. The table test (policy.test.ts) states every role × action.
 */
export type StaffAction =
  /** See a case, its history and its documents. */
  | 'case.view'
  /** Accept, approve, return, reject or transfer a case. */
  | 'case.handle'
  /** See a certificate issued by the org, with its status history. */
  | 'certificate.view'
  /** Suspend, revoke or reinstate a certificate issued by the org. */
  | 'certificate.changeStatus'
  /** The supervision overview of an org and the orgs below it. */
  | 'overview.view'
  /** The supervision dashboards (督查) of an org and the orgs below it: figures, drill-down, exports. */
  | 'dashboard.view'
  /** Create, change and end a provider department's sharing grants. */
  | 'grant.manage'
  /** Approve a grant that waives consent (never its author). */
  | 'grant.approve'
  /** Request data from a provider for the org's cases. */
  | 'exchange.request'
  /** Write a provider department's dataset records. */
  | 'dataset.keep'
  /** See an org's sharing page: its grants, datasets and exchanges. */
  | 'sharing.view'
  /** Send a payment instruction to the paying bank for the org (a benefit's payer). */
  | 'payment.send'
  /** See the payment instructions an org sent, with the payee masked. */
  | 'payment.view'
  // ---- applications and certificates ----
  /** See an org's seal: its key, certificate and image. */
  | 'seal.view'
  /** Activate a reviewer's registered signature (never one's own). */
  | 'signature.activate'
  /** File one's own handwritten signature, for the certificates one approves. */
  | 'signature.upload'
  // ---- orgs ----
  /** Attach a department to a division. */
  | 'department.create'
  // ---- identity ----
  /** Create, disable and grant roles to staff accounts (access.ts adds which role may be granted where). */
  | 'staff.manage'
  // ---- rules ----
  /** See an org's eligibility and instant-approval rules, every version. */
  | 'rule.view'
  /** Propose a rule version, switch one on (never one's own), and dry-run it over the population. */
  | 'rule.manage'
  // ---- benefits ----
  /** See a paying department's benefit grants, payments and figures (take-up). */
  | 'benefit.view'
  | 'insurance.view'
  /** Publish a pooling region's policy version and dry-run one over last month's settlements. */
  | 'insurance.manage'
  /** 医保窗口: check a patient's coverage, file, open, settle and cancel at the hospital's window (its own hospital only). */
  | 'insurance.window'
  // ---- ratings (好差评) ----
  /** See the ratings of an org and the orgs below, their rectifications, callbacks and appeals, and the figures. */
  | 'rating.view'
  /** Open the rating of an encounter at the org's window or kiosk (一次一评); answer a rectification, record a callback, appeal a rating: the responsible org and those above it. */
  | 'rating.manage'
  /** Decide an org's appeal against a rating. */
  | 'rating.decide'
  // ---- supervision ----
  /** Set a jurisdiction's escalation ladder for overdue cases (督办阶梯). */
  | 'sla.manage'
  // ---- the platform ----
  /** See the events that failed every attempt (dead letters) and retry them. */
  | 'events.manage'
  /** (Federation hub) approve, reject and revoke members and their key changes. */
  | 'federation.manage';

/** Every staff role, in the order the console lists them. */
export const STAFF_ROLES: readonly StaffRole[] = [
  'village_reviewer',
  'township_admin',
  'county_admin',
  'city_admin',
  'department_officer',
  'supervisor',
  'platform_admin',
  'helper',
  'hospital_window',
];

const DIVISION_LEVELS = ['province', 'city', 'county', 'township', 'village'] as const;

/** The org levels each role can be held at: an administrator sits at the level it administers. */
const ROLE_LEVELS: Readonly<Record<StaffRole, readonly string[]>> = {
  village_reviewer: ['village'],
  township_admin: ['township'],
  county_admin: ['county'],
  city_admin: ['city'],
  department_officer: ['department'],
  supervisor: ['province', 'city', 'county', 'township'],
  platform_admin: DIVISION_LEVELS,
  helper: DIVISION_LEVELS,
  // A hospital is a department-level org (kind 'hospital'); the window's institution names it.
  hospital_window: ['department'],
};

/** Whether `role` can be held at an org of level `level` (ROLE_LEVELS). */
export function roleHeldAt(role: StaffRole, level: string): boolean {
  return ROLE_LEVELS[role].includes(level);
}

/** Roles that cover the subtree below the node they are held at (the others cover their own node only). */
const SUBTREE_ROLES: ReadonlySet<StaffRole> = new Set(['township_admin', 'county_admin', 'city_admin', 'platform_admin', 'supervisor']);

/** Roles that create, disable and grant roles to accounts in their subtree. */
const ACCOUNT_ADMINISTRATORS: ReadonlySet<StaffRole> = new Set(['platform_admin', 'city_admin', 'county_admin', 'township_admin']);

/** Roles that only someone strictly above the node may grant (no peer appoints a peer). */
export const APPOINTED_FROM_ABOVE: ReadonlySet<StaffRole> = new Set(['city_admin', 'county_admin', 'township_admin', 'supervisor']);

/**
 * Whether a role held at `grant.orgPath` reaches the org at `targetPath`: administrator roles
 * (and supervisors) cover their subtree, every other role covers its own node only; the platform
 * administrator covers every node, whatever node the role was granted at.
 */
export function roleCovers(grant: RoleGrant, targetPath: string): boolean {
  if (grant.role === 'platform_admin' || grant.orgPath === targetPath) return true;
  return SUBTREE_ROLES.has(grant.role) && targetPath.startsWith(grant.orgPath + '.');
}

/** Whether the role covers a subtree (administrators and supervisors). */
export function isAdminRole(role: StaffRole): boolean {
  return SUBTREE_ROLES.has(role);
}

const HANDLERS: readonly StaffRole[] = [
  'village_reviewer',
  'department_officer',
  'township_admin',
  'county_admin',
  'city_admin',
  'platform_admin',
];
const GRANT_MANAGERS: readonly StaffRole[] = ['department_officer', 'county_admin', 'city_admin', 'platform_admin'];
const GRANT_APPROVERS: readonly StaffRole[] = ['supervisor'];

const RULES: Readonly<Record<StaffAction, readonly StaffRole[]>> = {
  'case.view': [...HANDLERS, 'supervisor'],
  'case.handle': HANDLERS,
  'certificate.view': [...HANDLERS, 'supervisor'],
  'certificate.changeStatus': HANDLERS,
  'overview.view': ['township_admin', 'county_admin', 'city_admin', 'platform_admin', 'supervisor'],
  // The org's own staff (a village's reviewers, a department's officers) and every level above.
  'dashboard.view': [...HANDLERS, 'supervisor'],
  'grant.manage': GRANT_MANAGERS,
  'grant.approve': GRANT_APPROVERS,
  'exchange.request': HANDLERS,
  'dataset.keep': GRANT_MANAGERS,
  'sharing.view': [...new Set([...GRANT_MANAGERS, ...HANDLERS, ...GRANT_APPROVERS])],
  'payment.send': ['department_officer'],
  'payment.view': ['department_officer', 'supervisor', 'platform_admin'],
  // ---- applications and certificates ----
  'seal.view': [...HANDLERS, 'supervisor'],
  'signature.activate': ['township_admin', 'county_admin', 'city_admin', 'platform_admin'],
  'signature.upload': ['village_reviewer', 'department_officer'],
  // ---- orgs ----
  'department.create': [...ACCOUNT_ADMINISTRATORS],
  // ---- identity ----
  'staff.manage': [...ACCOUNT_ADMINISTRATORS],
  // ---- rules ----
  'rule.view': [...HANDLERS, 'supervisor'],
  'rule.manage': GRANT_MANAGERS,
  // ---- benefits ----
  // The paying departments and those above them; a village pays no benefit.
  'benefit.view': HANDLERS.filter((r) => r !== 'village_reviewer').concat('supervisor'),
  // ---- medical insurance ----
  // The bureau that runs a pooling region's fund (its officers and the administrators above).
  'insurance.view': HANDLERS.filter((r) => r !== 'village_reviewer').concat('supervisor'),
  'insurance.manage': GRANT_MANAGERS,
  // Only the hospital's own window clerks: no administrator settles for a hospital.
  'insurance.window': ['hospital_window'],
  // ---- ratings (好差评) ----
  // The responsible org (a village too) and the administrators above it; supervisors watch and decide appeals, never answer for an org.
  'rating.view': [...HANDLERS, 'supervisor'],
  'rating.manage': HANDLERS,
  'rating.decide': ['supervisor'],
  // ---- supervision ----
  // A county or city sets its own ladder (as it sets its own deadlines); supervisors run supervision.
  'sla.manage': ['county_admin', 'city_admin', 'platform_admin', 'supervisor'],
  // ---- the platform ----
  'events.manage': ['platform_admin'],
  'federation.manage': ['platform_admin'],
};

export const STAFF_ACTIONS = Object.keys(RULES) as StaffAction[];

/** Whether the caller may do `action` on something that belongs to the org at `resource.orgPath`. */
export function can(principal: Principal, action: StaffAction, resource: { orgPath: string }): boolean {
  if (principal.kind === 'system') {
    const at = principal.system?.at;
    return at !== undefined && at.orgPath === resource.orgPath && at.actions.includes(action);
  }
  if (principal.kind !== 'staff') return false;
  const roles = RULES[action];
  return principal.roles.some((g) => roles.includes(g.role) && roleCovers(g, resource.orgPath));
}

/** The caller's grants that allow `action` somewhere: what a list query filters by (e.g. the queue's org subtrees). */
export function grantsFor(principal: Pick<Principal, 'kind' | 'roles'>, action: StaffAction): RoleGrant[] {
  if (principal.kind !== 'staff') return [];
  const roles = RULES[action];
  return principal.roles.filter((g) => roles.includes(g.role));
}

/** The roles an action needs, for messages and for the console's menus. */
export function rolesFor(action: StaffAction): readonly StaffRole[] {
  return RULES[action];
}

/** For each action allowed somewhere, the org codes of the grants that allow it (each reaching as `roleCovers` says). */
export type Capabilities = Partial<Record<StaffAction, string[]>>;

/** What the caller may do where, for the console's menus and pages; the server still checks every call with `can`. */
export function capabilitiesOf(principal: Pick<Principal, 'kind' | 'roles'>): Capabilities {
  const entries = STAFF_ACTIONS.map((action) => [action, [...new Set(grantsFor(principal, action).map((g) => g.orgCode))]] as const);
  return Object.fromEntries(entries.filter(([, orgCodes]) => orgCodes.length > 0));
}

import type { Static } from '@sinclair/typebox';
import type { StaffProfile as StaffProfileSchema } from './identity.schemas.ts';
import { notFound } from '../../core/errors.ts';
import type { Db } from '../../db/database.ts';
import type { Authenticator } from '../../http/auth.ts';
import type { IdentityContext } from './context.ts';
import { SessionCache } from './session-cache.ts';
import { createResidentIdVault } from './crypto.ts';
import { createDelegationFunctions, type CreateDelegationInput, type DelegationDto } from './delegations.ts';
import * as staffRepo from './staff.repository.ts';
import type { AccountStatus, StaffRole } from './identity.tables.ts';
import type { Principal } from './principal.ts';
import { capabilitiesOf } from './policy.ts';
import {
  createResidentFunctions,
  type RegisterResidentInput,
  type RegisterResidentResult,
  type ResidentProfile,
  type ResidentSummary,
} from './residents.ts';
import { createSessionFunctions, type LoginInput, type LoginResult, type ResidentPasswordInput } from './sessions.ts';
import { createFederatedLoginFunctions, type FederatedLoginInput } from './federated-login.ts';
import type { RoleRequest, StaffDto } from './staff.ts';
import { createStaffAdminFunctions, type StaffPage } from './staff-admin.ts';
import { createStaffEnrolmentFunctions, type CreateStaffInput } from './staff-enrolment.ts';
import { createPasswordFunctions, type ChangePasswordInput, type ChangePasswordResult } from './passwords.ts';
import { createFirstAdminFunctions, type BootstrapInput, type CreateAdminInput } from './first-admin.ts';

export type { AccountDto, LoginChannel, LoginInput, LoginResult } from './sessions.ts';
export type { FederatedLoginInput } from './federated-login.ts';
export type { RegisterResidentInput, RegisterResidentResult, ResidentProfile, ResidentSummary, Warning } from './residents.ts';
export type { RoleRequest, StaffDto } from './staff.ts';
export type { StaffPage } from './staff-admin.ts';
export type { CreateStaffInput } from './staff-enrolment.ts';
export type { CreateDelegationInput, DelegationDto } from './delegations.ts';
export type { ChangePasswordInput, ChangePasswordResult } from './passwords.ts';
export type { BootstrapInput, CreateAdminInput } from './first-admin.ts';

export interface OrgInfo {
  code: string;
  level: string;
  name: string;
  path: string;
}

/** What identity needs to know about the org tree; the orgs module provides it. */
export interface OrgDirectory {
  getOrg(code: string): Promise<OrgInfo | null>;
  /** Whether a 6-digit county-level code is in today's division list. */
  divisionExists(code6: string): Promise<boolean>;
}

/** identity.schemas.ts's StaffProfile schema is the one definition. */
export type StaffProfile = Static<typeof StaffProfileSchema>;

export type MyProfile = ResidentProfile | StaffProfile;

export interface IdentityService extends Authenticator {
  registerResident(input: RegisterResidentInput): Promise<RegisterResidentResult>;
  login(input: LoginInput): Promise<LoginResult>;
  logout(token: string): Promise<void>;
  authenticate(token: string, onBehalfOf?: string): Promise<Principal | null>;
  /** The hub's OpenID Connect login: a resident's password, checked with the login's lockout; no session here. */
  checkResidentPassword(input: ResidentPasswordInput): Promise<{ accountId: string }>;
  /** A province node: a resident the hub vouched for, found by (or registered under) the same keyed ID number; a web session. */
  loginFederated(input: FederatedLoginInput): Promise<LoginResult>;
  /**
   * Internal (federation): a cross-province case's applicant named by another member's signed
   * message, found under this node's key or registered as a federated login registers them.
   */
  ensureResidentFromPeer(input: {
    residentId: string;
    name: string;
    peer: string;
  }): Promise<Pick<ResidentSummary, 'accountId' | 'name' | 'residentIdMasked'>>;

  getMyProfile(principal: Principal): Promise<MyProfile>;
  setHomeOrg(principal: Principal, orgCode: string): Promise<ResidentProfile>;
  /** Internal, for other modules: by resident account id. */
  getResidentSummary(residentAccountId: string): Promise<ResidentSummary | null>;
  /** Internal: by ID number, through the lookup hash. */
  findResidentByResidentId(residentId: string): Promise<ResidentSummary | null>;
  /** The keyed hash of a valid ID number (sent between federated nodes instead of the number), or null. */
  residentKey(residentId: string): string | null;
  /** The resident whose ID number has this keyed hash. */
  findResidentByKey(key: string): Promise<ResidentSummary | null>;
  /** Internal: the clear ID number, for certificate issuance only. */
  revealResidentId(residentAccountId: string): Promise<string | null>;
  /** Internal, for notices by text message only: the resident's registered mobile number. Never log it. */
  residentPhone(residentAccountId: string): Promise<string | null>;
  /** Internal: `getResidentSummary` and `revealResidentId` for many residents in one query (batch issuance). */
  revealHolders(
    residentAccountIds: readonly string[],
  ): Promise<Map<string, { name: string; residentIdMasked: string; residentId: string }>>;

  /** The caller's own password: needs the current one; the account's other sessions end. */
  changePassword(principal: Principal, input: ChangePasswordInput, currentToken?: string, address?: string): Promise<ChangePasswordResult>;
  /** Whether no active platform administrator exists. */
  needsBootstrap(): Promise<boolean>;
  /** The first administrator, with the bootstrap token, once. */
  bootstrapAdmin(input: BootstrapInput): Promise<StaffDto>;

  createStaff(principal: Principal, input: CreateStaffInput): Promise<StaffDto>;
  grantRole(principal: Principal, accountId: string, role: RoleRequest): Promise<StaffDto>;
  revokeRole(principal: Principal, accountId: string, role: RoleRequest): Promise<StaffDto>;
  disableAccount(principal: Principal, accountId: string): Promise<{ accountId: string; status: AccountStatus }>;
  enableAccount(principal: Principal, accountId: string): Promise<{ accountId: string; status: AccountStatus }>;
  listStaff(principal: Principal, query: { orgCode: string; after?: string; limit?: number }): Promise<StaffPage>;
  /** The roles the caller may grant at the org (none outside their area), by the checks the grant passes. */
  listGrantableRoles(principal: Principal, orgCode: string): Promise<{ orgCode: string; roles: StaffRole[] }>;

  createDelegation(principal: Principal, input: CreateDelegationInput): Promise<DelegationDto>;
  revokeDelegation(principal: Principal, delegationId: string): Promise<void>;
  listMyDelegations(principal: Principal): Promise<DelegationDto[]>;
  listMyPrincipals(principal: Principal): Promise<DelegationDto[]>;
}

/**
 * What the operator (the `yiban` CLI), the seed, the demo and tests do without a caller, so
 * without an access check. Kept off the identity service, so the routes (which get only that
 * service) cannot reach it; it shares the service's context (its session cache above all).
 */
export interface IdentityAdmin {
  /** Operator (CLI) only: a staff member's new password; all their sessions end. */
  resetStaffPassword(username: string, newPassword: string): Promise<ChangePasswordResult>;
  /** Operator (CLI) only: a platform administrator. */
  createPlatformAdmin(input: CreateAdminInput): Promise<StaffDto>;
  /** At start without an administrator: a one-time token (only its hash is kept); null otherwise. */
  issueBootstrapToken(): Promise<{ token: string; expiresAt: Date } | null>;
  /** Seeding: creates the account, or adds missing roles to an existing one (password untouched). */
  ensureStaff(input: CreateStaffInput): Promise<{ accountId: string; created: boolean }>;
}

/** Each identity service's context, for the admin built beside it (createIdentityAdmin). */
const contexts = new WeakMap<IdentityService, IdentityContext>();

export interface IdentityServiceDeps {
  db: Db;
  masterKey: Buffer;
  orgs: OrgDirectory;
  clock?: () => Date;
  /** Shared with the composition root, which feeds it other processes' changes (session-cache.ts). */
  sessionCache?: SessionCache;
  /** Writes `resident.registered` with each registration; absent, no event is written (unit tests). */
  events?: IdentityContext['events'];
}

export function createIdentityService(deps: IdentityServiceDeps): IdentityService {
  const ctx: IdentityContext = {
    db: deps.db,
    vault: createResidentIdVault(deps.masterKey),
    orgs: deps.orgs,
    clock: deps.clock ?? (() => new Date()),
    sessionCache: deps.sessionCache ?? new SessionCache(),
    ...(deps.events ? { events: deps.events } : {}),
  };
  const residents = createResidentFunctions(ctx);

  async function getMyProfile(principal: Principal): Promise<MyProfile> {
    if (principal.kind === 'resident') return residents.getResidentProfile(principal.accountId);
    const [row, roles] = await Promise.all([
      staffRepo.getStaff(ctx.db, principal.accountId),
      staffRepo.getRoles(ctx.db, [principal.accountId]),
    ]);
    if (!row) throw notFound('account');
    return {
      kind: 'staff',
      accountId: row.id,
      name: row.name,
      username: row.username,
      roles: roles.map((r) => ({ role: r.role, orgCode: r.orgCode })),
      capabilities: capabilitiesOf({ kind: 'staff', roles }),
      actingFor: principal.actingFor ?? null,
    };
  }

  const enrolment = createStaffEnrolmentFunctions(ctx);
  const { changePassword } = createPasswordFunctions(ctx);
  const { needsBootstrap, bootstrapAdmin } = createFirstAdminFunctions(ctx, enrolment.provisionStaff);

  const service: IdentityService = {
    ...createSessionFunctions(ctx),
    ...createFederatedLoginFunctions(ctx),
    changePassword,
    needsBootstrap,
    bootstrapAdmin,
    registerResident: residents.registerResident,
    setHomeOrg: residents.setHomeOrg,
    getResidentSummary: residents.getResidentSummary,
    findResidentByResidentId: residents.findResidentByResidentId,
    residentKey: residents.residentKey,
    findResidentByKey: residents.findResidentByKey,
    revealResidentId: residents.revealResidentId,
    residentPhone: residents.residentPhone,
    revealHolders: residents.revealHolders,
    getMyProfile,
    createStaff: (principal, input) => enrolment.createStaff(principal, input),
    ...createStaffAdminFunctions(ctx),
    ...createDelegationFunctions(ctx),
  };
  contexts.set(service, ctx);
  return service;
}

/** The identity admin of an identity service (the composition root builds it beside the service). */
export function createIdentityAdmin(deps: { identity: IdentityService }): IdentityAdmin {
  const ctx = contexts.get(deps.identity);
  if (!ctx) throw new Error('createIdentityAdmin: not an identity service built by createIdentityService');
  const enrolment = createStaffEnrolmentFunctions(ctx);
  const { createPlatformAdmin, issueBootstrapToken } = createFirstAdminFunctions(ctx, enrolment.provisionStaff);
  const { resetStaffPassword } = createPasswordFunctions(ctx);
  return { resetStaffPassword, createPlatformAdmin, issueBootstrapToken, ensureStaff: (input) => enrolment.ensureStaff(input) };
}

import { randomBytes } from 'node:crypto';
import { AppError } from '../../core/errors.ts';
import type { Executor } from '../../db/database.ts';
import type { IdentityContext } from './context.ts';
import { hashSessionToken } from './crypto.ts';
import * as firstAdminRepo from './first-admin.repository.ts';
import type { StaffDto } from './staff.ts';
import type { CreateStaffInput } from './staff-enrolment.ts';

/**
 * The first platform administrator of an install. There is no built-in account: the operator
 * creates one with `yiban admin create`, or the server prints a one-time bootstrap token at a
 * start that finds no administrator, and whoever holds it creates the administrator once
 * (`POST /api/auth/bootstrap`, the console's 首次设置 page).
 */

/** The root of a deployment, where the platform administrator's role is held (it covers every node anyway). */
export const PLATFORM_ADMIN_ORG = '13';
export const BOOTSTRAP_TOKEN_TTL_MS = 24 * 3600_000;

export interface CreateAdminInput {
  username: string;
  name: string;
  password: string;
  /** Default PLATFORM_ADMIN_ORG. */
  orgCode?: string;
}

export interface BootstrapInput extends CreateAdminInput {
  token: string;
}

type ProvisionStaff = (input: CreateStaffInput, inTx?: (tx: Executor) => Promise<void>) => Promise<StaffDto>;

export function createFirstAdminFunctions({ db, clock }: IdentityContext, provisionStaff: ProvisionStaff) {
  const asStaff = (input: CreateAdminInput): CreateStaffInput => ({
    username: input.username,
    name: input.name,
    password: input.password,
    roles: [{ role: 'platform_admin', orgCode: input.orgCode ?? PLATFORM_ADMIN_ORG }],
  });

  /** Whether the install has no active platform administrator (then the console offers 首次设置). */
  async function needsBootstrap(): Promise<boolean> {
    return !(await firstAdminRepo.platformAdminExists(db));
  }

  /** The operator (CLI) creates a platform administrator; the password must pass the policy. */
  async function createPlatformAdmin(input: CreateAdminInput): Promise<StaffDto> {
    return provisionStaff(asStaff(input));
  }

  /**
   * At start, when no administrator exists: a fresh token (256 bits, base64url), of which only
   * the SHA-256 is stored, replacing any earlier unused one. The caller prints it once; it
   * cannot be shown again. Null when an administrator exists.
   */
  async function issueBootstrapToken(): Promise<{ token: string; expiresAt: Date } | null> {
    if (!(await needsBootstrap())) return null;
    const now = clock();
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + BOOTSTRAP_TOKEN_TTL_MS);
    await db.transaction(async (tx) => {
      await firstAdminRepo.deleteExpiredBootstrapTokens(tx, now);
      await firstAdminRepo.replaceBootstrapToken(tx, { tokenHash: hashSessionToken(token), createdAt: now, expiresAt });
    });
    return { token, expiresAt };
  }

  /**
   * Creates the first administrator with the token, once: the token is burnt in the account's
   * transaction, so of two uses exactly one creates an account. Refused once any administrator
   * exists, whatever the token.
   */
  async function bootstrapAdmin(input: BootstrapInput): Promise<StaffDto> {
    const tokenHash = input.token.length > 0 && input.token.length <= 200 ? hashSessionToken(input.token) : null;
    if (!tokenHash) throw new AppError('BOOTSTRAP_TOKEN_INVALID');
    // The token first: without it, nothing about the input is answered.
    if (!(await firstAdminRepo.bootstrapTokenIsLive(db, tokenHash, clock())) || !(await needsBootstrap()))
      throw new AppError('BOOTSTRAP_TOKEN_INVALID');
    return provisionStaff(asStaff(input), async (tx) => {
      if (!(await firstAdminRepo.burnBootstrapToken(tx, tokenHash, clock()))) throw new AppError('BOOTSTRAP_TOKEN_INVALID');
    });
  }

  return { needsBootstrap, createPlatformAdmin, issueBootstrapToken, bootstrapAdmin };
}

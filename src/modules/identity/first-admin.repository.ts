import { and, eq, gt, isNull, lt } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { accounts, bootstrapTokens, staffRoles } from './identity.tables.ts';

/**
 * The first administrator (first-admin.ts): whether one exists, and the one-time bootstrap token.
 * Every function takes the executor, so that callers choose the transaction.
 */

/** Whether an active account holds the platform administrator role. */
export async function platformAdminExists(ex: Executor): Promise<boolean> {
  const [row] = await ex
    .select({ id: staffRoles.accountId })
    .from(staffRoles)
    .innerJoin(accounts, eq(accounts.id, staffRoles.accountId))
    .where(and(eq(staffRoles.role, 'platform_admin'), eq(accounts.status, 'active')))
    .limit(1);
  return row !== undefined;
}

/** One live bootstrap token at a time: a new one replaces the others. */
export async function replaceBootstrapToken(ex: Executor, values: { tokenHash: string; createdAt: Date; expiresAt: Date }): Promise<void> {
  await ex.delete(bootstrapTokens).where(isNull(bootstrapTokens.usedAt));
  await ex.insert(bootstrapTokens).values(values);
}

export async function bootstrapTokenIsLive(ex: Executor, tokenHash: string, at: Date): Promise<boolean> {
  const [row] = await ex
    .select({ tokenHash: bootstrapTokens.tokenHash })
    .from(bootstrapTokens)
    .where(and(eq(bootstrapTokens.tokenHash, tokenHash), isNull(bootstrapTokens.usedAt), gt(bootstrapTokens.expiresAt, at)));
  return row !== undefined;
}

/** Marks the token used if it is live; true when this call burnt it (so two uses give one admin). */
export async function burnBootstrapToken(ex: Executor, tokenHash: string, at: Date): Promise<boolean> {
  const rows = await ex
    .update(bootstrapTokens)
    .set({ usedAt: at })
    .where(and(eq(bootstrapTokens.tokenHash, tokenHash), isNull(bootstrapTokens.usedAt), gt(bootstrapTokens.expiresAt, at)))
    .returning({ tokenHash: bootstrapTokens.tokenHash });
  return rows.length === 1;
}

export async function deleteExpiredBootstrapTokens(ex: Executor, at: Date): Promise<void> {
  await ex.delete(bootstrapTokens).where(and(isNull(bootstrapTokens.usedAt), lt(bootstrapTokens.expiresAt, at)));
}

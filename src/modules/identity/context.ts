import { AppError } from '../../core/errors.ts';
import type { Db, Executor } from '../../db/database.ts';
import type { ResidentIdVault } from './crypto.ts';
import type { OrgDirectory, OrgInfo } from './identity.service.ts';
import type { SessionCache } from './session-cache.ts';

/** What the parts of the identity service share. */
export interface IdentityContext {
  db: Db;
  vault: ResidentIdVault;
  orgs: OrgDirectory;
  clock: () => Date;
  /** Validated sessions; whatever ends or changes a session drops its entries (session-cache.ts). */
  sessionCache: SessionCache;
  /** Where `resident.registered` is written, in the registration's transaction (the events module, from the composition root). */
  events?: EventSink;
}

/** The events module's enqueue, as identity uses it. */
export interface EventSink {
  enqueue(tx: Executor, event: { topic: string; payload: Record<string, unknown> }): Promise<unknown>;
}

/** A resident's home must be a village (or community) node of the org tree. */
export async function requireVillage(orgs: OrgDirectory, code: string): Promise<OrgInfo> {
  const org = await orgs.getOrg(code.trim());
  if (!org || org.level !== 'village') throw new AppError('INVALID_DIVISION_CODE', { code: code.trim().slice(0, 40) });
  return org;
}

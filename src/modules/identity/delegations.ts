import type { Static } from '@sinclair/typebox';
import { AppError, notFound } from '../../core/errors.ts';
import type { IdentityContext } from './context.ts';
import * as accountsRepo from './accounts.repository.ts';
import * as delegationsRepo from './delegations.repository.ts';
import * as staffRepo from './staff.repository.ts';
import type { DelegationDto as DelegationSchema } from './identity.schemas.ts';
import { DELEGATION_SCOPES, type DelegationScope, type Principal } from './principal.ts';
import { isUuid, USERNAME_PATTERN } from './validation.ts';
import { message, type MessageKey } from '../../core/messages.ts';

export interface CreateDelegationInput {
  helperUsername: string;
  scopes: DelegationScope[];
  validUntil: Date | string;
}

/** A delegation as the API returns it: identity.schemas.ts's Delegation schema is the one definition. */
export type DelegationDto = Static<typeof DelegationSchema>;

const MAX_VALIDITY_YEARS = 1;

function invalid(key: MessageKey): AppError {
  return new AppError('VALIDATION_FAILED', { detail: message(key) });
}

export function createDelegationFunctions({ db, clock }: IdentityContext) {
  function toDto(row: delegationsRepo.DelegationRow, now: Date): DelegationDto {
    return {
      id: row.id,
      resident: { accountId: row.residentId, name: row.residentName, residentIdMasked: row.residentIdMasked },
      helper: { accountId: row.helperId, username: row.helperUsername, name: row.helperName },
      scopes: row.scopes.filter((s): s is DelegationScope => (DELEGATION_SCOPES as readonly string[]).includes(s)),
      validFrom: row.validFrom.toISOString(),
      validUntil: row.validUntil.toISOString(),
      revokedAt: row.revokedAt?.toISOString() ?? null,
      status: row.revokedAt ? 'revoked' : row.validUntil <= now ? 'expired' : 'active',
    };
  }

  /** Only the resident themself (not a helper acting for them) grants and withdraws authorisations. */
  function requireResidentSelf(principal: Principal): string {
    if (principal.kind !== 'resident') throw new AppError('FORBIDDEN');
    return principal.accountId;
  }

  return {
    /** 帮办代办授权. A new authorisation to the same helper replaces the one in force. */
    async createDelegation(principal: Principal, input: CreateDelegationInput): Promise<DelegationDto> {
      const residentId = requireResidentSelf(principal);
      const now = clock();
      const scopes = DELEGATION_SCOPES.filter((s) => input.scopes.includes(s));
      if (scopes.length === 0 || input.scopes.some((s) => !DELEGATION_SCOPES.includes(s))) {
        throw invalid('identity.delegation.scopes');
      }
      const validUntil = new Date(input.validUntil);
      const latest = new Date(now);
      latest.setUTCFullYear(latest.getUTCFullYear() + MAX_VALIDITY_YEARS);
      if (Number.isNaN(validUntil.getTime()) || validUntil <= now || validUntil > latest) {
        throw invalid('identity.delegation.validUntil');
      }
      const username = input.helperUsername.trim().toLowerCase();
      const helper = USERNAME_PATTERN.test(username) ? await staffRepo.findStaffByUsername(db, username) : null;
      const isHelper = helper?.status === 'active' && (await staffRepo.getRoles(db, [helper.id])).some((r) => r.role === 'helper');
      if (!helper || !isHelper) throw notFound('helper');

      const id = await db.transaction(async (tx) => {
        const replaced = await delegationsRepo.revokeActiveDelegations(tx, residentId, helper.id, now);
        const delegationId = await delegationsRepo.insertDelegation(tx, {
          residentId,
          helperId: helper.id,
          scopes,
          validFrom: now,
          validUntil,
          createdAt: now,
        });
        const detail = { delegationId, helperId: helper.id, scopes, validUntil: validUntil.toISOString(), replaced };
        await accountsRepo.insertAudit(tx, [{ accountId: residentId, actorId: residentId, action: 'delegation.created', detail, at: now }]);
        return delegationId;
      });
      const [row] = await delegationsRepo.listDelegations(db, { id });
      return toDto(row!, now);
    },

    async revokeDelegation(principal: Principal, id: string): Promise<void> {
      const [row] = isUuid(id) ? await delegationsRepo.listDelegations(db, { id }) : [];
      if (!row || principal.kind !== 'resident' || row.residentId !== principal.accountId) {
        throw new AppError('NOT_FOUND', { what: 'delegation' });
      }
      const now = clock();
      await db.transaction(async (tx) => {
        if (await delegationsRepo.revokeDelegation(tx, row.id, now)) {
          const detail = { delegationId: row.id, helperId: row.helperId };
          await accountsRepo.insertAudit(tx, [
            { accountId: row.residentId, actorId: principal.accountId, action: 'delegation.revoked', detail, at: now },
          ]);
        }
      });
    },

    /** The authorisations a resident has given, newest first, including ended ones. */
    async listMyDelegations(principal: Principal): Promise<DelegationDto[]> {
      const residentId = requireResidentSelf(principal);
      const now = clock();
      return (await delegationsRepo.listDelegations(db, { residentId })).map((r) => toDto(r, now));
    },

    /** The residents who currently authorise this helper. */
    async listMyPrincipals(principal: Principal): Promise<DelegationDto[]> {
      if (principal.kind !== 'staff') throw new AppError('FORBIDDEN');
      const now = clock();
      return (await delegationsRepo.listDelegations(db, { helperId: principal.accountId, activeAt: now })).map((r) => toDto(r, now));
    },
  };
}

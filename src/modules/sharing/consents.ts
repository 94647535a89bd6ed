import type { Static } from '@sinclair/typebox';
import { AppError, notFound } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import { decodeCursor, encodeCursor } from '../../core/cursor.ts';
import { isUuid } from '../../core/values.ts';
import type { Principal } from '../identity/index.ts';
import * as repo from './sharing.repository.ts';
import { MAX_PAGE, type SharingContext } from './sharing-context.ts';
import { exchangeView as viewOf, exchangeViews as viewsOf } from './exchange-views.ts';
import type { ExchangeView } from './sharing-types.ts';
import type { ExchangePage } from './sharing.schemas.ts';

function requireResident(principal: Principal): string {
  // Consent is personal: a helper acting under a delegation cannot give it.
  if (principal.kind !== 'resident' || principal.actingFor) throw new AppError('FORBIDDEN');
  return principal.accountId;
}

/** The resident's side: who used their data, and the requests waiting for their consent. */
export function createConsentFunctions(ctx: SharingContext) {
  const { db, clock } = ctx;
  const exchangeView = (row: repo.ExchangeRow) => viewOf(ctx, row);
  const exchangeViews = (rows: repo.ExchangeRow[]) => viewsOf(ctx, rows);
  return {
    /** "Who used my data" (谁用了我的数据): every exchange about the resident, newest first, pending ones included. */
    async listMyExchanges(
      principal: Principal,
      page: { after?: string | undefined; limit?: number | undefined } = {},
    ): Promise<Static<typeof ExchangePage>> {
      const subjectId = requireResident(principal);
      const limit = Math.min(page.limit ?? 50, MAX_PAGE);
      let before: { createdAt: Date; id: string } | undefined;
      if (page.after) {
        const [at, id] = decodeCursor(page.after, 2);
        if (typeof at !== 'number' || typeof id !== 'string')
          throw new AppError('VALIDATION_FAILED', { detail: message('cursor.invalid') });
        before = { createdAt: new Date(at), id };
      }
      const rows = await repo.listExchangesAbout(db, { subjectId, limit: limit + 1, ...(before ? { before } : {}) });
      const items = await exchangeViews(rows.slice(0, limit));
      const last = rows.length > limit ? rows[limit - 1] : undefined;
      return { items, next: last ? encodeCursor([last.createdAt.getTime(), last.id]) : null };
    },

    /** The requests waiting for the resident's consent: exactly which fields, who asks, why. */
    async listMyConsents(principal: Principal): Promise<ExchangeView[]> {
      const subjectId = requireResident(principal);
      return exchangeViews(await repo.listExchangesAbout(db, { subjectId, statuses: ['pending_consent'], limit: MAX_PAGE }));
    },

    /** The resident approves or declines a pending request. Nothing is fetched here: the consumer collects after approval. */
    async decideConsent(principal: Principal, id: string, decision: 'approve' | 'decline'): Promise<ExchangeView> {
      const subjectId = requireResident(principal);
      if (!isUuid(id)) throw notFound('exchange');
      const row = await db.transaction(async (tx) => {
        const current = await repo.findExchange(tx, id, true);
        if (!current || current.subjectId !== subjectId) throw notFound('exchange');
        if (current.status !== 'pending_consent') {
          throw new AppError('EXCHANGE_NOT_PENDING', {
            action: message(decision === 'approve' ? 'sharing.consent.approved' : 'sharing.consent.declined'),
          });
        }
        return repo.updateExchange(tx, id, { status: decision === 'approve' ? 'approved' : 'declined', decidedAt: clock() });
      });
      return exchangeView(row);
    },
  };
}

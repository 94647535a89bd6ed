import { AppError } from '../../core/errors.ts';
import type { Principal } from '../identity/index.ts';
import { requireStaffAction } from './access.ts';
import { enqueueCounted, lockRating, overturnCounts } from './counted.ts';
import { appendRatingLeaf } from './leaf.ts';
import { cleanText, conflict, invalid, notFoundOf, TEXT } from './messages.ts';
import type { RatingsContext } from './ratings-context.ts';
import * as repo from './ratings.repository.ts';
import type { AppealDecision } from './ratings.tables.ts';

/** 申诉: the responsible org appeals a rating it believes mistaken or malicious; a supervisor above it decides. Both stay on record. */
export function createAppealFunctions(ctx: RatingsContext) {
  const { db, deps, clock } = ctx;

  return {
    async appeal(principal: Principal, ratingId: string, reason: string) {
      const rating = await repo.findRating(db, ratingId);
      if (!rating) throw notFoundOf(TEXT.rating);
      requireStaffAction(principal, 'rating.manage', rating.orgPath, TEXT.rating);
      const text = cleanText(reason);
      if (!text) throw invalid('请写明申诉理由', 'give the reason for the appeal');
      return db.transaction(async (tx) => {
        const now = clock();
        const appeal = await repo.insertAppeal(tx, {
          ratingId,
          orgCode: rating.orgCode,
          reason: text,
          filedBy: principal.accountId,
          filedAt: now,
        });
        if (!appeal) throw new AppError('ALREADY_EXISTS', { what: TEXT.appealOfRating });
        await appendRatingLeaf(
          deps.ledger,
          tx,
          { event: 'appeal.filed', rating: rating.id, org: rating.orgCode, service: rating.serviceCode },
          now,
        );
        return appeal.id;
      });
    },

    /**
     * A supervisor covering the rating's org decides: the rating stands (upheld) or is set aside
     * (overturned: it counts no more, and its open rectification closes). The rating stays.
     */
    async decideAppeal(principal: Principal, appealId: string, input: { decision: AppealDecision; note?: string | undefined }) {
      const seen = await repo.findAppeal(db, appealId);
      const rating = seen ? await repo.findRating(db, seen.ratingId) : undefined;
      if (!seen || !rating) throw notFoundOf(TEXT.appeal);
      requireStaffAction(principal, 'rating.decide', rating.orgPath, TEXT.appeal);
      const note = input.note === undefined ? null : cleanText(input.note) || null;
      await db.transaction(async (tx) => {
        await lockRating(tx, rating.id);
        const appeal = (await repo.lockAppeal(tx, appealId))!;
        if (appeal.decision) throw conflict('该申诉已有决定', 'this appeal has been decided');
        const now = clock();
        // Set aside, the rating and its steps count no more (taken before its task closes).
        if (input.decision === 'overturned') await enqueueCounted(tx, rating, await overturnCounts(tx, rating));
        await repo.updateAppeal(tx, appeal.id, {
          decision: input.decision,
          decisionNote: note,
          decidedBy: principal.accountId,
          decidedAt: now,
        });
        await appendRatingLeaf(
          deps.ledger,
          tx,
          { event: 'appeal.decided', rating: rating.id, org: rating.orgCode, service: rating.serviceCode, decision: input.decision },
          now,
        );
        if (input.decision === 'overturned') {
          const [task] = await repo.rectificationsOf(tx, [rating.id]);
          if (task && task.state !== 'closed') await repo.updateRectification(tx, task.id, { state: 'closed', closedAt: now });
        }
      });
      return rating.id;
    },
  };
}

import { chinaDate } from '../../core/values.ts';
import { requireResidentScope, type Principal } from '../identity/index.ts';
import { requireStaffAction } from './access.ts';
import { enqueueCounted, lockRating, overturned } from './counted.ts';
import { appendRatingLeaf } from './leaf.ts';
import { isBad, RERATINGS } from './levels.ts';
import { cleanText, conflict, invalid, notFoundOf, TEXT } from './messages.ts';
import { RECTIFICATION_ESCALATED_TOPIC, type RatingsContext } from './ratings-context.ts';
import * as repo from './ratings.repository.ts';
import type { CallbackOutcome, Rerating } from './ratings.tables.ts';

const ESCALATION_BATCH = 100;

/** 整改 and 回访: the org replies, the resident re-rates, the org records its callbacks, and overdue tasks escalate. */
export function createRectifyFunctions(ctx: RatingsContext) {
  const { db, deps, clock } = ctx;

  async function ratingOf(id: string) {
    const rating = await repo.findRating(db, id);
    if (!rating) throw notFoundOf(TEXT.rating);
    return rating;
  }

  return {
    /** The responsible org (or an org above it) answers with what it rectified; the resident is asked to re-rate. */
    async reply(principal: Principal, rectificationId: string, text: string) {
      const seen = await repo.findRectification(db, rectificationId);
      if (!seen) throw notFoundOf(TEXT.rectification);
      requireStaffAction(principal, 'rating.manage', seen.orgPath, TEXT.rectification);
      const reply = cleanText(text);
      await db.transaction(async (tx) => {
        // The rating first, then the task (as an appeal decision locks them): its figures change one step at a time.
        await lockRating(tx, seen.ratingId);
        const task = (await repo.lockRectification(tx, rectificationId))!;
        if (task.state !== 'open' && task.state !== 'escalated')
          throw conflict('该整改任务已答复或已结束', 'this rectification task has been answered or is closed');
        const now = clock();
        await repo.updateRectification(tx, task.id, { state: 'rectified', reply, repliedBy: principal.accountId, repliedAt: now });
        const rating = (await repo.findRating(tx, task.ratingId))!;
        // The task is open, so its rating stands (setting it aside closes the task).
        await enqueueCounted(tx, rating, { rectified: 1, rectifiedOnTime: chinaDate(now) <= task.deadline ? 1 : 0 });
        await appendRatingLeaf(
          deps.ledger,
          tx,
          {
            event: 'rectification.replied',
            rating: rating.id,
            org: rating.orgCode,
            service: rating.serviceCode,
            rectification: task.id,
            deadline: task.deadline,
            onTime: chinaDate(now) <= task.deadline,
          },
          now,
        );
        if (deps.notices && rating.accountId) {
          await deps.notices.notifyInTx(tx, {
            accountId: rating.accountId,
            key: `rating.rectified:${task.id}`,
            kind: 'rating.rectified',
            titleZh: '整改已答复，请您评价',
            titleEn: 'The rectification has been answered: please rate it',
            bodyZh: `对您的评价，办理单位已答复整改情况：${reply}。请评价：满意、基本满意或不满意。`,
            bodyEn: `The office answered your rating with what it rectified: ${reply}. Please rate it: satisfied, fairly satisfied or dissatisfied.`,
            link: '/ratings',
            data: { ratingId: rating.id, rectificationId: task.id },
          });
        }
      });
      return seen.ratingId;
    },

    /** The resident rates the rectification of their bad rating (满意 / 基本满意 / 不满意), once; the task closes. */
    async rerate(principal: Principal, rectificationId: string, result: Rerating) {
      const accountId = requireResidentScope(principal, 'applications.submit');
      const seen = await repo.findRectification(db, rectificationId);
      const rating = seen ? await repo.findRating(db, seen.ratingId) : undefined;
      if (!seen || !rating || rating.accountId !== accountId) throw notFoundOf(TEXT.rectification);
      if (RERATINGS[result] === undefined)
        throw invalid('整改评价应为满意、基本满意或不满意', 'the re-rating must be satisfied, basically_satisfied or dissatisfied');
      await db.transaction(async (tx) => {
        const task = (await repo.lockRectification(tx, rectificationId))!;
        if (task.state !== 'rectified')
          throw conflict('整改尚未答复或已评价', 'the rectification has not been answered yet, or was rated already');
        const now = clock();
        await repo.updateRectification(tx, task.id, { state: 'closed', rerating: result, reratedAt: now, closedAt: now });
        await appendRatingLeaf(
          deps.ledger,
          tx,
          {
            event: 'rectification.rerated',
            rating: rating.id,
            org: rating.orgCode,
            service: rating.serviceCode,
            rectification: task.id,
            result,
          },
          now,
        );
      });
      return rating.id;
    },

    /** 回访: the org records a call to the resident about their real-name bad rating (reached or not, with a note). */
    async recordCallback(principal: Principal, ratingId: string, input: { outcome: CallbackOutcome; note?: string | undefined }) {
      const rating = await ratingOf(ratingId);
      requireStaffAction(principal, 'rating.manage', rating.orgPath, TEXT.rating);
      if (!isBad(rating.level)) throw conflict('只有差评需要回访', 'only a bad rating is called back');
      if (!rating.accountId) throw conflict('匿名评价无法回访', 'an anonymous rating cannot be called back');
      const note = input.note === undefined ? null : cleanText(input.note) || null;
      await db.transaction(async (tx) => {
        const now = clock();
        await lockRating(tx, ratingId);
        // The first callback of a rating that stands makes it called back (回访率).
        const first = (await repo.callbacksOf(tx, [ratingId])).length === 0;
        if (first && !(await overturned(tx, ratingId))) await enqueueCounted(tx, rating, { calledBack: 1 });
        await repo.insertCallback(tx, { ratingId, calledBy: principal.accountId, calledAt: now, outcome: input.outcome, note });
        await appendRatingLeaf(
          deps.ledger,
          tx,
          { event: 'callback', rating: rating.id, org: rating.orgCode, service: rating.serviceCode, outcome: input.outcome },
          now,
        );
      });
      return ratingId;
    },

    /**
     * Escalates every open task past its deadline to the org above its org, once (the task leaves
     * `open`), with its leaf and an event for the org above. The serve loop and the demo call it
     * (daily is enough: deadlines are dates); it needs no caller, as it acts on no one's behalf.
     */
    async escalateOverdue(now: Date = clock()): Promise<{ rectificationId: string; orgCode: string; to: string }[]> {
      const today = chinaDate(now);
      const out: { rectificationId: string; orgCode: string; to: string }[] = [];
      for (;;) {
        const due = await repo.overdueOpen(db, today, ESCALATION_BATCH);
        for (const seen of due) {
          const above = (await deps.orgs.byCode(seen.orgCode))?.parentCode ?? seen.orgCode;
          const done = await db.transaction(async (tx) => {
            const task = await repo.lockRectification(tx, seen.id);
            if (!task || task.state !== 'open') return false;
            await repo.updateRectification(tx, task.id, { state: 'escalated', escalatedToCode: above, escalatedAt: now });
            const rating = (await repo.findRating(tx, task.ratingId))!;
            await appendRatingLeaf(
              deps.ledger,
              tx,
              {
                event: 'rectification.escalated',
                rating: rating.id,
                org: rating.orgCode,
                service: rating.serviceCode,
                rectification: task.id,
                deadline: task.deadline,
                to: above,
              },
              now,
            );
            await deps.events.enqueue(tx, {
              topic: RECTIFICATION_ESCALATED_TOPIC,
              payload: { rectificationId: task.id, ratingId: rating.id, orgCode: task.orgCode, to: above, deadline: task.deadline },
            });
            return true;
          });
          if (done) out.push({ rectificationId: seen.id, orgCode: seen.orgCode, to: above });
        }
        if (due.length < ESCALATION_BATCH) return out;
      }
    },
  };
}

import { chinaDate } from '../../core/values.ts';
import type { Executor } from '../../db/database.ts';
import { isBad, LEVELS } from './levels.ts';
import * as repo from './ratings.repository.ts';
import type { RatingView } from './ratings.schemas.ts';

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** Ratings with their rectification, callbacks and appeal, in four statements whatever their number. Staff see callback notes; residents do not. */
export async function viewRatings(
  ex: Executor,
  rows: readonly repo.RatingRow[],
  options: { forStaff: boolean; now: Date },
): Promise<RatingView[]> {
  const ids = rows.map((r) => r.id);
  const [tasks, calls, appeals] = await Promise.all([repo.rectificationsOf(ex, ids), repo.callbacksOf(ex, ids), repo.appealsOf(ex, ids)]);
  return rows.map((r) =>
    ratingView(
      r,
      tasks.find((t) => t.ratingId === r.id),
      calls.filter((c) => c.ratingId === r.id),
      appeals.find((a) => a.ratingId === r.id),
      options,
    ),
  );
}

/** One rating's view from its rows (a rating just recorded: its task if bad, no callback, no appeal). */
export function ratingView(
  r: repo.RatingRow,
  task: repo.RectificationRow | undefined,
  calls: readonly repo.CallbackRow[],
  appeal: repo.AppealRow | undefined,
  options: { forStaff: boolean; now: Date },
): RatingView {
  const today = chinaDate(options.now);
  return {
    id: r.id,
    subject: r.caseId ? 'case' : 'encounter',
    caseId: r.caseId,
    encounterId: r.encounterId,
    channel: r.channel,
    level: r.level,
    levelLabel: LEVELS[r.level]!,
    bad: isBad(r.level),
    indicators: r.indicators,
    comment: r.comment,
    realName: r.accountId !== null,
    orgCode: r.orgCode,
    serviceCode: r.serviceCode,
    ratedAt: r.ratedAt.toISOString(),
    overturned: appeal?.decision === 'overturned',
    rectification: task
      ? {
          id: task.id,
          state: task.state,
          orgCode: task.orgCode,
          workingDays: task.workingDays,
          deadline: task.deadline,
          overdue: (task.state === 'open' || task.state === 'escalated') && task.deadline < today,
          escalatedToCode: task.escalatedToCode,
          escalatedAt: iso(task.escalatedAt),
          reply: task.reply,
          repliedAt: iso(task.repliedAt),
          rerating: task.rerating,
          reratedAt: iso(task.reratedAt),
          closedAt: iso(task.closedAt),
        }
      : null,
    callbacks: calls.map((c) => ({ at: c.calledAt.toISOString(), outcome: c.outcome, note: options.forStaff ? c.note : null })),
    appeal: appeal
      ? {
          id: appeal.id,
          reason: appeal.reason,
          filedAt: appeal.filedAt.toISOString(),
          decision: appeal.decision,
          decisionNote: appeal.decisionNote,
          decidedAt: iso(appeal.decidedAt),
        }
      : null,
  };
}

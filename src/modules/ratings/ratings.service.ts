import { decodeCursor, encodeCursor } from '../../core/cursor.ts';
import { chinaDate } from '../../core/values.ts';
import { can, requireResidentScope, type Principal } from '../identity/index.ts';
import { createAppealFunctions } from './appeals.ts';
import { indicatorSetOf, LEVELS, OFFLINE_INDICATORS, ONLINE_INDICATORS } from './levels.ts';
import { notFoundOf, TEXT } from './messages.ts';
import { createRateFunctions, type EncounterInput, type RatingInput } from './rate.ts';
import { createRatingsContext, type RatingsDeps } from './ratings-context.ts';
import * as repo from './ratings.repository.ts';
import type { EncounterInfo, RatingFigures, RatingView } from './ratings.schemas.ts';
import type { Bilingual } from '../../core/messages.ts';
import type { AppealDecision, CallbackOutcome, Rerating } from './ratings.tables.ts';
import { createRectifyFunctions } from './rectify.ts';
import { ratingView, viewRatings } from './views.ts';
import { notFound } from '../../core/errors.ts';

export type RatingsService = ReturnType<typeof createRatingsService>;

/**
 * 好差评 (国办发〔2019〕51号, GB/T 39734-2020): residents rate each completed case (一事一评) and each
 * encounter at a window, a kiosk or with a helper (一次一评), once; a bad rating opens a
 * rectification task for the responsible org with a deadline in the jurisdiction's working days
 * and needs a callback; the org replies, the resident re-rates, an overdue task escalates to the
 * org above; the org may appeal and a supervisor decides. Every step is a `rating.v1` ledger leaf
 * (leaf.ts). Assembled from its use cases: rate.ts, rectify.ts, appeals.ts.
 */
export function createRatingsService(deps: RatingsDeps) {
  const ctx = createRatingsContext(deps);
  const { db, clock } = ctx;
  const rate = createRateFunctions(ctx);
  const rectify = createRectifyFunctions(ctx);
  const appeals = createAppealFunctions(ctx);

  async function staffView(ratingId: string): Promise<RatingView> {
    const row = (await repo.findRating(db, ratingId))!;
    return (await viewRatings(db, [row], { forStaff: true, now: clock() }))[0]!;
  }

  async function storedView(ratingId: string): Promise<RatingView> {
    const row = (await repo.findRating(db, ratingId))!;
    return (await viewRatings(db, [row], { forStaff: false, now: clock() }))[0]!;
  }

  /** The view of a rating just recorded, from what recording it wrote (no callback or appeal yet): no read. */
  function ownView(recorded: { rating: repo.RatingRow; task: repo.RectificationRow | undefined }): RatingView {
    return ratingView(recorded.rating, recorded.task, [], undefined, { forStaff: false, now: clock() });
  }

  async function visibleOrg(principal: Principal, orgCode: string) {
    const org = await deps.orgs.byCode(orgCode);
    if (!org || !can(principal, 'rating.view', { orgPath: org.path })) throw notFound('org');
    return org;
  }

  return {
    /** Escalates overdue open rectification tasks to the org above, once each (the serve loop, the demo). */
    escalateOverdue: (now?: Date) => rectify.escalateOverdue(now),

    async rateCase(principal: Principal, caseId: string, input: RatingInput): Promise<RatingView> {
      return ownView(await rate.rateCase(principal, caseId, input));
    },

    async openEncounter(principal: Principal, input: EncounterInput) {
      const e = await rate.openEncounter(principal, input);
      return {
        id: e.id,
        token: e.token,
        link: `/rate/${e.token}`,
        channel: e.channel,
        orgCode: e.orgCode,
        serviceCode: e.serviceCode,
        named: e.accountId !== null,
        expiresAt: e.expiresAt.toISOString(),
      };
    },

    /** The pad page's and the SMS link's view of an encounter: who served, what, and what to score; nothing personal. */
    async encounterInfo(token: string): Promise<EncounterInfo> {
      const { encounter, rated } = await rate.encounterInfo(token);
      const [org, item] = await Promise.all([deps.orgs.byCode(encounter.orgCode), deps.catalog.getItem(encounter.serviceCode)]);
      const set: Record<string, Bilingual> = indicatorSetOf(encounter.channel) === 'online' ? ONLINE_INDICATORS : OFFLINE_INDICATORS;
      return {
        orgName: org?.name ?? encounter.orgCode,
        serviceName: { zh: item?.nameZh ?? encounter.serviceCode, en: item?.nameEn ?? encounter.serviceCode },
        channel: encounter.channel,
        levels: [5, 4, 3, 2, 1].map((level) => ({ level, ...LEVELS[level]! })),
        indicators: Object.entries(set).map(([name, words]) => ({ name, ...words })),
        expiresAt: encounter.expiresAt.toISOString(),
        rated,
      };
    },

    async rateEncounter(principal: Principal | null, token: string, input: RatingInput & { via: 'pad' | 'sms' }): Promise<RatingView> {
      return ownView(await rate.rateEncounter(principal, token, input));
    },

    /** The resident's own ratings, newest first, with their rectifications (to re-rate). */
    async mine(principal: Principal): Promise<RatingView[]> {
      const accountId = requireResidentScope(principal, 'applications.view');
      return viewRatings(db, await repo.ratingsOfAccount(db, accountId), { forStaff: false, now: clock() });
    },

    async rerate(principal: Principal, rectificationId: string, result: Rerating): Promise<RatingView> {
      return storedView(await rectify.rerate(principal, rectificationId, result));
    },

    /** Staff of an org (or above it): the ratings of the org and the orgs below, newest first; `bad` for the bad ones. */
    async listForOrg(
      principal: Principal,
      query: { orgCode: string; bad?: boolean | undefined; cursor?: string | undefined; limit?: number | undefined },
    ): Promise<{ items: RatingView[]; next: string | null }> {
      const org = await visibleOrg(principal, query.orgCode);
      const limit = query.limit ?? 50;
      const before = query.cursor
        ? (([at, id]) => ({ at: new Date(String(at)), id: String(id) }))(decodeCursor(query.cursor, 2))
        : undefined;
      const rows = await repo.ratingsPage(db, { path: org.path, badOnly: query.bad ?? false, before, limit: limit + 1 });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: await viewRatings(db, page, { forStaff: true, now: clock() }),
        next: rows.length > limit && last ? encodeCursor([last.ratedAt.toISOString(), last.id]) : null,
      };
    },

    async getRating(principal: Principal, ratingId: string): Promise<RatingView> {
      const rating = await repo.findRating(db, ratingId);
      if (!rating || !can(principal, 'rating.view', { orgPath: rating.orgPath })) throw notFoundOf(TEXT.rating);
      return staffView(rating.id);
    },

    async reply(principal: Principal, rectificationId: string, reply: string): Promise<RatingView> {
      return staffView(await rectify.reply(principal, rectificationId, reply));
    },

    async recordCallback(principal: Principal, ratingId: string, input: { outcome: CallbackOutcome; note?: string | undefined }) {
      return staffView(await rectify.recordCallback(principal, ratingId, input));
    },

    async appeal(principal: Principal, ratingId: string, reason: string): Promise<RatingView> {
      await appeals.appeal(principal, ratingId, reason);
      return staffView(ratingId);
    },

    async decideAppeal(principal: Principal, appealId: string, input: { decision: AppealDecision; note?: string | undefined }) {
      return staffView(await appeals.decideAppeal(principal, appealId, input));
    },

    /** An org subtree's figures: 好评率, bad ratings, callback rate (called back ÷ real-name bad ratings), rectification on time. */
    async figures(principal: Principal, orgCode: string): Promise<RatingFigures> {
      const org = await visibleOrg(principal, orgCode);
      const f = await repo.figuresOf(db, org.path, chinaDate(clock()));
      return {
        orgCode: org.code,
        ratings: f.ratings,
        good: f.good,
        bad: f.bad,
        badOverturned: f.badOverturned,
        goodRate: f.ratings === 0 ? null : f.good / f.ratings,
        realNameBad: f.realNameBad,
        calledBack: f.calledBack,
        callbackRate: f.realNameBad === 0 ? null : f.calledBack / f.realNameBad,
        rectificationsOpen: f.open,
        rectificationsOverdue: f.overdue,
        escalated: f.escalated,
        rectified: f.rectified,
        rectifiedOnTime: f.rectifiedOnTime,
      };
    },
  };
}

/** Sets a jurisdiction's rectification deadline in working days (the seed, the CLI, tests): no access check, never handed to a route. */
export async function setRatingPolicy(
  db: RatingsDeps['db'],
  policy: { orgPath: string; workingDays: number; basis?: string | undefined },
  now: Date = new Date(),
): Promise<void> {
  if (!Number.isInteger(policy.workingDays) || policy.workingDays < 1 || policy.workingDays > 60)
    throw new RangeError('working days must be an integer from 1 to 60');
  await repo.upsertPolicy(db, { orgPath: policy.orgPath, workingDays: policy.workingDays, basis: policy.basis ?? null, updatedAt: now });
}

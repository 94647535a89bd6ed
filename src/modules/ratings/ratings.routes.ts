import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { withErrors } from '../../http/schemas.ts';
import type { RatingsService } from './ratings.service.ts';
import {
  AppealBody,
  CallbackBody,
  DecisionBody,
  EncounterBody,
  EncounterInfoSchema,
  EncounterRatingBody,
  EncounterSchema,
  IdParams,
  RatingBody,
  RatingFiguresSchema,
  RatingSchema,
  RatingsPageSchema,
  RatingsQuery,
  ReplyBody,
  RerateBody,
  TokenParams,
} from './ratings.schemas.ts';

const tags = ['ratings'];

/** 好差评: residents rate cases and encounters and re-rate rectifications; orgs reply, call back and appeal; supervisors decide appeals. */
export function ratingsRoutes(deps: { ratings: RatingsService }): FastifyPluginAsyncTypebox {
  const { ratings } = deps;
  return async (app) => {
    app.post(
      '/me/cases/:id/rating',
      {
        schema: {
          tags,
          summary: '一事一评 · rate a completed case of mine (once, within the rating period)',
          params: IdParams,
          body: RatingBody,
          response: withErrors({ 200: RatingSchema }, [400, 401, 403, 404, 409]),
        },
      },
      async (request) => ratings.rateCase(requirePrincipal(request), request.params.id, request.body),
    );

    app.get(
      '/me/ratings',
      {
        schema: {
          tags,
          summary: '我的评价 · my ratings, with their rectifications',
          response: withErrors({ 200: Type.Array(RatingSchema) }, [401, 403]),
        },
      },
      async (request) => ratings.mine(requirePrincipal(request)),
    );

    app.post(
      '/me/rectifications/:id/rerating',
      {
        schema: {
          tags,
          summary: '整改评价 · rate the rectification of my bad rating (满意 / 基本满意 / 不满意)',
          params: IdParams,
          body: RerateBody,
          response: withErrors({ 200: RatingSchema }, [400, 401, 403, 404, 409]),
        },
      },
      async (request) => ratings.rerate(requirePrincipal(request), request.params.id, request.body.result),
    );

    app.post(
      '/rating-encounters',
      {
        schema: {
          tags,
          summary: '一次一评 · open the rating of a service encounter (window, kiosk, helper): a token for the pad page or an SMS link',
          body: EncounterBody,
          response: withErrors({ 200: EncounterSchema }, [400, 401, 404]),
        },
      },
      async (request) => ratings.openEncounter(requirePrincipal(request), request.body),
    );

    app.get(
      '/rating-encounters/:token',
      {
        schema: {
          tags,
          summary: '评价页 · what an encounter’s rating page shows (no login)',
          params: TokenParams,
          response: withErrors({ 200: EncounterInfoSchema }, [400, 404]),
        },
      },
      async (request) => ratings.encounterInfo(request.params.token),
    );

    app.post(
      '/rating-encounters/:token/rating',
      {
        schema: {
          tags,
          summary: '一次一评 · rate an encounter by its token, once (the pad page needs no login)',
          params: TokenParams,
          body: EncounterRatingBody,
          response: withErrors({ 200: RatingSchema }, [400, 403, 404, 409]),
        },
      },
      async (request) => ratings.rateEncounter(request.principal ?? null, request.params.token, request.body),
    );

    app.get(
      '/ratings',
      {
        schema: {
          tags,
          summary: '评价记录 · the ratings of an org and the orgs below it, newest first',
          querystring: RatingsQuery,
          response: withErrors({ 200: RatingsPageSchema }, [400, 401, 404]),
        },
      },
      async (request) => ratings.listForOrg(requirePrincipal(request), request.query),
    );

    app.get(
      '/ratings/figures',
      {
        schema: {
          tags,
          summary: '好差评统计 · good-rating rate, bad ratings, callback rate, rectification on time',
          querystring: Type.Object({ orgCode: RatingsQuery.properties.orgCode }),
          response: withErrors({ 200: RatingFiguresSchema }, [400, 401, 404]),
        },
      },
      async (request) => ratings.figures(requirePrincipal(request), request.query.orgCode),
    );

    app.get(
      '/ratings/:id',
      {
        schema: {
          tags,
          summary: '一条评价 · one rating with its rectification, callbacks and appeal',
          params: IdParams,
          response: withErrors({ 200: RatingSchema }, [401, 404]),
        },
      },
      async (request) => ratings.getRating(requirePrincipal(request), request.params.id),
    );

    app.post(
      '/ratings/:id/callbacks',
      {
        schema: {
          tags,
          summary: '回访 · record a callback to the resident about a real-name bad rating',
          params: IdParams,
          body: CallbackBody,
          response: withErrors({ 200: RatingSchema }, [400, 401, 403, 404, 409]),
        },
      },
      async (request) => ratings.recordCallback(requirePrincipal(request), request.params.id, request.body),
    );

    app.post(
      '/ratings/:id/appeal',
      {
        schema: {
          tags,
          summary: '申诉 · appeal a rating believed mistaken or malicious (the responsible org, once)',
          params: IdParams,
          body: AppealBody,
          response: withErrors({ 200: RatingSchema }, [400, 401, 403, 404, 409]),
        },
      },
      async (request) => ratings.appeal(requirePrincipal(request), request.params.id, request.body.reason),
    );

    app.post(
      '/rating-appeals/:id/decision',
      {
        schema: {
          tags,
          summary: '申诉裁决 · a supervisor decides an appeal: the rating stands or is set aside (both kept)',
          params: IdParams,
          body: DecisionBody,
          response: withErrors({ 200: RatingSchema }, [400, 401, 403, 404, 409]),
        },
      },
      async (request) => ratings.decideAppeal(requirePrincipal(request), request.params.id, request.body),
    );

    app.post(
      '/rectifications/:id/reply',
      {
        schema: {
          tags,
          summary: '整改答复 · the responsible org answers with its rectification (the resident is asked to re-rate)',
          params: IdParams,
          body: ReplyBody,
          response: withErrors({ 200: RatingSchema }, [400, 401, 403, 404, 409]),
        },
      },
      async (request) => ratings.reply(requirePrincipal(request), request.params.id, request.body.reply),
    );
  };
}

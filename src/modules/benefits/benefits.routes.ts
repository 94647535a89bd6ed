import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { withErrors } from '../../http/schemas.ts';
import type { BenefitsService } from './benefits.service.ts';
import {
  BenefitCatalogueSchema,
  BenefitFiguresSchema,
  BenefitGrantSchema,
  GrantParams,
  GrantsPageSchema,
  GrantsQuery,
  OptOutBody,
  ReviewBody,
} from './benefits.schemas.ts';

const tags = ['benefits'];

/** Benefits with no application: the resident's own (confirm, decline, opt out, review), and the paying department's grants and figures. */
export function benefitsRoutes(deps: { benefits: BenefitsService }): FastifyPluginAsyncTypebox {
  const { benefits } = deps;
  return async (app) => {
    app.get(
      '/benefits/catalogue',
      {
        schema: {
          tags,
          summary: '待遇目录 · the benefits the platform grants without an application',
          response: withErrors({ 200: Type.Array(BenefitCatalogueSchema) }, [401]),
        },
      },
      async (request) => {
        requirePrincipal(request);
        return benefits.catalogue();
      },
    );

    app.get(
      '/me/benefits',
      {
        schema: {
          tags,
          summary: '我的待遇 · my benefits: granted, offered, stopped, and refusals with why',
          response: withErrors({ 200: Type.Array(BenefitGrantSchema) }, [401, 403]),
        },
      },
      async (request) => benefits.mine(requirePrincipal(request)),
    );

    app.get(
      '/me/benefits/:id',
      {
        schema: {
          tags,
          summary: '一项待遇 · one of my benefits, with amount, basis and why',
          params: GrantParams,
          response: withErrors({ 200: BenefitGrantSchema }, [401, 403, 404]),
        },
      },
      async (request) => benefits.getMine(requirePrincipal(request), request.params.id),
    );

    app.post(
      '/me/benefits/:id/confirm',
      {
        schema: {
          tags,
          summary: '确认领取 · confirm an offered benefit (paid after)',
          params: GrantParams,
          response: withErrors({ 200: BenefitGrantSchema }, [401, 403, 404, 409]),
        },
      },
      async (request) => benefits.confirm(requirePrincipal(request), request.params.id),
    );

    app.post(
      '/me/benefits/:id/decline',
      {
        schema: {
          tags,
          summary: '放弃 · decline an offer, or a one-off grant not yet paid',
          params: GrantParams,
          response: withErrors({ 200: BenefitGrantSchema }, [401, 403, 404, 409]),
        },
      },
      async (request) => benefits.decline(requirePrincipal(request), request.params.id),
    );

    app.post(
      '/me/benefits/:id/review',
      {
        schema: {
          tags,
          summary: '申请人工复核 · ask a person to review a refusal (opens a case)',
          params: GrantParams,
          body: ReviewBody,
          response: withErrors({ 200: BenefitGrantSchema }, [400, 401, 403, 404, 409]),
        },
      },
      async (request) => benefits.requestReview(requirePrincipal(request), request.params.id, request.body.reason),
    );

    app.post(
      '/me/benefit-opt-outs',
      {
        schema: {
          tags,
          summary: '不再享受 · opt out of a benefit (its payments stop; not granted again)',
          body: OptOutBody,
          response: withErrors({ 200: Type.Array(BenefitGrantSchema) }, [400, 401, 403, 404]),
        },
      },
      async (request) => benefits.optOut(requirePrincipal(request), request.body.benefitCode),
    );

    app.get(
      '/benefits/grants',
      {
        schema: {
          tags,
          summary: '待遇发放记录 · the paying department’s decisions (payees masked)',
          querystring: GrantsQuery,
          response: withErrors({ 200: GrantsPageSchema }, [400, 401]),
        },
      },
      async (request) => benefits.listGrants(requirePrincipal(request), request.query),
    );

    app.get(
      '/benefits/figures',
      {
        schema: {
          tags,
          summary: '待遇统计 · grants, amounts, opt-outs, trigger to payment, take-up',
          querystring: Type.Object({ benefitCode: Type.Optional(Type.String({ pattern: '^benefit\\.[a-z_]{1,48}$', maxLength: 56 })) }),
          response: withErrors({ 200: Type.Array(BenefitFiguresSchema) }, [400, 401]),
        },
      },
      async (request) => benefits.figures(requirePrincipal(request), request.query.benefitCode),
    );
  };
}

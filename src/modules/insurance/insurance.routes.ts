import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { withErrors } from '../../http/schemas.ts';
import type { InsuranceService } from './insurance.service.ts';
import {
  CatalogueEntrySchema,
  CatalogueQuery,
  CallIdParams,
  InstitutionSchema,
  MyInsuranceSchema,
  OpenRemoteSettlementsSchema,
  PolicySchema,
  RemoteRetrySchema,
  SetlParams,
  SettlementSchema,
  SettlementsQuery,
} from './insurance.schemas.ts';

const tags = ['insurance'];

/** Medical insurance for people: the resident's coverage and settlements, the insurance office's views, public reference data. */
export function insuranceRoutes(deps: { insurance: InsuranceService }): FastifyPluginAsyncTypebox {
  const { insurance } = deps;
  return async (app) => {
    app.get(
      '/me/insurance',
      {
        schema: {
          tags,
          summary: '我的医保 · my coverage, this year’s totals, filings and settlements with why',
          response: withErrors({ 200: MyInsuranceSchema }, [401, 403]),
        },
      },
      async (request) => insurance.mine(requirePrincipal(request)),
    );

    app.get(
      '/insurance/settlements/:setlId',
      {
        schema: {
          tags,
          summary: '结算详情 · one settlement, each line and why (mine, or my office’s region)',
          params: SetlParams,
          response: withErrors({ 200: SettlementSchema }, [400, 401, 404]),
        },
      },
      async (request) => insurance.settlement(requirePrincipal(request), request.params.setlId),
    );

    app.get(
      '/insurance/cross-province/open',
      {
        schema: {
          tags,
          summary: '跨省在途结算 · cross-province settlements of my regions’ hospitals not closed yet, the longest unchanged first',
          description:
            '待处理：医院可能仍在重试（pending，到 nextStepAt 未重试即撤回）或正等参保地撤回（abandoning）。不含个人信息。Pending ones are withdrawn at nextStepAt unless the hospital retries; abandoning ones wait for their place of insurance. No personal data.',
          response: withErrors({ 200: OpenRemoteSettlementsSchema }, [401, 403]),
        },
      },
      async (request) => insurance.openCrossProvince(requirePrincipal(request)),
    );

    app.post(
      '/insurance/cross-province/open/:callId/retry',
      {
        schema: {
          tags,
          summary: '立即重试 · ask the place of insurance to take an abandoned cross-province settlement back now',
          description:
            '不等下次自动重试；记录发起人。reached=false：参保地仍无法访问，稍后自动重试。Without waiting for the next automatic try; who asked is recorded. reached=false: still unreachable, tried again later.',
          params: CallIdParams,
          response: withErrors({ 200: RemoteRetrySchema }, [400, 401, 403, 404, 409]),
        },
      },
      async (request) => insurance.retryCrossProvince(requirePrincipal(request), request.params.callId),
    );

    app.get(
      '/insurance/settlements',
      {
        schema: {
          tags,
          summary: '结算记录 · the settlements of the pooling regions my office runs, newest first',
          querystring: SettlementsQuery,
          response: withErrors({ 200: Type.Array(SettlementSchema) }, [400, 401, 403]),
        },
      },
      async (request) => insurance.settlements(requirePrincipal(request), request.query),
    );

    app.get(
      '/insurance/policies',
      {
        schema: {
          tags,
          summary: '医保政策 · every dated version of my regions’ policies',
          response: withErrors({ 200: Type.Array(PolicySchema) }, [401, 403]),
        },
      },
      async (request) => insurance.policies(requirePrincipal(request)),
    );

    app.get(
      '/insurance/institutions',
      {
        schema: {
          tags,
          summary: '定点医疗机构 · designated institutions (public)',
          security: [],
          response: withErrors({ 200: Type.Array(InstitutionSchema) }, []),
        },
      },
      async () => insurance.institutions(),
    );

    app.get(
      '/insurance/catalogue',
      {
        schema: {
          tags,
          summary: '医保目录 · a province’s catalogue of drugs, service items and consumables (public)',
          security: [],
          querystring: CatalogueQuery,
          response: withErrors({ 200: Type.Array(CatalogueEntrySchema) }, [400]),
        },
      },
      async (request) => insurance.catalogue(request.query.region),
    );
  };
}

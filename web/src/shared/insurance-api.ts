/**
 * The medical insurance endpoints (issue 14), typed from the generated paths (api-types.ts) like
 * api.ts: the answers' types are the server's schemas (insurance.schemas.ts,
 * policy-admin.schemas.ts), so a change there shows here at type check.
 */
import { createTypedClient, type ApiOptions, type Json } from './api-client.ts';
import type { paths } from './api-types.ts';

export type MyInsurance = Json<'/api/me/insurance', 'get'>;
type Insured = Extract<MyInsurance, { insured: true }>;
export type InsuredStatus = Insured['status'];
export type FilingKind = Insured['filings'][number]['kind'];
export type InsuranceSettlement = Json<'/api/insurance/settlements/{setlId}', 'get'>;
export type InsuranceExplanation = InsuranceSettlement['why'][number];
export type InsurancePolicy = Json<'/api/insurance/policies', 'get'>[number];
/** A version of a place of insurance's policy (policies.ts RegionPolicy): money in fen, shares in per mille. */
export type PolicyProposal = paths['/api/insurance/policies']['post']['requestBody']['content']['application/json'];
export type InsuranceScheme = keyof PolicyProposal['yearCapFen'];
export type PolicyDryRun = Json<'/api/insurance/policies/dry-run', 'post'>;
export type InsuranceInstitution = Json<'/api/insurance/institutions', 'get'>[number];
export type CatalogueEntry = Json<'/api/insurance/catalogue', 'get'>[number];
export type Clearing = Json<'/api/insurance/clearings', 'get'>[number];
export type OpenRemoteSettlements = Json<'/api/insurance/cross-province/open', 'get'>;
export type OpenRemoteSettlement = OpenRemoteSettlements['items'][number];

/** The statement (结算单) of a settlement, once sealed: a PDF the server renders. */
export const statementUrl = (setlId: string) => `/api/insurance/settlements/${encodeURIComponent(setlId)}/statement`;

export function createInsuranceApi(options: ApiOptions) {
  const { client, ok } = createTypedClient(options);
  return {
    /** 我的医保. */
    mine: () => ok(client.GET('/api/me/insurance')),
    settlement: (setlId: string) => ok(client.GET('/api/insurance/settlements/{setlId}', { params: { path: { setlId } } })),
    settlements: (query: { before?: string; limit?: number } = {}) => ok(client.GET('/api/insurance/settlements', { params: { query } })),
    policies: () => ok(client.GET('/api/insurance/policies')),
    dryRunPolicy: (policy: PolicyProposal, month?: string) =>
      ok(client.POST('/api/insurance/policies/dry-run', { body: month ? { policy, month } : { policy } })),
    publishPolicy: (policy: PolicyProposal) => ok(client.POST('/api/insurance/policies', { body: policy })),
    institutions: () => ok(client.GET('/api/insurance/institutions')),
    catalogue: (region: string) => ok(client.GET('/api/insurance/catalogue', { params: { query: { region } } })),
    clearings: (month?: string) => ok(client.GET('/api/insurance/clearings', { params: { query: month ? { month } : {} } })),
    /** 跨省在途结算 of my regions' hospitals, and 立即重试 of one. */
    openCrossProvince: () => ok(client.GET('/api/insurance/cross-province/open')),
    retryCrossProvince: (callId: string) =>
      ok(client.POST('/api/insurance/cross-province/open/{callId}/retry', { params: { path: { callId } } })),
  };
}

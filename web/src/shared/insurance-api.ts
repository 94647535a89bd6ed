/**
 * The medical insurance endpoints (issue 14), called with the same headers, cookie and errors as
 * the generated client (api.ts), with hand-written types: the endpoints are newer than
 * docs/openapi.json. Once the lead regenerates api-types.ts, these calls move into api.ts and the
 * types come from the schemas (insurance.schemas.ts, policy-admin.schemas.ts).
 */
import { ApiError, type ApiOptions } from './api.ts';

export interface InsuranceExplanation {
  rule: string;
  zh: string;
  en: string;
  policy: string;
  basis: string;
}

export interface InsuranceAmounts {
  medfee_sumamt: number;
  fulamt_ownpay_amt: number;
  overlmt_selfpay: number;
  preselfpay_amt: number;
  inscp_scp_amt: number;
  act_pay_dedc: number;
  hifp_pay: number;
  acct_pay: number;
  psn_cash_pay: number;
}

export interface InsuranceSettlement {
  setlId: string;
  mdtrtId: string;
  institutionCode: string;
  institutionName: string | null;
  treatmentRegion: string;
  insuranceRegion: string;
  status: 'settled' | 'cancelled';
  policyVersion: string;
  settledAt: string;
  cancelledAt: string | null;
  certificateId: string | null;
  amounts: InsuranceAmounts;
  why: InsuranceExplanation[];
  lines: {
    id: string;
    totalFen: number;
    fulamtOwnpayFen: number;
    overlmtSelfpayFen: number;
    preselfpayFen: number;
    inscpFen: number;
    why: InsuranceExplanation[];
  }[];
}

export type InsuranceScheme = 'employee' | 'resident';
export type InsuredStatus = 'active' | 'suspended' | 'ended';
export type FilingKind = 'long_term_residence' | 'temporary' | 'emergency';

export type MyInsurance =
  | { insured: false }
  | {
      insured: true;
      psnNo: string;
      name: string;
      idMasked: string;
      scheme: InsuranceScheme;
      region: string;
      regionName: string | null;
      status: InsuredStatus;
      accountBalanceFen: number;
      history: { fromDate: string; scheme: InsuranceScheme; region: string; status: InsuredStatus; reason: string }[];
      year: { year: number; deductibleUsedFen: number; fundPaidFen: number; accountPaidFen: number; stays: number };
      filings: { id: string; kind: FilingKind; destination: string; startDate: string; endDate: string | null }[];
      settlements: InsuranceSettlement[];
    };

type ByLevel = { 1: number; 2: number; 3: number };

/** A version of a place of insurance's policy (policies.ts RegionPolicy): money in fen, shares in per mille. */
export interface PolicyProposal {
  region: string;
  version: string;
  effectiveFrom: string;
  legalBasis: string;
  deductibleFen: { employee: ByLevel; resident: ByLevel };
  laterStayDeductiblePermille: number;
  ratioPermille: { employee: ByLevel; resident: ByLevel };
  awayReduction: { province: number; otherProvinceFiled: number; otherProvinceUnfiled: number };
  yearCapFen: { employee: number; resident: number };
  classBSelfPayPermille: number;
}

export interface InsurancePolicy extends PolicyProposal {
  effectiveTo: string | null;
  createdAt: string;
  createdBy: string;
}

export interface PolicyDryRun {
  region: string;
  month: string;
  version: string;
  count: number;
  fundFen: { then: number; proposed: number };
  accountFen: { then: number; proposed: number };
  cashFen: { then: number; proposed: number };
  changes: {
    setlId: string;
    institutionCode: string;
    day: string;
    policyVersion: string;
    totalFen: number;
    fundThenFen: number;
    fundProposedFen: number;
    cashThenFen: number;
    cashProposedFen: number;
  }[];
}

export interface PolicyPublished {
  region: string;
  version: string;
  effectiveFrom: string;
  closed: { version: string; effectiveTo: string } | null;
  ledgerEntryId: number;
}

export interface InsuranceInstitution {
  code: string;
  nameZh: string;
  nameEn: string;
  level: 1 | 2 | 3;
  region: string;
  status: 'active' | 'suspended';
  keyId: string;
}

export interface CatalogueEntry {
  code: string;
  kind: 'drug' | 'service' | 'consumable';
  nameZh: string;
  nameEn: string;
  unit: string;
  itemClass: 'A' | 'B' | 'C';
  priceLimitFen: number | null;
  maxPriceFen: number | null;
  effectiveFrom: string;
  effectiveTo: string | null;
}

export interface ReconTotals {
  count: number;
  totalFen: number;
  fundFen: number;
  accountFen: number;
  cashFen: number;
}

export interface Clearing {
  month: string;
  treatmentRegion: string;
  insuranceRegion: string;
  totals: ReconTotals;
  discrepancies: { institutionCode: string; day: string; reason: string }[];
  certificateId: string | null;
  createdAt: string;
}

/** The statement (结算单) of a settlement, once sealed: a PDF the server renders. */
export const statementUrl = (setlId: string) => `/api/insurance/settlements/${encodeURIComponent(setlId)}/statement`;

export function createInsuranceApi(options: ApiOptions) {
  async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers = new Headers({ accept: 'application/json', 'accept-language': options.lang() === 'en' ? 'en' : 'zh-CN' });
    const account = options.account?.();
    if (account) headers.set('x-yiban-account', account);
    const behalf = options.onBehalfOf?.();
    if (behalf) headers.set('x-on-behalf-of', behalf);
    if (body !== undefined) headers.set('content-type', 'application/json');
    const response = await globalThis.fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const parsed: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      if (response.status === 401) options.onUnauthorized?.();
      const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      throw new ApiError(
        response.status,
        typeof error?.code === 'string' ? error.code : 'HTTP_ERROR',
        typeof error?.message === 'string' ? error.message : `${response.status} ${response.statusText}`,
      );
    }
    return parsed as T;
  }
  const q = (params: Record<string, string | number | undefined>) => {
    const s = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') s.set(k, String(v));
    const text = s.toString();
    return text ? `?${text}` : '';
  };

  return {
    /** 我的医保. */
    mine: () => request<MyInsurance>('GET', '/api/me/insurance'),
    settlement: (setlId: string) => request<InsuranceSettlement>('GET', `/api/insurance/settlements/${encodeURIComponent(setlId)}`),
    settlements: (params: { before?: string; limit?: number } = {}) =>
      request<InsuranceSettlement[]>('GET', `/api/insurance/settlements${q(params)}`),
    policies: () => request<InsurancePolicy[]>('GET', '/api/insurance/policies'),
    dryRunPolicy: (policy: PolicyProposal, month?: string) =>
      request<PolicyDryRun>('POST', '/api/insurance/policies/dry-run', month ? { policy, month } : { policy }),
    publishPolicy: (policy: PolicyProposal) => request<PolicyPublished>('POST', '/api/insurance/policies', policy),
    institutions: () => request<InsuranceInstitution[]>('GET', '/api/insurance/institutions'),
    catalogue: (region: string) => request<CatalogueEntry[]>('GET', `/api/insurance/catalogue${q({ region })}`),
    clearings: (month?: string) => request<Clearing[]>('GET', `/api/insurance/clearings${q({ month })}`),
  };
}

export type InsuranceApi = ReturnType<typeof createInsuranceApi>;

/**
 * The one typed client of the Yiban API for every web app. Types mirror docs/openapi.json
 * (only the fields the pages use). Errors arrive as ApiError with the server's stable code and
 * its message in the page's language.
 */
import type { Lang } from './i18n.tsx';

export type Bilingual = { zh: string; en: string };

export type CaseState = 'draft' | 'submitted' | 'accepted' | 'in_review' | 'returned' | 'approved' | 'rejected' | 'completed';

export interface Role {
  role: string;
  orgCode: string;
}

/** A login's answer to a page: the session itself is only in the HttpOnly cookie the server set. */
export interface LoginResult {
  expiresAt: string;
  account: { id: string; kind: 'resident' | 'staff'; name: string; username?: string; residentIdMasked?: string; roles: Role[] };
}

export type Me =
  | {
      kind: 'resident';
      accountId: string;
      name: string;
      residentIdMasked: string;
      phoneMasked: string;
      birthDate: string;
      gender: 'male' | 'female';
      homeOrg: { code: string; name: string } | null;
    }
  | {
      kind: 'staff';
      accountId: string;
      name: string;
      username: string;
      roles: Role[];
      actingFor: { residentId: string; delegationId: string; scopes: string[] } | null;
    };

export interface FormField {
  name: string;
  labelZh: string;
  labelEn: string;
  type: string;
  required: boolean;
  maxLength?: number;
  options?: { value: string; labelZh: string; labelEn: string }[];
}

export interface ServiceItem {
  code: string;
  nameZh: string;
  nameEn: string;
  category: string;
  handlerLevel: string;
  materials: { code: string; nameZh: string; nameEn: string; required: boolean; proofFree: boolean }[];
  formFields: FormField[];
  timeLimitDays: number;
  feeCents: number;
  online: boolean;
  certificateType: string | null;
}

export interface CaseSummary {
  id: string;
  caseNo: string;
  serviceCode: string;
  serviceName: Bilingual;
  state: CaseState;
  stateLabel: Bilingual;
  channel: string;
  orgCode: string;
  applicantId: string;
  helperId: string | null;
  form: Record<string, string>;
  submittedAt: string | null;
  dueDate: string | null;
  overdue: boolean;
  decidedAt: string | null;
  completedAt: string | null;
  returnReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface CaseEvent {
  action: string;
  fromState: string | null;
  toState: string;
  actorId: string;
  onBehalfOf: string | null;
  channel: string;
  reason: string | null;
  at: string;
}

export interface CaseDetail extends CaseSummary {
  orgName: string;
  applicant: { name: string; residentIdMasked: string } | null;
  events: CaseEvent[];
}

export interface Certificate {
  id: string;
  identifier: string;
  type: string;
  typeName: Bilingual;
  issuer: { code: string; name: string };
  holder: { name: string; residentIdMasked: string };
  issuedAt: string;
  validUntil: string | null;
  status: 'active' | 'revoked' | 'suspended';
  statusReason: string | null;
  fields: { name: string; labelZh: string; labelEn: string; value: string }[];
  caseId: string;
  ledgerEntryId: number;
}

export interface Share {
  id: string;
  certificateId: string;
  fields: string[];
  expiresAt: string;
  revoked: boolean;
  token?: string;
  url?: string;
}

export interface Delegation {
  id: string;
  resident: { accountId: string; name: string; residentIdMasked: string };
  helper: { accountId: string; username: string; name: string };
  scopes: string[];
  validFrom: string;
  validUntil: string;
  revokedAt: string | null;
  status: string;
}

// Console administration and helper authorisations (seals, signatures, staff, overview, helper acts).
export interface SealKey {
  keyId: string;
  algorithm: string;
  status: 'active' | 'retired';
  notBefore: string;
  notAfter: string;
  subject: string;
  issuer: string;
  serial: string;
  fingerprint: string;
  certificatePem: string;
}

export interface OrgSeal {
  orgCode: string;
  orgName: string;
  image: string;
  keys: SealKey[];
}

export interface RegisteredSignature {
  id: string;
  accountId: string;
  orgCode: string;
  status: 'pending' | 'active' | 'retired';
  image: string;
  uploadedAt: string;
  activatedAt: string | null;
}

export interface StaffMember {
  accountId: string;
  username: string;
  name: string;
  status: 'active' | 'disabled';
  roles: Role[];
  createdAt: string;
}

export interface OverviewRow {
  code: string;
  name: string;
  level: string;
  open: number;
  overdue: number;
  leaf: boolean;
}

export interface Overview {
  org: { code: string; name: string; level: string };
  trail: { code: string; name: string; level: string }[];
  today: string;
  totals: { open: number; overdue: number };
  children: OverviewRow[];
}

export interface HelperAct {
  caseId: string;
  caseNo: string;
  serviceName: Bilingual;
  action: string;
  actionLabel: Bilingual;
  fromState: string | null;
  toState: string;
  helperId: string;
  channel: string;
  at: string;
}

export interface Org {
  code: string;
  level: string;
  name: string;
  parentCode: string | null;
  path: string;
}

export type BatchOutcome = 'approved' | 'rejected' | 'conflict' | 'not_found' | 'forbidden' | 'failed';

export interface BatchDecideResult {
  results: { id: string; outcome: BatchOutcome; state?: CaseState; certificateNote?: string; error?: { code: string; message: string } }[];
  counts: Record<BatchOutcome, number>;
}

export type OrgRef = { code: string; name: string };
export type Sensitivity = 'low' | 'medium' | 'high';
export interface DatasetField {
  name: string;
  labelZh: string;
  labelEn: string;
  sensitivity: Sensitivity;
}

export interface BundleDefinition {
  code: string;
  nameZh: string;
  nameEn: string;
  tasks: { key: string; item: string; dependsOn: string[] }[];
  fields: { name: string; source: { kind: 'dataset'; dataset: string; field: string; via: string; purpose: string } | { kind: 'typed' } }[];
  rules: { id: string; departmentKind: string; tasks: string[] }[];
}

export interface Burden {
  forms: number;
  formsSeparate: number;
  fieldsTotal: number;
  fieldsPrefilled: number;
  fieldsSeparate: number;
  materialsSeparate: number;
  materialsBundle: number;
  daysSeparate: number;
  daysBundle: number | null;
  trips: number;
  outputs: string[];
}

export interface BundlePreview {
  bundle: { code: string; nameZh: string; nameEn: string };
  fields: {
    name: string;
    labelZh: string;
    labelEn: string;
    type: string;
    required: boolean;
    maxLength: number | null;
    source: 'dataset' | 'typed';
    dataset: { code: string; nameZh: string; nameEn: string } | null;
    provider: OrgRef | null;
  }[];
  exchanges: {
    dataset: { code: string; nameZh: string; nameEn: string };
    provider: OrgRef;
    consumer: OrgRef | null;
    fields: DatasetField[];
    formFields: string[];
    purpose: string;
    task: { key: string; serviceCode: string; name: Bilingual };
    granted: boolean;
    legalBasis: string | null;
    consentRequired: boolean;
    grantValidUntil: string | null;
  }[];
  tasks: {
    key: string;
    serviceCode: string;
    name: Bilingual;
    department: OrgRef | null;
    dependsOn: string[];
    timeLimitDays: number;
    materials: { code: string; nameZh: string; nameEn: string }[];
  }[];
  burden: Burden;
}

export type TaskState = 'waiting' | 'blocked' | 'in_progress' | 'returned' | 'done' | 'rejected';

export interface BundleProgress {
  id: string;
  bundle: { code: string; nameZh: string; nameEn: string };
  state: 'open' | 'done' | 'needs_attention';
  createdAt: string;
  form: { name: string; value: string | null; prefilled: boolean; dataset: string | null }[];
  tasks: {
    key: string;
    serviceCode: string;
    name: Bilingual;
    dependsOn: string[];
    state: TaskState;
    caseId: string | null;
    caseNo: string | null;
    department: OrgRef | null;
    timeLimitDays: number;
    dueDate: string | null;
    decidedBy: string | null;
    reason: Bilingual | null;
    output: { certificateId: string; identifier: string } | null;
  }[];
  burden: Burden;
}

export interface Exchange {
  id: string;
  status: 'pending_consent' | 'approved' | 'declined' | 'completed';
  dataset: { code: string; nameZh: string; nameEn: string };
  provider: OrgRef;
  consumer: OrgRef;
  fields: DatasetField[];
  purpose: string;
  caseId: string;
  consentRequired: boolean;
  legalBasis: string;
  requestedAt: string;
  decidedAt: string | null;
  completedAt: string | null;
  ledgerEntryId: number | null;
  ledgerIndex: number | null;
}

export interface Dataset {
  code: string;
  nameZh: string;
  nameEn: string;
  fields: DatasetField[];
  legalBasis: string;
  provider: OrgRef;
  adapter: 'internal' | 'external' | 'licences';
}

export interface Grant {
  id: string;
  datasetCode: string;
  provider: OrgRef;
  consumer: OrgRef;
  fields: string[];
  purpose: string;
  legalBasis: string;
  consentRequired: boolean;
  /** A waived-consent grant waits for a supervisor (pending_approval) before it is active. */
  status: 'pending_approval' | 'active' | 'refused';
  legalBasisRef: LegalBasis | null;
  requestedBy: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionNote: string | null;
  validUntil: string;
  revokedAt: string | null;
  createdAt: string;
}

/** An entry of the legal-basis catalogue a waived-consent grant cites. */
export interface LegalBasis {
  code: string;
  titleZh: string;
  titleEn: string;
  articleZh: string;
  articleEn: string;
  summaryZh: string;
  summaryEn: string;
}

export interface Page<T> {
  items: T[];
  next: string | null;
}

export type CaseAction = 'accept' | 'start_review' | 'return' | 'approve' | 'reject' | 'complete';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * The session travels as the server's HttpOnly cookie (same origin only), never as a token that
 * page scripts could read; writes carry the page's Origin, which the server checks.
 */
export interface ApiOptions {
  lang: () => Lang;
  /**
   * The account this page shows (X-Yiban-Account): the browser's one session cookie may have been
   * replaced by a login in another tab, and the server then answers 401 rather than act as that account.
   */
  account?: () => string | null;
  /** The resident a helper acts for (X-On-Behalf-Of). */
  onBehalfOf?: () => string | null;
  /** Called on 401 so the app can return to its login page. */
  onUnauthorized?: () => void;
}

function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function createApi(options: ApiOptions) {
  async function send(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<Response> {
    const headers: Record<string, string> = { 'accept-language': options.lang() === 'en' ? 'en' : 'zh-CN', ...extra };
    const account = options.account?.();
    if (account) headers['x-yiban-account'] = account;
    const behalf = options.onBehalfOf?.();
    if (behalf) headers['x-on-behalf-of'] = behalf;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (!response.ok) {
      let code = 'HTTP_ERROR';
      let message = `${response.status} ${response.statusText}`;
      try {
        const json = (await response.json()) as { error?: { code?: string; message?: string } };
        code = json.error?.code ?? code;
        message = json.error?.message ?? message;
      } catch {
        // not JSON
      }
      if (response.status === 401) options.onUnauthorized?.();
      throw new ApiError(response.status, code, message);
    }
    return response;
  }
  const json = async <T>(method: string, path: string, body?: unknown, extra?: Record<string, string>): Promise<T> =>
    (await (await send(method, path, body, extra)).json()) as T;

  return {
    register: (body: { name: string; residentId: string; phone: string; password: string; homeOrgCode?: string }) =>
      json<{ accountId: string; name: string; residentIdMasked: string; warnings: { code: string; zh: string; en: string }[] }>(
        'POST',
        '/api/auth/residents/register',
        body,
      ),
    loginResident: (residentIdOrPhone: string, password: string, channel: 'app' | 'web' | 'kiosk' = 'app') =>
      json<LoginResult>('POST', '/api/auth/login', { kind: 'resident', residentIdOrPhone, password, channel }),
    /** The answer never carries the code: it goes to the resident's phone (or, on a demo deployment, the server console). */
    kioskCode: (residentId: string) =>
      json<{ accepted: true; expiresInSeconds: number; delivery: 'sms' | 'console' }>('POST', '/api/auth/kiosk/code', { residentId }),
    kioskLogin: (residentId: string, code: string) => json<LoginResult>('POST', '/api/auth/kiosk/login', { residentId, code }),
    loginStaff: (username: string, password: string) =>
      json<LoginResult>('POST', '/api/auth/login', { kind: 'staff', username, password, channel: 'web' }),
    logout: async () => {
      await send('POST', '/api/auth/logout');
    },
    me: () => json<Me>('GET', '/api/me'),
    // Accounts: my password (the other sessions end), and the first administrator with the setup token.
    changePassword: (body: { currentPassword: string; newPassword: string }) =>
      json<{ revokedSessions: number }>('POST', '/api/auth/password', body),
    bootstrapAdmin: (body: { token: string; username: string; name: string; password: string }) =>
      json<StaffMember>('POST', '/api/auth/bootstrap', body),
    // Console administration and helper authorisations.
    orgSeal: (code: string) => json<OrgSeal>('GET', `/api/orgs/${encodeURIComponent(code)}/seal`),
    signatures: (status?: RegisteredSignature['status']) =>
      json<{ items: RegisteredSignature[] }>('GET', `/api/signatures${query({ status })}`),
    uploadSignature: (image: string) => json<RegisteredSignature>('POST', '/api/signatures', { image }),
    activateSignature: (id: string) => json<RegisteredSignature>('POST', `/api/signatures/${id}/activate`),
    staff: (orgCode: string, after?: string) => json<Page<StaffMember>>('GET', `/api/staff${query({ orgCode, after, limit: 100 })}`),
    createStaff: (body: { username: string; name: string; password: string; roles: Role[] }) =>
      json<StaffMember>('POST', '/api/staff', body),
    grantRole: (id: string, role: Role) => json<StaffMember>('POST', `/api/staff/${id}/roles`, role),
    revokeRole: (id: string, role: Role) =>
      json<StaffMember>('DELETE', `/api/staff/${id}/roles${query({ role: role.role, orgCode: role.orgCode })}`),
    setAccountEnabled: (id: string, enabled: boolean) =>
      json<{ accountId: string; status: string }>('POST', `/api/accounts/${id}/${enabled ? 'enable' : 'disable'}`),
    orgChildren: (code: string, after?: string) =>
      json<Page<Org>>('GET', `/api/orgs/${encodeURIComponent(code)}/children${query({ after, limit: 200 })}`),
    overview: (orgCode: string) => json<Overview>('GET', `/api/overview${query({ orgCode })}`),
    createDelegation: (body: { helperUsername: string; scopes: string[]; validUntil: string }) =>
      json<Delegation>('POST', '/api/delegations', body),
    revokeDelegation: async (id: string) => {
      await send('DELETE', `/api/delegations/${id}`);
    },
    helperActs: () => json<{ items: HelperAct[] }>('GET', '/api/cases/helper-acts'),
    services: (params: { q?: string; category?: string } = {}) => json<{ items: ServiceItem[] }>('GET', `/api/services${query(params)}`),
    service: (code: string) => json<ServiceItem>('GET', `/api/services/${encodeURIComponent(code)}`),
    submitCase: (body: { serviceCode: string; form: Record<string, string>; orgCode?: string }, idempotencyKey: string) =>
      json<CaseSummary>('POST', '/api/cases', body, { 'idempotency-key': idempotencyKey }),
    myCases: (after?: string) => json<Page<CaseSummary>>('GET', `/api/cases/mine${query({ after })}`),
    case: (id: string) => json<CaseDetail>('GET', `/api/cases/${id}`),
    resubmit: (id: string, form: Record<string, string>) => json<CaseSummary>('POST', `/api/cases/${id}/resubmit`, { form }),
    act: (id: string, action: CaseAction, reason?: string) =>
      json<CaseSummary>('POST', `/api/cases/${id}/actions`, reason ? { action, reason } : { action }),
    batchDecide: (ids: string[], decision: 'approve' | 'reject', reason?: string) =>
      json<BatchDecideResult>('POST', '/api/cases/batch-decide', reason ? { ids, decision, reason } : { ids, decision }),
    queue: (params: { orgCode?: string; state?: CaseState; overdue?: boolean; serviceCode?: string; after?: string; limit?: number }) =>
      json<Page<CaseSummary>>('GET', `/api/queue${query(params)}`),
    caseCertificate: (id: string) => json<Certificate>('GET', `/api/cases/${id}/certificate`),
    myCertificates: () => json<Page<Certificate>>('GET', '/api/certificates/mine'),
    certificate: (id: string) => json<Certificate>('GET', `/api/certificates/${id}`),
    certificateQr: (id: string, fields?: string[]) =>
      json<{ qr: string; length: number }>('GET', `/api/certificates/${id}/qr${query({ fields: fields?.join(',') })}`),
    certificatePdf: async (id: string) => (await send('GET', `/api/certificates/${id}/pdf`)).blob(),
    setCertificateStatus: (id: string, status: 'revoked' | 'suspended' | 'active', reason: string) =>
      json<Certificate>('POST', `/api/certificates/${id}/status`, { status, reason }),
    createShare: (id: string, hours: number, fields?: string[]) =>
      json<Share>('POST', `/api/certificates/${id}/shares`, fields ? { hours, fields } : { hours }),
    searchOrgs: (q: string, level?: string) => json<{ items: Org[] }>('GET', `/api/orgs${query({ q, level, limit: 10 })}`),
    org: (code: string) => json<Org>('GET', `/api/orgs/${code}`),
    ancestors: (code: string) => json<{ items: Org[] }>('GET', `/api/orgs/${code}/ancestors`),
    delegations: () => json<{ items: Delegation[] }>('GET', '/api/delegations'),
    bundleDefinitions: () => json<BundleDefinition[]>('GET', '/api/bundles/definitions'),
    bundlePreview: (code: string) => json<BundlePreview>('GET', `/api/bundles/definitions/${encodeURIComponent(code)}/preview`),
    startBundle: (body: { bundle: string; form: Record<string, string>; consent: boolean }, idempotencyKey: string) =>
      json<BundleProgress>('POST', '/api/bundles', body, { 'idempotency-key': idempotencyKey }),
    myBundles: () => json<BundleProgress[]>('GET', '/api/bundles/mine'),
    bundle: (id: string) => json<BundleProgress>('GET', `/api/bundles/${id}`),
    myExchanges: (after?: string) => json<Page<Exchange>>('GET', `/api/sharing/my/exchanges${query({ after })}`),
    myConsents: () => json<Exchange[]>('GET', '/api/sharing/my/consents'),
    decideConsent: (id: string, decision: 'approve' | 'decline') => json<Exchange>('POST', `/api/sharing/my/consents/${id}/${decision}`),
    datasets: (provider?: string) => json<Dataset[]>('GET', `/api/sharing/datasets${query({ provider })}`),
    grants: (orgCode: string) => json<Grant[]>('GET', `/api/sharing/grants${query({ orgCode })}`),
    createGrant: (body: {
      datasetCode: string;
      consumerOrgCode: string;
      fields: string[];
      purpose: string;
      legalBasis: string;
      legalBasisCode?: string;
      consentRequired: boolean;
      validUntil: string;
    }) => json<Grant>('POST', '/api/sharing/grants', body),
    legalBases: () => json<LegalBasis[]>('GET', '/api/sharing/legal-bases'),
    pendingGrants: () => json<Grant[]>('GET', '/api/sharing/grants/pending'),
    approveGrant: (id: string) => json<Grant>('POST', `/api/sharing/grants/${id}/approve`),
    refuseGrant: (id: string, reason: string) => json<Grant>('POST', `/api/sharing/grants/${id}/refuse`, { reason }),
    datasetRecordsSummary: (code: string) =>
      json<{ datasetCode: string; adapter: 'internal' | 'external' | 'licences'; records: number; lastUpdatedAt: string | null }>(
        'GET',
        `/api/sharing/datasets/${encodeURIComponent(code)}/records/summary`,
      ),
    putDatasetRecord: (code: string, body: { residentId: string; data: Record<string, string> }) =>
      json<{ replaced: boolean; ledgerEntryId: number }>('PUT', `/api/sharing/datasets/${encodeURIComponent(code)}/records`, body),
    revokeGrant: (id: string) => json<Grant>('POST', `/api/sharing/grants/${id}/revoke`),
  };
}

export type Api = ReturnType<typeof createApi>;

/** A fresh idempotency key per submission attempt. */
export function newKey(): string {
  return crypto.randomUUID();
}

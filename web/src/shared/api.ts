/**
 * The one client of the Yiban API for every web app: openapi-fetch typed by the paths generated
 * from docs/openapi.json (api-types.ts, `npm run gen:client`), so each call's path, parameters,
 * body and answer are checked against the server's schemas. Errors arrive as ApiError with the
 * server's stable code and its message in the page's language.
 */
import { createTypedClient, type ApiOptions } from './api-client.ts';
import type { paths } from './api-types.ts';
import type {
  BenefitStatus,
  CaseAction,
  CaseState,
  GrantBody,
  LadderStep,
  ProposeRuleBody,
  RegisteredSignature,
  Role,
  WindowFeeLineBody,
  WindowFilingBody,
  WindowMedType,
} from './api-models.ts';

export type * from './api-models.ts';

export { ApiError, type ApiOptions } from './api-client.ts';

/** Query parameters without the empty ones (an empty filter means "any"). */
function query<T extends Record<string, unknown>>(params: T): T {
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '')) as T;
}

export function createApi(options: ApiOptions) {
  const { client, ok } = createTypedClient(options);
  const id = (value: string) => ({ path: { id: value } });
  const code = (value: string) => ({ path: { code: value } });

  return {
    register: (body: paths['/api/auth/residents/register']['post']['requestBody']['content']['application/json']) =>
      ok(client.POST('/api/auth/residents/register', { body })),
    loginResident: (residentIdOrPhone: string, password: string, channel: 'app' | 'web' | 'kiosk' = 'app') =>
      ok(client.POST('/api/auth/login', { body: { kind: 'resident', residentIdOrPhone, password, channel } })),
    /** The answer never carries the code: it goes to the resident's phone (or, on a demo deployment, the server console). */
    kioskCode: (residentId: string) => ok(client.POST('/api/auth/kiosk/code', { body: { residentId } })),
    kioskLogin: (residentId: string, code: string) => ok(client.POST('/api/auth/kiosk/login', { body: { residentId, code } })),
    loginStaff: (username: string, password: string) =>
      ok(client.POST('/api/auth/login', { body: { kind: 'staff', username, password, channel: 'web' } })),
    logout: async () => {
      await ok(client.POST('/api/auth/logout'));
    },
    me: () => ok(client.GET('/api/me')),
    // Accounts: my password (the other sessions end), and the first administrator with the setup token.
    changePassword: (body: { currentPassword: string; newPassword: string }) => ok(client.POST('/api/auth/password', { body })),
    bootstrapAdmin: (body: { token: string; username: string; name: string; password: string }) =>
      ok(client.POST('/api/auth/bootstrap', { body })),
    // Console administration and helper authorisations.
    orgSeal: (orgCode: string) => ok(client.GET('/api/orgs/{code}/seal', { params: code(orgCode) })),
    signatures: (status?: RegisteredSignature['status']) => ok(client.GET('/api/signatures', { params: { query: query({ status }) } })),
    uploadSignature: (image: string) => ok(client.POST('/api/signatures', { body: { image } })),
    activateSignature: (signatureId: string) => ok(client.POST('/api/signatures/{id}/activate', { params: id(signatureId) })),
    staff: (orgCode: string, after?: string) => ok(client.GET('/api/staff', { params: { query: query({ orgCode, after, limit: 100 }) } })),
    createStaff: (body: { username: string; name: string; password: string; roles: Role[] }) => ok(client.POST('/api/staff', { body })),
    /** The roles the caller may grant at the org (none outside their area). */
    grantableRoles: (orgCode: string) => ok(client.GET('/api/staff/grantable-roles', { params: { query: { orgCode } } })),
    grantRole: (accountId: string, role: Role) => ok(client.POST('/api/staff/{id}/roles', { params: id(accountId), body: role })),
    revokeRole: (accountId: string, role: Role) =>
      ok(client.DELETE('/api/staff/{id}/roles', { params: { ...id(accountId), query: { role: role.role, orgCode: role.orgCode } } })),
    setAccountEnabled: (accountId: string, enabled: boolean) =>
      ok(
        enabled
          ? client.POST('/api/accounts/{id}/enable', { params: id(accountId) })
          : client.POST('/api/accounts/{id}/disable', { params: id(accountId) }),
      ),
    orgChildren: (orgCode: string, after?: string) =>
      ok(client.GET('/api/orgs/{code}/children', { params: { ...code(orgCode), query: query({ after, limit: 200 }) } })),
    overview: (orgCode: string) => ok(client.GET('/api/overview', { params: { query: { orgCode } } })),
    dashboard: (orgCode: string, p: { from?: string; to?: string }) =>
      ok(client.GET('/api/dashboards/{orgCode}', { params: { path: { orgCode }, query: query(p) } })),
    dashboardExport: (
      orgCode: string,
      p: { table: 'children' | 'services' | 'trend'; format: 'csv' | 'xlsx'; from?: string; to?: string },
    ) => ok<Blob>(client.GET('/api/dashboards/{orgCode}/export', { params: { path: { orgCode }, query: query(p) }, parseAs: 'blob' })),
    createDelegation: (body: { helperUsername: string; scopes: string[]; validUntil: string }) =>
      ok(
        client.POST('/api/delegations', { body: body as paths['/api/delegations']['post']['requestBody']['content']['application/json'] }),
      ),
    revokeDelegation: async (delegationId: string) => {
      await ok(client.DELETE('/api/delegations/{id}', { params: id(delegationId) }));
    },
    helperActs: () => ok(client.GET('/api/cases/helper-acts')),
    services: (params: { q?: string; category?: string } = {}) => ok(client.GET('/api/services', { params: { query: query(params) } })),
    service: (serviceCode: string) => ok(client.GET('/api/services/{code}', { params: code(serviceCode) })),
    submitCase: (body: { serviceCode: string; form: Record<string, string>; orgCode?: string }, idempotencyKey: string) =>
      ok(client.POST('/api/cases', { body, headers: { 'idempotency-key': idempotencyKey } })),
    // The resident's inbox (消息): newest first with the unread count; marking one read answers the new count.
    inbox: (params: { cursor?: string; limit?: number } = {}) => ok(client.GET('/api/inbox', { params: { query: query(params) } })),
    markRead: (messageId: string) => ok(client.POST('/api/inbox/{id}/read', { params: id(messageId) })),
    myCases: (after?: string) => ok(client.GET('/api/cases/mine', { params: { query: query({ after }) } })),
    case: (caseId: string) => ok(client.GET('/api/cases/{id}', { params: id(caseId) })),
    resubmit: (caseId: string, form: Record<string, string>) =>
      ok(client.POST('/api/cases/{id}/resubmit', { params: id(caseId), body: { form } })),
    act: (caseId: string, action: CaseAction, reason?: string) =>
      ok(client.POST('/api/cases/{id}/actions', { params: id(caseId), body: reason ? { action, reason } : { action } })),
    batchDecide: (ids: string[], decision: 'approve' | 'reject', reason?: string) =>
      ok(client.POST('/api/cases/batch-decide', { body: reason ? { ids, decision, reason } : { ids, decision } })),
    queue: (params: { orgCode: string; state?: CaseState; overdue?: boolean; serviceCode?: string; after?: string; limit?: number }) =>
      ok(client.GET('/api/queue', { params: { query: query(params) } })),
    // 督办: the escalation ladder that applies at an org, setting one (sla.manage), and the caller's reminders (催办).
    ladder: (orgCode: string) => ok(client.GET('/api/sla/ladders/{orgCode}', { params: { path: { orgCode } } })),
    setLadder: (orgCode: string, steps: LadderStep[]) =>
      ok(client.PUT('/api/sla/ladders/{orgCode}', { params: { path: { orgCode } }, body: { steps } })),
    reminders: (params: { unseen?: boolean; before?: string; limit?: number } = {}) =>
      ok(client.GET('/api/sla/reminders', { params: { query: query(params) } })),
    reminderSeen: (reminderId: number) => ok(client.POST('/api/sla/reminders/{reminderId}/seen', { params: { path: { reminderId } } })),
    allRemindersSeen: () => ok(client.POST('/api/sla/reminders/seen')),
    caseCertificate: (caseId: string) => ok(client.GET('/api/cases/{id}/certificate', { params: id(caseId) })),
    myCertificates: () => ok(client.GET('/api/certificates/mine')),
    // 跨省通办: the resident's cross-province cases and foreign certificates, 全程网办, the window's 异地代收.
    crossCases: () => ok(client.GET('/api/federation/cases')),
    foreignCertificates: () => ok(client.GET('/api/federation/certificates')),
    federationOffers: () => ok(client.GET('/api/federation/offers')),
    applyOnline: (body: { to: string; serviceCode: string; form: Record<string, string>; orgCode?: string }, key: string) =>
      ok(client.POST('/api/federation/applications', { body, params: { header: { 'idempotency-key': key } } })),
    handOver: (body: paths['/api/federation/cases']['post']['requestBody']['content']['application/json'], key: string) =>
      ok(client.POST('/api/federation/cases', { body, params: { header: { 'idempotency-key': key } } })),
    verifyBundle: (bundle: Record<string, unknown>) => ok(client.POST('/api/verify', { body: { bundle } })),
    certificate: (certificateId: string) => ok(client.GET('/api/certificates/{id}', { params: id(certificateId) })),
    certificateQr: (certificateId: string, fields?: string[]) =>
      ok(client.GET('/api/certificates/{id}/qr', { params: { ...id(certificateId), query: query({ fields: fields?.join(',') }) } })),
    certificatePdf: (certificateId: string) =>
      ok<Blob>(client.GET('/api/certificates/{id}/pdf', { params: id(certificateId), parseAs: 'blob' })),
    setCertificateStatus: (certificateId: string, status: 'revoked' | 'suspended' | 'active', reason: string) =>
      ok(client.POST('/api/certificates/{id}/status', { params: id(certificateId), body: { status, reason } })),
    createShare: (certificateId: string, hours: number, fields?: string[]) =>
      ok(client.POST('/api/certificates/{id}/shares', { params: id(certificateId), body: fields ? { hours, fields } : { hours } })),
    searchOrgs: (q: string, level?: string) =>
      ok(
        client.GET('/api/orgs', { params: { query: query({ q, level, limit: 10 }) as paths['/api/orgs']['get']['parameters']['query'] } }),
      ),
    org: (orgCode: string) => ok(client.GET('/api/orgs/{code}', { params: code(orgCode) })),
    ancestors: (orgCode: string) => ok(client.GET('/api/orgs/{code}/ancestors', { params: code(orgCode) })),
    delegations: () => ok(client.GET('/api/delegations')),
    bundleDefinitions: () => ok(client.GET('/api/bundles/definitions')),
    bundlePreview: (bundleCode: string) => ok(client.GET('/api/bundles/definitions/{code}/preview', { params: code(bundleCode) })),
    startBundle: (body: { bundle: string; form: Record<string, string>; consent: boolean }, idempotencyKey: string) =>
      ok(client.POST('/api/bundles', { body, headers: { 'idempotency-key': idempotencyKey } })),
    myBundles: () => ok(client.GET('/api/bundles/mine')),
    bundle: (bundleId: string) => ok(client.GET('/api/bundles/{id}', { params: id(bundleId) })),
    // Evidence from another province's e-licence library (跨省调取): request, the case's requests, preview, consent or refuse.
    evidenceTypes: () => ok(client.GET('/api/federation/evidence/types')),
    requestEvidence: (body: { caseId: string; evidenceType: string; from?: string }, idempotencyKey: string) =>
      ok(client.POST('/api/federation/evidence', { body, headers: { 'idempotency-key': idempotencyKey } })),
    caseEvidence: (caseId: string) => ok(client.GET('/api/federation/evidence/cases/{caseId}', { params: { path: { caseId } } })),
    evidence: (evidenceId: string) => ok(client.GET('/api/federation/evidence/{id}', { params: id(evidenceId) })),
    decideEvidence: (evidenceId: string, decision: 'consent' | 'refuse') =>
      ok(
        decision === 'consent'
          ? client.POST('/api/federation/evidence/{id}/consent', { params: id(evidenceId) })
          : client.POST('/api/federation/evidence/{id}/refuse', { params: id(evidenceId) }),
      ),
    myExchanges: (after?: string) => ok(client.GET('/api/sharing/my/exchanges', { params: { query: query({ after }) } })),
    myConsents: () => ok(client.GET('/api/sharing/my/consents')),
    decideConsent: (exchangeId: string, decision: 'approve' | 'decline') =>
      ok(
        decision === 'approve'
          ? client.POST('/api/sharing/my/consents/{id}/approve', { params: id(exchangeId) })
          : client.POST('/api/sharing/my/consents/{id}/decline', { params: id(exchangeId) }),
      ),
    datasets: (provider?: string) => ok(client.GET('/api/sharing/datasets', { params: { query: query({ provider }) } })),
    grants: (orgCode: string) => ok(client.GET('/api/sharing/grants', { params: { query: { orgCode } } })),
    createGrant: (body: GrantBody) => ok(client.POST('/api/sharing/grants', { body })),
    legalBases: () => ok(client.GET('/api/sharing/legal-bases')),
    pendingGrants: () => ok(client.GET('/api/sharing/grants/pending')),
    approveGrant: (grantId: string) => ok(client.POST('/api/sharing/grants/{id}/approve', { params: id(grantId) })),
    refuseGrant: (grantId: string, reason: string) =>
      ok(client.POST('/api/sharing/grants/{id}/refuse', { params: id(grantId), body: { reason } })),
    datasetRecordsSummary: (datasetCode: string) =>
      ok(client.GET('/api/sharing/datasets/{code}/records/summary', { params: code(datasetCode) })),
    putDatasetRecord: (datasetCode: string, body: { residentId: string; data: Record<string, string> }) =>
      ok(client.PUT('/api/sharing/datasets/{code}/records', { params: code(datasetCode), body })),
    revokeGrant: (grantId: string) => ok(client.POST('/api/sharing/grants/{id}/revoke', { params: id(grantId) })),
    deadLetters: (before?: number) => ok(client.GET('/api/events/dead', { params: { query: query({ before }) } })),
    retryDeadLetter: async (eventId: number) => {
      await ok(client.POST('/api/events/dead/{eventId}/retry', { params: { path: { eventId } } }));
    },
    // 成员审批 (a federation hub): the node's role, the members by state, the operator's decisions (member ids URL-encoded).
    federationNode: () => ok(client.GET('/api/federation/node')),
    federationMembers: (state?: 'pending' | 'approved' | 'rejected' | 'revoked') =>
      ok(client.GET('/api/federation/members', { params: { query: query({ state }) } })),
    decideMember: (memberId: string, decision: 'approve' | 'reject' | 'revoke', reason?: string) =>
      decision === 'reject'
        ? ok(client.POST('/api/federation/members/{memberId}/reject', { params: { path: { memberId } }, body: { reason } }))
        : ok(client.POST(`/api/federation/members/{memberId}/${decision}`, { params: { path: { memberId } } })),
    // Rules as data: the console's list, one rule's versions, a new version, switching one on, the dry run.
    rules: () => ok(client.GET('/api/rules')),
    rule: (ruleCode: string) => ok(client.GET('/api/rules/{code}', { params: code(ruleCode) })),
    proposeRule: (ruleCode: string, body: ProposeRuleBody) =>
      ok(client.POST('/api/rules/{code}/versions', { params: code(ruleCode), body })),
    activateRule: (ruleCode: string, version: number, reason: string) =>
      ok(client.POST('/api/rules/{code}/versions/{version}/activate', { params: { path: { code: ruleCode, version } }, body: { reason } })),
    dryRunRule: (ruleCode: string, version: number) =>
      ok(client.POST('/api/rules/{code}/versions/{version}/dry-run', { params: { path: { code: ruleCode, version } } })),
    // Benefits with no application: the resident's own, and the paying departments' figures and grants.
    myBenefits: () => ok(client.GET('/api/me/benefits')),
    myBenefit: (grantId: string) => ok(client.GET('/api/me/benefits/{id}', { params: id(grantId) })),
    confirmBenefit: (grantId: string) => ok(client.POST('/api/me/benefits/{id}/confirm', { params: id(grantId) })),
    declineBenefit: (grantId: string) => ok(client.POST('/api/me/benefits/{id}/decline', { params: id(grantId) })),
    reviewBenefit: (grantId: string, reason: string) =>
      ok(client.POST('/api/me/benefits/{id}/review', { params: id(grantId), body: { reason } })),
    optOutBenefit: (benefitCode: string) => ok(client.POST('/api/me/benefit-opt-outs', { body: { benefitCode } })),
    benefitFigures: (benefitCode?: string) => ok(client.GET('/api/benefits/figures', { params: { query: query({ benefitCode }) } })),
    benefitGrants: (params: { benefitCode?: string; status?: BenefitStatus; cursor?: string; limit?: number }) =>
      ok(client.GET('/api/benefits/grants', { params: { query: query(params) } })),
    // 医保窗口: a hospital's insurance window, its own hospital only; the ID number travels in bodies only.
    windowHospitals: () => ok(client.GET('/api/insurance/window/hospitals')),
    windowCoverage: (hospital: string, residentId: string) =>
      ok(client.POST('/api/insurance/window/{code}/coverage', { params: code(hospital), body: { residentId } })),
    windowFile: (hospital: string, body: WindowFilingBody, key: string) =>
      ok(client.POST('/api/insurance/window/{code}/filings', { params: { ...code(hospital), header: { 'idempotency-key': key } }, body })),
    windowOpen: (
      hospital: string,
      body: { residentId: string; medType: WindowMedType; beginDate: string; emergency?: boolean },
      key: string,
    ) =>
      ok(
        client.POST('/api/insurance/window/{code}/encounters', { params: { ...code(hospital), header: { 'idempotency-key': key } }, body }),
      ),
    windowEncounters: (hospital: string, status?: 'open' | 'settled') =>
      ok(client.GET('/api/insurance/window/{code}/encounters', { params: { ...code(hospital), query: query({ status }) } })),
    windowEncounter: (hospital: string, mdtrtId: string) =>
      ok(client.GET('/api/insurance/window/{code}/encounters/{mdtrtId}', { params: { path: { code: hospital, mdtrtId } } })),
    windowFees: (hospital: string, mdtrtId: string, lines: WindowFeeLineBody[], key: string) =>
      ok(
        client.POST('/api/insurance/window/{code}/encounters/{mdtrtId}/fees', {
          params: { path: { code: hospital, mdtrtId }, header: { 'idempotency-key': key } },
          body: { lines },
        }),
      ),
    // residentId: the ID card presented again (a cross-province settlement sends it to the place of insurance).
    windowPresettle: (hospital: string, mdtrtId: string, residentId?: string) =>
      ok(
        client.POST('/api/insurance/window/{code}/encounters/{mdtrtId}/presettle', {
          params: { path: { code: hospital, mdtrtId } },
          body: { residentId },
        }),
      ),
    windowSettle: (hospital: string, mdtrtId: string, medfeeSumamt: number, key: string, residentId?: string) =>
      ok(
        client.POST('/api/insurance/window/{code}/encounters/{mdtrtId}/settle', {
          params: { path: { code: hospital, mdtrtId }, header: { 'idempotency-key': key } },
          body: { medfeeSumamt, residentId },
        }),
      ),
    windowCancel: (hospital: string, setlId: string, key: string, residentId?: string) =>
      ok(
        client.POST('/api/insurance/window/{code}/settlements/{setlId}/cancel', {
          params: { path: { code: hospital, setlId }, header: { 'idempotency-key': key } },
          body: { residentId },
        }),
      ),
    windowStatement: (hospital: string, setlId: string) =>
      ok(client.GET('/api/insurance/window/{code}/settlements/{setlId}', { params: { path: { code: hospital, setlId } } })),
  };
}

export type Api = ReturnType<typeof createApi>;

/** A fresh idempotency key per submission attempt. */
export function newKey(): string {
  return crypto.randomUUID();
}

/**
 * One idempotency key per distinct request until it succeeds: a click retried after an answer
 * was lost is the same request to the server (which answers it once), and a changed request gets
 * a key of its own.
 */
export function createRetryKeys() {
  const keys = new Map<string, string>();
  return {
    of(request: unknown): string {
      const id = JSON.stringify(request);
      if (!keys.has(id)) keys.set(id, newKey());
      return keys.get(id)!;
    },
    done(request: unknown): void {
      keys.delete(JSON.stringify(request));
    },
  };
}

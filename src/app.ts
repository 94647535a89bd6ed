import { AppError } from './core/errors.ts';
import type { Database } from './db/database.ts';
import { createApplicationsService, type ApplicationsService } from './modules/applications/index.ts';
import { createOverviewService, type OverviewService } from './modules/applications/index.ts';
import { createCatalogAdmin, createCatalogService, type CatalogAdmin, type CatalogService } from './modules/catalog/index.ts';
import { createIdentityAdmin, createIdentityService, type IdentityAdmin, type IdentityService } from './modules/identity/index.ts';
import { createKioskLogin, type CodeSender, type KioskLogin, type SessionCache } from './modules/identity/index.ts';
import { createOrgsAdmin, createOrgsService, type OrgsAdmin, type OrgsService } from './modules/orgs/index.ts';
import { createEventsService, type EventsService } from './modules/events/index.ts';
import { createKeyStore, STATUS_KEY_OWNER, type KeyStore, createDisclosureVault } from './modules/certificates/index.ts';
import {
  createLedgerAdmin,
  createLedgerService,
  createWitnessService,
  type LedgerAdmin,
  type LedgerService,
  type WitnessService,
} from './modules/ledger/index.ts';
import { createCertificatesService, type CertificatesService } from './modules/certificates/index.ts';
import type { StatusCredentialOptions, StatusListOptions } from './modules/certificates/index.ts';
import { createSharingService, type SharingService, createSealsService, type SealsService } from './modules/certificates/index.ts';
import { listCertificateTypes } from './modules/certificates/index.ts';
import { createDataSharingService, type DataSharingDeps, type DataSharingService } from './modules/sharing/index.ts';
import { createSharingAdmin, type SharingAdmin } from './modules/sharing/index.ts';
import { createDatasetRecordsService, type DatasetRecordsService } from './modules/sharing/index.ts';
import { createPaymentsService, type PaymentsService } from './modules/sharing/index.ts';
import type { PaymentRailConfig } from './core/config.ts';
import { createBundlesService, type BundlesService } from './modules/bundles/index.ts';
import { createRulesService, type RulesService } from './modules/rules/index.ts';
import { createInstantService } from './modules/instant/index.ts';
import { createBenefitsService, type BenefitsService } from './modules/benefits/index.ts';
import {
  createInsuranceAdmin,
  createInsuranceService,
  type InsuranceAdmin,
  type InsuranceFederationPort,
  type InsuranceService,
} from './modules/insurance/index.ts';
import { createServiceFigures, type ServiceFiguresService } from './modules/insurance/index.ts';
import { createInboxService, type InboxService, type NoticeSender } from './modules/inbox/index.ts';
import { createPublicFigures, createRatingsService, type PublicFigures, type RatingsService } from './modules/ratings/index.ts';
import { createDashboardsService, dashboardsHandler, type DashboardsService } from './modules/dashboards/index.ts';
import { createOidcHub, createOidcLogin, type OidcClientsAdmin, type OidcHub, type OidcLogin } from './modules/oidc/index.ts';
import type { OidcConfig } from './core/config.ts';
import {
  type CrossCases,
  type CrossEvidence,
  createCrossCases,
  createCrossEvidence,
  createFederationService,
  createMessageVault,
  type FederationService,
  parseMemberId,
} from './modules/federation/index.ts';
import type { FederationConfig } from './core/config.ts';

export interface Services {
  orgs: OrgsService;
  /** Division and demo department loading, without an access check: for the seed, the CLI and tests, never handed to a route. */
  orgsAdmin: OrgsAdmin;
  identity: IdentityService;
  /** Operator and seed accounts (CLI passwords, the first administrator, seeded staff): never handed to a route. */
  identityAdmin: IdentityAdmin;
  catalog: CatalogService;
  /** Service items published by the seed, the demo and tests: never handed to a route. */
  catalogAdmin: CatalogAdmin;
  applications: ApplicationsService;
  events: EventsService;
  keys: KeyStore;
  ledger: LedgerService;
  /** Witness registration (the CLI): never handed to a route. */
  ledgerAdmin: LedgerAdmin;
  /** Yiban as a witness of other logs (C2SP tlog-witness). */
  witness: WitnessService;
  certificates: CertificatesService;
  sharing: SharingService;
  /** Seal management (read side): an org's seal image, keys and certificates. */
  seals: SealsService;
  /** The four-level overview of open and overdue cases. */
  overview: OverviewService;
  /** The data sharing platform (公共数据共享平台); `sharing` above is certificate share links. */
  dataSharing: DataSharingService;
  /** Data sharing configuration without an access check: for the seed, the CLI and tests, never handed to a route. */
  sharingAdmin: SharingAdmin;
  kiosk: KioskLogin;
  bundles: BundlesService;
  datasetRecords: DatasetRecordsService;
  /** Payment instructions to the paying bank through the sharing layer (a benefit's payer calls it). */
  payments: PaymentsService;
  /** Rules as data: eligibility and instant-approval rules, versioned, dry-run, applied with a trace. */
  rules: RulesService;
  /** 免申即享 / 免申即办: benefits that find the resident, their grants, payments and figures. */
  benefits: BenefitsService;
  /** 医保: the hospital interface, coverage and settlements, the insurance office's views. */
  insurance: InsuranceService;
  /** The insurance registry (enrolment, institutions): seed, demo and CLI only. */
  insuranceAdmin: InsuranceAdmin;
  /** The insurance office's dashboard figures: online rate, working days per service, share decided instantly. */
  insuranceFigures: ServiceFiguresService;
  /** The resident inbox: notices other modules write in their transactions (`notifyInTx`), texted when asked. */
  inbox: InboxService;
  /** 好差评: ratings of cases and encounters, rectifications, callbacks and appeals. */
  ratings: RatingsService;
  /** 督查 dashboards per level: figures kept incrementally from the outbox, drill-down, CSV and Excel. */
  dashboards: DashboardsService;
  /** 好差评公开数字: a month's figures per org and service from the ledger's rating leaves, with the bundle that proves them. */
  publicFigures: PublicFigures;
  /** The hub (YIBAN_NODE_ROLE=hub): the OpenID Connect provider for its real-name residents; null elsewhere. */
  oidcHub: OidcHub | null;
  /** The hub's registered clients (province nodes): the CLI only, never handed to a route; null off the hub. */
  oidcClients: OidcClientsAdmin | null;
  /** A province node with YIBAN_OIDC_*: residents log in through the hub; null elsewhere. */
  oidcLogin: OidcLogin | null;
  /** 跨省通办: this node's place among federated nodes (directory, trust list, signed messages); disabled when standalone. */
  federation: FederationService;
  /** 异地代收代办: cross-province hand-overs and their states on this node. */
  crossCases: CrossCases;
  /** Evidence across provinces (OOTS-like): a certificate from another province's e-licence library, after the resident's preview and consent. */
  crossEvidence: CrossEvidence;
}

export interface ServiceOptions {
  masterKey: Buffer;
  /** Public base URL, for links inside certificates (status lists). */
  publicUrl?: string;
  ledgerOrigin?: string;
  /** The witness's key name (default: the ledger origin with /witness for /ledger). */
  witnessName?: string;
  /** Size and rollover fill of new certificate status lists (tests use small ones). */
  statusLists?: StatusListOptions;
  /** Validity and re-signing of served status list credentials. */
  statusCredentials?: StatusCredentialOptions;
  clock?: () => Date;
  /** The identity module's session cache, when the caller feeds it other processes' changes (openPlatform). */
  sessionCache?: SessionCache;
  /**
   * Where kiosk one-time codes go (an SMS gateway, or the console on a demo deployment); absent or
   * null, kiosk code login answers that it is unavailable. Tests pass a capturing sender here.
   */
  codeSender?: CodeSender | null;
  /** Where inbox notices that ask for a text message go; absent or null, they stay in the inbox (SMS `skipped`). */
  noticeSender?: NoticeSender | null;
  /** The life-event bundle definitions (data); the built-in ones by default. */
  bundleDefinitions?: readonly unknown[];
  /** The external provider adapter: the platform's sharing key (default: derived from the master key) and retry timing. */
  externalSharing?: DataSharingDeps['external'];
  /** Where payment instructions go: the internal (embedded) bank by default, or the bank's own system. */
  paymentRail?: PaymentRailConfig;
  /** Public rating figures: counts below k suppressed (default 5), a month published this many days after it ends (default 3). */
  publicFigures?: { k?: number; delayDays?: number };
  /** One identity across nodes: the hub's provider, a province's login through it, or none (the default). */
  oidc?: OidcConfig;
  /** Config.trustProxy set: the hub's provider believes X-Forwarded-Proto/-Host for its URLs. */
  trustProxy?: boolean;
  /** Errors inside the OpenID Connect provider (the server's log). */
  onOidcError?: (error: unknown) => void;
  /** The node's role in a federation (standalone by default: no federation). */
  federation?: FederationConfig;
  /** A federation delivery attempt's limit in ms (default 5000). */
  federationTimeoutMs?: number;
  /** How long a done message's body is kept before it is pruned (default 30 days). */
  federationMessageRetentionMs?: number;
  /** How long and how often a message to another node is retried (default 7 days, at most 5 minutes apart). */
  federationRetry?: { retryForMs: number; backoffMaxMs: number };
  /** How this node asks the hub and other members (tests inject one to forge or drop answers); global fetch by default. */
  federationFetch?: typeof fetch;
}

/** The composition root: every service is built here, by hand, with only what it uses. */
export function createServices(database: Database, options: ServiceOptions): Services {
  const { db } = database;
  const { masterKey } = options;
  const clock = options.clock ?? (() => new Date());
  const orgs = createOrgsService({ db });
  const orgsAdmin = createOrgsAdmin({ db, orgs });
  const events = createEventsService({ db, clock });
  const identity = createIdentityService({
    db,
    events,
    masterKey,
    orgs,
    clock,
    ...(options.sessionCache ? { sessionCache: options.sessionCache } : {}),
  });
  const identityAdmin = createIdentityAdmin({ identity });
  const catalog = createCatalogService({ db, clock });
  const catalogAdmin = createCatalogAdmin({ db, catalog });
  const keys = createKeyStore({ db, masterKey, clock });
  const ledger = createLedgerService({ db, masterKey, clock, ...(options.ledgerOrigin ? { origin: options.ledgerOrigin } : {}) });
  const certificates = createCertificatesService({
    db,
    seals: { ensureSealKey: (org) => keys.ensureSealKey(org) },
    ledger,
    events,
    orgs,
    holders: identity,
    labels: { labelFor: async (serviceCode, field, value) => catalog.optionLabel(serviceCode, field, value) },
    keys,
    pdfKey: () => keys.ensurePdfKey(),
    statusKeys: {
      signer: () => keys.ensureSealKey(STATUS_KEY_OWNER),
      published: async () => (await keys.listKeys(STATUS_KEY_OWNER.code, 'seal')).filter((k) => k.notAfter > clock()),
    },
    ...(options.statusCredentials ? { statusCredentials: options.statusCredentials } : {}),
    proofs: {
      latestCheckpoint: () => ledger.latestCheckpoint(),
      inclusionProof: (index, size) => ledger.inclusionProof(index, size),
      indexesOf: (ids) => ledger.indexesOf(ids),
      vkey: () => ledger.vkey(),
    },
    publicUrl: options.publicUrl ?? 'http://localhost:3000',
    vault: createDisclosureVault(masterKey),
    // A federated node's verifiers also trust the national root and the cross-signed province roots (built below).
    foreignTrust: () => federation.foreignTrust(),
    // Another member's certificate: its status from that member's signed lists, fetched and cached.
    foreignStatus: (payload) => federation.foreignStatus(payload),
    ...(options.statusLists ? { statusLists: options.statusLists } : {}),
    clock,
  });
  const applications = createApplicationsService({
    db,
    catalog,
    orgs,
    residents: identity,
    clock,
    events,
    // The 秒批 traces (the instant service below, built once rules and data sharing are).
    ruleDecisions: { forCase: (caseId) => instant.forCase(caseId) },
    onApproved: async (approved) => {
      const issue = await certificates.prepareIssue(approved);
      return issue && (async (tx) => ({ outcome: issuedNote((await issue(tx)).identifier) }));
    },
    onApprovedMany: async (approved) => {
      const { batch, failed } = await certificates.prepareIssueMany(approved);
      const outcomes = new Map([...(batch?.identifiers ?? [])].map(([caseId, identifier]) => [caseId, issuedNote(identifier)]));
      return {
        outcomes,
        failed,
        async produce(tx, caseIds) {
          if (!batch) return;
          const issued = await batch.issue(tx, caseIds);
          for (const id of caseIds) {
            if (issued.get(id)?.identifier !== batch.identifiers.get(id))
              throw new Error(`case ${id}: the certificate issued is not the one prepared`);
          }
        },
      };
    },
  });
  const sharing = createSharingService({ db, certificates, publicUrl: options.publicUrl ?? 'http://localhost:3000', clock });
  const dataSharing = createDataSharingService({
    db,
    masterKey,
    ledger,
    // A completed exchange is announced in its transaction (the dashboards count them).
    events,
    orgs,
    cases: applications,
    residents: identity,
    licences: certificates,
    clock,
    ...(options.externalSharing ? { external: options.externalSharing } : {}),
  });
  const sharingAdmin = createSharingAdmin({
    db,
    masterKey,
    licences: certificates,
    clock,
    ...(options.externalSharing ? { external: options.externalSharing } : {}),
  });
  const seals = createSealsService({ orgs, keys });
  const overview = createOverviewService({ db, orgs, clock });
  const kiosk = createKioskLogin({ db, masterKey, sender: options.codeSender ?? null, clock });
  const bundles = createBundlesService({
    db,
    catalog,
    applications,
    dataSharing,
    orgs,
    residents: identity,
    events,
    clock,
    ...(options.bundleDefinitions ? { definitions: options.bundleDefinitions } : {}),
  });
  // Decided cases move their bundles on through the outbox, not a callback.
  events.subscribe(bundles.caseDecidedHandler);
  const rules = createRulesService({ db, orgs, ledger, clock });
  const { subjectKeyOf } = sharingAdmin;
  const instant = createInstantService({ db, catalog, orgs, rules, dataSharing, applications, residents: identity, subjectKeyOf, clock });
  events.subscribe(instant.caseSubmittedHandler);
  const datasetRecords = createDatasetRecordsService({ db, orgs, ledger, subjectKeyOf, clock });
  const payments = createPaymentsService({
    db,
    masterKey,
    ledger,
    orgs,
    clock,
    ...(options.paymentRail ? { rail: options.paymentRail } : {}),
    ...(options.externalSharing ? { external: options.externalSharing } : {}),
  });
  const inbox = createInboxService({ db, events, residents: identity, sender: options.noticeSender ?? null, clock });
  events.subscribe(inbox.smsHandler);
  const benefits = createBenefitsService({
    db,
    rules,
    orgs,
    residents: identity,
    applications,
    ledger,
    events,
    // Residents are told in the inbox (and by SMS when the notice asks), in the decision's transaction.
    notices: inbox,
    payments,
    subjectKeyOf,
    clock,
  });
  for (const handler of benefits.handlers) events.subscribe(handler);
  const insuranceDeps = {
    db,
    ledger,
    events,
    orgs,
    residents: identity,
    applications,
    certificates,
    subjectKeyOf,
    clock,
    // Its own seal slot ('platform-hsa': no org code looks like it), chained to the platform's SM2 root.
    interfaceSigner: () => keys.ensureSealKey({ code: 'platform-hsa', name: '一办平台医保接口' }, 'SM2'),
    // 跨省异地就医结算: a person insured in another province is settled by that province's node, in one signed call.
    federation: {
      province: () => {
        const config = options.federation;
        return config?.role === 'province' ? (parseMemberId(config.memberId)?.divisionCode.slice(0, 2) ?? null) : null;
      },
      memberForDivision: (division) => federation.memberForDivision(division),
      call: (to, type, payload, callOptions) => federation.call(to, type, payload, callOptions),
    } satisfies InsuranceFederationPort,
  };
  const insurance = createInsuranceService(insuranceDeps);
  for (const handler of insurance.handlers) events.subscribe(handler);
  const ratings = createRatingsService({ db, orgs, applications, catalog, ledger, events, notices: inbox, clock });
  // 督查 dashboards: counted from the outbox (cases submitted and decided, certificates issued, exchanges completed).
  events.subscribe(dashboardsHandler({ db, orgs }));
  const oidc = options.oidc ?? { kind: 'none' };
  const oidcHub =
    oidc.kind === 'provider'
      ? createOidcHub({
          db,
          masterKey,
          issuer: oidc.issuer,
          directory: identity,
          clock,
          ...(options.trustProxy ? { trustProxy: true } : {}),
          ...(options.onOidcError ? { onError: options.onOidcError } : {}),
        })
      : null;
  const oidcLogin =
    oidc.kind === 'client'
      ? createOidcLogin({
          issuerUrl: oidc.issuerUrl,
          clientId: oidc.clientId,
          clientSecret: oidc.clientSecret,
          redirectUri: `${options.publicUrl ?? 'http://localhost:3000'}/api/auth/oidc/callback`,
          masterKey,
          accounts: identity,
          clock,
        })
      : null;
  const ledgerAdmin = createLedgerAdmin({ db });
  const witness = createWitnessService({
    db,
    masterKey,
    clock,
    name: options.witnessName ?? `${ledger.origin.replace(/\/ledger$/, '')}/witness`,
  });
  const federation = createFederationService({
    db,
    // Cross-witnessing: the directory's members become this log's witnesses and the logs this node witnesses.
    witnessing: {
      logVkey: () => ledger.vkey(),
      witnessVkey: () => witness.vkey(),
      async addWitness(vkey, url) {
        const { name } = await ledgerAdmin.registerWitness(vkey);
        // Setting the URL again would reset the witness's back-off: only a new or moved witness is set.
        const current = (await ledgerAdmin.listPushTargets()).find((t) => t.witness === name);
        if (current?.url !== url) await ledgerAdmin.setWitnessUrl(name, url);
      },
      addLog: async (vkey, url) => {
        await witness.addLog(vkey, { url });
      },
      cosigned: async () => (await witness.listLogs()).flatMap((l) => (l.note ? [{ origin: l.origin, note: l.note }] : [])),
      gossip: (peerUrl) => witness.gossip(peerUrl),
    },
    config: options.federation ?? { role: 'standalone' },
    publicUrl: options.publicUrl ?? 'http://localhost:3000',
    // Message bodies carry residents' ID numbers and names: sealed at rest, pruned once done and old.
    vault: createMessageVault(masterKey),
    ...(options.federationMessageRetentionMs !== undefined ? { messageRetentionMs: options.federationMessageRetentionMs } : {}),
    keys,
    trustAnchors: () => certificates.ownTrustAnchors(),
    ledger,
    events,
    clock,
    ...(options.federationTimeoutMs ? { deliveryTimeoutMs: options.federationTimeoutMs } : {}),
    // A province's directory entry lists its e-licence library (one dataset per certificate type) as evidence it provides.
    ...(options.federation?.role === 'province'
      ? { offers: async () => ({ datasets: (await listCertificateTypes(db)).map((t) => `licence.${t.code}`) }) }
      : {}),
    // The directory entry lists the online services this node handles for residents of other provinces (全程网办).
    services: async () => (await catalog.listItems({})).filter((i) => i.online).map((i) => i.code),
    ...(options.federationRetry ? { deliveryRetry: options.federationRetry } : {}),
    ...(options.federationFetch ? { fetch: options.federationFetch } : {}),
  });
  // Messages to other nodes leave through the outbox; a standalone node has none.
  if (federation.enabled) events.subscribe(federation.deliveryHandler());
  // 异地代收代办: the hand-over's message types and the handling node's case opening and decision.
  const crossCases = createCrossCases({
    db,
    clock,
    events,
    send: federation.send,
    receivedPayload: (id) => federation.receivedPayload(id),
    residents: identity,
    applications,
    certificates: {
      // The case's certificate, sealed, without the ledger proof: the receiving node pins its own ledger key only.
      async ofCase(principal, caseId) {
        const found = await certificates.getByCase(principal, caseId).catch((error: unknown) => {
          if (error instanceof AppError && error.code === 'NOT_FOUND') return null;
          throw error;
        });
        if (!found) return null;
        const { ledger: _ledger, ...bundle } = await certificates.bundle(principal, found.id);
        return { id: found.id, bundle: { ...bundle } };
      },
    },
    directory: { resolve: (memberId) => federation.lookup.resolve(memberId), current: () => federation.directory.current() },
    self: options.federation && options.federation.role !== 'standalone' ? options.federation.memberId : null,
    serviceNames: async () => new Map((await catalog.listItems({})).map((i) => [i.code, { nameZh: i.nameZh, nameEn: i.nameEn }])),
  });
  if (federation.enabled) {
    for (const type of crossCases.messageTypes) federation.registerMessageType(type);
    for (const handler of crossCases.eventHandlers) events.subscribe(handler);
    // 跨省异地就医结算 at the place of insurance: insurance.presettle, insurance.settle, insurance.cancel.
    for (const type of insurance.crossProvinceTypes) federation.registerMessageType(type);
  }
  // Evidence across provinces: `evidence.request` / `evidence.response`, B's library search and A's verification.
  const crossEvidence = createCrossEvidence({
    db,
    clock,
    memberId: options.federation && options.federation.role !== 'standalone' ? options.federation.memberId : null,
    events,
    ledger,
    send: federation.send,
    directory: { current: () => federation.directory.current(), resolve: (m) => federation.lookup.resolve(m) },
    residents: identity,
    cases: applications,
    library: certificates,
    trust: certificates,
  });
  if (federation.enabled) {
    for (const type of crossEvidence.messageTypes) federation.registerMessageType(type);
    for (const handler of crossEvidence.eventHandlers) events.subscribe(handler);
  }
  return {
    oidcHub,
    oidcClients: oidcHub?.clients ?? null,
    oidcLogin,
    orgs,
    orgsAdmin,
    identity,
    identityAdmin,
    catalog,
    catalogAdmin,
    applications,
    events,
    keys,
    ledger,
    ledgerAdmin,
    witness,
    certificates,
    sharing,
    seals,
    overview,
    dataSharing,
    sharingAdmin,
    kiosk,
    bundles,
    datasetRecords,
    payments,
    rules,
    benefits,
    inbox,
    insurance,
    insuranceAdmin: createInsuranceAdmin(insuranceDeps),
    insuranceFigures: createServiceFigures({ db, catalog, orgs }),
    ratings,
    dashboards: createDashboardsService({ db, orgs, catalog, clock }),
    publicFigures: createPublicFigures({ ledger, orgs, catalog, clock, ...options.publicFigures }),
    federation,
    crossCases,
    crossEvidence,
  };
}

const issuedNote = (identifier: string) => `电子证明已签发 certificate issued: ${identifier}`;

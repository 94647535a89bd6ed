import type { Config } from './core/config.ts';
import { openDatabase, type Database } from './db/database.ts';
import { buildServer, type App } from './http/server.ts';
import { createApplicationsService, type ApplicationsService } from './modules/applications/index.ts';
import { applicationsRoutes } from './modules/applications/index.ts';
import { createCatalogService, type CatalogService } from './modules/catalog/index.ts';
import { catalogRoutes } from './modules/catalog/index.ts';
import { createIdentityService, type IdentityService } from './modules/identity/index.ts';
import { identityRoutes } from './modules/identity/index.ts';
import { SESSION_CHANGES_CHANNEL, SessionCache } from './modules/identity/index.ts';
import { createOrgsService, type OrgsService } from './modules/orgs/index.ts';
import { orgsRoutes } from './modules/orgs/index.ts';
import { createEventsService, type EventsService } from './modules/events/index.ts';
import { eventsRoutes } from './modules/events/index.ts';
import { createKeyStore, probeSigningKeys, STATUS_KEY_OWNER, type KeyStore } from './modules/certificates/index.ts';
import { ensureMasterKey, residentsProbe } from './modules/identity/index.ts';
import { createDisclosureVault, sealLegacyDisclosures } from './modules/certificates/index.ts';
import { createLedgerService, type LedgerService } from './modules/ledger/index.ts';
import { ledgerApiRoutes, ledgerTileRoutes } from './modules/ledger/index.ts';
import { createCertificatesService, type CertificatesService } from './modules/certificates/index.ts';
import type { StatusListOptions } from './modules/certificates/index.ts';
import type { StatusCredentialOptions } from './modules/certificates/index.ts';
import { certificatesRoutes } from './modules/certificates/index.ts';
import { contextRoutes } from './modules/certificates/index.ts';
import { createSharingService, type SharingService } from './modules/certificates/index.ts';
import { sharingRoutes } from './modules/certificates/index.ts';
import { createDataSharingService, type DataSharingDeps, type DataSharingService } from './modules/sharing/index.ts';
import { createSharingAdmin, type SharingAdmin } from './modules/sharing/index.ts';
import { loadSharingKey } from './modules/sharing/index.ts';
import { createSealsService, type SealsService } from './modules/certificates/index.ts';
import { sealsRoutes } from './modules/certificates/index.ts';
import { createOverviewService, type OverviewService } from './modules/applications/index.ts';
import { overviewRoutes } from './modules/applications/index.ts';
import { dataSharingRoutes } from './modules/sharing/index.ts';
import { createDatasetRecordsService, type DatasetRecordsService } from './modules/sharing/index.ts';
import { datasetRecordsRoutes } from './modules/sharing/index.ts';
import { webRoutes } from './http/web.ts';
import { platformRoutes } from './http/platform.routes.ts';
import { createKioskLogin, type KioskLogin } from './modules/identity/index.ts';
import { createCodeSender, type CodeSender } from './modules/identity/index.ts';
import type { RateLimits } from './core/rate-limits.ts';
import { kioskRoutes } from './modules/identity/index.ts';
import { createBundlesService, type BundlesService } from './modules/bundles/index.ts';
import { bundlesRoutes } from './modules/bundles/index.ts';
import { createRulesService, type RulesService } from './modules/rules/index.ts';
import { rulesRoutes } from './modules/rules/index.ts';
import { createInstantService } from './modules/instant/index.ts';

export interface Services {
  orgs: OrgsService;
  identity: IdentityService;
  catalog: CatalogService;
  applications: ApplicationsService;
  events: EventsService;
  keys: KeyStore;
  ledger: LedgerService;
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
  /** Rules as data: eligibility and instant-approval rules, versioned, dry-run, applied with a trace. */
  rules: RulesService;
}

export interface ServiceOptions {
  masterKey: Buffer;
  /** Public base URL, for links inside certificates (status lists). */
  publicUrl?: string;
  ledgerOrigin?: string;
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
  /** The life-event bundle definitions (data); the built-in ones by default. */
  bundleDefinitions?: readonly unknown[];
  /** The external provider adapter: the platform's sharing key (default: derived from the master key) and retry timing. */
  externalSharing?: DataSharingDeps['external'];
}

export interface Platform {
  database: Database;
  /** Demo mode (Config.demo): the web apps learn it from GET /api/platform. */
  demo?: boolean;
  services: Services;
  close(): Promise<void>;
}

/** The composition root: every service is built here, by hand, with only what it uses. */
export function createServices(database: Database, options: ServiceOptions): Services {
  const { db } = database;
  const { masterKey } = options;
  const clock = options.clock ?? (() => new Date());
  const orgs = createOrgsService({ db });
  const events = createEventsService({ db, clock });
  const identity = createIdentityService({
    db,
    events,
    masterKey,
    orgs,
    clock,
    ...(options.sessionCache ? { sessionCache: options.sessionCache } : {}),
  });
  const catalog = createCatalogService({ db, clock });
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
  const datasetRecords = createDatasetRecordsService({ db, orgs, ledger, subjectKeyOf: sharingAdmin.subjectKeyOf, clock });
  return {
    orgs,
    identity,
    catalog,
    applications,
    events,
    keys,
    ledger,
    certificates,
    sharing,
    seals,
    overview,
    dataSharing,
    sharingAdmin,
    kiosk,
    bundles,
    datasetRecords,
    rules,
  };
}

const issuedNote = (identifier: string) => `电子证明已签发 certificate issued: ${identifier}`;

export function databaseOptions(config: Config) {
  return config.databaseUrl
    ? ({ engine: 'postgres', url: config.databaseUrl } as const)
    : ({ engine: 'pglite', dataDir: config.dataDir } as const);
}

/** Refuses a database whose data is under another master key (identity/master-key.ts); run before any service touches it. */
export async function checkMasterKey(database: Database, key: Buffer): Promise<void> {
  await ensureMasterKey(database.db, key, [residentsProbe(database.db, key), () => probeSigningKeys(database.db, key)]);
}

/**
 * Opens the configured database, applies migrations and builds the services. `overrides.codeSender`
 * replaces the configured kiosk code sender (browser tests capture the codes with it).
 */
export async function openPlatform(config: Config, overrides: { codeSender?: CodeSender | null } = {}): Promise<Platform> {
  const database = await openDatabase(databaseOptions(config));
  try {
    await database.migrate();
    // Before anything reads or writes encrypted data: another key's database is refused.
    await checkMasterKey(database, config.masterKey);
    // Certificates from before disclosures were sealed (idempotent; nothing to do after the first start).
    await sealLegacyDisclosures(database.db, config.masterKey);
  } catch (error) {
    await database.close();
    throw error;
  }
  // Sessions are cached per process; other processes announce their logouts and revocations.
  const sessionCache = new SessionCache();
  let unlisten: (() => Promise<void>) | undefined;
  try {
    unlisten = await database.listen?.(SESSION_CHANGES_CHANNEL, (payload) => sessionCache.applyAnnounced(payload));
  } catch (error) {
    await database.close();
    throw error;
  }
  const services = createServices(database, {
    masterKey: config.masterKey,
    publicUrl: config.publicUrl,
    ledgerOrigin: config.ledgerOrigin,
    sessionCache,
    codeSender:
      overrides.codeSender !== undefined
        ? overrides.codeSender
        : createCodeSender(config.codeSender, { log: (line) => console.error(line) }),
    ...(config.sharingKeyFile ? { externalSharing: { key: loadSharingKey(config.sharingKeyFile) } } : {}),
  });
  return {
    database,
    services,
    demo: config.demo,
    close: async () => {
      await services.kiosk.settled();
      await unlisten?.();
      await database.close();
    },
  };
}

export async function buildApp(
  platform: Platform,
  options: {
    logLevel?: string;
    logStream?: NodeJS.WritableStream;
    publicUrl?: string;
    trustProxy?: Config['trustProxy'];
    rateLimits?: RateLimits;
  } = {},
): Promise<App> {
  const { services } = platform;
  return buildServer({
    database: platform.database,
    auth: services.identity,
    logLevel: options.logLevel,
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
    ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
    ...(options.logStream ? { logStream: options.logStream } : {}),
    ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
    apiRoutes: [
      platformRoutes({ demo: platform.demo ?? false, needsBootstrap: () => services.identity.needsBootstrap() }),
      identityRoutes({ identity: services.identity }),
      kioskRoutes({ kiosk: services.kiosk }),
      orgsRoutes({ orgs: services.orgs }),
      catalogRoutes({ catalog: services.catalog }),
      applicationsRoutes({ applications: services.applications }),
      certificatesRoutes({ certificates: services.certificates }),
      sharingRoutes({ sharing: services.sharing }),
      sealsRoutes({ seals: services.seals }),
      overviewRoutes({ overview: services.overview, applications: services.applications }),
      dataSharingRoutes({ sharing: services.dataSharing }),
      bundlesRoutes({ bundles: services.bundles }),
      datasetRecordsRoutes({ records: services.datasetRecords }),
      rulesRoutes({ rules: services.rules }),
      ledgerApiRoutes({ ledger: services.ledger }),
      eventsRoutes({ events: services.events }),
    ],
    // The web apps answer every other GET path, so they come last.
    rootRoutes: [ledgerTileRoutes({ ledger: services.ledger }), contextRoutes({ publicUrl: services.certificates.publicUrl }), webRoutes()],
  });
}

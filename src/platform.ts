import type { Config } from './core/config.ts';
import type { RateLimits } from './core/rate-limits.ts';
import { openDatabase, type Database } from './db/database.ts';
import { buildServer, type App } from './http/server.ts';
import { webRoutes } from './http/web.ts';
import { databaseGauges } from './http/metrics-gauges.ts';
import { platformRoutes } from './http/platform.routes.ts';
import { createServices, type Services } from './app.ts';
import { applicationsRoutes, overviewRoutes } from './modules/applications/index.ts';
import { catalogRoutes } from './modules/catalog/index.ts';
import {
  createCodeSender,
  ensureMasterKey,
  identityRoutes,
  kioskRoutes,
  residentsProbe,
  type CodeSender,
} from './modules/identity/index.ts';
import { SESSION_CHANGES_CHANNEL, SessionCache } from './modules/identity/index.ts';
import { orgsRoutes } from './modules/orgs/index.ts';
import { eventsRoutes } from './modules/events/index.ts';
import { probeSigningKeys, sealLegacyDisclosures } from './modules/certificates/index.ts';
import { sealLegacyMessages } from './modules/federation/index.ts';
import { certificatesRoutes, contextRoutes, sealsRoutes, sharingRoutes } from './modules/certificates/index.ts';
import { ledgerApiRoutes, ledgerTileRoutes, witnessApiRoutes, witnessRoutes } from './modules/ledger/index.ts';
import { dataSharingRoutes, datasetRecordsRoutes, loadSharingKey, loadSm2SharingKey } from './modules/sharing/index.ts';
import { bundlesRoutes } from './modules/bundles/index.ts';
import { rulesRoutes } from './modules/rules/index.ts';
import { benefitsRoutes } from './modules/benefits/index.ts';
import { hospitalGatewayRoutes, insuranceRoutes, insuranceWindowRoutes } from './modules/insurance/index.ts';
import { statementRoutes } from './modules/insurance/index.ts';
import { createPolicyAdmin, insuranceAdminRoutes } from './modules/insurance/index.ts';
import { serviceFiguresRoutes } from './modules/insurance/index.ts';
import { createNoticeSender, inboxRoutes, type NoticeSender } from './modules/inbox/index.ts';
import { publicFiguresRoutes, ratingsRoutes } from './modules/ratings/index.ts';
import { dashboardsRoutes } from './modules/dashboards/index.ts';
import { oidcLoginRoutes, oidcProviderRoutes } from './modules/oidc/index.ts';
import { crossCaseRoutes, crossEvidenceRoutes, federationMemberRoutes, federationRoutes } from './modules/federation/index.ts';

/**
 * The running platform around the composition root (app.ts): opening the configured database,
 * checking its master key, and the HTTP app whose routes get only the route-facing services.
 */
export interface Platform {
  database: Database;
  /** Demo mode (Config.demo): the web apps learn it from GET /api/platform. */
  demo?: boolean;
  services: Services;
  close(): Promise<void>;
}

export function databaseOptions(config: Config) {
  return config.databaseUrl
    ? ({ engine: 'postgres', url: config.databaseUrl, poolSize: config.dbPoolSize } as const)
    : ({ engine: 'pglite', dataDir: config.dataDir } as const);
}

/** Refuses a database whose data is under another master key (identity/master-key.ts); run before any service touches it. */
export async function checkMasterKey(database: Database, key: Buffer): Promise<void> {
  await ensureMasterKey(database.db, key, [residentsProbe(database.db, key), () => probeSigningKeys(database.db, key)]);
}

/**
 * Opens the configured database, applies migrations and builds the services. `overrides.codeSender`
 * replaces the configured kiosk code sender (browser tests capture the codes with it), `overrides.noticeSender` the inbox notices' one.
 */
export async function openPlatform(
  config: Config,
  overrides: { codeSender?: CodeSender | null; noticeSender?: NoticeSender | null } = {},
): Promise<Platform> {
  const database = await openDatabase(databaseOptions(config));
  try {
    await database.migrate();
    // Before anything reads or writes encrypted data: another key's database is refused.
    await checkMasterKey(database, config.masterKey);
    // Certificates from before disclosures were sealed (idempotent; nothing to do after the first start).
    await sealLegacyDisclosures(database.db, config.masterKey);
    // Federation messages from before bodies were sealed (likewise).
    await sealLegacyMessages(database.db, config.masterKey);
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
    // A federated node's log needs an origin of its own (its peers witness it by that name): its member id's by default.
    ledgerOrigin:
      config.ledgerOrigin ?? (config.federation.role === 'standalone' ? undefined : `${config.federation.memberId.toLowerCase()}/ledger`),
    ...(config.witnessName ? { witnessName: config.witnessName } : {}),
    sessionCache,
    codeSender:
      overrides.codeSender !== undefined
        ? overrides.codeSender
        : createCodeSender(config.codeSender, { log: (line) => console.error(line) }),
    noticeSender:
      overrides.noticeSender !== undefined
        ? overrides.noticeSender
        : createNoticeSender(config.noticeSender, { log: (line) => console.error(line) }),
    ...(config.sharingKeyFile || config.sharingSm2KeyFile
      ? {
          externalSharing: {
            ...(config.sharingKeyFile ? { key: loadSharingKey(config.sharingKeyFile) } : {}),
            ...(config.sharingSm2KeyFile ? { sm2Key: loadSm2SharingKey(config.sharingSm2KeyFile) } : {}),
          },
        }
      : {}),
    paymentRail: config.paymentRail,
    publicFigures: config.publicFigures,
    oidc: config.oidc,
    trustProxy: config.trustProxy !== false,
    onOidcError: (error) => console.error('oidc-provider:', error instanceof Error ? error.message : error),
    federation: config.federation,
    federationRetry: config.federationRetry,
    federationMessageRetentionMs: config.federationMessageRetentionMs,
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
    /** `METRICS_TOKEN`: what scrapers of GET /metrics send; without it only loopback callers get an answer. */
    metricsToken?: string;
    /** A worker of `yiban serve --workers N`: /metrics answers with all workers' metrics, aggregated by the primary. */
    clusterMetrics?: boolean;
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
    metrics: {
      token: options.metricsToken,
      gauges: databaseGauges(platform.database.db),
      cluster: options.clusterMetrics ?? false,
    },
    apiRoutes: [
      platformRoutes({
        demo: platform.demo ?? false,
        needsBootstrap: () => services.identity.needsBootstrap(),
        oidcLogin: services.oidcLogin !== null,
      }),
      oidcLoginRoutes({ oidcLogin: services.oidcLogin }),
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
      benefitsRoutes({ benefits: services.benefits }),
      insuranceRoutes({ insurance: services.insurance }),
      hospitalGatewayRoutes({ insurance: services.insurance }),
      statementRoutes({ insurance: services.insurance }),
      insuranceAdminRoutes({
        policyAdmin: createPolicyAdmin({
          db: platform.database.db,
          ledger: services.ledger,
          orgs: services.orgs,
          reference: services.insurance.reference,
        }),
      }),
      serviceFiguresRoutes({ figures: services.insuranceFigures }),
      insuranceWindowRoutes({ insurance: services.insurance }),
      ledgerApiRoutes({ ledger: services.ledger }),
      witnessApiRoutes({ witness: services.witness }),
      eventsRoutes({ events: services.events }),
      inboxRoutes({ inbox: services.inbox }),
      ratingsRoutes({ ratings: services.ratings }),
      dashboardsRoutes({ dashboards: services.dashboards }),
      publicFiguresRoutes({ figures: services.publicFigures }),
      crossCaseRoutes({ crossCases: services.crossCases }),
      crossEvidenceRoutes({ crossEvidence: services.crossEvidence }),
      federationRoutes({ federation: services.federation }),
      federationMemberRoutes({ federation: services.federation }),
    ],
    // The web apps answer every other GET path, so they come last.
    rootRoutes: [
      ...(services.oidcHub ? [oidcProviderRoutes({ hub: services.oidcHub })] : []),
      ledgerTileRoutes({ ledger: services.ledger }),
      witnessRoutes({ witness: services.witness }),
      contextRoutes({ publicUrl: services.certificates.publicUrl }),
      webRoutes(),
    ],
  });
}

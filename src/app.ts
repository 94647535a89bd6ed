import type { Config } from './core/config.ts';
import { openDatabase, type Database } from './db/database.ts';
import { buildServer, type App } from './http/server.ts';
import { createApplicationsService, type ApplicationsService } from './modules/applications/applications.service.ts';
import { applicationsRoutes } from './modules/applications/applications.routes.ts';
import { createCatalogService, type CatalogService } from './modules/catalog/catalog.service.ts';
import { catalogRoutes } from './modules/catalog/catalog.routes.ts';
import { createIdentityService, type IdentityService } from './modules/identity/identity.service.ts';
import { identityRoutes } from './modules/identity/identity.routes.ts';
import { createOrgsService, type OrgsService } from './modules/orgs/orgs.service.ts';
import { orgsRoutes } from './modules/orgs/orgs.routes.ts';

export interface Services {
  orgs: OrgsService;
  identity: IdentityService;
  catalog: CatalogService;
  applications: ApplicationsService;
}

export interface Platform {
  database: Database;
  services: Services;
  close(): Promise<void>;
}

/** The composition root: every service is built here, by hand, with only what it uses. */
export function createServices(database: Database, options: { masterKey: Buffer; clock?: () => Date }): Services {
  const { db } = database;
  const clock = options.clock ?? (() => new Date());
  const orgs = createOrgsService({ db });
  const identity = createIdentityService({ db, masterKey: options.masterKey, orgs, clock });
  const catalog = createCatalogService({ db });
  const applications = createApplicationsService({ db, catalog, orgs, residents: identity, clock });
  return { orgs, identity, catalog, applications };
}

export function databaseOptions(config: Config) {
  return config.databaseUrl
    ? ({ engine: 'postgres', url: config.databaseUrl } as const)
    : ({ engine: 'pglite', dataDir: config.dataDir } as const);
}

/** Opens the configured database, applies migrations and builds the services. */
export async function openPlatform(config: Config): Promise<Platform> {
  const database = await openDatabase(databaseOptions(config));
  try {
    await database.migrate();
  } catch (error) {
    await database.close();
    throw error;
  }
  const services = createServices(database, { masterKey: config.masterKey });
  return { database, services, close: () => database.close() };
}

export async function buildApp(platform: Platform, options: { logLevel?: string } = {}): Promise<App> {
  const { services } = platform;
  return buildServer({
    database: platform.database,
    auth: services.identity,
    logLevel: options.logLevel,
    apiRoutes: [
      identityRoutes({ identity: services.identity }),
      orgsRoutes({ orgs: services.orgs }),
      catalogRoutes({ catalog: services.catalog }),
      applicationsRoutes({ applications: services.applications }),
    ],
  });
}

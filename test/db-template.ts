import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { createServices } from '../src/app.ts';
import { MIGRATIONS_DIR, openDatabase, type Database } from '../src/db/database.ts';
import * as schema from '../src/db/schema.ts';
import { SEED_SERVICE_ITEMS } from '../src/modules/catalog/catalog.seed.ts';
import { SEED_CERTIFICATE_TYPES } from '../src/modules/certificates/certificate-types.seed.ts';
import { ensureDemoDepartments } from '../src/modules/orgs/orgs.service.ts';

/**
 * Template databases for the service tests. Creating PGlite (its initdb) and applying the
 * migrations costs seconds of CPU for each test database, and the seed of a test context (正定县's
 * divisions, the demo departments, the catalogue) about a second more. The global setup does both
 * once per run: a migrated template and a seeded one, as PGlite data-folder tarballs
 * (`dumpDataDir`, loaded with `loadDataDir`) and, with DATABASE_URL, as PostgreSQL databases that
 * each test database is created from (`CREATE DATABASE … TEMPLATE …`). A test database made from a
 * template still runs `migrate()`, which finds nothing to apply.
 */
export interface DbTemplates {
  /** Tarballs of a PGlite data folder: migrated, and migrated and seeded. */
  pglite: { migrated: string; seeded: string };
  /** PostgreSQL databases on the DATABASE_URL server, when it is set. */
  postgres?: { migrated: string; seeded: string };
}

declare module 'vitest' {
  export interface ProvidedContext {
    dbTemplates: DbTemplates | null;
  }
}

/**
 * The seed every test context starts from: 正定县 and 长安区 (a second county, for checks across
 * counties), the demo departments, the service catalogue and the certificate types. Nothing in it
 * depends on the master key (no keys, no encrypted columns), so one seeded template serves tests
 * with any key.
 */
export async function seedTestDatabase(database: Database): Promise<void> {
  const services = createServices(database, { masterKey: randomBytes(32), codeSender: null });
  await services.orgs.loadDivisions({ scope: { prefix: '130123' } });
  await services.orgs.loadDivisions({ scope: { prefix: '130102' } });
  await ensureDemoDepartments(database.db);
  await services.catalog.upsertItems(SEED_SERVICE_ITEMS);
  await services.certificates.upsertTypes(SEED_CERTIFICATE_TYPES);
}

/** Builds the templates (global setup); the returned function removes them (teardown). */
export async function buildDbTemplates(): Promise<{ templates: DbTemplates; remove: () => Promise<void> }> {
  const stamp = `${process.pid}_${Date.now().toString(36)}`;
  const files = {
    migrated: path.join(tmpdir(), `yiban-test-template-${stamp}-migrated.tar`),
    seeded: path.join(tmpdir(), `yiban-test-template-${stamp}-seeded.tar`),
  };
  const baseUrl = process.env.DATABASE_URL;
  const names = baseUrl ? { migrated: `yiban_tpl_${stamp}_migrated`, seeded: `yiban_tpl_${stamp}_seeded` } : undefined;
  const remove = async () => {
    for (const file of Object.values(files)) rmSync(file, { force: true });
    if (baseUrl && names) await dropDatabases(baseUrl, Object.values(names));
  };
  try {
    await Promise.all([buildPgliteTemplates(files), baseUrl && names ? buildPostgresTemplates(baseUrl, names) : undefined]);
  } catch (error) {
    await remove();
    throw error;
  }
  return { templates: { pglite: files, ...(names ? { postgres: names } : {}) }, remove };
}

async function buildPgliteTemplates(files: { migrated: string; seeded: string }): Promise<void> {
  const client = new PGlite();
  try {
    const database = pgliteDatabase(client);
    await database.migrate();
    writeFileSync(files.migrated, Buffer.from(await (await client.dumpDataDir('none')).arrayBuffer()));
    await seedTestDatabase(database);
    writeFileSync(files.seeded, Buffer.from(await (await client.dumpDataDir('none')).arrayBuffer()));
  } finally {
    await client.close();
  }
}

async function buildPostgresTemplates(baseUrl: string, names: { migrated: string; seeded: string }): Promise<void> {
  await adminQuery(baseUrl, `CREATE DATABASE ${names.migrated}`);
  const migrated = await openDatabase({ engine: 'postgres', url: databaseUrl(baseUrl, names.migrated), poolSize: 4 });
  try {
    await migrated.migrate();
  } finally {
    await migrated.close();
  }
  await adminQuery(baseUrl, `CREATE DATABASE ${names.seeded} TEMPLATE ${names.migrated}`);
  const seeded = await openDatabase({ engine: 'postgres', url: databaseUrl(baseUrl, names.seeded), poolSize: 4 });
  try {
    await seedTestDatabase(seeded);
  } finally {
    await seeded.close();
  }
}

/** A PGlite client behind the same `Database` interface as `openDatabase` gives (in memory, no data-folder lock). */
export function pgliteDatabase(client: PGlite): Database {
  return {
    db: drizzlePglite({ client, schema }),
    engine: 'pglite',
    migrate: async () => {
      await migratePglite(drizzlePglite({ client, schema }), { migrationsFolder: MIGRATIONS_DIR });
    },
    close: () => client.close(),
  };
}

/** Tarballs are read once per test process (one file), then loaded by every PGlite of that process. */
const tarballs = new Map<string, Blob>();

/** A fresh in-memory PGlite loaded from a template tarball: no initdb, nothing left to migrate. */
export async function pgliteFromTemplate(file: string): Promise<Database> {
  let tarball = tarballs.get(file);
  if (!tarball) {
    tarball = new Blob([readFileSync(file)]);
    tarballs.set(file, tarball);
  }
  const client = new PGlite({ loadDataDir: tarball });
  await client.waitReady;
  return pgliteDatabase(client);
}

/** The templates the global setup made, or null outside vitest or when it made none. */
export async function dbTemplates(): Promise<DbTemplates | null> {
  try {
    const { inject } = await import('vitest');
    return inject('dbTemplates') ?? null;
  } catch {
    return null;
  }
}

export function databaseUrl(baseUrl: string, name: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function adminQuery(baseUrl: string, sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

async function dropDatabases(baseUrl: string, names: string[]): Promise<void> {
  for (const name of names) await adminQuery(baseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
}

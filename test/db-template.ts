import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
import { SEED_CERTIFICATE_TYPES, upsertCertificateTypes } from '../src/modules/certificates/certificate-types.seed.ts';
import { ensureDemoDepartments } from '../src/modules/orgs/orgs.service.ts';

/**
 * Template databases for the service tests. Creating PGlite (its initdb) and applying the
 * migrations costs seconds of CPU for each test database, and the seed of a test context (正定县's
 * divisions, the demo departments, the catalogue) about a second more. The global setup does both
 * once per run, in the background while the first files run: a migrated template and a seeded one, as PGlite data-folder tarballs
 * (`dumpDataDir`, loaded with `loadDataDir`) and, with DATABASE_URL, as PostgreSQL databases that
 * each test database is created from (`CREATE DATABASE … TEMPLATE …`). A test database made from a
 * template still runs `migrate()`, which finds nothing to apply.
 */
export interface DbTemplates {
  /** Tarballs of a PGlite data folder: migrated, and migrated and seeded. */
  pglite: { migrated: string; seeded: string };
  /** PostgreSQL databases on the DATABASE_URL server, when it is set. */
  postgres?: { migrated: string; seeded: string };
  /** The name every test database of this run begins with (test/db.ts): the teardown drops any a test left. */
  testPrefix?: string;
  /** Written when the build ends: `ok`, or `error: …`. */
  ready: string;
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
  await services.orgsAdmin.loadDivisions({ scope: { prefix: '130123' } });
  await services.orgsAdmin.loadDivisions({ scope: { prefix: '130102' } });
  await ensureDemoDepartments(database.db);
  await services.catalogAdmin.upsertItems(SEED_SERVICE_ITEMS);
  await upsertCertificateTypes(database.db, SEED_CERTIFICATE_TYPES);
}

/**
 * Starts building the templates (global setup) without waiting for them: files that use no
 * database never wait, and the others wait in `dbTemplates()` for the `ready` file. `remove`
 * (teardown) waits for the build, then removes the templates.
 */
export function startDbTemplates(): { templates: DbTemplates; built: Promise<void>; remove: () => Promise<void> } {
  removeOrphans();
  const stamp = `${process.pid}_${Date.now().toString(36)}`;
  const file = (what: string) => path.join(tmpdir(), `yiban-test-template-${stamp}-${what}`);
  const files = { migrated: file('migrated.tar'), seeded: file('seeded.tar') };
  const ready = file('ready');
  const baseUrl = process.env.DATABASE_URL;
  const names = baseUrl ? { migrated: `yiban_tpl_${stamp}_migrated`, seeded: `yiban_tpl_${stamp}_seeded` } : undefined;
  const testPrefix = `yiban_test_${stamp}_`;
  const built = Promise.all([buildPgliteTemplates(files), baseUrl && names ? buildPostgresTemplates(baseUrl, names) : undefined]).then(
    () => writeFileSync(ready, 'ok'),
    (error: unknown) => {
      writeFileSync(ready, `error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      throw error;
    },
  );
  built.catch(() => undefined); // reported to the tests through the ready file
  const remove = async () => {
    await built.catch(() => undefined);
    for (const f of [...Object.values(files), ready]) rmSync(f, { force: true });
    if (baseUrl && names) await dropDatabases(baseUrl, [...Object.values(names), ...(await databasesNamed(baseUrl, testPrefix))]);
  };
  return { templates: { pglite: files, ...(names ? { postgres: names, testPrefix } : {}), ready }, built, remove };
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Templates left by a run that was killed before its teardown (its process is gone): files and databases. */
function removeOrphans(): void {
  for (const name of readdirSync(tmpdir())) {
    const m = /^yiban-test-template-(\d+)_/.exec(name);
    if (m && !isAlive(Number(m[1]))) rmSync(path.join(tmpdir(), name), { force: true });
  }
  const baseUrl = process.env.DATABASE_URL;
  if (!baseUrl) return;
  void (async () => {
    const admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE 'yiban\\_tpl\\_%' OR datname LIKE 'yiban\\_test\\_%'`,
      );
      for (const { datname } of rows) {
        // A run's templates and the test databases it left: theirs while its process lives.
        const m = /^yiban_(?:tpl_(\d+)_[a-z0-9]+_(?:migrated|seeded)|test_(\d+)_[a-z0-9]+_[a-z0-9_]+)$/.exec(datname);
        const pid = m ? Number(m[1] ?? m[2]) : NaN;
        if (m && !isAlive(pid)) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
      }
    } finally {
      await admin.end();
    }
  })().catch(() => undefined);
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

function tarball(file: string): Blob {
  let blob = tarballs.get(file);
  if (!blob) {
    blob = new Blob([readFileSync(file)]);
    tarballs.set(file, blob);
  }
  return blob;
}

/** A fresh in-memory PGlite loaded from a template tarball: no initdb, nothing left to migrate. */
export async function pgliteFromTemplate(file: string): Promise<Database> {
  const client = new PGlite({ loadDataDir: tarball(file) });
  await client.waitReady;
  return pgliteDatabase(client);
}

/**
 * Fills a new platform data folder (YIBAN_DATA_DIR: its `pgdata`, as `openDatabase` opens it) from
 * the migrated template, for a process the test spawns: the process finds a database with nothing
 * left to migrate instead of running initdb and every migration. Outside vitest (no templates) it
 * does nothing, and the process makes its own database as on a first start.
 */
export async function pgliteDataDirFromTemplate(dataDir: string): Promise<void> {
  const templates = await dbTemplates();
  if (!templates) return;
  mkdirSync(dataDir, { recursive: true });
  const client = new PGlite(path.join(dataDir, 'pgdata'), { loadDataDir: tarball(templates.pglite.migrated) });
  await client.waitReady;
  await client.close();
}

/** How long a test waits for the templates (they take as long as one test database used to). */
const TEMPLATE_WAIT_MS = 600_000;

/** The templates the global setup makes, once built; null outside vitest. Throws when their build failed. */
export async function dbTemplates(): Promise<DbTemplates | null> {
  let templates: DbTemplates | null;
  try {
    const { inject } = await import('vitest');
    templates = inject('dbTemplates') ?? null;
  } catch {
    return null;
  }
  if (!templates) return null;
  const until = Date.now() + TEMPLATE_WAIT_MS;
  while (!existsSync(templates.ready)) {
    if (Date.now() > until) throw new Error(`the template databases were not ready after ${TEMPLATE_WAIT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const state = readFileSync(templates.ready, 'utf8');
  if (state !== 'ok') throw new Error(`the template databases could not be built: ${state}`);
  return templates;
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

/** The databases whose names begin with `prefix`. */
async function databasesNamed(baseUrl: string, prefix: string): Promise<string[]> {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
    return rows.map((r) => r.datname);
  } finally {
    await admin.end();
  }
}

async function dropDatabases(baseUrl: string, names: string[]): Promise<void> {
  for (const name of names) await adminQuery(baseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
}

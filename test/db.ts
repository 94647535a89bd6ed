import { randomBytes } from 'node:crypto';
import { openDatabase, type Database, type Engine } from '../src/db/database.ts';
import { adminQuery, databaseUrl, dbTemplates, pgliteFromTemplate, seedTestDatabase } from './db-template.ts';

/** The engines service tests run on: PGlite always, PostgreSQL too when DATABASE_URL is set. */
export function testEngines(): Engine[] {
  return process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

/**
 * A fresh, migrated database: PGlite in memory, or a new database on the PostgreSQL server
 * named by DATABASE_URL, dropped again by `close()`. Under vitest it is made from the run's
 * template (test/db-template.ts): `seeded` gives the test-context seed too (divisions, demo
 * departments, catalogue, certificate types). `migrate()` runs either way (nothing to apply on a
 * template), so a migration missing from the template would still be applied.
 */
export async function createTestDatabase(engine: Engine, options: { pgliteDir?: string; seeded?: boolean } = {}): Promise<Database> {
  const templates = await dbTemplates();
  const template = options.seeded ? 'seeded' : 'migrated';
  if (engine === 'pglite') {
    // A data folder when the test reads what PGlite writes to disk (WAL, data files).
    const database = options.pgliteDir
      ? await openDatabase({ engine: 'pglite', dataDir: options.pgliteDir })
      : templates
        ? await pgliteFromTemplate(templates.pglite[template])
        : await openDatabase({ engine: 'pglite', memory: true });
    await database.migrate();
    if (options.seeded && (options.pgliteDir || !templates)) await seedTestDatabase(database);
    return database;
  }
  const baseUrl = process.env.DATABASE_URL;
  if (!baseUrl) throw new Error('DATABASE_URL is not set');
  // Named for the run (its teardown drops any a test left open), or plainly outside vitest.
  const name = `${templates?.testPrefix ?? 'yiban_test_'}${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const from = templates?.postgres?.[template];
  await adminQuery(baseUrl, from ? `CREATE DATABASE ${name} TEMPLATE ${from}` : `CREATE DATABASE ${name}`);
  const database = await openDatabase({ engine: 'postgres', url: databaseUrl(baseUrl, name), poolSize: 10 });
  await database.migrate();
  if (options.seeded && !from) await seedTestDatabase(database);
  return {
    ...database,
    close: async () => {
      await database.close();
      await adminQuery(baseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

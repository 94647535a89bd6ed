import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/core/config.ts';

/** The server the benchmarks create their databases on (trust auth, the `postgres` maintenance database). */
export const DEFAULT_SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type BenchEngine = 'pglite' | 'postgres';

/** A throwaway database for one benchmark: a new PostgreSQL database or a PGlite data folder. */
export interface BenchDatabase {
  engine: BenchEngine;
  /** What to tell openPlatform (through Config) so the app opens this database. */
  databaseUrl: string | undefined;
  dataDir: string;
  label: string;
  drop(): Promise<void>;
}

export async function adminQuery(serverUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export function databaseUrlFor(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function createBenchDatabase(engine: BenchEngine, purpose: string, serverUrl = DEFAULT_SERVER_URL): Promise<BenchDatabase> {
  const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  if (engine === 'pglite') {
    const dataDir = mkdtempSync(path.join(tmpdir(), `yiban-bench-${purpose}-`));
    return {
      engine,
      databaseUrl: undefined,
      dataDir,
      label: dataDir,
      drop: () => Promise.resolve(rmSync(dataDir, { recursive: true, force: true })),
    };
  }
  const name = `yiban_bench_${purpose}_${suffix}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
  // The master key file would otherwise land in ./data; keep it in a temp folder of its own.
  const dataDir = mkdtempSync(path.join(tmpdir(), `yiban-bench-${purpose}-`));
  return {
    engine,
    databaseUrl: databaseUrlFor(serverUrl, name),
    dataDir,
    label: name,
    drop: async () => {
      // BENCH_KEEP_DB=1 keeps the database for a look afterwards (its name is printed).
      if (process.env.BENCH_KEEP_DB === '1') return;
      await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The app's Config for a bench database, through loadConfig so that new settings keep their defaults. */
export function benchConfig(database: { databaseUrl: string | undefined; dataDir: string }, masterKey: Buffer): Config {
  return loadConfig({
    ...(database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {}),
    YIBAN_DATA_DIR: database.dataDir,
    YIBAN_MASTER_KEY: masterKey.toString('base64'),
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
  });
}

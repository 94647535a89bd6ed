/**
 * Loads every division of the country (31 provinces … 620,573 villages) into a fresh
 * PostgreSQL database and compares the time with the 60 s floor.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/load-divisions.ts
 */
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { openDatabase } from '../src/db/database.ts';
import { loadDivisions, type LoadDivisionsResult } from '../src/modules/orgs/division-loader.ts';

export const LOAD_DIVISIONS_FLOOR_SECONDS = 60;

export interface LoadDivisionsBench {
  seconds: number;
  rows: number;
  rowsPerSecond: number;
  reloadSeconds: number;
  withinFloor: boolean;
  result: LoadDivisionsResult;
}

export async function benchLoadDivisions(
  baseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
): Promise<LoadDivisionsBench> {
  const name = `yiban_bench_divisions_${Date.now()}`;
  await adminQuery(baseUrl, `CREATE DATABASE ${name}`);
  try {
    const url = new URL(baseUrl);
    url.pathname = `/${name}`;
    const database = await openDatabase({ engine: 'postgres', url: url.toString(), poolSize: 4 });
    try {
      await database.migrate();
      const result = await loadDivisions(database.db, { scope: 'all' });
      // Idempotence at full scale: the second run must write nothing.
      const reload = await loadDivisions(database.db, { scope: 'all' });
      if (reload.inserted + reload.updated !== 0) throw new Error(`reload wrote ${reload.inserted + reload.updated} rows`);
      const rows = Object.values(result.counts).reduce((a, b) => a + b, 0);
      const seconds = result.elapsedMs / 1000;
      return {
        seconds,
        rows,
        rowsPerSecond: rows / seconds,
        reloadSeconds: reload.elapsedMs / 1000,
        withinFloor: seconds < LOAD_DIVISIONS_FLOOR_SECONDS,
        result,
      };
    } finally {
      await database.close();
    }
  } finally {
    await adminQuery(baseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const bench = await benchLoadDivisions();
  const { counts } = bench.result;
  console.log(
    `divisions: ${counts.province} provinces, ${counts.city} cities, ${counts.county} counties, ` +
      `${counts.township} townships, ${counts.village} villages (skipped ${bench.result.skipped})`,
  );
  console.log(
    `load all divisions on PostgreSQL: ${bench.seconds.toFixed(1)} s, ${Math.round(bench.rowsPerSecond).toLocaleString('en')} rows/s ` +
      `(floor ${LOAD_DIVISIONS_FLOOR_SECONDS} s: ${bench.withinFloor ? 'PASS' : 'FAIL'}); reload ${bench.reloadSeconds.toFixed(1)} s, 0 rows written`,
  );
  if (!bench.withinFloor) process.exitCode = 1;
}

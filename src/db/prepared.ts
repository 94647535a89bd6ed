import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { Executor } from './database.ts';

/**
 * A hot statement, sent past drizzle's query builder: named, so that node-postgres prepares it
 * once per connection and PostgreSQL stops parsing and planning it on every call. For the few
 * statements that run on every request (session lookup, case submission); everything else goes
 * through drizzle.
 *
 * Rows come back as the server's text for timestamps and dates (as drizzle's own drivers ask
 * for), so that both engines hand the caller the same values; the caller maps them.
 */
export interface PreparedStatement {
  /** Unique per statement text: node-postgres refuses one name for two texts. */
  name: string;
  text: string;
}

const RAW = (value: string) => value;
const RAW_OIDS = new Set([1082, 1083, 1114, 1184, 1186]); // date, time, timestamp, timestamptz, interval
const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    RAW_OIDS.has(oid)
      ? RAW
      : (pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown)) as pg.CustomTypesConfig['getTypeParser'],
};
const pgliteParsers = Object.fromEntries([...RAW_OIDS].map((oid) => [oid, RAW]));

/** The driver client behind the database (`$client`) or behind an open transaction (its session's client). */
function clientOf(db: Executor): unknown {
  const direct = (db as unknown as { $client?: unknown }).$client;
  if (direct !== undefined) return direct;
  return (db as unknown as { session?: { client?: unknown } }).session?.client;
}

export async function queryPrepared<T>(db: Executor, statement: PreparedStatement, values: unknown[]): Promise<T[]> {
  const client = clientOf(db);
  if (client instanceof pg.Pool || client instanceof pg.Client) {
    const result = await client.query<T & pg.QueryResultRow>({ name: statement.name, text: statement.text, values, types: pgTypes });
    return result.rows;
  }
  if (client instanceof PGlite || isPgliteTransaction(client)) {
    const result = await client.query<T>(statement.text, values, { parsers: pgliteParsers });
    return result.rows;
  }
  throw new Error('queryPrepared: unknown database client');
}

/** PGlite's transaction object (no exported class): what `db.transaction` hands drizzle's session. */
function isPgliteTransaction(client: unknown): client is PGlite {
  return (
    typeof client === 'object' &&
    client !== null &&
    typeof (client as { query?: unknown }).query === 'function' &&
    typeof (client as { rollback?: unknown }).rollback === 'function'
  );
}

/** The queue: entries written in the callers' transactions, waiting for the sequencer to give them an index. */
import { eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { queryPrepared, type PreparedStatement } from '../../db/prepared.ts';
import { ledgerQueue } from './ledger.tables.ts';

/** Entries per queue statement: well under PostgreSQL's 65,535 parameters. */
export const APPEND_CHUNK = 1000;

const QUEUE_ONE: PreparedStatement = {
  name: 'ledger_queue_one',
  text: 'insert into ledger_queue (kind, data) values ($1, $2) returning id, created_at',
};
const QUEUE_ONE_WITH_ID: PreparedStatement = {
  name: 'ledger_queue_one_id',
  text: 'insert into ledger_queue (id, kind, data) values ($1, $2, $3) returning id, created_at',
};

const hexOf = (data: Uint8Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex');

/**
 * Queues entries in the caller's transaction: an insert, no lock that other writers wait on.
 * Entries with an `id` (from `newEntryIds`) keep it; the others get the next ones. Returns the
 * ids and the queue time, in input order.
 */
export async function queueEntries(
  db: Executor,
  entries: readonly { id?: number; kind: string; data: Uint8Array }[],
): Promise<{ id: number; createdAt: Date }[]> {
  if (entries.length === 0) return [];
  if (entries.length === 1) {
    // The common case (one approval, one exchange): a prepared statement, parsed and planned once per connection.
    const [e] = entries as [{ id?: number; kind: string; data: Uint8Array }];
    const rows =
      e.id === undefined
        ? await queryPrepared<{ id: string | number; created_at: string }>(db, QUEUE_ONE, [
            e.kind,
            Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength),
          ])
        : await queryPrepared<{ id: string | number; created_at: string }>(db, QUEUE_ONE_WITH_ID, [
            e.id,
            e.kind,
            Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength),
          ]);
    return [{ id: Number(rows[0]!.id), createdAt: new Date(rows[0]!.created_at) }];
  }
  // One array parameter per column (the data as hex): a parameter per value costs the driver far more in big batches.
  const kinds = sql.param(entries.map((e) => e.kind));
  const data = sql.param(entries.map((e) => hexOf(e.data)));
  const withIds = entries.every((e) => e.id !== undefined);
  const statement = withIds
    ? sql`insert into ${ledgerQueue} (id, kind, data)
          select v.id, v.kind, decode(v.hex, 'hex') from unnest(${sql.param(entries.map((e) => e.id))}::bigint[], ${kinds}::text[], ${data}::text[]) with ordinality as v(id, kind, hex, ord)
          order by v.ord returning id, created_at`
    : sql`insert into ${ledgerQueue} (kind, data)
          select v.kind, decode(v.hex, 'hex') from unnest(${kinds}::text[], ${data}::text[]) with ordinality as v(kind, hex, ord)
          order by v.ord returning id, created_at`;
  const { rows } = await db.execute<{ id: string | number; created_at: string | Date }>(statement);
  // Identity values are drawn in insert order, which is `ord` order; explicit ids are the caller's.
  const out = rows.map((r) => ({ id: Number(r.id), createdAt: new Date(r.created_at) }));
  if (withIds) {
    const at = new Map(out.map((r) => [r.id, r.createdAt]));
    return entries.map((e) => ({ id: e.id!, createdAt: at.get(e.id!)! }));
  }
  return out.sort((a, b) => a.id - b.id);
}

/** What a caller's insert writes where it names its entry (`queueWithInsert`): the entry's fresh id. */
export const NEXT_ENTRY_ID = "nextval(pg_get_serial_sequence('ledger_queue', 'id'))";

const withInsert = new Map<string, PreparedStatement>();

/**
 * Queues one entry in the same statement as the caller's insert: one round trip, atomic without
 * a transaction. The insert names its entry with NEXT_ENTRY_ID and returns it as `entry_id`; the
 * entry is queued only when the insert wrote its row (one that did nothing on conflict queues
 * nothing). Null then.
 */
export async function queueWithInsert(
  db: Executor,
  entry: { kind: string; data: Uint8Array },
  insert: PreparedStatement,
  values: readonly unknown[],
): Promise<{ id: number } | null> {
  const key = `${insert.name}\n${values.length}`;
  let statement = withInsert.get(key);
  if (!statement) {
    statement = {
      name: `${insert.name}_ledger`,
      text: `with inserted as (${insert.text}),
queued as (insert into ledger_queue (id, kind, data) select entry_id, $${values.length + 1}, $${values.length + 2} from inserted returning id)
select id from queued`,
    };
    withInsert.set(key, statement);
  }
  const rows = await queryPrepared<{ id: string | number }>(db, statement, [
    ...values,
    entry.kind,
    Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength),
  ]);
  return rows[0] ? { id: Number(rows[0].id) } : null;
}

/**
 * A caller's statement with the entry queued in it: `ctes` (the caller's, one of them named
 * `inserted` and returning the entry's id as `entry_id`, written with NEXT_ENTRY_ID), then the
 * queue's own CTE `queued`, then the caller's final `select` (which may read `queued`). The entry
 * is queued when `inserted` wrote its row. Kind and data are the two parameters after `values`.
 */
export async function queueWithStatement<T>(
  db: Executor,
  entry: { kind: string; data: Uint8Array },
  statement: { name: string; ctes: string; select: string },
  values: readonly unknown[],
): Promise<T[]> {
  const key = `${statement.name}\n${values.length}`;
  let prepared = withInsert.get(key);
  if (!prepared) {
    prepared = {
      name: `${statement.name}_ledger`,
      text: `with ${statement.ctes},
queued as (insert into ledger_queue (id, kind, data) select entry_id, $${values.length + 1}, $${values.length + 2} from inserted returning id)
${statement.select}`,
    };
    withInsert.set(key, prepared);
  }
  return queryPrepared<T>(db, prepared, [
    ...values,
    entry.kind,
    Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength),
  ]);
}

/** `count` fresh entry ids, for rows that must name their entry before it is queued. */
export async function newEntryIds(db: Executor, count: number): Promise<number[]> {
  if (count === 0) return [];
  const { rows } = await db.execute<{ id: string | number }>(
    sql`select nextval(pg_get_serial_sequence('ledger_queue', 'id')) as id from generate_series(1, ${count}::int)`,
  );
  return rows.map((r) => Number(r.id));
}

export interface QueuedRow {
  id: number;
  kind: string;
  data: Uint8Array;
  createdAt: Date;
}

export async function findQueued(db: Executor, id: number): Promise<QueuedRow | undefined> {
  const [row] = await db.select().from(ledgerQueue).where(eq(ledgerQueue.id, id));
  return row;
}

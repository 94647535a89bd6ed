import { and, asc, desc, eq, gte, inArray, lt, lte, or, sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { queryPrepared, type PreparedStatement } from '../../db/prepared.ts';
import {
  ledgerCheckpoints,
  ledgerCosignatures,
  ledgerEntries,
  ledgerHead,
  ledgerQueue,
  ledgerTiles,
  ledgerWitnesses,
} from './ledger.tables.ts';
import type { Tile } from './tree-builder.ts';

export type EntryRow = typeof ledgerEntries.$inferSelect;
export type CheckpointRow = typeof ledgerCheckpoints.$inferSelect;
export type WitnessRow = typeof ledgerWitnesses.$inferSelect;

/** Entries per queue statement: well under PostgreSQL's 65,535 parameters. */
export const APPEND_CHUNK = 1000;
/** Tiles (8 KiB each) per upsert statement. */
const TILE_CHUNK = 250;

/**
 * What the checkpoints' `meta` line commits to for one entry, besides its leaf: index, id, the
 * time it was queued (µs since the epoch) and its kind, as bytes: int8 idx ‖ int8 id ‖ int8 µs ‖
 * int4 length ‖ kind (UTF-8). The same bytes in the sequencer, the integrator and the audit.
 */
export const META_RECORD = sql.raw(
  `int8send(idx) || int8send(id) || int8send((extract(epoch from created_at) * 1000000)::bigint) || int4send(octet_length(kind)) || convert_to(kind, 'UTF8')`,
);

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

/** `count` fresh entry ids, for rows that must name their entry before it is queued. */
export async function newEntryIds(db: Executor, count: number): Promise<number[]> {
  if (count === 0) return [];
  const { rows } = await db.execute<{ id: string | number }>(
    sql`select nextval(pg_get_serial_sequence('ledger_queue', 'id')) as id from generate_series(1, ${count}::int)`,
  );
  return rows.map((r) => Number(r.id));
}

export async function ensureHead(db: Executor): Promise<void> {
  await db.insert(ledgerHead).values({ id: 1, nextIdx: 0 }).onConflictDoNothing();
}

/**
 * The sequencer's step: moves up to `limit` queued entries, oldest id first, into the log at the
 * next indexes, and moves the head past them, in one statement of the caller's transaction (which
 * holds the sequencer lock). Deleting from the queue and inserting the entry commit together, and
 * the entry id is unique in the log: nothing is lost or sequenced twice.
 */
export async function sequenceQueued(db: Executor, limit: number): Promise<{ first: number; count: number }> {
  const { rows } = await db.execute<{ first: string | number | null; n: string | number }>(sql`
    with head as (
      select next_idx from ${ledgerHead} where id = 1
    ), moved as (
      delete from ${ledgerQueue} where id in (select id from ${ledgerQueue} order by id limit ${limit})
      returning id, kind, data, created_at
    ), inserted as (
      insert into ${ledgerEntries} (idx, id, kind, data, created_at)
      select head.next_idx + row_number() over (order by moved.id) - 1, moved.id, moved.kind, moved.data, moved.created_at
      from moved, head
      returning 1
    ), advanced as (
      update ${ledgerHead} set next_idx = next_idx + (select count(*) from inserted) where id = 1
      returning next_idx
    )
    select (select next_idx from head) as first, (select count(*) from inserted) as n, (select count(*) from moved) as m, (select count(*) from advanced) as a`);
  const row = rows[0] as { first: string | number | null; n: string | number; m: string | number } | undefined;
  if (row?.first === null || row?.first === undefined) throw new Error('ledger head row is missing');
  if (Number(row.n) !== Number(row.m)) throw new Error('ledger sequencing moved and inserted different counts');
  return { first: Number(row.first), count: Number(row.n) };
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

export async function findEntryById(db: Executor, id: number): Promise<EntryRow | undefined> {
  const [row] = await db.select().from(ledgerEntries).where(eq(ledgerEntries.id, id));
  return row;
}

/** The index of each sequenced entry among `ids`; pending (or unknown) ids are absent. */
export async function indexesOf(db: Executor, ids: readonly number[]): Promise<Map<number, number>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id: ledgerEntries.id, idx: ledgerEntries.idx })
    .from(ledgerEntries)
    .where(inArray(ledgerEntries.id, [...new Set(ids)]));
  return new Map(rows.map((r) => [r.id, r.idx]));
}

export async function readLeafHashes(db: Executor, from: number, limit: number): Promise<{ idx: number; leafHash: Uint8Array }[]> {
  return db
    .select({ idx: ledgerEntries.idx, leafHash: ledgerEntries.leafHash })
    .from(ledgerEntries)
    .where(gte(ledgerEntries.idx, from))
    .orderBy(asc(ledgerEntries.idx))
    .limit(limit);
}

/**
 * Leaf hashes and meta records (`META_RECORD`) of the entries from `from` on, each as one byte
 * string, when they are consecutive (far cheaper to decode than one row each); null when there
 * is a gap.
 */
export async function readLeafHashRun(db: Executor, from: number, limit: number): Promise<{ hashes: Uint8Array; meta: Uint8Array } | null> {
  const { rows } = await db.execute<{
    first: string | number | null;
    last: string | number | null;
    n: string | number;
    hashes: Uint8Array | null;
    meta: Uint8Array | null;
  }>(sql`
    select min(idx) as first, max(idx) as last, count(*) as n, string_agg(leaf_hash, ''::bytea order by idx) as hashes, string_agg(meta, ''::bytea order by idx) as meta
    from (select idx, leaf_hash, ${META_RECORD} as meta from ${ledgerEntries} where idx >= ${from} order by idx limit ${limit}) as run`);
  const row = rows[0];
  const n = Number(row?.n ?? 0);
  if (n === 0) return { hashes: new Uint8Array(0), meta: new Uint8Array(0) };
  if (Number(row!.first) !== from || Number(row!.last) !== from + n - 1 || !row!.hashes || !row!.meta) return null;
  return { hashes: row!.hashes, meta: row!.meta };
}

export async function findEntry(db: Executor, idx: number): Promise<EntryRow | undefined> {
  const [row] = await db.select().from(ledgerEntries).where(eq(ledgerEntries.idx, idx));
  return row;
}

export async function readEntryData(db: Executor, from: number, to: number): Promise<{ idx: number; data: Uint8Array }[]> {
  return db
    .select({ idx: ledgerEntries.idx, data: ledgerEntries.data })
    .from(ledgerEntries)
    .where(and(gte(ledgerEntries.idx, from), lt(ledgerEntries.idx, to)))
    .orderBy(asc(ledgerEntries.idx));
}

export async function readHead(db: Executor): Promise<number> {
  const [row] = await db.select({ next: ledgerHead.nextIdx }).from(ledgerHead);
  return row?.next ?? 0;
}

export async function readTiles(db: Executor, keys: readonly { level: number; index: number }[]): Promise<Tile[]> {
  if (keys.length === 0) return [];
  return db
    .select()
    .from(ledgerTiles)
    .where(or(...keys.map((k) => and(eq(ledgerTiles.level, k.level), eq(ledgerTiles.index, k.index)))));
}

/** Tiles of one level with index in [from, to), in order. */
export async function readTileRange(db: Executor, level: number, from: number, to: number): Promise<Tile[]> {
  return db
    .select()
    .from(ledgerTiles)
    .where(and(eq(ledgerTiles.level, level), gte(ledgerTiles.index, from), lt(ledgerTiles.index, to)))
    .orderBy(asc(ledgerTiles.index));
}

export async function upsertTiles(db: Executor, tiles: readonly Tile[]): Promise<void> {
  for (let i = 0; i < tiles.length; i += TILE_CHUNK) {
    const chunk = tiles
      .slice(i, i + TILE_CHUNK)
      .map((t) => ({ ...t, hashes: Buffer.from(t.hashes.buffer, t.hashes.byteOffset, t.hashes.byteLength) }));
    await db
      .insert(ledgerTiles)
      .values(chunk)
      .onConflictDoUpdate({
        target: [ledgerTiles.level, ledgerTiles.index],
        set: { width: sql`excluded.width`, hashes: sql`excluded.hashes` },
      });
  }
}

export async function latestCheckpoint(db: Executor): Promise<CheckpointRow | undefined> {
  const [row] = await db.select().from(ledgerCheckpoints).orderBy(desc(ledgerCheckpoints.size)).limit(1);
  return row;
}

export async function findCheckpoint(db: Executor, size: number): Promise<CheckpointRow | undefined> {
  const [row] = await db.select().from(ledgerCheckpoints).where(eq(ledgerCheckpoints.size, size));
  return row;
}

/** Checkpoints with from ≤ size ≤ to, in size order. */
export async function readCheckpointsIn(db: Executor, from: number, to: number): Promise<CheckpointRow[]> {
  return db
    .select()
    .from(ledgerCheckpoints)
    .where(and(gte(ledgerCheckpoints.size, from), lte(ledgerCheckpoints.size, to)))
    .orderBy(asc(ledgerCheckpoints.size));
}

export async function insertCheckpoint(db: Executor, row: { size: number; rootHash: Uint8Array; note: string }): Promise<boolean> {
  const inserted = await db.insert(ledgerCheckpoints).values(row).onConflictDoNothing().returning({ size: ledgerCheckpoints.size });
  return inserted.length === 1;
}

export async function cosignatureLines(db: Executor, size: number): Promise<string[]> {
  const rows = await db
    .select({ signature: ledgerCosignatures.signature })
    .from(ledgerCosignatures)
    .where(eq(ledgerCosignatures.size, size))
    .orderBy(asc(ledgerCosignatures.witness));
  return rows.map((r) => r.signature);
}

/** Stores a cosignature, keeping the newest per witness and size; false when an equal or newer one is there. */
export async function upsertCosignature(
  db: Executor,
  row: { size: number; witness: string; signature: string; cosignedAt: number },
): Promise<boolean> {
  const stored = await db
    .insert(ledgerCosignatures)
    .values(row)
    .onConflictDoUpdate({
      target: [ledgerCosignatures.size, ledgerCosignatures.witness],
      set: { signature: sql`excluded.signature`, cosignedAt: sql`excluded.cosigned_at`, createdAt: sql`now()` },
      setWhere: sql`${ledgerCosignatures.cosignedAt} < excluded.cosigned_at`,
    })
    .returning({ size: ledgerCosignatures.size });
  return stored.length === 1;
}

export async function listWitnesses(db: Executor): Promise<WitnessRow[]> {
  return db.select().from(ledgerWitnesses).orderBy(asc(ledgerWitnesses.name));
}

export async function insertWitness(db: Executor, row: { name: string; vkey: string }): Promise<boolean> {
  const inserted = await db.insert(ledgerWitnesses).values(row).onConflictDoNothing().returning({ name: ledgerWitnesses.name });
  return inserted.length === 1;
}

export async function deleteWitness(db: Executor, name: string): Promise<boolean> {
  const deleted = await db.delete(ledgerWitnesses).where(eq(ledgerWitnesses.name, name)).returning({ name: ledgerWitnesses.name });
  return deleted.length === 1;
}

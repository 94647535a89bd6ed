/** The log's entries and its head counter: sequencing queued entries and reading them back. */
import { and, asc, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { ledgerEntries, ledgerHead, ledgerQueue } from './ledger.tables.ts';

export type EntryRow = typeof ledgerEntries.$inferSelect;

/**
 * What the checkpoints' `meta` line commits to for one entry, besides its leaf: index, id, the
 * time it was queued (µs since the epoch) and its kind, as bytes: int8 idx ‖ int8 id ‖ int8 µs ‖
 * int4 length ‖ kind (UTF-8). The same bytes in the sequencer, the integrator and the audit.
 */
export const META_RECORD = sql.raw(
  `int8send(idx) || int8send(id) || int8send((extract(epoch from created_at) * 1000000)::bigint) || int4send(octet_length(kind)) || convert_to(kind, 'UTF8')`,
);

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

import { and, asc, desc, eq, gte, lt, lte, or, sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { ledgerCheckpoints, ledgerCosignatures, ledgerEntries, ledgerHead, ledgerTiles, ledgerWitnesses } from './ledger.tables.ts';
import type { Tile } from './tree-builder.ts';

export type EntryRow = typeof ledgerEntries.$inferSelect;
export type CheckpointRow = typeof ledgerCheckpoints.$inferSelect;
export type WitnessRow = typeof ledgerWitnesses.$inferSelect;

/** Entries per append statement: well under PostgreSQL's 65,535 parameters. */
export const APPEND_CHUNK = 1000;
/** Tiles (8 KiB each) per upsert statement. */
const TILE_CHUNK = 250;

/**
 * Claims the next `entries.length` indexes and inserts the entries, in one statement: the
 * update row-locks the head until the caller's transaction ends, so concurrent appenders get
 * consecutive indexes in commit order, and a rollback returns them. Returns the first index.
 */
export async function appendEntries(db: Executor, entries: readonly { kind: string; data: Uint8Array }[]): Promise<number> {
  // One array parameter per column (the data as hex): a parameter per value costs the driver far more in big batches.
  const kinds = sql.param(entries.map((e) => e.kind));
  const data = sql.param(entries.map((e) => Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).toString('hex')));
  const statement = sql`
    with head as (
      update ${ledgerHead} set next_idx = next_idx + ${entries.length}::bigint where id = 1
      returning next_idx - ${entries.length}::bigint as first
    ), inserted as (
      insert into ${ledgerEntries} (idx, kind, data)
      select head.first + v.ord - 1, v.kind, decode(v.hex, 'hex')
      from head, unnest(${kinds}::text[], ${data}::text[]) with ordinality as v(kind, hex, ord)
      returning 1
    )
    select (select first from head) as first, (select count(*) from inserted) as n`;
  for (let attempt = 0; attempt < 2; attempt++) {
    const { rows } = await db.execute<{ first: string | number | null; n: string | number }>(statement);
    const first = rows[0]?.first;
    if (first !== null && first !== undefined) return Number(first);
    // First append ever: create the head row (a concurrent creator makes this a no-op) and retry.
    await db.insert(ledgerHead).values({ id: 1, nextIdx: 0 }).onConflictDoNothing();
  }
  throw new Error('ledger head row is missing');
}

/**
 * Row-locks the head until the caller's transaction ends and returns the index its next
 * append gets: a caller that must know its leaves' indexes before appending (batch issuance
 * stores them on the certificates it inserts) reserves first, then appends.
 */
export async function lockHead(db: Executor): Promise<number> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const { rows } = await db.execute<{ next_idx: string | number }>(sql`select next_idx from ${ledgerHead} where id = 1 for update`);
    if (rows[0]) return Number(rows[0].next_idx);
    await db.insert(ledgerHead).values({ id: 1, nextIdx: 0 }).onConflictDoNothing();
  }
  throw new Error('ledger head row is missing');
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
 * Leaf hashes of entries from `from` on, as one byte string, when they are consecutive (the
 * common case, and far cheaper to decode than one row each); null when there is a gap.
 */
export async function readLeafHashRun(db: Executor, from: number, limit: number): Promise<Uint8Array | null> {
  const { rows } = await db.execute<{ first: string | number | null; last: string | number | null; n: string | number; hashes: Uint8Array | null }>(sql`
    select min(idx) as first, max(idx) as last, count(*) as n, string_agg(leaf_hash, ''::bytea order by idx) as hashes
    from (select idx, leaf_hash from ${ledgerEntries} where idx >= ${from} order by idx limit ${limit}) as run`);
  const row = rows[0];
  const n = Number(row?.n ?? 0);
  if (n === 0) return new Uint8Array(0);
  if (Number(row!.first) !== from || Number(row!.last) !== from + n - 1 || !row!.hashes) return null;
  return row!.hashes;
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
    const chunk = tiles.slice(i, i + TILE_CHUNK).map((t) => ({ ...t, hashes: Buffer.from(t.hashes.buffer, t.hashes.byteOffset, t.hashes.byteLength) }));
    await db
      .insert(ledgerTiles)
      .values(chunk)
      .onConflictDoUpdate({
        target: [ledgerTiles.level, ledgerTiles.index],
        set: { width: sql`excluded.width`, hashes: sql`excluded.hashes` },
      });
  }
}

export async function deleteAllTiles(db: Executor): Promise<void> {
  await db.delete(ledgerTiles);
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

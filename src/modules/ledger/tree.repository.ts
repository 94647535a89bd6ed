/** What the log committed to: the tiles of its Merkle tree and its signed checkpoints. */
import { and, asc, desc, eq, gte, lt, lte, or, sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { ledgerCheckpoints, ledgerTiles } from './ledger.tables.ts';
import type { Tile } from './tree-builder.ts';

export type CheckpointRow = typeof ledgerCheckpoints.$inferSelect;

/** Tiles (8 KiB each) per upsert statement. */
const TILE_CHUNK = 250;

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

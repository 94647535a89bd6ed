import { AppError } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import { HASH_SIZE } from '../../verify/merkle.ts';
import {
  TILE_WIDTH,
  consistencyProofFromTiles,
  encodeEntryBundle,
  inclusionProofFromTiles,
  tileWidth,
  type TileSource,
} from '../../verify/tlog-tiles.ts';
import { nodeHasher } from './hashing.ts';
import { latestStored, type LedgerContext } from './ledger-context.ts';
import { findEntry, readEntryData } from './ledger.repository.ts';
import { latestCheckpoint, readTiles as readTileRows } from './tree.repository.ts';

/** Full tiles kept in memory: at most 2,048 × 8 KiB. */
const FULL_TILE_CACHE = 2048;

/** Tiles from the database (or the cache), cut to the width the tree of the asked size has. */
function createTileSource({ db, fullTiles }: LedgerContext): TileSource {
  return {
    async readTiles(requests) {
      const key = (r: { level: number; index: number }) => `${r.level}/${r.index}`;
      const missing = requests.filter((r) => !(r.width === TILE_WIDTH && fullTiles.has(key(r))));
      const rows = await readTileRows(db, missing);
      return requests.map((req) => {
        const cached = req.width === TILE_WIDTH ? fullTiles.get(key(req)) : undefined;
        if (cached) {
          // Refresh its place: Map keeps insertion order, so the oldest entry is evicted first.
          fullTiles.delete(key(req));
          fullTiles.set(key(req), cached);
          return cached;
        }
        const row = rows.find((r) => r.level === req.level && r.index === req.index);
        if (!row || row.width < req.width) throw new Error(`ledger tile ${key(req)} is missing; run \`yiban ledger integrate\``);
        if (row.width === TILE_WIDTH) {
          fullTiles.set(key(req), row.hashes);
          if (fullTiles.size > FULL_TILE_CACHE) fullTiles.delete(fullTiles.keys().next().value!);
        }
        return row.hashes.subarray(0, req.width * HASH_SIZE);
      });
    },
  };
}

/** What verifiers read: entries, inclusion and consistency proofs, tiles and entry bundles. */
export function createProofFunctions(ctx: LedgerContext) {
  const { db } = ctx;
  const tileSource = createTileSource(ctx);

  async function requireSize(size: number | undefined): Promise<number> {
    const latest = await latestStored(ctx);
    if (size === undefined) return latest.size;
    if (size > latest.size) throw new AppError('LEDGER_SIZE_UNAVAILABLE', { size, latest: latest.size });
    return size;
  }

  return {
    async getEntry(index: number) {
      const [row, latest] = await Promise.all([findEntry(db, index), latestCheckpoint(db)]);
      if (!row) throw new AppError('NOT_FOUND', { what: 'ledgerEntry' });
      return {
        index: row.idx,
        id: row.id,
        kind: row.kind,
        data: row.data,
        leafHash: row.leafHash,
        createdAt: row.createdAt,
        integrated: latest !== undefined && row.idx < latest.size,
      };
    },

    /** PATH(index, D[size]) for a signed size (default: the latest). */
    async inclusionProof(
      index: number,
      size?: number,
    ): Promise<{ index: number; size: number; leafHash: Uint8Array; hashes: Uint8Array[] }> {
      const treeSize = await requireSize(size);
      if (index >= treeSize) {
        throw new AppError('VALIDATION_FAILED', {
          detail: message('ledger.proof.indexOutsideTree', { index, size: treeSize }),
        });
      }
      const [entry, hashes] = await Promise.all([
        findEntry(db, index),
        inclusionProofFromTiles(tileSource, index, treeSize, nodeHasher.children),
      ]);
      if (!entry) throw new AppError('NOT_FOUND', { what: 'ledgerEntry' });
      return { index, size: treeSize, leafHash: entry.leafHash, hashes };
    },

    /** PROOF(from, D[to]) between two signed sizes (default to: the latest). */
    async consistencyProof(from: number, to?: number): Promise<{ from: number; to: number; hashes: Uint8Array[] }> {
      const treeSize = await requireSize(to);
      if (from > treeSize) {
        throw new AppError('VALIDATION_FAILED', { detail: message('ledger.proof.fromAfterTo') });
      }
      return { from, to: treeSize, hashes: await consistencyProofFromTiles(tileSource, from, treeSize, nodeHasher.children) };
    },

    /** A tile as of the latest checkpoint; null when that tree has no such tile or not that wide. */
    async readTile(level: number, index: number, width: number): Promise<Uint8Array | null> {
      const latest = await latestStored(ctx);
      if (width > tileWidth(level, index, latest.size)) return null;
      const [row] = await readTileRows(db, [{ level, index }]);
      if (!row || row.width < width) return null;
      return row.hashes.subarray(0, width * HASH_SIZE);
    },

    async readEntryBundle(index: number, width: number): Promise<Uint8Array | null> {
      const latest = await latestStored(ctx);
      const from = index * TILE_WIDTH;
      if (from + width > latest.size) return null;
      const rows = await readEntryData(db, from, from + width);
      if (rows.length !== width) return null;
      return encodeEntryBundle(rows.map((r) => r.data));
    },
  };
}

import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { perfectNodes } from '../../verify/merkle.ts';
import { TILE_WIDTH } from '../../verify/tlog-tiles.ts';
import { interiorOffset } from './hash-workers.ts';
import { META_RECORD } from './ledger.repository.ts';
import { ledgerEntries } from './ledger.tables.ts';
import { readCheckpointsIn, readTileRange, type CheckpointRow } from './tree.repository.ts';

export interface EntryBatch {
  /** Entry indexes, in order. */
  idx: number[];
  /** Entry i is data[spans[2i] .. spans[2i + 1]). */
  data: Uint8Array;
  spans: Uint32Array;
  /** Level-0 tiles covering the rows, by tile index. */
  tiles: Map<number, Uint8Array>;
  /** Checkpoints whose size falls in the rows' range. */
  checkpoints: CheckpointRow[];
  /** The rows' `META_RECORD`s, back to back; row i's ends at metaEnds[i]. */
  meta: Uint8Array;
  metaEnds: Uint32Array;
}

/** Positions in the batch where 256 consecutive entries fill a level-0 tile. */
export function fullChunks(idx: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i + TILE_WIDTH <= idx.length;) {
    if (idx[i]! % TILE_WIDTH === 0 && idx[i + TILE_WIDTH - 1]! === idx[i]! + TILE_WIDTH - 1) {
      out.push(i);
      i += TILE_WIDTH;
    } else {
      i++;
    }
  }
  return out;
}

/** The perfect subtrees of the first k leaves of a tile, from its leaf and interior hashes. */
export function chunkNodes(k: number, leaves: Uint8Array, interior: Uint8Array): Uint8Array[] {
  return perfectNodes({ start: 0, end: k }).map(({ level, index }) => {
    const at = level === 0 ? index : interiorOffset(level) + index;
    const source = level === 0 ? leaves : interior;
    return source.subarray(at * 32, (at + 1) * 32);
  });
}

/**
 * A batch of entries as one byte string of (index: 8 bytes, length: 4 bytes, data) records
 * rather than one row per entry: decoding one large value costs far less than many small rows.
 */
export async function fetchBatch(db: Db, from: number, limit: number, treeSize: number): Promise<EntryBatch> {
  const { rows } = await db.execute<{ records: Uint8Array | null; meta: Uint8Array | null }>(sql`
    select string_agg(int8send(idx) || int4send(length(data)) || data, ''::bytea order by idx) as records,
           string_agg(meta, ''::bytea order by idx) as meta
    from (select idx, data, ${META_RECORD} as meta from ${ledgerEntries} where idx >= ${from} order by idx limit ${limit}) as batch`);
  const records = rows[0]?.records ?? new Uint8Array(0);
  const meta = rows[0]?.meta ?? new Uint8Array(0);
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  const idx: number[] = [];
  const spans: number[] = [];
  for (let at = 0; at < records.length;) {
    idx.push(view.getUint32(at) * 2 ** 32 + view.getUint32(at + 4));
    const length = view.getInt32(at + 8);
    spans.push(at + 12, at + 12 + length);
    at += 12 + length;
  }
  const metaView = new DataView(meta.buffer, meta.byteOffset, meta.byteLength);
  const metaEnds = new Uint32Array(idx.length);
  for (let i = 0, at = 0; i < idx.length; i++) {
    at += 28 + metaView.getInt32(at + 24);
    metaEnds[i] = at;
  }
  const last = idx.length > 0 ? idx[idx.length - 1]! : from - 1;
  const [tiles, checkpoints] = await Promise.all([
    from < treeSize ? readTileRange(db, 0, Math.floor(from / TILE_WIDTH), Math.ceil(Math.min(last + 1, treeSize) / TILE_WIDTH)) : [],
    last >= from ? readCheckpointsIn(db, from + 1, last + 1) : [],
  ]);
  return {
    idx,
    data: records,
    spans: Uint32Array.from(spans),
    tiles: new Map(tiles.map((t) => [t.index, t.hashes])),
    checkpoints,
    meta,
    metaEnds,
  };
}

import type { Db } from '../../db/database.ts';
import { bytesToHex, equalBytes } from '../../verify/tlog-bytes.ts';
import { TILE_WIDTH } from '../../verify/tlog-tiles.ts';
import type { AuditProblem } from './audit-report.ts';
import { readTileRange } from './tree.repository.ts';
import type { Tile, TreeBuilder } from './tree-builder.ts';

function compareTile(recomputed: Tile, stored: Tile | undefined, report: (p: AuditProblem) => void, prefix = false): void {
  const where = `tile ${recomputed.level}/${recomputed.index}`;
  const width = prefix && stored && stored.width > recomputed.width ? recomputed.width : stored?.width;
  if (!stored) {
    report({ kind: 'tile-missing', level: recomputed.level, index: recomputed.index, message: `${where} is missing` });
  } else if (width !== recomputed.width || !equalBytes(stored.hashes.subarray(0, width * 32), recomputed.hashes)) {
    report({
      kind: 'tile-mismatch',
      level: recomputed.level,
      index: recomputed.index,
      message: `${where} differs from the recomputed tree`,
    });
  }
}

export async function loadUpperTiles(db: Db, treeSize: number): Promise<Map<string, Tile>> {
  const out = new Map<string, Tile>();
  for (let level = 1; 256 ** level <= treeSize; level++) {
    for (const tile of await readTileRange(db, level, 0, Number.MAX_SAFE_INTEGER)) out.set(`${level}/${tile.index}`, tile);
  }
  return out;
}

/**
 * The leaves against the level-0 tiles the log committed to, entry by entry: an edited or moved
 * row is reported at its index, a missing or short tile once. `use` sets the tiles of the batch
 * being joined.
 */
export function leafChecker(treeSize: number, report: (p: AuditProblem) => void) {
  let level0 = new Map<number, Uint8Array>();
  const tileHashAt = (idx: number): Uint8Array | undefined => {
    const tile = level0.get(Math.floor(idx / TILE_WIDTH));
    const offset = (idx % TILE_WIDTH) * 32;
    return tile && tile.length >= offset + 32 ? tile.subarray(offset, offset + 32) : undefined;
  };
  const reportedTiles = new Set<number>();
  const compareEntry = (idx: number, leaf: Uint8Array) => {
    if (idx >= treeSize) return;
    const committed = tileHashAt(idx);
    const tileIndex = Math.floor(idx / TILE_WIDTH);
    if (!committed) {
      if (!reportedTiles.has(tileIndex)) {
        reportedTiles.add(tileIndex);
        report({ kind: 'tile-missing', level: 0, index: idx, message: `tile 0/${tileIndex} is missing or too short` });
      }
    } else if (!equalBytes(committed, leaf)) {
      report({
        kind: 'entry-mismatch',
        index: idx,
        message: `entry ${idx} is not the leaf the log committed to (edited, or moved from another index): leaf hash ${bytesToHex(leaf)}, committed ${bytesToHex(committed)}`,
      });
    }
  };
  return {
    use(tiles: Map<number, Uint8Array>): void {
      level0 = tiles;
    },
    /** The stored level-0 tile of that index. */
    tile: (index: number): Uint8Array | undefined => level0.get(index),
    tileHashAt,
    compareEntry,
  };
}

/**
 * The tiles above level 0 the builder has completed within the signed tree, and at the signed
 * size its edge tiles, against the stored ones.
 */
export function checkUpperTiles(builder: TreeBuilder, upper: Map<string, Tile>, treeSize: number, report: (p: AuditProblem) => void): void {
  for (const tile of builder.takeFullTiles()) {
    if (tile.level > 0 && (tile.index + 1) * TILE_WIDTH ** (tile.level + 1) <= treeSize)
      compareTile(tile, upper.get(`${tile.level}/${tile.index}`), report);
  }
  if (builder.size === treeSize) {
    // A partial tile may have grown since (the log integrates while we audit): compare the prefix.
    for (const edge of builder.edgeTiles()) if (edge.level > 0) compareTile(edge, upper.get(`${edge.level}/${edge.index}`), report, true);
  }
}

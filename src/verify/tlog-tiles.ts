/**
 * C2SP tlog-tiles (https://c2sp.org/tlog-tiles): tile coordinates and paths, entry bundles, and
 * proofs computed from tiles, so that a client (a witness, a verifier page) can prove against
 * any tlog-tiles log, and the server can serve proofs from the tiles it stores. Browser-safe.
 *
 * A tile at level L holds up to 256 consecutive hashes of tree level 8·L (level 0: leaf hashes;
 * level 1: roots of 256-leaf subtrees; …). The tile for a tree of size n is partial, of width
 * W < 256, when fewer than 256 of its hashes exist yet.
 *
 * The layout (tile paths, widths, entry bundles) is tlog-tile-format.ts, re-exported here.
 */
import {
  HASH_SIZE,
  consistencyProofRanges,
  foldRight,
  hashChildren,
  inclusionProofRanges,
  perfectNodes,
  type NodeId,
  type Range,
} from './merkle.ts';
import { TILE_HEIGHT, TILE_WIDTH, tilePath, tileWidth } from './tlog-tile-format.ts';

export {
  MAX_ENTRY_SIZE,
  TILE_HEIGHT,
  TILE_WIDTH,
  encodeEntryBundle,
  encodeTileIndex,
  parseEntryBundle,
  parseTileIndex,
  parseTilePath,
  tilePath,
  tilesAtLevel,
  tileWidth,
} from './tlog-tile-format.ts';

/** Where the hashes of tree level 8·L behind a node sit: tile, offset in it, and how many. */
function nodeLocation(node: NodeId): { level: number; index: number; offset: number; span: number } {
  const level = Math.floor(node.level / TILE_HEIGHT);
  const span = 2 ** (node.level % TILE_HEIGHT);
  const first = node.index * span;
  return { level, index: Math.floor(first / TILE_WIDTH), offset: first % TILE_WIDTH, span };
}

/** The root of a perfect subtree from its 2^k bottom hashes (concatenated). */
export function perfectRoot(bottom: Uint8Array, offset: number, span: number, children: NodeHasher = hashChildren): Uint8Array {
  let row: Uint8Array[] = [];
  for (let i = 0; i < span; i++) row.push(bottom.subarray((offset + i) * HASH_SIZE, (offset + i + 1) * HASH_SIZE));
  while (row.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < row.length; i += 2) next.push(children(row[i]!, row[i + 1]!));
    row = next;
  }
  return row[0]!;
}

/** HASH(0x01 ‖ left ‖ right); a server may pass a faster implementation than the portable default. */
export type NodeHasher = (left: Uint8Array, right: Uint8Array) => Uint8Array;

export interface TileRequest {
  level: number;
  index: number;
  width: number;
}

/** Somewhere tiles come from: a database, an HTTP log, memory. Returns width × 32 bytes per request. */
export interface TileSource {
  readTiles(requests: readonly TileRequest[]): Promise<Uint8Array[]>;
}

/** Hashes of perfect subtrees of a tree of size n, read from the tiles of that tree. */
async function readNodeHashes(
  source: TileSource,
  treeSize: number,
  nodes: readonly NodeId[],
  children: NodeHasher = hashChildren,
): Promise<Uint8Array[]> {
  const locations = nodes.map(nodeLocation);
  const requests = new Map<string, TileRequest>();
  for (const loc of locations) {
    const width = tileWidth(loc.level, loc.index, treeSize);
    if (loc.offset + loc.span > width) throw new RangeError(`node is not in a tree of size ${treeSize}`);
    requests.set(`${loc.level}/${loc.index}`, { level: loc.level, index: loc.index, width });
  }
  const list = [...requests.values()];
  const tiles = await source.readTiles(list);
  const byKey = new Map<string, Uint8Array>();
  list.forEach((req, i) => {
    const tile = tiles[i];
    if (!tile || tile.length !== req.width * HASH_SIZE) throw new Error(`tile ${req.level}/${req.index} has the wrong size`);
    byKey.set(`${req.level}/${req.index}`, tile);
  });
  return locations.map((loc) => perfectRoot(byKey.get(`${loc.level}/${loc.index}`)!, loc.offset, loc.span, children));
}

/** MTH of each range, reading every tile it needs once. */
async function rangeHashes(
  source: TileSource,
  treeSize: number,
  ranges: readonly Range[],
  children: NodeHasher = hashChildren,
): Promise<Uint8Array[]> {
  const nodesPerRange = ranges.map(perfectNodes);
  const hashes = await readNodeHashes(source, treeSize, nodesPerRange.flat(), children);
  let at = 0;
  return nodesPerRange.map((nodes) => {
    const part = hashes.slice(at, at + nodes.length);
    at += nodes.length;
    return foldRight(part, children);
  });
}

export async function treeRootFromTiles(source: TileSource, treeSize: number, children: NodeHasher = hashChildren): Promise<Uint8Array> {
  const [root] = await rangeHashes(source, treeSize, treeSize === 0 ? [] : [{ start: 0, end: treeSize }], children);
  return root ?? foldRight([]);
}

export async function inclusionProofFromTiles(
  source: TileSource,
  index: number,
  treeSize: number,
  children: NodeHasher = hashChildren,
): Promise<Uint8Array[]> {
  return rangeHashes(source, treeSize, inclusionProofRanges(index, treeSize), children);
}

export async function consistencyProofFromTiles(
  source: TileSource,
  oldSize: number,
  newSize: number,
  children: NodeHasher = hashChildren,
): Promise<Uint8Array[]> {
  return rangeHashes(source, newSize, consistencyProofRanges(oldSize, newSize), children);
}

/** Reads tiles from a tlog-tiles log over HTTP (`prefix` ends before `tile/`, e.g. https://host/ledger/). */
export function httpTileSource(prefix: string, fetcher: typeof fetch = fetch): TileSource {
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return {
    readTiles: (requests) =>
      Promise.all(
        requests.map(async (req) => {
          const url = base + tilePath({ kind: 'hashes', ...req });
          let response = await fetcher(url);
          // A log may drop partial tiles once they are full; the full tile starts with the same hashes.
          if (response.status === 404 && req.width < TILE_WIDTH) {
            response = await fetcher(base + tilePath({ kind: 'hashes', ...req, width: TILE_WIDTH }));
          }
          if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
          return new Uint8Array(await response.arrayBuffer()).slice(0, req.width * HASH_SIZE);
        }),
      ),
  };
}

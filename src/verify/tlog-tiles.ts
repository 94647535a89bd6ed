/**
 * C2SP tlog-tiles (https://c2sp.org/tlog-tiles): tile coordinates and paths, entry bundles, and
 * proofs computed from tiles, so that a client (a witness, a verifier page) can prove against
 * any tlog-tiles log, and the server can serve proofs from the tiles it stores. Browser-safe.
 *
 * A tile at level L holds up to 256 consecutive hashes of tree level 8·L (level 0: leaf hashes;
 * level 1: roots of 256-leaf subtrees; …). The tile for a tree of size n is partial, of width
 * W < 256, when fewer than 256 of its hashes exist yet.
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
import { concatBytes } from './tlog-bytes.ts';

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
/** Entries in an entry bundle are prefixed with a big-endian uint16 length. */
export const MAX_ENTRY_SIZE = 0xffff;

/** N as zero-padded three-digit path elements, all but the last prefixed with x: 1234067 → x001/x234/067. */
export function encodeTileIndex(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`bad tile index ${index}`);
  const groups: string[] = [];
  let n = index;
  do {
    groups.unshift(String(n % 1000).padStart(3, '0'));
    n = Math.floor(n / 1000);
  } while (n > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

/** The inverse of encodeTileIndex; null for anything not in canonical form. */
export function parseTileIndex(path: string): number | null {
  const parts = path.split('/');
  let n = 0;
  for (let i = 0; i < parts.length; i++) {
    const last = i === parts.length - 1;
    const match = (last ? /^(\d{3})$/ : /^x(\d{3})$/).exec(parts[i]!);
    if (!match) return null;
    n = n * 1000 + Number(match[1]);
  }
  // A leading x000 group would be a second spelling of the same index.
  if (parts.length > 1 && parts[0] === 'x000') return null;
  return Number.isSafeInteger(n) ? n : null;
}

export type TileRef = { kind: 'hashes'; level: number; index: number; width: number } | { kind: 'entries'; index: number; width: number };

/** The path below the log prefix: `tile/0/x001/234`, `tile/2/005.p/17`, `tile/entries/000.p/3`. */
export function tilePath(ref: TileRef): string {
  const head = ref.kind === 'entries' ? 'tile/entries' : `tile/${ref.level}`;
  const tail = ref.width === TILE_WIDTH ? '' : `.p/${ref.width}`;
  return `${head}/${encodeTileIndex(ref.index)}${tail}`;
}

/** Parses what follows `tile/`; null when it is not a canonical tile path. */
export function parseTilePath(rest: string): TileRef | null {
  const match = /^(entries|0|[1-9]\d?)\/([x\d/]+?)(?:\.p\/([1-9]\d{0,2}))?$/.exec(rest);
  if (!match) return null;
  const index = parseTileIndex(match[2]!);
  const width = match[3] === undefined ? TILE_WIDTH : Number(match[3]);
  if (index === null || (match[3] !== undefined && width >= TILE_WIDTH)) return null;
  if (match[1] === 'entries') return { kind: 'entries', index, width };
  const level = Number(match[1]);
  if (level > 63) return null;
  return { kind: 'hashes', level, index, width };
}

/** How many hashes of tile level L exist in a tree of size n: ⌊n / 256^L⌋. */
function hashesAtTileLevel(level: number, treeSize: number): number {
  return Math.floor(treeSize / TILE_WIDTH ** level);
}

/** The width of tile (L, N) in a tree of size n: 256 when full, 1–255 when partial, 0 when absent. */
export function tileWidth(level: number, index: number, treeSize: number): number {
  const count = hashesAtTileLevel(level, treeSize) - index * TILE_WIDTH;
  return Math.max(0, Math.min(TILE_WIDTH, count));
}

/** Every tile of a tree of size n at one level, and the widths the log serves them with. */
export function tilesAtLevel(level: number, treeSize: number): { index: number; width: number }[] {
  const count = hashesAtTileLevel(level, treeSize);
  const out: { index: number; width: number }[] = [];
  for (let index = 0; index * TILE_WIDTH < count; index++) out.push({ index, width: Math.min(TILE_WIDTH, count - index * TILE_WIDTH) });
  return out;
}

/** An entry bundle: each entry as a big-endian uint16 length and its bytes. */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const entry of entries) {
    if (entry.length > MAX_ENTRY_SIZE) throw new RangeError(`entry of ${entry.length} bytes is too large for a bundle`);
    parts.push(new Uint8Array([entry.length >> 8, entry.length & 255]), entry);
  }
  return concatBytes(...parts);
}

/** The entries of a bundle; null when the bytes do not parse exactly. */
export function parseEntryBundle(bundle: Uint8Array): Uint8Array[] | null {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bundle.length) {
    if (at + 2 > bundle.length) return null;
    const length = (bundle[at]! << 8) | bundle[at + 1]!;
    at += 2;
    if (at + length > bundle.length) return null;
    out.push(bundle.slice(at, at + length));
    at += length;
  }
  return out;
}

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

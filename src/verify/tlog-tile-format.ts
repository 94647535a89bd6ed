/**
 * C2SP tlog-tiles (https://c2sp.org/tlog-tiles), the layout: tile coordinates and widths, tile
 * paths, and entry bundles. Proofs computed from tiles are tlog-tiles.ts. Browser-safe.
 *
 * A tile at level L holds up to 256 consecutive hashes of tree level 8·L (level 0: leaf hashes;
 * level 1: roots of 256-leaf subtrees; …). The tile for a tree of size n is partial, of width
 * W < 256, when fewer than 256 of its hashes exist yet.
 */
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

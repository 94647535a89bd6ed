import { emptyRoot } from '../../verify/merkle.ts';
import { TILE_HEIGHT, TILE_WIDTH } from '../../verify/tlog-tiles.ts';
import type { TreeHasher } from './hashing.ts';

export interface Tile {
  level: number;
  index: number;
  width: number;
  /** width × 32 bytes. */
  hashes: Uint8Array;
}

/**
 * Grows the tree one leaf hash at a time, keeping its compact range (the perfect subtrees of
 * the binary decomposition of the size) for the root and the hashes of every tile level for
 * the tiles. Each leaf costs one hash plus, amortised, one more. Full tiles are handed out as
 * they complete (`takeFullTiles`); `edgeTiles` are the partial tiles at the right edge.
 */
export class TreeBuilder {
  #size = 0;
  readonly #hasher: TreeHasher;
  #stack: { level: number; hash: Uint8Array }[] = [];
  /** Per tile level: the index of the open tile and the hashes it has so far. */
  #open: { index: number; hashes: Uint8Array[] }[] = [];
  #full: Tile[] = [];

  constructor(hasher: TreeHasher) {
    this.#hasher = hasher;
  }

  /**
   * Resumes a tree of `size` leaves from its right-edge tiles (what `edgeTiles` returned then).
   * Throws when they do not hold what that size needs.
   */
  static resume(hasher: TreeHasher, size: number, edge: readonly Tile[]): TreeBuilder {
    const builder = new TreeBuilder(hasher);
    builder.#size = size;
    for (let level = 0; TILE_WIDTH ** level <= size; level++) {
      const count = Math.floor(size / TILE_WIDTH ** level);
      const index = Math.floor(count / TILE_WIDTH);
      const width = count % TILE_WIDTH;
      const tile = edge.find((t) => t.level === level && t.index === index);
      if (width > 0 && (!tile || tile.width < width)) throw new Error(`edge tile ${level}/${index} is missing or too short`);
      const hashes: Uint8Array[] = [];
      for (let i = 0; i < width; i++) hashes.push(tile!.hashes.slice(i * 32, (i + 1) * 32));
      builder.#open[level] = { index, hashes };
    }
    // The compact range: one perfect subtree per set bit of the size, biggest first.
    let start = 0;
    for (let level = Math.floor(Math.log2(Math.max(size, 1))) + 1; level >= 0; level--) {
      const span = 2 ** level;
      if (start + span > size) continue;
      const tileLevel = Math.floor(level / TILE_HEIGHT);
      const open = builder.#open[tileLevel]!;
      const bottomSpan = 2 ** (level % TILE_HEIGHT);
      const first = start / TILE_WIDTH ** tileLevel - open.index * TILE_WIDTH;
      const bottom = open.hashes.slice(first, first + bottomSpan);
      if (bottom.length !== bottomSpan) throw new Error(`edge tile at level ${tileLevel} cannot give node ${level}/${start / span}`);
      builder.#stack.push({ level, hash: perfectRootOf(hasher, bottom) });
      start += span;
    }
    return builder;
  }

  get size(): number {
    return this.#size;
  }

  appendLeafHash(leafHash: Uint8Array): void {
    this.#addNode(0, leafHash);
    this.#size++;
  }

  /**
   * Appends 256 leaves at once, at a size that is a multiple of 256, given their hashes and the
   * root of their subtree (computed elsewhere, e.g. in a worker thread).
   */
  appendFullTile(leafHashes: Uint8Array, root: Uint8Array): void {
    if (this.#size % TILE_WIDTH !== 0 || leafHashes.length !== TILE_WIDTH * 32)
      throw new Error('appendFullTile needs an aligned, full tile');
    const open = (this.#open[0] ??= { index: 0, hashes: [] });
    this.#full.push({ level: 0, index: open.index, width: TILE_WIDTH, hashes: leafHashes });
    this.#open[0] = { index: open.index + 1, hashes: [] };
    this.#addNode(TILE_HEIGHT, root);
    this.#size += TILE_WIDTH;
  }

  /** Adds a node, merging equal levels up the compact range and recording tile-level hashes. */
  #addNode(startLevel: number, startHash: Uint8Array): void {
    let level = startLevel;
    let hash = startHash;
    for (;;) {
      if (level % TILE_HEIGHT === 0) this.#addToTile(level / TILE_HEIGHT, hash);
      const top = this.#stack[this.#stack.length - 1];
      if (top?.level !== level) break;
      this.#stack.pop();
      hash = this.#hasher.children(top.hash, hash);
      level++;
    }
    this.#stack.push({ level, hash });
  }

  #addToTile(tileLevel: number, hash: Uint8Array): void {
    const open = (this.#open[tileLevel] ??= { index: 0, hashes: [] });
    open.hashes.push(hash);
    if (open.hashes.length === TILE_WIDTH) {
      this.#full.push({ level: tileLevel, index: open.index, width: TILE_WIDTH, hashes: Buffer.concat(open.hashes) });
      this.#open[tileLevel] = { index: open.index + 1, hashes: [] };
    }
  }

  /** The full tiles completed since the last call. */
  takeFullTiles(): Tile[] {
    const out = this.#full;
    this.#full = [];
    return out;
  }

  /** The partial tiles of the current size (none at a level whose last tile is full). */
  edgeTiles(): Tile[] {
    const out: Tile[] = [];
    this.#open.forEach((open, level) => {
      if (open.hashes.length > 0) out.push({ level, index: open.index, width: open.hashes.length, hashes: Buffer.concat(open.hashes) });
    });
    return out;
  }

  /** MTH of the tree so far. */
  root(): Uint8Array {
    return this.rootWith([]);
  }

  /**
   * MTH of the tree so far followed by more leaves, given as the perfect subtrees that make
   * them up (left to right, as `perfectNodes` gives them), without appending anything.
   */
  rootWith(more: readonly Uint8Array[]): Uint8Array {
    const hashes = [...this.#stack.map((s) => s.hash), ...more];
    if (hashes.length === 0) return emptyRoot();
    let acc = hashes[hashes.length - 1]!;
    for (let i = hashes.length - 2; i >= 0; i--) acc = this.#hasher.children(hashes[i]!, acc);
    return acc;
  }
}

function perfectRootOf(hasher: TreeHasher, row: Uint8Array[]): Uint8Array {
  if (row.length === 1) return row[0]!;
  // Same as tlog-tiles' perfectRoot, with the fast hasher.
  let level = row;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(hasher.children(level[i]!, level[i + 1]!));
    level = next;
  }
  return level[0]!;
}

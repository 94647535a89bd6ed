import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashLeaf, merkleRoot, verifyConsistency, verifyInclusion } from './merkle.ts';
import { concatBytes } from './tlog-bytes.ts';
import {
  consistencyProofFromTiles,
  encodeEntryBundle,
  encodeTileIndex,
  inclusionProofFromTiles,
  parseEntryBundle,
  parseTileIndex,
  parseTilePath,
  perfectRoot,
  tilePath,
  tileWidth,
  tilesAtLevel,
  treeRootFromTiles,
  type TileSource,
} from './tlog-tiles.ts';

describe('tile paths', () => {
  it('encode N in groups of three digits, as the C2SP tlog-tiles examples', () => {
    expect(encodeTileIndex(1234067)).toBe('x001/x234/067');
    expect(encodeTileIndex(0)).toBe('000');
    expect(encodeTileIndex(5)).toBe('005');
    expect(encodeTileIndex(1000)).toBe('x001/000');
    expect(tilePath({ kind: 'hashes', level: 0, index: 1234067, width: 256 })).toBe('tile/0/x001/x234/067');
    expect(tilePath({ kind: 'hashes', level: 1, index: 1234067, width: 8 })).toBe('tile/1/x001/x234/067.p/8');
    expect(tilePath({ kind: 'entries', index: 1234067, width: 256 })).toBe('tile/entries/x001/x234/067');
    expect(parseTilePath('0/x001/x234/067.p/8')).toEqual({ kind: 'hashes', level: 0, index: 1234067, width: 8 });
    expect(parseTilePath('entries/000')).toEqual({ kind: 'entries', index: 0, width: 256 });
  });

  it('round-trip and refuse every non-canonical spelling', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 45 }), fc.integer({ min: 0, max: 63 }), fc.integer({ min: 1, max: 256 }), (index, level, width) => {
        const ref = { kind: 'hashes' as const, level, index, width };
        return (
          parseTileIndex(encodeTileIndex(index)) === index && JSON.stringify(parseTilePath(tilePath(ref).slice(5))) === JSON.stringify(ref)
        );
      }),
    );
    for (const bad of [
      '0/1',
      '0/0000',
      '0/x000/001',
      '0/001/002',
      '0/x001',
      '0/x1/002',
      '64/000',
      '00/000',
      '0/000.p/0',
      '0/000.p/256',
      '0/000.p/07',
      'entries/000.p/',
      'x/000',
      '0/000/',
    ]) {
      expect(parseTilePath(bad), bad).toBeNull();
    }
  });

  it('give the widths of a tree of a given size', () => {
    expect(tileWidth(0, 0, 300)).toBe(256);
    expect(tileWidth(0, 1, 300)).toBe(44);
    expect(tileWidth(0, 2, 300)).toBe(0);
    expect(tileWidth(1, 0, 300)).toBe(1);
    expect(tileWidth(1, 0, 255)).toBe(0);
    expect(tilesAtLevel(0, 513)).toEqual([
      { index: 0, width: 256 },
      { index: 1, width: 256 },
      { index: 2, width: 1 },
    ]);
  });
});

describe('entry bundles', () => {
  it('round-trip and refuse truncation', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), (entries) => {
        const bundle = encodeEntryBundle(entries);
        const back = parseEntryBundle(bundle);
        const truncated =
          bundle.length > 0 && entries.some((e) => e.length > 0) ? parseEntryBundle(bundle.subarray(0, bundle.length - 1)) : null;
        return JSON.stringify(back?.map((e) => [...e])) === JSON.stringify(entries.map((e) => [...e])) && truncated === null;
      }),
    );
    expect(() => encodeEntryBundle([new Uint8Array(70000)])).toThrow(RangeError);
  });
});

/** Tiles of a tree of n leaves, built the plain way: each level's hashes are the roots of the full tiles below. */
function memoryTiles(leafHashes: Uint8Array[]): TileSource {
  const levels: Uint8Array[][] = [leafHashes];
  while (levels[levels.length - 1]!.length >= 256) {
    const below = levels[levels.length - 1]!;
    const next: Uint8Array[] = [];
    for (let i = 0; i + 256 <= below.length; i += 256) next.push(perfectRoot(concatBytes(...below.slice(i, i + 256)), 0, 256));
    levels.push(next);
  }
  return {
    readTiles: async (requests) =>
      requests.map((r) => {
        const row = levels[r.level]!.slice(r.index * 256, r.index * 256 + r.width);
        if (row.length !== r.width) throw new Error('no such tile');
        return concatBytes(...row);
      }),
  };
}

describe('proofs from tiles', () => {
  const leaves = Array.from({ length: 1500 }, (_, i) => hashLeaf(new TextEncoder().encode(`entry ${i}`)));
  const source = memoryTiles(leaves);

  it('give the root and verifiable proofs for trees across tile boundaries', async () => {
    for (const n of [1, 2, 255, 256, 257, 511, 512, 513, 1000, 1500]) {
      const root = merkleRoot(leaves.slice(0, n));
      expect(await treeRootFromTiles(source, n)).toEqual(root);
      for (const i of new Set([0, 1, n >> 1, n - 2, n - 1].filter((x) => x >= 0 && x < n))) {
        const proof = await inclusionProofFromTiles(source, i, n);
        expect(verifyInclusion({ index: i, size: n, leafHash: leaves[i]!, proof, root }), `${i}/${n}`).toBe(true);
      }
      for (const m of new Set([0, 1, 255, 256, 300, n - 1, n].filter((x) => x >= 0 && x <= n))) {
        const proof = await consistencyProofFromTiles(source, m, n);
        expect(
          verifyConsistency({ oldSize: m, newSize: n, oldRoot: merkleRoot(leaves.slice(0, m)), newRoot: root, proof }),
          `${m}→${n}`,
        ).toBe(true);
      }
    }
  });

  it('refuse to read beyond the tree they were asked about', async () => {
    await expect(inclusionProofFromTiles(source, 10, 10)).rejects.toThrow(RangeError);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashChildren, hashLeaf, merkleRoot, perfectNodes, verifyConsistency, verifyInclusion } from '../../verify/merkle.ts';
import { concatBytes } from '../../verify/tlog-bytes.ts';
import { consistencyProofFromTiles, inclusionProofFromTiles, perfectRoot, type TileSource } from '../../verify/tlog-tiles.ts';
import { nodeHasher } from './hashing.ts';
import { edgeTileKeys } from './integrate.ts';
import { TreeBuilder, type Tile } from './tree-builder.ts';

const leaf = (i: number) => nodeHasher.leaf(new TextEncoder().encode(`entry ${i}`));
const LEAVES = Array.from({ length: 70_000 }, (_, i) => leaf(i));

function build(n: number): { builder: TreeBuilder; tiles: Map<string, Tile> } {
  const builder = new TreeBuilder(nodeHasher);
  const tiles = new Map<string, Tile>();
  for (let i = 0; i < n; i++) {
    builder.appendLeafHash(LEAVES[i]!);
    for (const t of builder.takeFullTiles()) tiles.set(`${t.level}/${t.index}`, t);
  }
  for (const t of builder.edgeTiles()) tiles.set(`${t.level}/${t.index}`, t);
  return { builder, tiles };
}

const sourceOf = (tiles: Map<string, Tile>): TileSource => ({
  readTiles: async (requests) => requests.map((r) => tiles.get(`${r.level}/${r.index}`)!.hashes.subarray(0, r.width * 32)),
});

describe('node:crypto hashing', () => {
  it('agrees with the browser-safe implementation', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (data, left, right) => {
          return (
            Buffer.from(nodeHasher.leaf(data)).equals(hashLeaf(data)) &&
            Buffer.from(nodeHasher.children(left, right)).equals(hashChildren(left, right))
          );
        },
      ),
    );
  });
});

describe('TreeBuilder', () => {
  it('gives MTH for every size up to 300, and some beyond', () => {
    const builder = new TreeBuilder(nodeHasher);
    expect(builder.root()).toEqual(merkleRoot([]));
    for (let n = 1; n <= 1025; n++) {
      builder.appendLeafHash(LEAVES[n - 1]!);
      if (n <= 300 || n % 256 <= 1) expect(Buffer.from(builder.root()).equals(merkleRoot(LEAVES.slice(0, n))), `size ${n}`).toBe(true);
    }
  });

  it('makes the C2SP tiles: leaf hashes at level 0, roots of full tiles above, partial tiles at the edge', () => {
    const n = 66_000; // three tile levels
    const { builder, tiles } = build(n);
    expect(Buffer.from(tiles.get('0/0')!.hashes).equals(concatBytes(...LEAVES.slice(0, 256)))).toBe(true);
    expect(tiles.get('0/257')).toMatchObject({ width: 66_000 - 257 * 256 });
    expect(Buffer.from(tiles.get('1/0')!.hashes.subarray(32, 64)).equals(perfectRoot(concatBytes(...LEAVES.slice(256, 512)), 0, 256))).toBe(
      true,
    );
    expect(tiles.get('1/1')).toMatchObject({ width: 257 - 256 });
    expect(tiles.get('2/0')).toMatchObject({ width: 1 });
    expect([...tiles.keys()].filter((k) => k.startsWith('2/'))).toEqual(['2/0']);
    expect(builder.edgeTiles().map((t) => `${t.level}/${t.index}`)).toEqual(edgeTileKeys(n).map((k) => `${k.level}/${k.index}`));
  });

  it('takes whole tiles and roots computed elsewhere, and gives roots of longer trees without appending', () => {
    const byLeaf = build(1000).builder;
    const byTile = new TreeBuilder(nodeHasher);
    for (let t = 0; t < 3; t++) {
      const leaves = LEAVES.slice(t * 256, (t + 1) * 256);
      expect(
        Buffer.from(
          byTile.rootWith(
            perfectNodes({ start: 0, end: 100 }).map((n) => merkleRoot(leaves.slice(n.index * 2 ** n.level, (n.index + 1) * 2 ** n.level))),
          ),
        ).equals(merkleRoot(LEAVES.slice(0, t * 256 + 100))),
      ).toBe(true);
      byTile.appendFullTile(Buffer.concat(leaves), merkleRoot(leaves));
    }
    for (let i = 768; i < 1000; i++) byTile.appendLeafHash(LEAVES[i]!);
    expect(Buffer.from(byTile.root()).equals(byLeaf.root())).toBe(true);
    expect(byTile.edgeTiles()).toEqual(byLeaf.edgeTiles());
    expect(() => byTile.appendFullTile(Buffer.concat(LEAVES.slice(0, 256)), LEAVES[0]!)).toThrow();
  });

  it('resumes from its edge tiles at any size and gives the same tree', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 1, max: 600 }), (m, extra) => {
        const before = build(m);
        const resumed = TreeBuilder.resume(nodeHasher, m, before.builder.edgeTiles());
        expect(Buffer.from(resumed.root()).equals(before.builder.root())).toBe(true);
        const whole = build(m + extra);
        for (let i = m; i < m + extra; i++) resumed.appendLeafHash(LEAVES[i]!);
        return Buffer.from(resumed.root()).equals(whole.builder.root());
      }),
      { numRuns: 40 },
    );
    expect(() => TreeBuilder.resume(nodeHasher, 300, [])).toThrow();
  });

  it('serves proofs from its tiles that verify, beyond 65,536 leaves', async () => {
    const n = 70_000;
    const { builder, tiles } = build(n);
    const source = sourceOf(tiles);
    const root = builder.root();
    for (const i of [0, 255, 256, 65_535, 65_536, 69_999]) {
      const proof = await inclusionProofFromTiles(source, i, n);
      expect(verifyInclusion({ index: i, size: n, leafHash: LEAVES[i]!, proof, root })).toBe(true);
    }
    const old = build(65_537).builder.root();
    const proof = await consistencyProofFromTiles(source, 65_537, n);
    expect(verifyConsistency({ oldSize: 65_537, newSize: n, oldRoot: old, newRoot: root, proof })).toBe(true);
  });
});

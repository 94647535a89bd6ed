import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  consistencyProofRanges,
  emptyRoot,
  foldRight,
  hashChildren,
  hashLeaf,
  inclusionProofRanges,
  merkleRoot,
  perfectNodes,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
  type Range,
} from './merkle.ts';
import { bytesToHex, concatBytes, hexToBytes } from './tlog-bytes.ts';

// Known answers: the RFC 6962 test leaves and the roots of their prefixes, as published in
// google/trillian merkle/log_verifier_test.go (2017; the same data sits in
// transparency-dev/merkle testonly and certificate-transparency's merkle_test.py).
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(hexToBytes);
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
// Same source: inclusion proofs (index, size, path) and consistency proofs (m, n, proof).
const INCLUSION_VECTORS: [number, number, string[]][] = [
  [
    0,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    5,
    8,
    [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [
    1,
    5,
    [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];
const CONSISTENCY_VECTORS: [number, number, string[]][] = [
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [
    2,
    5,
    [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];

// An independent, literal transcription of RFC 9162 §2.1 over D[lo:hi] of the test leaves, to
// check the code against (memoised by range: the same subtrees recur in every proof).
const H = (...parts: Uint8Array[]) => sha256(concatBytes(...parts));
const split = (n: number) => 2 ** Math.ceil(Math.log2(n) - 1);
function leavesOf(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => hashLeaf(new TextEncoder().encode(`leaf ${i}`)));
}
const LEAF_HASHES = leavesOf(1000);
const memo = new Map<string, Uint8Array>();
function mth(lo: number, hi: number, d = LEAF_HASHES): Uint8Array {
  if (hi - lo === 0) return H();
  if (hi - lo === 1) return d[lo]!;
  const key = `${lo}:${hi}`;
  const known = d === LEAF_HASHES ? memo.get(key) : undefined;
  if (known) return known;
  const k = split(hi - lo);
  const out = H(new Uint8Array([1]), mth(lo, lo + k, d), mth(lo + k, hi, d));
  if (d === LEAF_HASHES) memo.set(key, out);
  return out;
}
function path(m: number, lo: number, hi: number): Uint8Array[] {
  if (hi - lo <= 1) return [];
  const k = split(hi - lo);
  return m < k ? [...path(m, lo, lo + k), mth(lo + k, hi)] : [...path(m - k, lo + k, hi), mth(lo, lo + k)];
}
function subproof(m: number, lo: number, hi: number, b: boolean): Uint8Array[] {
  if (m === hi - lo) return b ? [] : [mth(lo, hi)];
  const k = split(hi - lo);
  return m <= k ? [...subproof(m, lo, lo + k, b), mth(lo + k, hi)] : [...subproof(m - k, lo + k, hi, false), mth(lo, lo + k)];
}
const rfcConsistency = (m: number, n: number) => (m === 0 || m === n ? [] : subproof(m, 0, n, true));

/** Proof hashes from the ranges this module plans, computed the way a tile reader does. */
function fromRanges(ranges: Range[], leafHashes: Uint8Array[] = LEAF_HASHES): Uint8Array[] {
  const node = (level: number, index: number): Uint8Array =>
    leafHashes === LEAF_HASHES
      ? mth(index * 2 ** level, (index + 1) * 2 ** level)
      : merkleRoot(leafHashes.slice(index * 2 ** level, (index + 1) * 2 ** level));
  return ranges.map((r) => foldRight(perfectNodes(r).map((n) => node(n.level, n.index))));
}
const hex = (hashes: Uint8Array[]) => hashes.map(bytesToHex);

describe('RFC 6962 hashing', () => {
  it('gives the published roots for every prefix of the test leaves, by independent recomputation too', () => {
    const hashes = LEAVES.map(hashLeaf);
    for (let n = 0; n <= 8; n++) {
      expect(bytesToHex(merkleRoot(hashes.slice(0, n))), `size ${n}`).toBe(ROOTS[n]);
      const independent = LEAVES.map((l) => H(new Uint8Array([0]), l));
      expect(bytesToHex(mth(0, n, independent)), `size ${n}`).toBe(ROOTS[n]);
    }
    expect(bytesToHex(emptyRoot())).toBe(ROOTS[0]);
    expect(bytesToHex(hashChildren(hashes[0]!, hashes[1]!))).toBe(ROOTS[2]);
  });

  it('generates and verifies the published inclusion and consistency proofs', () => {
    const hashes = LEAVES.map(hashLeaf);
    for (const [index, size, proof] of INCLUSION_VECTORS) {
      expect(hex(fromRanges(inclusionProofRanges(index, size), hashes))).toEqual(proof);
      expect(verifyInclusion({ index, size, leafHash: hashes[index]!, proof: proof.map(hexToBytes), root: hexToBytes(ROOTS[size]!) })).toBe(
        true,
      );
    }
    for (const [m, n, proof] of CONSISTENCY_VECTORS) {
      expect(hex(fromRanges(consistencyProofRanges(m, n), hashes))).toEqual(proof);
      expect(
        verifyConsistency({
          oldSize: m,
          newSize: n,
          oldRoot: hexToBytes(ROOTS[m]!),
          newRoot: hexToBytes(ROOTS[n]!),
          proof: proof.map(hexToBytes),
        }),
      ).toBe(true);
    }
  });
});

describe('proofs', () => {
  it('match RFC 9162 and verify for every (index, size) and every (m, n) up to 100', () => {
    for (let n = 1; n <= 100; n++) {
      const leaves = LEAF_HASHES;
      const root = mth(0, n);
      for (let i = 0; i < n; i++) {
        const proof = fromRanges(inclusionProofRanges(i, n));
        expect(hex(proof)).toEqual(hex(path(i, 0, n)));
        expect(verifyInclusion({ index: i, size: n, leafHash: leaves[i]!, proof, root })).toBe(true);
      }
      for (let m = 0; m <= n; m++) {
        const proof = fromRanges(consistencyProofRanges(m, n));
        expect(hex(proof)).toEqual(hex(rfcConsistency(m, n)));
        expect(verifyConsistency({ oldSize: m, newSize: n, oldRoot: mth(0, m), newRoot: root, proof })).toBe(true);
      }
    }
  });

  it('verify for a random sample of trees up to 1,000 leaves', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.nat(), fc.nat(), (n, a, b) => {
        const root = mth(0, n);
        const i = a % n;
        const m = b % (n + 1);
        const proof = fromRanges(inclusionProofRanges(i, n));
        const cproof = fromRanges(consistencyProofRanges(m, n));
        return (
          bytesToHex(merkleRoot(LEAF_HASHES.slice(0, n))) === bytesToHex(root) &&
          verifyInclusion({ index: i, size: n, leafHash: LEAF_HASHES[i]!, proof, root }) &&
          verifyConsistency({ oldSize: m, newSize: n, oldRoot: mth(0, m), newRoot: root, proof: cproof })
        );
      }),
      { numRuns: 150 },
    );
  });
});

/**
 * Every corruption the brief names: index ±1, wrong size, a flipped bit, truncated, extra element.
 * A wrong size comes with the real root of that size, as a verifier holding that checkpoint would
 * have it: with the old root, a proof can legitimately fit a hypothetical bigger tree.
 */
function corruptInclusions(i: number, n: number, proof: Uint8Array[]): { index: number; size: number; proof: Uint8Array[] }[] {
  const out = [
    { index: i - 1, size: n, proof },
    { index: i + 1, size: n, proof },
    { index: i, size: n + 1, proof },
    { index: i, size: n - 1, proof },
    { index: i, size: n * 2, proof },
    { index: i, size: n, proof: [...proof, proof[0] ?? new Uint8Array(32)] },
    { index: i, size: n, proof: [new Uint8Array(32), ...proof] },
  ];
  if (proof.length > 0) out.push({ index: i, size: n, proof: proof.slice(0, -1) }, { index: i, size: n, proof: proof.slice(1) });
  for (let e = 0; e < proof.length; e++) {
    const bad = proof.map((p) => p.slice());
    bad[e]![(e * 7) % 32]! ^= 1 << (e % 8);
    out.push({ index: i, size: n, proof: bad });
  }
  return out;
}
const rootOf = (size: number) => mth(0, Math.max(0, size));

describe('corrupted proofs', () => {
  it('never verify (inclusion, every index of every tree up to 64)', () => {
    for (let n = 1; n <= 64; n++) {
      const leaves = LEAF_HASHES;
      const root = rootOf(n);
      for (let i = 0; i < n; i++) {
        const proof = fromRanges(inclusionProofRanges(i, n));
        for (const bad of corruptInclusions(i, n, proof)) {
          // A shifted index may name another leaf whose hash we then pass too: still the wrong leaf.
          expect(
            verifyInclusion({ ...bad, leafHash: leaves[i]!, root: bad.size === n ? root : rootOf(bad.size) }),
            `${i}/${n} → ${bad.index}/${bad.size}/${bad.proof.length}`,
          ).toBe(false);
        }
        const flipped = leaves[i]!.slice();
        flipped[0]! ^= 0x80;
        expect(verifyInclusion({ index: i, size: n, leafHash: flipped, proof, root })).toBe(false);
      }
    }
  });

  it('never verify (consistency, every pair up to 64)', () => {
    for (let n = 1; n <= 64; n++) {
      const newRoot = rootOf(n);
      for (let m = 1; m < n; m++) {
        const oldRoot = rootOf(m);
        const proof = fromRanges(consistencyProofRanges(m, n));
        const cases: { oldSize: number; newSize: number; proof: Uint8Array[] }[] = [
          { oldSize: m - 1, newSize: n, proof },
          { oldSize: m + 1, newSize: n, proof },
          { oldSize: m, newSize: n + 1, proof },
          { oldSize: m, newSize: n - 1, proof },
          { oldSize: m, newSize: n, proof: proof.slice(0, -1) },
          { oldSize: m, newSize: n, proof: proof.slice(1) },
          { oldSize: m, newSize: n, proof: [...proof, newRoot] },
          { oldSize: m, newSize: n, proof: [proof[0]!, ...proof] },
        ];
        for (let e = 0; e < proof.length; e++) {
          const bad = proof.map((p) => p.slice());
          bad[e]![(e * 5) % 32]! ^= 1 << ((e + 3) % 8);
          cases.push({ oldSize: m, newSize: n, proof: bad });
        }
        for (const bad of cases) {
          expect(
            verifyConsistency({
              ...bad,
              oldRoot: bad.oldSize === m ? oldRoot : rootOf(bad.oldSize),
              newRoot: bad.newSize === n ? newRoot : rootOf(bad.newSize),
            }),
            `${m}→${n} as ${bad.oldSize}→${bad.newSize}/${bad.proof.length}`,
          ).toBe(false);
        }
        expect(verifyConsistency({ oldSize: m, newSize: n, oldRoot: newRoot, newRoot: oldRoot, proof })).toBe(false);
      }
    }
  });

  it('refuse nonsense without throwing', () => {
    const leaf = LEAF_HASHES[0]!;
    expect(rootFromInclusionProof(0, 0, leaf, [])).toBeNull();
    expect(rootFromInclusionProof(-1, 3, leaf, [])).toBeNull();
    expect(rootFromInclusionProof(0, 2, leaf, [new Uint8Array(31)])).toBeNull();
    expect(verifyInclusion({ index: 0, size: 1, leafHash: leaf, proof: [], root: new Uint8Array(3) })).toBe(false);
    expect(verifyConsistency({ oldSize: 2, newSize: 1, oldRoot: leaf, newRoot: leaf, proof: [] })).toBe(false);
    expect(verifyConsistency({ oldSize: 0, newSize: 5, oldRoot: leaf, newRoot: leaf, proof: [] })).toBe(false);
    expect(verifyConsistency({ oldSize: 0, newSize: 5, oldRoot: emptyRoot(), newRoot: leaf, proof: [] })).toBe(true);
    expect(verifyConsistency({ oldSize: 3, newSize: 3, oldRoot: leaf, newRoot: leaf, proof: [leaf] })).toBe(false);
    expect(() => inclusionProofRanges(3, 3)).toThrow(RangeError);
    expect(() => consistencyProofRanges(4, 3)).toThrow(RangeError);
  });
});

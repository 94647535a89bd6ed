/**
 * RFC 6962 / RFC 9162 Merkle proofs over SHA-256: which subtrees make up an inclusion or a
 * consistency proof (the plan a log serves them from), and their verification. The hashing is
 * merkle-tree.ts, re-exported here. Browser-safe. Tree sizes and indexes are safe integers
 * (< 2^53), so this code divides instead of shifting: JavaScript's bit operators stop at 32 bits.
 */
import { emptyRoot, HASH_SIZE, hashChildren, type Range } from './merkle-tree.ts';
import { equalBytes } from './tlog-bytes.ts';

export {
  emptyRoot,
  foldRight,
  HASH_SIZE,
  hashChildren,
  hashLeaf,
  merkleRoot,
  perfectNodes,
  type NodeId,
  type Range,
} from './merkle-tree.ts';

/** The largest power of two strictly smaller than n (n ≥ 2): the split point k of RFC 9162. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

/**
 * The subtrees whose hashes form the inclusion proof PATH(index, D[size]) (RFC 9162 §2.1.3.1),
 * deepest first.
 */
export function inclusionProofRanges(index: number, size: number): Range[] {
  checkIndex(index, size);
  const out: Range[] = [];
  let start = 0;
  let end = size;
  let m = index;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (m < k) {
      out.push({ start: start + k, end });
      end = start + k;
    } else {
      out.push({ start, end: start + k });
      start += k;
      m -= k;
    }
  }
  return out.reverse();
}

/**
 * The subtrees whose hashes form the consistency proof PROOF(oldSize, D[newSize])
 * (RFC 9162 §2.1.4.1), deepest first. Empty when oldSize is 0 or equals newSize.
 */
export function consistencyProofRanges(oldSize: number, newSize: number): Range[] {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0 || oldSize > newSize) {
    throw new RangeError(`no consistency proof from ${oldSize} to ${newSize}`);
  }
  if (oldSize === 0 || oldSize === newSize) return [];
  const out: Range[] = [];
  let start = 0;
  let end = newSize;
  let m = oldSize;
  let whole = true; // SUBPROOF's b: is D[start:start+m] a subtree whose hash the verifier knows?
  while (m !== end - start) {
    const k = splitPoint(end - start);
    if (m <= k) {
      out.push({ start: start + k, end });
      end = start + k;
    } else {
      out.push({ start, end: start + k });
      start += k;
      m -= k;
      whole = false;
    }
  }
  if (!whole) out.push({ start, end });
  return out.reverse();
}

function checkIndex(index: number, size: number): void {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    throw new RangeError(`leaf ${index} is not in a tree of size ${size}`);
  }
}

function isHash(value: Uint8Array): boolean {
  return value instanceof Uint8Array && value.length === HASH_SIZE;
}

/** RFC 9162 §2.1.3.2: the root an inclusion proof leads to, or null when it is malformed. */
export function rootFromInclusionProof(index: number, size: number, leafHash: Uint8Array, proof: readonly Uint8Array[]): Uint8Array | null {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return null;
  if (!isHash(leafHash) || !proof.every(isHash)) return null;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

export function verifyInclusion(input: {
  index: number;
  size: number;
  leafHash: Uint8Array;
  proof: readonly Uint8Array[];
  root: Uint8Array;
}): boolean {
  const root = rootFromInclusionProof(input.index, input.size, input.leafHash, input.proof);
  return root !== null && isHash(input.root) && equalBytes(root, input.root);
}

/** RFC 9162 §2.1.4.2: does the tree of newSize extend the tree of oldSize? */
export function verifyConsistency(input: {
  oldSize: number;
  newSize: number;
  oldRoot: Uint8Array;
  newRoot: Uint8Array;
  proof: readonly Uint8Array[];
}): boolean {
  const { oldSize, newSize, oldRoot, newRoot } = input;
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0 || oldSize > newSize) return false;
  if (!isHash(oldRoot) || !isHash(newRoot) || !input.proof.every(isHash)) return false;
  if (oldSize === newSize) return input.proof.length === 0 && equalBytes(oldRoot, newRoot);
  // Every tree extends the empty one, whose root is fixed.
  if (oldSize === 0) return input.proof.length === 0 && equalBytes(oldRoot, emptyRoot());
  if (input.proof.length === 0) return false;
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...input.proof] : [...input.proof];
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(fr, oldRoot) && equalBytes(sr, newRoot);
}

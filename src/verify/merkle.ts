/**
 * RFC 6962 / RFC 9162 Merkle trees over SHA-256: leaf and node hashing, the Merkle Tree Hash of
 * any size, and the generation plan and verification of inclusion and consistency proofs.
 * Browser-safe. Tree sizes and indexes are safe integers (< 2^53), so this code divides instead
 * of shifting: JavaScript's bit operators stop at 32 bits.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes } from './tlog-bytes.ts';

export const HASH_SIZE = 32;
const LEAF_PREFIX = new Uint8Array([0]);
const NODE_PREFIX = new Uint8Array([1]);

/** HASH(0x00 ‖ data): RFC 6962 §2.1. */
export function hashLeaf(data: Uint8Array): Uint8Array {
  return sha256.create().update(LEAF_PREFIX).update(data).digest();
}

/** HASH(0x01 ‖ left ‖ right). */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256.create().update(NODE_PREFIX).update(left).update(right).digest();
}

/** MTH({}) = SHA-256 of the empty string. */
export function emptyRoot(): Uint8Array {
  return sha256(new Uint8Array(0));
}

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

/** A subtree of the log: leaves [start, end). */
export interface Range {
  start: number;
  end: number;
}

/** A perfect subtree: 2^level leaves starting at index × 2^level. */
export interface NodeId {
  level: number;
  index: number;
}

/**
 * The perfect subtrees that make up [start, end), left to right, when start is aligned as in
 * the RFC's recursion (every range a proof names is). Their hashes folded from the right
 * (`foldRight`) give MTH(D[start:end]).
 */
export function perfectNodes(range: Range): NodeId[] {
  const nodes: NodeId[] = [];
  let { start } = range;
  while (start < range.end) {
    const size = range.end - start;
    let k = 1;
    let level = 0;
    // The biggest power of two that fits and keeps the node aligned.
    while (k * 2 <= size && start % (k * 2) === 0) {
      k *= 2;
      level++;
    }
    nodes.push({ level, index: start / k });
    start += k;
  }
  return nodes;
}

/** MTH of a range from its perfect subtrees: the right-most pair is combined first. */
export function foldRight(
  hashes: readonly Uint8Array[],
  children: (left: Uint8Array, right: Uint8Array) => Uint8Array = hashChildren,
): Uint8Array {
  if (hashes.length === 0) return emptyRoot();
  let acc = hashes[hashes.length - 1]!;
  for (let i = hashes.length - 2; i >= 0; i--) acc = children(hashes[i]!, acc);
  return acc;
}

/** MTH(D[n]) from the leaf hashes: the reference computation (RFC 6962 §2.1), O(n). */
export function merkleRoot(leafHashes: readonly Uint8Array[]): Uint8Array {
  if (leafHashes.length === 0) return emptyRoot();
  let level = leafHashes.slice();
  // Pairwise up the tree; an odd node at the end is promoted unchanged, which is exactly the
  // RFC's split at the largest power of two.
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(hashChildren(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!;
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

/**
 * RFC 6962 / RFC 9162 Merkle tree hashing over SHA-256: leaf and node hashes, the Merkle Tree
 * Hash of any size, and a range of leaves as its perfect subtrees (what proofs and tiles are made
 * of). Proofs are merkle.ts. Browser-safe. Tree sizes and indexes are safe integers (< 2^53), so
 * this code divides instead of shifting: JavaScript's bit operators stop at 32 bits.
 */
import { sha256 } from '@noble/hashes/sha2.js';

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

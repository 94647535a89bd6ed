/**
 * "Is this record in the transparency ledger?" for verifiers: a leaf, its index, an inclusion
 * proof and a signed checkpoint, checked with nothing but the pinned log key (and, optionally,
 * witness keys). A missing key, checkpoint or proof never yields VALID. Browser-safe.
 */
import { openCheckpoint } from './checkpoint.ts';
import { HASH_SIZE, hashLeaf, verifyInclusion } from './merkle.ts';
import { decodeBase64 } from './tlog-bytes.ts';

export type LedgerInclusionResult =
  | { status: 'VALID'; origin: string; index: number; size: number; witnesses: string[] }
  | { status: 'INVALID'; reason: 'CHECKPOINT_SIGNATURE' | 'CHECKPOINT_ORIGIN' | 'INCLUSION_PROOF'; detail: string }
  | {
      status: 'INDETERMINATE';
      reason: 'NO_LOG_KEY' | 'NO_CHECKPOINT' | 'NO_PROOF' | 'MALFORMED' | 'NOT_ENOUGH_WITNESSES' | 'TREE_TOO_SMALL';
      detail: string;
    };

export interface LedgerInclusionInput {
  /** The exact leaf bytes, or `leafHash` when only the hash is at hand. */
  leaf?: Uint8Array;
  leafHash?: Uint8Array;
  index: number;
  /** Proof hashes (bytes or base64) for the checkpoint's tree size. */
  proof: readonly (Uint8Array | string)[] | undefined;
  /** The signed checkpoint note. */
  checkpoint: string | undefined;
  /** The log's pinned vkey. */
  logVkey: string | undefined;
  witnesses?: { vkeys: readonly string[]; threshold: number };
}

export function verifyLedgerInclusion(input: LedgerInclusionInput): LedgerInclusionResult {
  if (!input.logVkey) return { status: 'INDETERMINATE', reason: 'NO_LOG_KEY', detail: 'no pinned ledger key' };
  if (!input.checkpoint) return { status: 'INDETERMINATE', reason: 'NO_CHECKPOINT', detail: 'no signed checkpoint' };
  if (!input.proof) return { status: 'INDETERMINATE', reason: 'NO_PROOF', detail: 'no inclusion proof' };
  const opened = openCheckpoint(input.checkpoint, input.logVkey, input.witnesses);
  if (!opened.ok) {
    switch (opened.reason) {
      case 'BAD_SIGNATURE':
        return { status: 'INVALID', reason: 'CHECKPOINT_SIGNATURE', detail: opened.detail };
      case 'ORIGIN_MISMATCH':
        return { status: 'INVALID', reason: 'CHECKPOINT_ORIGIN', detail: opened.detail };
      case 'UNKNOWN_LOG_KEY':
        // Signed by someone else, or not by the pinned key: nothing is proven either way.
        return { status: 'INDETERMINATE', reason: 'NO_LOG_KEY', detail: opened.detail };
      case 'NOT_ENOUGH_WITNESSES':
        return { status: 'INDETERMINATE', reason: 'NOT_ENOUGH_WITNESSES', detail: opened.detail };
      case 'MALFORMED':
        return { status: 'INDETERMINATE', reason: 'MALFORMED', detail: opened.detail };
    }
  }
  const { checkpoint } = opened;
  if (!Number.isSafeInteger(input.index) || input.index < 0) {
    return { status: 'INDETERMINATE', reason: 'MALFORMED', detail: 'bad leaf index' };
  }
  if (input.index >= checkpoint.size) {
    return { status: 'INDETERMINATE', reason: 'TREE_TOO_SMALL', detail: `the checkpoint covers ${checkpoint.size} entries` };
  }
  const leafHash = input.leafHash ?? (input.leaf ? hashLeaf(input.leaf) : undefined);
  if (!leafHash || leafHash.length !== HASH_SIZE) return { status: 'INDETERMINATE', reason: 'MALFORMED', detail: 'no leaf' };
  const proof: Uint8Array[] = [];
  for (const p of input.proof) {
    const bytes = typeof p === 'string' ? decodeBase64(p) : p;
    if (!bytes || bytes.length !== HASH_SIZE) return { status: 'INDETERMINATE', reason: 'MALFORMED', detail: 'bad proof hash' };
    proof.push(bytes);
  }
  const ok = verifyInclusion({ index: input.index, size: checkpoint.size, leafHash, proof, root: checkpoint.rootHash });
  if (!ok) return { status: 'INVALID', reason: 'INCLUSION_PROOF', detail: 'the proof does not lead to the signed root' };
  return { status: 'VALID', origin: checkpoint.origin, index: input.index, size: checkpoint.size, witnesses: opened.witnesses };
}

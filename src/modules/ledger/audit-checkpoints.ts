import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { parseCheckpoint } from '../../verify/checkpoint.ts';
import { parseNote } from '../../verify/signed-note.ts';
import { equalBytes } from '../../verify/tlog-bytes.ts';
import type { AuditDeps, AuditProblem } from './audit-report.ts';
import type { EntryBatch } from './audit-batches.ts';
import { checkpointMeta, startMeta } from './integrate.ts';
import type { CheckpointRow } from './tree.repository.ts';

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * Checks the checkpoints' `meta` lines (see integrate.ts): streams the entries' meta records and
 * compares the chain at each checkpoint up to the audited size. A mismatch names the range of
 * entries between two checkpoints whose id, kind or queue time was changed (or a checkpoint
 * row that was removed); the chain then goes on from the stated value, so one edit is one problem.
 */
export function metaChecker(treeSize: number, report: (p: AuditProblem) => void) {
  let hash = startMeta(null);
  let from = 0;
  let checkedTo = -1;
  const finish = (cp: CheckpointRow) => {
    if (cp.size > treeSize || cp.size <= checkedTo) return;
    checkedTo = cp.size;
    const stated = checkpointMeta(cp.note);
    if (stated && !equalBytes(hash.digest(), stated)) {
      report({
        kind: 'entry-metadata',
        index: from,
        to: cp.size - 1,
        size: cp.size,
        message: `the id, kind or queue time of an entry in ${from}–${cp.size - 1} is not what the checkpoint of size ${cp.size} states (or a checkpoint before it was removed)`,
      });
    }
    hash = startMeta(stated);
    from = cp.size;
  };
  return {
    get checkedTo() {
      return checkedTo;
    },
    finish,
    feed(batch: EntryBatch) {
      let at = 0;
      let row = 0;
      for (const cp of batch.checkpoints) {
        while (row < batch.idx.length && batch.idx[row]! < cp.size) row++;
        const end = row === 0 ? 0 : batch.metaEnds[row - 1]!;
        hash.update(batch.meta.subarray(at, end));
        at = end;
        finish(cp);
      }
      hash.update(batch.meta.subarray(at));
    },
  };
}

function checkSignature(cp: CheckpointRow, deps: AuditDeps, key: KeyObject, report: (p: AuditProblem) => void): void {
  const note = parseNote(cp.note);
  const body = note ? parseCheckpoint(note.text) : null;
  const sig = note?.signatures.find((s) => s.name === deps.logKey.name && s.keyHash === deps.logKey.keyHash);
  const ok =
    note !== null &&
    body !== null &&
    sig !== undefined &&
    sig.signature.length === 64 &&
    body.origin === deps.origin &&
    body.size === cp.size &&
    equalBytes(body.rootHash, cp.rootHash) &&
    verifySignature(null, Buffer.from(note.text, 'utf8'), key, sig.signature);
  if (!ok)
    report({
      kind: 'checkpoint-signature',
      size: cp.size,
      message: `checkpoint of size ${cp.size} is not validly signed by ${deps.logKey.name}, or its note and columns disagree`,
    });
}

/**
 * Each checkpoint the recomputed tree reaches: its signature (the log key's, over a note that
 * agrees with its columns) and its root against the recomputed one.
 */
export function rootChecker(deps: AuditDeps, report: (p: AuditProblem) => void) {
  const publicKey = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, deps.logKey.publicKey]), format: 'der', type: 'spki' });
  let checked = 0;
  return {
    /** Checkpoints checked so far. */
    get checked() {
      return checked;
    },
    check(cp: CheckpointRow, root: Uint8Array): void {
      checked++;
      checkSignature(cp, deps, publicKey, report);
      if (!equalBytes(root, cp.rootHash)) {
        report({
          kind: 'checkpoint-root',
          size: cp.size,
          message: `the entries do not give the signed root of size ${cp.size}: the tree was changed below that size`,
        });
      }
    },
  };
}

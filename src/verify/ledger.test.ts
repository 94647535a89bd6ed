import { describe, expect, it } from 'vitest';
import { formatCheckpoint } from './checkpoint.ts';
import { verifyLedgerInclusion } from './ledger.ts';
import { foldRight, hashLeaf, inclusionProofRanges, merkleRoot, perfectNodes } from './merkle.ts';
import { cosignatureSigner, ed25519Signer, signNote } from './signed-note.ts';
import { encodeBase64 } from './tlog-bytes.ts';

const leaves = Array.from({ length: 11 }, (_, i) => new TextEncoder().encode(`certificate.issued ${i}`));
const hashes = leaves.map(hashLeaf);
const log = ed25519Signer('yiban.test/ledger', new Uint8Array(32).fill(3));
const witness = cosignatureSigner('police.example/witness', new Uint8Array(32).fill(4), () => 1_700_000_000);
const body = formatCheckpoint({ origin: 'yiban.test/ledger', size: 11, rootHash: merkleRoot(hashes), extensions: [] });
const checkpoint = signNote(body, [log, witness]);
const proofOf = (i: number) =>
  inclusionProofRanges(i, 11).map((r) =>
    encodeBase64(foldRight(perfectNodes(r).map((n) => merkleRoot(hashes.slice(n.index * 2 ** n.level, (n.index + 1) * 2 ** n.level))))),
  );

describe('verifyLedgerInclusion', () => {
  it('is VALID for every leaf with its proof and the signed checkpoint', () => {
    for (let i = 0; i < 11; i++) {
      expect(verifyLedgerInclusion({ leaf: leaves[i], index: i, proof: proofOf(i), checkpoint, logVkey: log.vkey })).toMatchObject({
        status: 'VALID',
        size: 11,
      });
    }
    expect(
      verifyLedgerInclusion({
        leaf: leaves[3],
        index: 3,
        proof: proofOf(3),
        checkpoint,
        logVkey: log.vkey,
        witnesses: { vkeys: [witness.vkey], threshold: 1 },
      }),
    ).toMatchObject({ status: 'VALID', witnesses: ['police.example/witness'] });
  });

  it('is INVALID for another leaf, a wrong index or a forged checkpoint', () => {
    expect(verifyLedgerInclusion({ leaf: leaves[4], index: 3, proof: proofOf(3), checkpoint, logVkey: log.vkey })).toMatchObject({
      status: 'INVALID',
      reason: 'INCLUSION_PROOF',
    });
    expect(verifyLedgerInclusion({ leaf: leaves[3], index: 4, proof: proofOf(3), checkpoint, logVkey: log.vkey })).toMatchObject({
      status: 'INVALID',
    });
    const forged = checkpoint.replace('\n11\n', '\n12\n');
    expect(verifyLedgerInclusion({ leaf: leaves[3], index: 3, proof: proofOf(3), checkpoint: forged, logVkey: log.vkey })).toMatchObject({
      status: 'INVALID',
      reason: 'CHECKPOINT_SIGNATURE',
    });
  });

  it('is never VALID without key, checkpoint, proof or enough witnesses', () => {
    const base = { leaf: leaves[3], index: 3, proof: proofOf(3), checkpoint, logVkey: log.vkey };
    expect(verifyLedgerInclusion({ ...base, logVkey: undefined })).toMatchObject({ status: 'INDETERMINATE', reason: 'NO_LOG_KEY' });
    expect(verifyLedgerInclusion({ ...base, checkpoint: undefined })).toMatchObject({ status: 'INDETERMINATE', reason: 'NO_CHECKPOINT' });
    expect(verifyLedgerInclusion({ ...base, proof: undefined })).toMatchObject({ status: 'INDETERMINATE', reason: 'NO_PROOF' });
    expect(verifyLedgerInclusion({ ...base, proof: ['not base64'] })).toMatchObject({ status: 'INDETERMINATE', reason: 'MALFORMED' });
    expect(verifyLedgerInclusion({ ...base, index: 11 })).toMatchObject({ status: 'INDETERMINATE', reason: 'TREE_TOO_SMALL' });
    expect(verifyLedgerInclusion({ ...base, logVkey: ed25519Signer('yiban.test/ledger', new Uint8Array(32).fill(9)).vkey })).toMatchObject({
      status: 'INDETERMINATE',
    });
    expect(verifyLedgerInclusion({ ...base, witnesses: { vkeys: [], threshold: 1 } })).toMatchObject({
      status: 'INDETERMINATE',
      reason: 'NOT_ENOUGH_WITNESSES',
    });
    expect(verifyLedgerInclusion({ ...base, checkpoint: 'garbage' })).toMatchObject({ status: 'INDETERMINATE', reason: 'MALFORMED' });
  });
});

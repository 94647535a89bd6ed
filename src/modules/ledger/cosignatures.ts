import { AppError } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import {
  KEY_TYPE_COSIGNATURE_V1,
  cosignatureTimestamp,
  parseNote,
  parseSignatureLine,
  parseVerifierKey,
} from '../../verify/signed-note.ts';
import type { LedgerContext } from './ledger-context.ts';
import { findCheckpoint } from './tree.repository.ts';
import { deleteWitness, insertWitness, listWitnesses, upsertCosignature } from './witnesses.repository.ts';

/**
 * Registering and removing the witnesses the log trusts: the operator's (CLI) work, without an
 * access check, so it is no part of the ledger service that routes get (createLedgerAdmin).
 */
export function createWitnessAdminFunctions({ db }: Pick<LedgerContext, 'db'>) {
  return {
    async registerWitness(vkey: string): Promise<{ name: string; vkey: string; created: boolean }> {
      const verifier = parseVerifierKey(vkey.trim());
      if (!verifier || verifier.type !== KEY_TYPE_COSIGNATURE_V1) {
        throw new AppError('VALIDATION_FAILED', {
          detail: message('ledger.witness.keyType'),
        });
      }
      const created = await insertWitness(db, { name: verifier.name, vkey: verifier.vkey });
      if (!created) {
        const existing = (await listWitnesses(db)).find((w) => w.name === verifier.name);
        if (existing?.vkey !== verifier.vkey) throw new AppError('ALREADY_EXISTS', { what: 'witness' });
      }
      return { name: verifier.name, vkey: verifier.vkey, created };
    },

    async removeWitness(name: string): Promise<void> {
      if (!(await deleteWitness(db, name))) throw new AppError('NOT_FOUND', { what: 'witness' });
    },
  };
}

/** The witnesses the log knows, and the cosignatures they submit for its checkpoints (C2SP tlog-cosignature). */
export function createCosignatureFunctions({ db, clock }: LedgerContext) {
  return {
    listWitnesses: () => listWitnesses(db),

    /** A registered witness's cosignature/v1 line for the checkpoint of `size`. */
    async addCosignature(input: {
      size: number;
      signature: string;
    }): Promise<{ size: number; witness: string; cosignedAt: number; stored: boolean }> {
      const line = input.signature.replace(/\n$/, '');
      const sig = parseSignatureLine(line);
      if (!sig) throw new AppError('COSIGNATURE_INVALID', { reason: message('ledger.cosignature.malformed') });
      const witness = (await listWitnesses(db)).find((w) => w.name === sig.name);
      const verifier = witness ? parseVerifierKey(witness.vkey) : null;
      if (!verifier || verifier.keyHash !== sig.keyHash) throw new AppError('UNKNOWN_WITNESS', { name: sig.name });
      const cp = await findCheckpoint(db, input.size);
      if (!cp) throw new AppError('NOT_FOUND', { what: 'checkpoint' });
      const text = parseNote(cp.note)?.text;
      if (!text || !verifier.verify(text, sig.signature)) {
        throw new AppError('COSIGNATURE_INVALID', { reason: message('ledger.cosignature.mismatch') });
      }
      const cosignedAt = cosignatureTimestamp(sig.signature)!;
      if (cosignedAt * 1000 > clock().getTime() + 10 * 60_000) {
        throw new AppError('COSIGNATURE_INVALID', { reason: message('ledger.cosignature.future') });
      }
      const stored = await upsertCosignature(db, { size: cp.size, witness: sig.name, signature: `${line}\n`, cosignedAt });
      return { size: cp.size, witness: sig.name, cosignedAt, stored };
    },
  };
}

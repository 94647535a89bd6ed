import { AppError } from '../../core/errors.ts';
import { ed25519Verifier, parseSignatureLine, parseVerifierKey } from '../../verify/signed-note.ts';
import { auditLedger } from './audit.ts';
import type { AuditReport } from './audit-report.ts';
import { nodeHasher } from './hashing.ts';
import type { StoredCheckpoint } from './integrate.ts';
import { latestStored, type LedgerContext } from './ledger-context.ts';
import { findCheckpoint } from './tree.repository.ts';
import { cosignatureLines } from './witnesses.repository.ts';

export interface CheckpointView {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  /** The signed note with the log's signature and every cosignature the log holds. */
  note: string;
  witnesses: string[];
}

async function withCosignatures(ctx: LedgerContext, cp: StoredCheckpoint): Promise<CheckpointView> {
  const lines = await cosignatureLines(ctx.db, cp.size);
  const witnesses = lines.map((l) => parseSignatureLine(l.trimEnd())?.name ?? '?');
  return { origin: ctx.origin, size: cp.size, rootHash: cp.rootHash, note: cp.note + lines.join(''), witnesses };
}

/** What the log has signed: its checkpoints (with cosignatures), its key, and the audit that checks them against the entries. */
export function createCheckpointFunctions(ctx: LedgerContext) {
  return {
    async latestCheckpoint(): Promise<CheckpointView> {
      return withCosignatures(ctx, await latestStored(ctx));
    },

    async checkpointAt(size: number): Promise<CheckpointView> {
      const cp = await findCheckpoint(ctx.db, size);
      if (!cp) throw new AppError('NOT_FOUND', { what: 'checkpoint' });
      return withCosignatures(ctx, cp);
    },

    async vkey(): Promise<string> {
      return (await ctx.signer()).vkey;
    },

    /** Recomputes the tree from the entries and compares it with the tiles and every signed checkpoint. */
    async audit(options: { onProgress?: (done: number, total: number) => void; batchSize?: number } = {}): Promise<AuditReport> {
      const s = await ctx.signer();
      const logKey = parseVerifierKey(s.vkey) ?? ed25519Verifier(ctx.origin, new Uint8Array(32));
      return auditLedger({ db: ctx.db, hasher: nodeHasher, logKey, origin: ctx.origin, ...options });
    },
  };
}

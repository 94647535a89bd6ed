import { createAppendFunctions } from './append.ts';
import { createCheckpointFunctions } from './checkpoints.ts';
import { createCosignatureFunctions, createWitnessAdminFunctions } from './cosignatures.ts';
import { createEntryStatusFunctions } from './entry-status.ts';
import { createLedgerContext, type LedgerDeps } from './ledger-context.ts';
import { createProofFunctions } from './proofs.ts';
import { createSequencerFunctions } from './sequencer.ts';
import { createPushAdminFunctions, createWitnessPushFunctions } from './witness-push.ts';

export type { LedgerEntryInput } from './append.ts';

export type LedgerService = ReturnType<typeof createLedgerService>;
export type LedgerAdmin = ReturnType<typeof createLedgerAdmin>;

/**
 * The transparency log: one use case per file around a shared context (ledger-context.ts):
 * appending (append.ts), entry status and receipts (entry-status.ts), the sequencer
 * (sequencer.ts), checkpoints and the audit (checkpoints.ts), proofs and tiles (proofs.ts),
 * witnesses and cosignatures (cosignatures.ts), pushing checkpoints to witnesses (witness-push.ts).
 */
export function createLedgerService(deps: LedgerDeps) {
  const ctx = createLedgerContext(deps);
  const proofs = createProofFunctions(ctx);
  const cosignatures = createCosignatureFunctions(ctx);
  return {
    origin: ctx.origin,
    maxMergeDelayMs: ctx.maxMergeDelayMs,
    ...createAppendFunctions(ctx),
    ...createEntryStatusFunctions(ctx),
    ...createSequencerFunctions(ctx),
    ...createCheckpointFunctions(ctx),
    ...proofs,
    ...cosignatures,
    ...createWitnessPushFunctions(ctx, { proofs, cosignatures }),
  };
}

/** Witness registration for the CLI and tests, kept off the ledger service that routes get. */
export function createLedgerAdmin(deps: Pick<LedgerDeps, 'db'>) {
  return { ...createWitnessAdminFunctions(deps), ...createPushAdminFunctions(deps) };
}

import { AppError } from '../../core/errors.ts';
import type { Db } from '../../db/database.ts';
import { isValidKeyName, type NoteSigner } from '../../verify/signed-note.ts';
import { nodeHasher } from './hashing.ts';
import { integrate, type IntegrateResult, type StoredCheckpoint } from './integrate.ts';
import { loadOrCreateLogSigner } from './log-key.ts';
import { latestCheckpoint } from './tree.repository.ts';

const DEFAULT_LEDGER_ORIGIN = 'yiban.local/ledger';

export interface LedgerDeps {
  db: Db;
  masterKey: Buffer;
  origin?: string;
  /** The merge delay receipts promise (default 60 s). */
  maxMergeDelayMs?: number;
  /** Queued entries per sequencer transaction (default 5,000). */
  maxBatch?: number;
  clock?: () => Date;
  warn?: (message: string) => void;
}

/** What the parts of the ledger service share. */
export interface LedgerContext {
  db: Db;
  origin: string;
  clock: () => Date;
  maxMergeDelayMs: number;
  maxBatch: number;
  warn: ((message: string) => void) | undefined;
  /** The log's signing key, loaded (or created) on first use. */
  signer(): Promise<NoteSigner>;
  /**
   * Full tiles never change: the most used stay in memory (proofs.ts). Integration empties the
   * cache when it rewrote tiles (`integrateOnce`).
   */
  fullTiles: Map<string, Uint8Array>;
}

export function createLedgerContext(deps: LedgerDeps): LedgerContext {
  const { db } = deps;
  const origin = deps.origin ?? DEFAULT_LEDGER_ORIGIN;
  if (!isValidKeyName(origin)) throw new Error(`invalid ledger origin ${JSON.stringify(origin)}: no spaces and no '+'`);
  let signerPromise: Promise<NoteSigner> | undefined;
  const signer = (): Promise<NoteSigner> =>
    (signerPromise ??= loadOrCreateLogSigner(db, deps.masterKey, origin).catch((error: unknown) => {
      signerPromise = undefined;
      throw error;
    }));
  return {
    db,
    origin,
    clock: deps.clock ?? (() => new Date()),
    maxMergeDelayMs: deps.maxMergeDelayMs ?? 60_000,
    maxBatch: deps.maxBatch ?? 5000,
    warn: deps.warn,
    signer,
    fullTiles: new Map(),
  };
}

/** One integration into a signed checkpoint (no sequencing); see sequencer.ts for the loop. */
export async function integrateOnce(ctx: LedgerContext): Promise<IntegrateResult> {
  const s = await ctx.signer();
  const result = await integrate({ db: ctx.db, origin: ctx.origin, signer: s, hasher: nodeHasher, warn: ctx.warn });
  // Tiles were rewritten from the entries: what this process cached may have been the damage.
  if (result.status === 'integrated' && result.rebuilt) ctx.fullTiles.clear();
  return result;
}

/** The latest checkpoint; the empty tree's is signed on first use. */
export async function latestStored(ctx: LedgerContext): Promise<StoredCheckpoint> {
  const latest = await latestCheckpoint(ctx.db);
  if (latest) return latest;
  const result = await integrateOnce(ctx);
  if (result.status !== 'busy') return result.checkpoint;
  const again = await latestCheckpoint(ctx.db);
  if (!again) throw new AppError('DATABASE_BUSY');
  return again;
}

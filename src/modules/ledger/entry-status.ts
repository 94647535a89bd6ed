import { AppError } from '../../core/errors.ts';
import { signNote } from '../../verify/signed-note.ts';
import { nodeHasher } from './hashing.ts';
import type { LedgerContext } from './ledger-context.ts';
import { findEntryById, indexesOf } from './ledger.repository.ts';
import { findQueued } from './queue.repository.ts';
import { formatReceipt } from './receipt.ts';
import { latestCheckpoint } from './tree.repository.ts';

export interface EntryStatus {
  id: number;
  kind: string;
  /** Pending: queued, not yet given an index. Sequenced: at `index`, in the tree once `integrated`. */
  status: 'pending' | 'sequenced';
  index: number | null;
  /** In the latest signed checkpoint: an inclusion proof exists. */
  integrated: boolean;
  leafHash: Uint8Array;
  queuedAt: Date;
  /** The log promises the entry an index by then (queued time + the maximum merge delay). */
  promisedBy: Date;
}

/** The entry's status and the log's signed promise (see receipt.ts). */
export type LedgerReceipt = EntryStatus & { receipt: string };

/** An entry by id: pending (queued) or sequenced with its index; null when there is none. */
export async function lookup(ctx: LedgerContext, id: number): Promise<EntryStatus | null> {
  const { db } = ctx;
  const [entry, queued] = await Promise.all([findEntryById(db, id), findQueued(db, id)]);
  const row = entry ?? queued;
  if (!row) return null;
  const leafHash = entry ? entry.leafHash : nodeHasher.leaf(row.data);
  const integrated = entry ? ((await latestCheckpoint(db))?.size ?? 0) > entry.idx : false;
  return {
    id,
    kind: row.kind,
    status: entry ? 'sequenced' : 'pending',
    index: entry ? entry.idx : null,
    integrated,
    leafHash,
    queuedAt: row.createdAt,
    promisedBy: new Date(row.createdAt.getTime() + ctx.maxMergeDelayMs),
  };
}

/** The log's signed promise for the entry (receipt.ts). */
export async function receiptFor(ctx: LedgerContext, status: EntryStatus): Promise<string> {
  const body = formatReceipt({
    origin: ctx.origin,
    id: status.id,
    kind: status.kind,
    leafHash: status.leafHash,
    queuedAt: status.queuedAt,
    promisedBy: status.promisedBy,
  });
  return signNote(body, [await ctx.signer()]);
}

/** Where entries are, by the id they got when queued. */
export function createEntryStatusFunctions(ctx: LedgerContext) {
  return {
    /** An entry by id: pending (queued) or sequenced with its index; null when there is none. */
    lookup: (id: number) => lookup(ctx, id),

    /** The entry's status with its signed receipt (the promise); NOT_FOUND when there is no such entry. */
    async receipt(id: number): Promise<LedgerReceipt> {
      const status = await lookup(ctx, id);
      if (!status) throw new AppError('NOT_FOUND', { what: 'ledgerEntry' });
      return { ...status, receipt: await receiptFor(ctx, status) };
    },

    /** Indexes of the sequenced entries among `ids` (pending ones are absent). */
    indexesOf: (ids: readonly number[]) => indexesOf(ctx.db, ids),
  };
}

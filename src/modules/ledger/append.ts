import { AppError } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import type { Executor } from '../../db/database.ts';
import type { PreparedStatement } from '../../db/prepared.ts';
import { MAX_ENTRY_SIZE } from '../../verify/tlog-tiles.ts';
import { receiptFor, type EntryStatus, type LedgerReceipt } from './entry-status.ts';
import { nodeHasher } from './hashing.ts';
import type { LedgerContext } from './ledger-context.ts';
import * as queue from './queue.repository.ts';

/**
 * A leaf. `data` is stored and published byte for byte, forever, to anyone: digests and
 * identifiers only — never a name, an ID number or any other personal data in clear. Put
 * everything a verifier must rely on (the kind included) inside `data`; `kind` is an index.
 */
export interface LedgerEntryInput {
  kind: string;
  data: Uint8Array;
}

/** An entry with an id from `newEntryIds` keeps it. */
export type LedgerEntryWithId = LedgerEntryInput & { id?: number };

const KIND = /^[a-z][a-z0-9_.-]{0,63}$/;

function checkEntry(entry: LedgerEntryInput): void {
  if (!KIND.test(entry.kind)) {
    throw new AppError('VALIDATION_FAILED', {
      detail: message('ledger.entry.kind', { kind: entry.kind }),
    });
  }
  if (!(entry.data instanceof Uint8Array) || entry.data.length > MAX_ENTRY_SIZE) {
    throw new AppError('VALIDATION_FAILED', {
      detail: message('ledger.entry.tooLarge', { max: MAX_ENTRY_SIZE }),
    });
  }
}

async function queueInTx(tx: Executor, entries: readonly LedgerEntryWithId[]): Promise<{ id: number; createdAt: Date }[]> {
  entries.forEach(checkEntry);
  const out: { id: number; createdAt: Date }[] = [];
  for (let i = 0; i < entries.length; i += queue.APPEND_CHUNK)
    out.push(...(await queue.queueEntries(tx, entries.slice(i, i + queue.APPEND_CHUNK))));
  return out;
}

/** Appending: entries are queued (in the caller's transaction or their own); the sequencer gives them indexes. */
export function createAppendFunctions(ctx: LedgerContext) {
  const { db, maxMergeDelayMs } = ctx;
  return {
    /**
     * Queues an entry in the caller's transaction: it exists exactly when that transaction
     * commits, and the sequencer gives it its index soon after (`lookup`, `waitForIndex`).
     * Writers do not wait on each other. Keep the id: it names the entry before and after.
     */
    async appendInTx(tx: Executor, entry: LedgerEntryInput): Promise<{ id: number }> {
      const [queued] = await queueInTx(tx, [entry]);
      return { id: queued!.id };
    },

    /**
     * Queues an entry in the same statement as the caller's insert (see `queueWithInsert`): the
     * row and its leaf commit together without a transaction. `insert` gets the SQL expression of
     * the entry's id to write; null when the insert wrote nothing (a conflict), and no entry then.
     */
    async appendWithInsert(
      db: Executor,
      entry: LedgerEntryInput,
      insert: (entryId: string) => PreparedStatement,
      values: readonly unknown[],
    ): Promise<{ id: number } | null> {
      checkEntry(entry);
      return queue.queueWithInsert(db, entry, insert(queue.NEXT_ENTRY_ID), values);
    },

    /**
     * Queues an entry in the caller's own multi-part statement (`queueWithStatement`): `ctes` has
     * one named `inserted` returning `entry_id` (NEXT_ENTRY_ID, given to `statement`), and the
     * final `select` may read `queued`. Its rows back.
     */
    async appendWithStatement<T>(
      db: Executor,
      entry: LedgerEntryInput,
      statement: (entryId: string) => { name: string; ctes: string; select: string },
      values: readonly unknown[],
    ): Promise<T[]> {
      checkEntry(entry);
      return queue.queueWithStatement<T>(db, entry, statement(queue.NEXT_ENTRY_ID), values);
    },

    /** Queues entries in the caller's transaction; their ids in input order (sequenced in id order). */
    async appendManyInTx(tx: Executor, entries: readonly LedgerEntryWithId[]): Promise<{ ids: number[] }> {
      return { ids: (await queueInTx(tx, entries)).map((q) => q.id) };
    },

    /** Fresh entry ids, for rows that must name their entry before it is queued (`appendManyInTx` with `id`). */
    newEntryIds(tx: Executor, count: number): Promise<number[]> {
      return queue.newEntryIds(tx, count);
    },

    /** Queues an entry in its own transaction and returns its signed receipt. */
    async append(entry: LedgerEntryInput): Promise<LedgerReceipt> {
      const [queued] = await db.transaction((tx) => queueInTx(tx, [entry]));
      const status: EntryStatus = {
        id: queued!.id,
        kind: entry.kind,
        status: 'pending',
        index: null,
        integrated: false,
        leafHash: nodeHasher.leaf(entry.data),
        queuedAt: queued!.createdAt,
        promisedBy: new Date(queued!.createdAt.getTime() + maxMergeDelayMs),
      };
      return { ...status, receipt: await receiptFor(ctx, status) };
    },

    async appendMany(entries: readonly LedgerEntryInput[]): Promise<{ ids: number[] }> {
      return { ids: (await db.transaction((tx) => queueInTx(tx, entries))).map((q) => q.id) };
    },
  };
}

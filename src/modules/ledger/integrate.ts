import { sql } from 'drizzle-orm';
import type { Db, Executor } from '../../db/database.ts';
import { formatCheckpoint } from '../../verify/checkpoint.ts';
import { signNote, type NoteSigner } from '../../verify/signed-note.ts';
import { equalBytes } from '../../verify/tlog-bytes.ts';
import type { TreeHasher } from './hashing.ts';
import * as repo from './ledger.repository.ts';
import { TreeBuilder } from './tree-builder.ts';

/** pg_try_advisory_xact_lock key: one integrator at a time across every app process. */
const INTEGRATE_LOCK = 0x79626c67; // "yblg"

export interface StoredCheckpoint {
  size: number;
  rootHash: Uint8Array;
  note: string;
}

export type IntegrateResult =
  | { status: 'integrated'; checkpoint: StoredCheckpoint; added: number; rebuilt: boolean }
  | { status: 'unchanged'; checkpoint: StoredCheckpoint }
  /** Another process holds the integration lock; it will publish the checkpoint. */
  | { status: 'busy' };

export interface IntegrateDeps {
  db: Db;
  origin: string;
  signer: NoteSigner;
  hasher: TreeHasher;
  /** Leaf hashes read per query. */
  batchSize?: number;
  /** At most this many new entries per checkpoint (the rest go into the next). */
  maxEntries?: number;
  warn?: (message: string) => void;
}

/** The partial tiles a tree of `size` leaves has at its right edge, one per level at most. */
export function edgeTileKeys(size: number): { level: number; index: number }[] {
  const keys: { level: number; index: number }[] = [];
  for (let level = 0; 256 ** level <= size; level++) {
    const count = Math.floor(size / 256 ** level);
    if (count % 256 > 0) keys.push({ level, index: Math.floor(count / 256) });
  }
  return keys;
}

/**
 * Sequencing is done by appenders; this is integration: the entries committed beyond the last
 * checkpoint go into the tiles, and a new checkpoint is signed, all in one transaction, so a
 * crash leaves either both or neither. Before extending, the stored right edge is checked
 * against the last signed root; if it does not match (tiles lost or written by hand), the
 * tiles are recomputed from the entries, and if even the entries do not give the signed root,
 * integration stops: the log never signs over a history it cannot reproduce.
 */
export async function integrate(deps: IntegrateDeps): Promise<IntegrateResult> {
  const batchSize = deps.batchSize ?? 16_384;
  return deps.db.transaction(async (tx) => {
    const { rows } = await tx.execute<{ ok: boolean }>(sql`select pg_try_advisory_xact_lock(${INTEGRATE_LOCK}) as ok`);
    if (!rows[0]?.ok) return { status: 'busy' } as const;
    const latest = await repo.latestCheckpoint(tx);
    let builder: TreeBuilder;
    let rebuilt = false;
    if (!latest) {
      builder = new TreeBuilder(deps.hasher);
    } else {
      const resumed = await resume(tx, deps.hasher, latest);
      if (resumed) {
        builder = resumed;
      } else {
        deps.warn?.(`ledger tiles do not match the checkpoint of size ${latest.size}; recomputing them from the entries`);
        builder = await rebuild(tx, deps.hasher, latest, batchSize);
        rebuilt = true;
      }
    }
    const oldSize = builder.size;
    const limit = deps.maxEntries ?? Number.MAX_SAFE_INTEGER;
    for (;;) {
      const want = Math.min(batchSize, oldSize + limit - builder.size);
      if (want <= 0) break;
      const run = await repo.readLeafHashRun(tx, builder.size, want);
      let gap = false;
      let read: number;
      if (run) {
        read = run.length / 32;
        for (let i = 0; i < read; i++) builder.appendLeafHash(run.subarray(i * 32, (i + 1) * 32));
      } else {
        const batch = await repo.readLeafHashes(tx, builder.size, want);
        read = batch.length;
        for (const row of batch) {
          // Commits arrive in index order, so a gap is an append still in flight (or a deleted row).
          if (row.idx !== builder.size) {
            gap = true;
            break;
          }
          builder.appendLeafHash(row.leafHash);
        }
      }
      await repo.upsertTiles(tx, builder.takeFullTiles());
      if (gap || read < want) break;
    }
    const added = builder.size - oldSize;
    if (latest && added === 0 && !rebuilt) return { status: 'unchanged', checkpoint: latest } as const;
    await repo.upsertTiles(tx, builder.edgeTiles());
    if (latest && added === 0) return { status: 'unchanged', checkpoint: latest } as const;
    const rootHash = builder.root();
    const note = signNote(formatCheckpoint({ origin: deps.origin, size: builder.size, rootHash, extensions: [] }), [deps.signer]);
    await repo.insertCheckpoint(tx, { size: builder.size, rootHash, note });
    return { status: 'integrated', checkpoint: { size: builder.size, rootHash, note }, added, rebuilt } as const;
  });
}

async function resume(tx: Executor, hasher: TreeHasher, latest: StoredCheckpoint): Promise<TreeBuilder | null> {
  const edge = await repo.readTiles(tx, edgeTileKeys(latest.size));
  try {
    const builder = TreeBuilder.resume(hasher, latest.size, edge);
    return equalBytes(builder.root(), latest.rootHash) ? builder : null;
  } catch {
    return null;
  }
}

async function rebuild(tx: Executor, hasher: TreeHasher, latest: StoredCheckpoint, batchSize: number): Promise<TreeBuilder> {
  const builder = new TreeBuilder(hasher);
  while (builder.size < latest.size) {
    const batch = await repo.readLeafHashes(tx, builder.size, Math.min(batchSize, latest.size - builder.size));
    for (const row of batch) {
      if (row.idx !== builder.size) throw new LedgerIntegrityError(`ledger entry ${builder.size} is missing`);
      builder.appendLeafHash(row.leafHash);
    }
    if (batch.length === 0) throw new LedgerIntegrityError(`ledger entry ${builder.size} is missing`);
    await repo.upsertTiles(tx, builder.takeFullTiles());
  }
  if (!equalBytes(builder.root(), latest.rootHash)) {
    throw new LedgerIntegrityError(`the ledger entries do not give the signed root of size ${latest.size}`);
  }
  return builder;
}

/** The stored entries contradict a signed checkpoint: run `yiban ledger audit`. */
export class LedgerIntegrityError extends Error {
  constructor(detail: string) {
    super(`${detail}; the log will not sign a new checkpoint until this is resolved (run \`yiban ledger audit\`)`);
    this.name = 'LedgerIntegrityError';
  }
}

import { createHash, type Hash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db, Executor } from '../../db/database.ts';
import { formatCheckpoint, parseCheckpoint } from '../../verify/checkpoint.ts';
import { parseNote, signNote, type NoteSigner } from '../../verify/signed-note.ts';
import { decodeBase64, encodeBase64, equalBytes } from '../../verify/tlog-bytes.ts';
import type { TreeHasher } from './hashing.ts';
import { ensureHead, readHead, readLeafHashRun, readLeafHashes, sequenceQueued } from './ledger.repository.ts';
import { insertCheckpoint, latestCheckpoint, readTiles, upsertTiles } from './tree.repository.ts';
import { TreeBuilder } from './tree-builder.ts';

/**
 * pg_try_advisory_xact_lock key: one sequencer at a time across every app process. Sequencing
 * and integration both take it, so they never interleave either.
 */
const SEQUENCER_LOCK = 0x79626c67; // "yblg"

/** The checkpoint extension line that commits to the entries' id, kind and queue time. */
const META_PREFIX = 'meta ';
const ZERO_HASH = new Uint8Array(32);

export interface StoredCheckpoint {
  size: number;
  rootHash: Uint8Array;
  note: string;
}

export type IntegrateResult =
  | { status: 'integrated'; checkpoint: StoredCheckpoint; added: number; rebuilt: boolean }
  | { status: 'unchanged'; checkpoint: StoredCheckpoint }
  /** Another process holds the sequencer lock; it will publish the checkpoint. */
  | { status: 'busy' };

export type SequenceResult = { status: 'sequenced'; first: number; count: number } | { status: 'busy' };

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

/** The `meta` value a checkpoint states; null for checkpoints signed before it existed. */
export function checkpointMeta(note: string): Uint8Array | null {
  const text = parseNote(note)?.text;
  const line = text ? parseCheckpoint(text)?.extensions.find((l) => l.startsWith(META_PREFIX)) : undefined;
  return line ? decodeBase64(line.slice(META_PREFIX.length)) : null;
}

/**
 * The meta chain: a checkpoint of size s states SHA-256(m ‖ records of entries [p, s)), where p is
 * the size of the checkpoint before it and m the meta value that one states (32 zero bytes when
 * there is none). The records are `META_RECORD`s in index order.
 */
export function startMeta(previous: Uint8Array | null): Hash {
  return createHash('sha256').update(previous ?? ZERO_HASH);
}

async function tryLock(tx: Executor): Promise<boolean> {
  const { rows } = await tx.execute<{ ok: boolean }>(sql`select pg_try_advisory_xact_lock(${SEQUENCER_LOCK}) as ok`);
  return rows[0]?.ok === true;
}

/**
 * Sequencing: numbers up to `limit` queued entries, oldest first, at the head of the log, in one
 * transaction under the sequencer lock. Writers queue without waiting on each other; only this
 * step hands out indexes, so they are gap-free and each entry gets exactly one.
 */
export async function sequence(db: Db, limit: number): Promise<SequenceResult> {
  return db.transaction(async (tx) => {
    if (!(await tryLock(tx))) return { status: 'busy' } as const;
    await ensureHead(tx);
    const { first, count } = await sequenceQueued(tx, limit);
    return { status: 'sequenced', first, count } as const;
  });
}

/**
 * Integration: the entries the sequencer numbered beyond the last checkpoint (up to the head
 * counter, never past it) go into the tiles, and a new checkpoint is signed, all in one
 * transaction, so a crash leaves either both or neither. The checkpoint's `meta` line commits to
 * the new entries' ids, kinds and queue times. Before extending, the stored right edge is checked
 * against the last signed root; if it does not match (tiles lost or written by hand), the tiles
 * are recomputed from the entries, and if even the entries do not give the signed root, or an
 * entry below the head is missing, integration stops: the log never signs over a history it
 * cannot reproduce.
 */
export async function integrate(deps: IntegrateDeps): Promise<IntegrateResult> {
  const batchSize = deps.batchSize ?? 16_384;
  return deps.db.transaction(async (tx) => {
    if (!(await tryLock(tx))) return { status: 'busy' } as const;
    const latest = await latestCheckpoint(tx);
    const head = await readHead(tx);
    if (latest && head <= latest.size) return { status: 'unchanged', checkpoint: latest } as const;
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
    const meta = startMeta(latest ? checkpointMeta(latest.note) : null);
    const target = Math.min(head, oldSize + (deps.maxEntries ?? Number.MAX_SAFE_INTEGER));
    while (builder.size < target) {
      const want = Math.min(batchSize, target - builder.size);
      const run = await readLeafHashRun(tx, builder.size, want);
      if (!run || run.hashes.length !== want * 32) {
        // The sequencer writes every index below the head in the transaction that moves it.
        throw new LedgerIntegrityError(`ledger entries between ${builder.size} and the head ${head} are missing`);
      }
      for (let i = 0; i < want; i++) builder.appendLeafHash(run.hashes.subarray(i * 32, (i + 1) * 32));
      meta.update(run.meta);
      await upsertTiles(tx, builder.takeFullTiles());
    }
    await upsertTiles(tx, builder.edgeTiles());
    const rootHash = builder.root();
    const extensions = [META_PREFIX + encodeBase64(meta.digest())];
    const note = signNote(formatCheckpoint({ origin: deps.origin, size: builder.size, rootHash, extensions }), [deps.signer]);
    await insertCheckpoint(tx, { size: builder.size, rootHash, note });
    return { status: 'integrated', checkpoint: { size: builder.size, rootHash, note }, added: builder.size - oldSize, rebuilt } as const;
  });
}

async function resume(tx: Executor, hasher: TreeHasher, latest: StoredCheckpoint): Promise<TreeBuilder | null> {
  const edge = await readTiles(tx, edgeTileKeys(latest.size));
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
    const batch = await readLeafHashes(tx, builder.size, Math.min(batchSize, latest.size - builder.size));
    for (const row of batch) {
      if (row.idx !== builder.size) throw new LedgerIntegrityError(`ledger entry ${builder.size} is missing`);
      builder.appendLeafHash(row.leafHash);
    }
    if (batch.length === 0) throw new LedgerIntegrityError(`ledger entry ${builder.size} is missing`);
    await upsertTiles(tx, builder.takeFullTiles());
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

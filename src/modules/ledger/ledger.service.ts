import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../core/errors.ts';
import type { Db, Executor } from '../../db/database.ts';
import type { PreparedStatement } from '../../db/prepared.ts';
import { HASH_SIZE } from '../../verify/merkle.ts';
import {
  KEY_TYPE_COSIGNATURE_V1,
  cosignatureTimestamp,
  ed25519Verifier,
  isValidKeyName,
  parseNote,
  parseSignatureLine,
  parseVerifierKey,
  signNote,
  type NoteSigner,
} from '../../verify/signed-note.ts';
import {
  MAX_ENTRY_SIZE,
  TILE_WIDTH,
  consistencyProofFromTiles,
  encodeEntryBundle,
  inclusionProofFromTiles,
  tileWidth,
  type TileSource,
} from '../../verify/tlog-tiles.ts';
import { auditLedger, type AuditReport } from './audit.ts';
import { nodeHasher } from './hashing.ts';
import { integrate, sequence, type IntegrateResult, type StoredCheckpoint } from './integrate.ts';
import * as repo from './ledger.repository.ts';
import { loadOrCreateLogSigner } from './log-key.ts';
import { formatReceipt } from './receipt.ts';
import { message } from '../../core/messages.ts';

const DEFAULT_LEDGER_ORIGIN = 'yiban.local/ledger';

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

export interface CheckpointView {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  /** The signed note with the log's signature and every cosignature the log holds. */
  note: string;
  witnesses: string[];
}

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

export type LedgerService = ReturnType<typeof createLedgerService>;

export function createLedgerService(deps: LedgerDeps) {
  const { db } = deps;
  const origin = deps.origin ?? DEFAULT_LEDGER_ORIGIN;
  if (!isValidKeyName(origin)) throw new Error(`invalid ledger origin ${JSON.stringify(origin)}: no spaces and no '+'`);
  const clock = deps.clock ?? (() => new Date());
  const maxMergeDelayMs = deps.maxMergeDelayMs ?? 60_000;
  const maxBatch = deps.maxBatch ?? 5000;
  let signerPromise: Promise<NoteSigner> | undefined;
  const signer = (): Promise<NoteSigner> =>
    (signerPromise ??= loadOrCreateLogSigner(db, deps.masterKey, origin).catch((error: unknown) => {
      signerPromise = undefined;
      throw error;
    }));

  // Full tiles never change: keep the most used in memory (at most 2,048 × 8 KiB).
  const fullTiles = new Map<string, Uint8Array>();
  const FULL_TILE_CACHE = 2048;

  /** Tiles from the database (or the cache), cut to the width the tree of the asked size has. */
  const tileSource: TileSource = {
    async readTiles(requests) {
      const key = (r: { level: number; index: number }) => `${r.level}/${r.index}`;
      const missing = requests.filter((r) => !(r.width === TILE_WIDTH && fullTiles.has(key(r))));
      const rows = await repo.readTiles(db, missing);
      return requests.map((req) => {
        const cached = req.width === TILE_WIDTH ? fullTiles.get(key(req)) : undefined;
        if (cached) {
          // Refresh its place: Map keeps insertion order, so the oldest entry is evicted first.
          fullTiles.delete(key(req));
          fullTiles.set(key(req), cached);
          return cached;
        }
        const row = rows.find((r) => r.level === req.level && r.index === req.index);
        if (!row || row.width < req.width) throw new Error(`ledger tile ${key(req)} is missing; run \`yiban ledger integrate\``);
        if (row.width === TILE_WIDTH) {
          fullTiles.set(key(req), row.hashes);
          if (fullTiles.size > FULL_TILE_CACHE) fullTiles.delete(fullTiles.keys().next().value!);
        }
        return row.hashes.subarray(0, req.width * HASH_SIZE);
      });
    },
  };

  async function requireSize(size: number | undefined): Promise<number> {
    const latest = await latestStored();
    if (size === undefined) return latest.size;
    if (size > latest.size) throw new AppError('LEDGER_SIZE_UNAVAILABLE', { size, latest: latest.size });
    return size;
  }

  /** The latest checkpoint; the empty tree's is signed on first use. */
  async function latestStored(): Promise<StoredCheckpoint> {
    const latest = await repo.latestCheckpoint(db);
    if (latest) return latest;
    const result = await integrateOnce();
    if (result.status !== 'busy') return result.checkpoint;
    const again = await repo.latestCheckpoint(db);
    if (!again) throw new AppError('DATABASE_BUSY');
    return again;
  }

  async function withCosignatures(cp: StoredCheckpoint): Promise<CheckpointView> {
    const lines = await repo.cosignatureLines(db, cp.size);
    const witnesses = lines.map((l) => parseSignatureLine(l.trimEnd())?.name ?? '?');
    return { origin, size: cp.size, rootHash: cp.rootHash, note: cp.note + lines.join(''), witnesses };
  }

  async function integrateOnce(): Promise<IntegrateResult> {
    const s = await signer();
    const result = await integrate({ db, origin, signer: s, hasher: nodeHasher, warn: deps.warn });
    // Tiles were rewritten from the entries: what this process cached may have been the damage.
    if (result.status === 'integrated' && result.rebuilt) fullTiles.clear();
    return result;
  }

  /** Sequences everything queued (in batches), then integrates; waits while another process holds the sequencer lock. */
  async function sequenceNow(options: { timeoutMs?: number } = {}): Promise<IntegrateResult> {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    for (let pause = 2; ; pause = Math.min(pause * 2, 100)) {
      let busy = false;
      for (;;) {
        const step = await sequence(db, maxBatch);
        if (step.status === 'busy') {
          busy = true;
          break;
        }
        if (step.count < maxBatch) break;
      }
      if (!busy) {
        const result = await integrateOnce();
        if (result.status !== 'busy') return result;
      }
      if (Date.now() > deadline) return { status: 'busy' };
      // Another process is sequencing: it holds the lock for one short transaction.
      await sleep(pause);
    }
  }

  async function queueInTx(tx: Executor, entries: readonly LedgerEntryWithId[]): Promise<{ id: number; createdAt: Date }[]> {
    entries.forEach(checkEntry);
    const out: { id: number; createdAt: Date }[] = [];
    for (let i = 0; i < entries.length; i += repo.APPEND_CHUNK)
      out.push(...(await repo.queueEntries(tx, entries.slice(i, i + repo.APPEND_CHUNK))));
    return out;
  }

  async function lookup(id: number): Promise<EntryStatus | null> {
    const [entry, queued] = await Promise.all([repo.findEntryById(db, id), repo.findQueued(db, id)]);
    const row = entry ?? queued;
    if (!row) return null;
    const leafHash = entry ? entry.leafHash : nodeHasher.leaf(row.data);
    const integrated = entry ? ((await repo.latestCheckpoint(db))?.size ?? 0) > entry.idx : false;
    return {
      id,
      kind: row.kind,
      status: entry ? 'sequenced' : 'pending',
      index: entry ? entry.idx : null,
      integrated,
      leafHash,
      queuedAt: row.createdAt,
      promisedBy: new Date(row.createdAt.getTime() + maxMergeDelayMs),
    };
  }

  async function receiptFor(status: EntryStatus): Promise<string> {
    const body = formatReceipt({
      origin,
      id: status.id,
      kind: status.kind,
      leafHash: status.leafHash,
      queuedAt: status.queuedAt,
      promisedBy: status.promisedBy,
    });
    return signNote(body, [await signer()]);
  }

  /**
   * The sequencer: every `intervalMs` numbers what is queued (again at once while batches come
   * full), and at least every `checkpointIntervalMs` integrates the new entries into a signed
   * checkpoint. Safe with many app processes on one PostgreSQL: one sequences, the others find
   * the lock taken.
   */
  function startSequencer(options: { intervalMs?: number; checkpointIntervalMs?: number; onError?: (error: unknown) => void } = {}): {
    stop(): Promise<void>;
  } {
    const interval = options.intervalMs ?? 50;
    const checkpointInterval = options.checkpointIntervalMs ?? 1000;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<void> = Promise.resolve();
    let lastIntegration = 0;
    const once = async () => {
      let full = true;
      while (full && !stopped) {
        const step = await sequence(db, maxBatch);
        full = step.status === 'sequenced' && step.count === maxBatch;
      }
      if (Date.now() - lastIntegration >= checkpointInterval) {
        lastIntegration = Date.now();
        await integrateOnce();
      }
    };
    const round = () => {
      running = once().then(
        () => undefined,
        (error: unknown) => options.onError?.(error),
      );
      void running.then(() => {
        if (!stopped) {
          timer = setTimeout(round, interval);
          timer.unref();
        }
      });
    };
    round();
    return {
      async stop() {
        stopped = true;
        if (timer) clearTimeout(timer);
        await running;
      },
    };
  }

  return {
    origin,
    maxMergeDelayMs,

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
      return repo.queueWithInsert(db, entry, insert(repo.NEXT_ENTRY_ID), values);
    },

    /** Queues entries in the caller's transaction; their ids in input order (sequenced in id order). */
    async appendManyInTx(tx: Executor, entries: readonly LedgerEntryWithId[]): Promise<{ ids: number[] }> {
      return { ids: (await queueInTx(tx, entries)).map((q) => q.id) };
    },

    /** Fresh entry ids, for rows that must name their entry before it is queued (`appendManyInTx` with `id`). */
    newEntryIds(tx: Executor, count: number): Promise<number[]> {
      return repo.newEntryIds(tx, count);
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
      return { ...status, receipt: await receiptFor(status) };
    },

    async appendMany(entries: readonly LedgerEntryInput[]): Promise<{ ids: number[] }> {
      return { ids: (await db.transaction((tx) => queueInTx(tx, entries))).map((q) => q.id) };
    },

    /** An entry by id: pending (queued) or sequenced with its index; null when there is none. */
    lookup,

    /** The entry's status with its signed receipt (the promise); NOT_FOUND when there is no such entry. */
    async receipt(id: number): Promise<LedgerReceipt> {
      const status = await lookup(id);
      if (!status) throw new AppError('NOT_FOUND', { what: 'ledgerEntry' });
      return { ...status, receipt: await receiptFor(status) };
    },

    /** Indexes of the sequenced entries among `ids` (pending ones are absent). */
    indexesOf: (ids: readonly number[]) => repo.indexesOf(db, ids),

    /**
     * The entry's index once it is sequenced and integrated, sequencing here when no other process
     * does. For tests and tools that need a proof right after a write; the app does not wait.
     */
    async waitForIndex(id: number, options: { timeoutMs?: number } = {}): Promise<number> {
      const deadline = Date.now() + (options.timeoutMs ?? 30_000);
      for (;;) {
        const status = await lookup(id);
        if (status?.integrated) return status.index!;
        if (Date.now() > deadline)
          throw new Error(`ledger entry ${id} was not sequenced in time (${status ? status.status : 'unknown id'})`);
        await sequenceNow({ timeoutMs: Math.max(1, deadline - Date.now()) });
      }
    },

    /** Sequences every queued entry and integrates them into a new signed checkpoint. */
    sequenceNow,

    /** The same as `sequenceNow` (its name from before sequencing was asynchronous). */
    integrate: () => sequenceNow(),

    /**
     * The sequencer: every `intervalMs` numbers what is queued (again at once while batches come
     * full), and at least every `checkpointIntervalMs` integrates the new entries into a signed
     * checkpoint. Safe with many app processes on one PostgreSQL: one sequences, the others find
     * the lock taken.
     */
    startSequencer,

    /** The same as `startSequencer`, checkpointing every `intervalMs`. */
    startIntegrator(options: { intervalMs?: number; onError?: (error: unknown) => void } = {}): { stop(): Promise<void> } {
      return startSequencer({
        intervalMs: Math.min(options.intervalMs ?? 50, 50),
        checkpointIntervalMs: options.intervalMs ?? 1000,
        ...(options.onError ? { onError: options.onError } : {}),
      });
    },

    async latestCheckpoint(): Promise<CheckpointView> {
      return withCosignatures(await latestStored());
    },

    async checkpointAt(size: number): Promise<CheckpointView> {
      const cp = await repo.findCheckpoint(db, size);
      if (!cp) throw new AppError('NOT_FOUND', { what: 'checkpoint' });
      return withCosignatures(cp);
    },

    async getEntry(index: number) {
      const [row, latest] = await Promise.all([repo.findEntry(db, index), repo.latestCheckpoint(db)]);
      if (!row) throw new AppError('NOT_FOUND', { what: 'ledgerEntry' });
      return {
        index: row.idx,
        id: row.id,
        kind: row.kind,
        data: row.data,
        leafHash: row.leafHash,
        createdAt: row.createdAt,
        integrated: latest !== undefined && row.idx < latest.size,
      };
    },

    /** PATH(index, D[size]) for a signed size (default: the latest). */
    async inclusionProof(
      index: number,
      size?: number,
    ): Promise<{ index: number; size: number; leafHash: Uint8Array; hashes: Uint8Array[] }> {
      const treeSize = await requireSize(size);
      if (index >= treeSize) {
        throw new AppError('VALIDATION_FAILED', {
          detail: message('ledger.proof.indexOutsideTree', { index, size: treeSize }),
        });
      }
      const [entry, hashes] = await Promise.all([
        repo.findEntry(db, index),
        inclusionProofFromTiles(tileSource, index, treeSize, nodeHasher.children),
      ]);
      if (!entry) throw new AppError('NOT_FOUND', { what: 'ledgerEntry' });
      return { index, size: treeSize, leafHash: entry.leafHash, hashes };
    },

    /** PROOF(from, D[to]) between two signed sizes (default to: the latest). */
    async consistencyProof(from: number, to?: number): Promise<{ from: number; to: number; hashes: Uint8Array[] }> {
      const treeSize = await requireSize(to);
      if (from > treeSize) {
        throw new AppError('VALIDATION_FAILED', { detail: message('ledger.proof.fromAfterTo') });
      }
      return { from, to: treeSize, hashes: await consistencyProofFromTiles(tileSource, from, treeSize, nodeHasher.children) };
    },

    /** A tile as of the latest checkpoint; null when that tree has no such tile or not that wide. */
    async readTile(level: number, index: number, width: number): Promise<Uint8Array | null> {
      const latest = await latestStored();
      if (width > tileWidth(level, index, latest.size)) return null;
      const [row] = await repo.readTiles(db, [{ level, index }]);
      if (!row || row.width < width) return null;
      return row.hashes.subarray(0, width * HASH_SIZE);
    },

    async readEntryBundle(index: number, width: number): Promise<Uint8Array | null> {
      const latest = await latestStored();
      const from = index * TILE_WIDTH;
      if (from + width > latest.size) return null;
      const rows = await repo.readEntryData(db, from, from + width);
      if (rows.length !== width) return null;
      return encodeEntryBundle(rows.map((r) => r.data));
    },

    async vkey(): Promise<string> {
      return (await signer()).vkey;
    },

    async registerWitness(vkey: string): Promise<{ name: string; vkey: string; created: boolean }> {
      const verifier = parseVerifierKey(vkey.trim());
      if (!verifier || verifier.type !== KEY_TYPE_COSIGNATURE_V1) {
        throw new AppError('VALIDATION_FAILED', {
          detail: message('ledger.witness.keyType'),
        });
      }
      const created = await repo.insertWitness(db, { name: verifier.name, vkey: verifier.vkey });
      if (!created) {
        const existing = (await repo.listWitnesses(db)).find((w) => w.name === verifier.name);
        if (existing?.vkey !== verifier.vkey) throw new AppError('ALREADY_EXISTS', { what: 'witness' });
      }
      return { name: verifier.name, vkey: verifier.vkey, created };
    },

    async removeWitness(name: string): Promise<void> {
      if (!(await repo.deleteWitness(db, name))) throw new AppError('NOT_FOUND', { what: 'witness' });
    },

    listWitnesses: () => repo.listWitnesses(db),

    /** A registered witness's cosignature/v1 line for the checkpoint of `size`. */
    async addCosignature(input: {
      size: number;
      signature: string;
    }): Promise<{ size: number; witness: string; cosignedAt: number; stored: boolean }> {
      const line = input.signature.replace(/\n$/, '');
      const sig = parseSignatureLine(line);
      if (!sig) throw new AppError('COSIGNATURE_INVALID', { reason: message('ledger.cosignature.malformed') });
      const witness = (await repo.listWitnesses(db)).find((w) => w.name === sig.name);
      const verifier = witness ? parseVerifierKey(witness.vkey) : null;
      if (!verifier || verifier.keyHash !== sig.keyHash) throw new AppError('UNKNOWN_WITNESS', { name: sig.name });
      const cp = await repo.findCheckpoint(db, input.size);
      if (!cp) throw new AppError('NOT_FOUND', { what: 'checkpoint' });
      const text = parseNote(cp.note)?.text;
      if (!text || !verifier.verify(text, sig.signature)) {
        throw new AppError('COSIGNATURE_INVALID', { reason: message('ledger.cosignature.mismatch') });
      }
      const cosignedAt = cosignatureTimestamp(sig.signature)!;
      if (cosignedAt * 1000 > clock().getTime() + 10 * 60_000) {
        throw new AppError('COSIGNATURE_INVALID', { reason: message('ledger.cosignature.future') });
      }
      const stored = await repo.upsertCosignature(db, { size: cp.size, witness: sig.name, signature: `${line}\n`, cosignedAt });
      return { size: cp.size, witness: sig.name, cosignedAt, stored };
    },

    /** Recomputes the tree from the entries and compares it with the tiles and every signed checkpoint. */
    async audit(options: { onProgress?: (done: number, total: number) => void; batchSize?: number } = {}): Promise<AuditReport> {
      const s = await signer();
      const logKey = parseVerifierKey(s.vkey) ?? ed25519Verifier(origin, new Uint8Array(32));
      return auditLedger({ db, hasher: nodeHasher, logKey, origin, ...options });
    },
  };
}

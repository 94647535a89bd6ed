import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { parseCheckpoint } from '../../verify/checkpoint.ts';
import { perfectNodes } from '../../verify/merkle.ts';
import { parseNote, type NoteVerifier } from '../../verify/signed-note.ts';
import { bytesToHex, equalBytes } from '../../verify/tlog-bytes.ts';
import { TILE_WIDTH } from '../../verify/tlog-tiles.ts';
import { interiorOffset, startHashWorkers, type HashedBatch } from './hash-workers.ts';
import { checkpointMeta, startMeta } from './integrate.ts';
import type { TreeHasher } from './hashing.ts';
import * as repo from './ledger.repository.ts';
import { ledgerEntries } from './ledger.tables.ts';
import { TreeBuilder, type Tile } from './tree-builder.ts';

export type AuditProblemKind =
  | 'missing-entry'
  | 'entry-mismatch'
  | 'tile-missing'
  | 'tile-mismatch'
  | 'checkpoint-root'
  | 'checkpoint-signature'
  | 'entry-metadata'
  | 'head-behind';

export interface AuditProblem {
  kind: AuditProblemKind;
  /** The entry index (or first index of a run) the problem is at. */
  index?: number;
  /** Last index of a run of missing entries. */
  to?: number;
  size?: number;
  level?: number;
  message: string;
}

export interface AuditReport {
  ok: boolean;
  /** Entry rows read. */
  entries: number;
  /** The size of the latest signed checkpoint. */
  treeSize: number;
  checkpoints: number;
  problems: AuditProblem[];
  /** All problems, including those beyond the ones listed. */
  problemCount: number;
  millis: number;
}

export interface AuditDeps {
  db: Db;
  hasher: TreeHasher;
  logKey: NoteVerifier;
  origin: string;
  batchSize?: number;
  maxProblems?: number;
  /** Hashing threads (default: up to 4, one per core). */
  workers?: number;
  onProgress?: (done: number, total: number) => void;
}

const ZERO_HASH = new Uint8Array(32);
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

interface EntryBatch {
  /** Entry indexes, in order. */
  idx: number[];
  /** Entry i is data[spans[2i] .. spans[2i + 1]). */
  data: Uint8Array;
  spans: Uint32Array;
  /** Level-0 tiles covering the rows, by tile index. */
  tiles: Map<number, Uint8Array>;
  /** Checkpoints whose size falls in the rows' range. */
  checkpoints: repo.CheckpointRow[];
  /** The rows' `META_RECORD`s, back to back; row i's ends at metaEnds[i]. */
  meta: Uint8Array;
  metaEnds: Uint32Array;
}

/**
 * Recomputes the tree from the stored entries, in index order, and compares it with what the
 * log committed to: the level-0 tiles entry by entry (so an edited, deleted or moved row is
 * reported at its index), the higher tiles, and the root of every signed checkpoint, whose
 * signatures are checked too. A missing row is reported and stood in for by its tile hash, so
 * that one deletion does not make every later comparison fail. Entries stream from the database
 * in batches while worker threads hash the previous ones.
 */
export async function auditLedger(deps: AuditDeps): Promise<AuditReport> {
  const started = performance.now();
  const { db, hasher } = deps;
  const batchSize = deps.batchSize ?? 65_536;
  const maxProblems = deps.maxProblems ?? 100;
  const problems: AuditProblem[] = [];
  let problemCount = 0;
  const report = (p: AuditProblem) => {
    problemCount++;
    if (problems.length < maxProblems) problems.push(p);
  };

  const latest = await repo.latestCheckpoint(db);
  const treeSize = latest?.size ?? 0;
  const head = await repo.readHead(db);
  const total = Math.max(head, treeSize);
  const upper = await loadUpperTiles(db, treeSize);
  const publicKey = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, deps.logKey.publicKey]), format: 'der', type: 'spki' });
  const builder = new TreeBuilder(hasher);

  // Checkpoints due in the range being hashed, in size order.
  const due: repo.CheckpointRow[] = [];
  let checked = 0;
  const checkCheckpoint = (cp: repo.CheckpointRow, root: Uint8Array) => {
    checked++;
    checkSignature(cp, deps, publicKey, report);
    if (!equalBytes(root, cp.rootHash)) {
      report({
        kind: 'checkpoint-root',
        size: cp.size,
        message: `the entries do not give the signed root of size ${cp.size}: the tree was changed below that size`,
      });
    }
  };
  const checkDue = () => {
    while (due[0] && due[0].size <= builder.size) {
      const cp = due.shift()!;
      if (cp.size === builder.size) checkCheckpoint(cp, builder.root());
    }
  };
  const afterAppend = () => {
    for (const tile of builder.takeFullTiles()) {
      if (tile.level > 0 && (tile.index + 1) * TILE_WIDTH ** (tile.level + 1) <= treeSize)
        compareTile(tile, upper.get(`${tile.level}/${tile.index}`), report);
    }
    if (builder.size === treeSize) {
      // A partial tile may have grown since (the log integrates while we audit): compare the prefix.
      for (const edge of builder.edgeTiles()) if (edge.level > 0) compareTile(edge, upper.get(`${edge.level}/${edge.index}`), report, true);
    }
    checkDue();
  };

  let level0 = new Map<number, Uint8Array>();
  const tileHashAt = (idx: number): Uint8Array | undefined => {
    const tile = level0.get(Math.floor(idx / TILE_WIDTH));
    const offset = (idx % TILE_WIDTH) * 32;
    return tile && tile.length >= offset + 32 ? tile.subarray(offset, offset + 32) : undefined;
  };
  const reportedTiles = new Set<number>();
  const compareEntry = (idx: number, leaf: Uint8Array) => {
    if (idx >= treeSize) return;
    const committed = tileHashAt(idx);
    const tileIndex = Math.floor(idx / TILE_WIDTH);
    if (!committed) {
      if (!reportedTiles.has(tileIndex)) {
        reportedTiles.add(tileIndex);
        report({ kind: 'tile-missing', level: 0, index: idx, message: `tile 0/${tileIndex} is missing or too short` });
      }
    } else if (!equalBytes(committed, leaf)) {
      report({
        kind: 'entry-mismatch',
        index: idx,
        message: `entry ${idx} is not the leaf the log committed to (edited, or moved from another index): leaf hash ${bytesToHex(leaf)}, committed ${bytesToHex(committed)}`,
      });
    }
  };
  const standIn = (from: number, to: number) => {
    report({
      kind: 'missing-entry',
      index: from,
      to,
      message: from === to ? `entry ${from} is missing (deleted)` : `entries ${from}–${to} are missing (deleted)`,
    });
    for (let i = from; i <= to; i++) {
      builder.appendLeafHash(i < treeSize ? (tileHashAt(i) ?? ZERO_HASH) : ZERO_HASH);
      afterAppend();
    }
  };

  let entries = 0;
  const process = (batch: EntryBatch, hashed: HashedBatch, chunks: number[]) => {
    level0 = batch.tiles;
    due.push(...batch.checkpoints);
    const chunkAt = new Map(chunks.map((pos, c) => [pos, c]));
    const indexes = batch.idx;
    for (let i = 0; i < indexes.length;) {
      const idx = indexes[i]!;
      if (idx > builder.size) standIn(builder.size, idx - 1);
      const c = chunkAt.get(i);
      // A full, aligned tile of entries: its subtree was built by a worker.
      if (c !== undefined && !(treeSize > idx && treeSize < idx + TILE_WIDTH)) {
        const leaves = hashed.leaves.subarray(i * 32, (i + TILE_WIDTH) * 32);
        const interior = hashed.interiors.subarray(c * 255 * 32, (c + 1) * 255 * 32);
        const stored = level0.get(idx / TILE_WIDTH);
        if (idx < treeSize && !(stored && stored.length === leaves.length && equalBytes(stored, leaves))) {
          for (let j = 0; j < TILE_WIDTH; j++) compareEntry(idx + j, leaves.subarray(j * 32, (j + 1) * 32));
        }
        while (due[0] && due[0].size < idx + TILE_WIDTH) {
          const cp = due.shift()!;
          if (cp.size > idx) checkCheckpoint(cp, builder.rootWith(chunkNodes(cp.size - idx, leaves, interior)));
          else if (cp.size === idx) checkCheckpoint(cp, builder.root());
        }
        builder.appendFullTile(leaves, interior.subarray(254 * 32));
        afterAppend();
        entries += TILE_WIDTH;
        i += TILE_WIDTH;
        continue;
      }
      const leaf = hashed.leaves.subarray(i * 32, (i + 1) * 32);
      compareEntry(idx, leaf);
      builder.appendLeafHash(leaf);
      afterAppend();
      entries++;
      i++;
    }
    deps.onProgress?.(builder.size, total);
  };

  const meta = metaChecker(treeSize, report);
  const initial = await repo.readCheckpointsIn(db, 0, 0);
  for (const cp of initial) meta.finish(cp);
  due.push(...initial);
  checkDue();
  const workers = startHashWorkers(deps.workers);
  try {
    // Fetch batch k+1 while the workers hash batch k and this thread joins batch k−1.
    type Hashing = { batch: EntryBatch; chunks: number[]; hashed: Promise<HashedBatch> };
    let fetching: Promise<EntryBatch> | null = fetchBatch(db, 0, batchSize, treeSize);
    let inflight: Hashing | null = null;
    while (fetching || inflight) {
      let next: Hashing | null = null;
      if (fetching) {
        const batch: EntryBatch = await fetching;
        const last = batch.idx[batch.idx.length - 1];
        fetching = batch.idx.length === batchSize && last !== undefined ? fetchBatch(db, last + 1, batchSize, treeSize) : null;
        meta.feed(batch);
        if (batch.idx.length > 0) {
          const chunks = fullChunks(batch.idx);
          next = { batch, chunks, hashed: workers.hash(batch.data, batch.spans, chunks) };
        }
      }
      if (inflight) process(inflight.batch, await inflight.hashed, inflight.chunks);
      inflight = next;
    }
  } finally {
    await workers.close();
  }

  if (builder.size < treeSize) {
    // Rows missing at the end: stand in with the committed hashes, so the checkpoints are still checked.
    level0 = new Map(
      (await repo.readTileRange(db, 0, Math.floor(builder.size / TILE_WIDTH), Math.ceil(treeSize / TILE_WIDTH))).map((t) => [
        t.index,
        t.hashes,
      ]),
    );
    due.push(...(await repo.readCheckpointsIn(db, builder.size + 1, treeSize)));
    standIn(builder.size, treeSize - 1);
  }
  // Checkpoints beyond the last row (rows deleted at the end): their meta cannot match either.
  if (meta.checkedTo < treeSize) for (const cp of await repo.readCheckpointsIn(db, meta.checkedTo + 1, treeSize)) meta.finish(cp);
  // Read after the entries: the sequencer moves the head and adds rows together.
  const finalHead = await repo.readHead(db);
  if (finalHead < builder.size) {
    report({
      kind: 'head-behind',
      index: finalHead,
      message: `the head counter (${finalHead}) is behind the entries (${builder.size}): the next append would collide`,
    });
  }
  return {
    ok: problemCount === 0,
    entries,
    treeSize,
    checkpoints: checked,
    problems,
    problemCount,
    millis: Math.round(performance.now() - started),
  };
}

/** Positions in the batch where 256 consecutive entries fill a level-0 tile. */
function fullChunks(idx: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i + TILE_WIDTH <= idx.length;) {
    if (idx[i]! % TILE_WIDTH === 0 && idx[i + TILE_WIDTH - 1]! === idx[i]! + TILE_WIDTH - 1) {
      out.push(i);
      i += TILE_WIDTH;
    } else {
      i++;
    }
  }
  return out;
}

/** The perfect subtrees of the first k leaves of a tile, from its leaf and interior hashes. */
function chunkNodes(k: number, leaves: Uint8Array, interior: Uint8Array): Uint8Array[] {
  return perfectNodes({ start: 0, end: k }).map(({ level, index }) => {
    const at = level === 0 ? index : interiorOffset(level) + index;
    const source = level === 0 ? leaves : interior;
    return source.subarray(at * 32, (at + 1) * 32);
  });
}

function compareTile(recomputed: Tile, stored: Tile | undefined, report: (p: AuditProblem) => void, prefix = false): void {
  const where = `tile ${recomputed.level}/${recomputed.index}`;
  const width = prefix && stored && stored.width > recomputed.width ? recomputed.width : stored?.width;
  if (!stored) {
    report({ kind: 'tile-missing', level: recomputed.level, index: recomputed.index, message: `${where} is missing` });
  } else if (width !== recomputed.width || !equalBytes(stored.hashes.subarray(0, width * 32), recomputed.hashes)) {
    report({
      kind: 'tile-mismatch',
      level: recomputed.level,
      index: recomputed.index,
      message: `${where} differs from the recomputed tree`,
    });
  }
}

async function loadUpperTiles(db: Db, treeSize: number): Promise<Map<string, Tile>> {
  const out = new Map<string, Tile>();
  for (let level = 1; 256 ** level <= treeSize; level++) {
    for (const tile of await repo.readTileRange(db, level, 0, Number.MAX_SAFE_INTEGER)) out.set(`${level}/${tile.index}`, tile);
  }
  return out;
}

/**
 * A batch of entries as one byte string of (index: 8 bytes, length: 4 bytes, data) records
 * rather than one row per entry: decoding one large value costs far less than many small rows.
 */
async function fetchBatch(db: Db, from: number, limit: number, treeSize: number): Promise<EntryBatch> {
  const { rows } = await db.execute<{ records: Uint8Array | null; meta: Uint8Array | null }>(sql`
    select string_agg(int8send(idx) || int4send(length(data)) || data, ''::bytea order by idx) as records,
           string_agg(meta, ''::bytea order by idx) as meta
    from (select idx, data, ${repo.META_RECORD} as meta from ${ledgerEntries} where idx >= ${from} order by idx limit ${limit}) as batch`);
  const records = rows[0]?.records ?? new Uint8Array(0);
  const meta = rows[0]?.meta ?? new Uint8Array(0);
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  const idx: number[] = [];
  const spans: number[] = [];
  for (let at = 0; at < records.length;) {
    idx.push(view.getUint32(at) * 2 ** 32 + view.getUint32(at + 4));
    const length = view.getInt32(at + 8);
    spans.push(at + 12, at + 12 + length);
    at += 12 + length;
  }
  const metaView = new DataView(meta.buffer, meta.byteOffset, meta.byteLength);
  const metaEnds = new Uint32Array(idx.length);
  for (let i = 0, at = 0; i < idx.length; i++) {
    at += 28 + metaView.getInt32(at + 24);
    metaEnds[i] = at;
  }
  const last = idx.length > 0 ? idx[idx.length - 1]! : from - 1;
  const [tiles, checkpoints] = await Promise.all([
    from < treeSize ? repo.readTileRange(db, 0, Math.floor(from / TILE_WIDTH), Math.ceil(Math.min(last + 1, treeSize) / TILE_WIDTH)) : [],
    last >= from ? repo.readCheckpointsIn(db, from + 1, last + 1) : [],
  ]);
  return {
    idx,
    data: records,
    spans: Uint32Array.from(spans),
    tiles: new Map(tiles.map((t) => [t.index, t.hashes])),
    checkpoints,
    meta,
    metaEnds,
  };
}

/**
 * Checks the checkpoints' `meta` lines (see integrate.ts): streams the entries' meta records and
 * compares the chain at each checkpoint up to the audited size. A mismatch names the range of
 * entries between two checkpoints whose id, kind or queue time was changed (or a checkpoint
 * row that was removed); the chain then goes on from the stated value, so one edit is one problem.
 */
function metaChecker(treeSize: number, report: (p: AuditProblem) => void) {
  let hash = startMeta(null);
  let from = 0;
  let checkedTo = -1;
  const finish = (cp: repo.CheckpointRow) => {
    if (cp.size > treeSize || cp.size <= checkedTo) return;
    checkedTo = cp.size;
    const stated = checkpointMeta(cp.note);
    if (stated && !equalBytes(hash.digest(), stated)) {
      report({
        kind: 'entry-metadata',
        index: from,
        to: cp.size - 1,
        size: cp.size,
        message: `the id, kind or queue time of an entry in ${from}–${cp.size - 1} is not what the checkpoint of size ${cp.size} states (or a checkpoint before it was removed)`,
      });
    }
    hash = startMeta(stated);
    from = cp.size;
  };
  return {
    get checkedTo() {
      return checkedTo;
    },
    finish,
    feed(batch: EntryBatch) {
      let at = 0;
      let row = 0;
      for (const cp of batch.checkpoints) {
        while (row < batch.idx.length && batch.idx[row]! < cp.size) row++;
        const end = row === 0 ? 0 : batch.metaEnds[row - 1]!;
        hash.update(batch.meta.subarray(at, end));
        at = end;
        finish(cp);
      }
      hash.update(batch.meta.subarray(at));
    },
  };
}

function checkSignature(cp: repo.CheckpointRow, deps: AuditDeps, key: KeyObject, report: (p: AuditProblem) => void): void {
  const note = parseNote(cp.note);
  const body = note ? parseCheckpoint(note.text) : null;
  const sig = note?.signatures.find((s) => s.name === deps.logKey.name && s.keyHash === deps.logKey.keyHash);
  const ok =
    note !== null &&
    body !== null &&
    sig !== undefined &&
    sig.signature.length === 64 &&
    body.origin === deps.origin &&
    body.size === cp.size &&
    equalBytes(body.rootHash, cp.rootHash) &&
    verifySignature(null, Buffer.from(note.text, 'utf8'), key, sig.signature);
  if (!ok)
    report({
      kind: 'checkpoint-signature',
      size: cp.size,
      message: `checkpoint of size ${cp.size} is not validly signed by ${deps.logKey.name}, or its note and columns disagree`,
    });
}

import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { parseCheckpoint } from '../../verify/checkpoint.ts';
import { parseNote, type NoteVerifier } from '../../verify/signed-note.ts';
import { bytesToHex, equalBytes } from '../../verify/tlog-bytes.ts';
import { TILE_WIDTH } from '../../verify/tlog-tiles.ts';
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
  onProgress?: (done: number, total: number) => void;
}

const ZERO_HASH = new Uint8Array(32);

/**
 * Recomputes the tree from the stored entries, in index order, and compares it with what the
 * log committed to: the level-0 tiles entry by entry (so an edited, deleted or moved row is
 * reported at its index), the higher tiles, and the root of every signed checkpoint, whose
 * signatures are checked too. A missing row is reported and stood in for by its tile hash, so
 * that one deletion does not make every later comparison fail.
 */
export async function auditLedger(deps: AuditDeps): Promise<AuditReport> {
  const started = performance.now();
  const { db, hasher } = deps;
  const batchSize = deps.batchSize ?? 50_000;
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
  let due: repo.CheckpointRow[] = [];
  let checked = 0;
  const checkCheckpoints = () => {
    while (due[0] && due[0].size <= builder.size) {
      const cp = due.shift()!;
      checked++;
      checkSignature(cp, deps, publicKey, report);
      if (!equalBytes(builder.root(), cp.rootHash)) {
        report({ kind: 'checkpoint-root', size: cp.size, message: `the entries do not give the signed root of size ${cp.size}: the tree was changed below that size` });
      }
    }
  };
  let level0 = new Map<number, Uint8Array>();
  const tileHashAt = (idx: number): Uint8Array | undefined => {
    const tile = level0.get(Math.floor(idx / TILE_WIDTH));
    const offset = (idx % TILE_WIDTH) * 32;
    return tile && tile.length >= offset + 32 ? tile.subarray(offset, offset + 32) : undefined;
  };
  const append = (leaf: Uint8Array) => {
    builder.appendLeafHash(leaf);
    for (const tile of builder.takeFullTiles()) {
      if (tile.level > 0 && (tile.index + 1) * TILE_WIDTH ** (tile.level + 1) <= treeSize) compareTile(tile, upper.get(`${tile.level}/${tile.index}`), report);
    }
    if (builder.size === treeSize) {
      for (const edge of builder.edgeTiles()) if (edge.level > 0) compareTile(edge, upper.get(`${edge.level}/${edge.index}`), report);
    }
    checkCheckpoints();
  };
  const standIn = (from: number, to: number) => {
    report({ kind: 'missing-entry', index: from, to, message: from === to ? `entry ${from} is missing (deleted)` : `entries ${from}–${to} are missing (deleted)` });
    for (let i = from; i <= to; i++) append(i < treeSize ? (tileHashAt(i) ?? ZERO_HASH) : ZERO_HASH);
  };

  due = await repo.readCheckpointsIn(db, 0, 0);
  checkCheckpoints();
  const reportedTiles = new Set<number>();
  let entries = 0;
  let next = fetchBatch(db, 0, batchSize, treeSize);
  for (;;) {
    const batch = await next;
    const last = batch.rows[batch.rows.length - 1];
    // Read the next batch while this one is hashed.
    next = batch.rows.length === batchSize && last ? fetchBatch(db, last.idx + 1, batchSize, treeSize) : EMPTY_PROMISE;
    level0 = batch.tiles;
    due.push(...batch.checkpoints);
    for (const row of batch.rows) {
      if (row.idx > builder.size) standIn(builder.size, row.idx - 1);
      const leaf = hasher.leaf(row.data);
      if (row.idx < treeSize) {
        const committed = tileHashAt(row.idx);
        const tileIndex = Math.floor(row.idx / TILE_WIDTH);
        if (!committed) {
          if (!reportedTiles.has(tileIndex)) {
            reportedTiles.add(tileIndex);
            report({ kind: 'tile-missing', level: 0, index: row.idx, message: `tile 0/${tileIndex} is missing or too short` });
          }
        } else if (!equalBytes(committed, leaf)) {
          report({
            kind: 'entry-mismatch',
            index: row.idx,
            message: `entry ${row.idx} is not the leaf the log committed to (edited, or moved from another index): leaf hash ${bytesToHex(leaf)}, committed ${bytesToHex(committed)}`,
          });
        }
      }
      append(leaf);
      entries++;
    }
    deps.onProgress?.(builder.size, total);
    if (next === EMPTY_PROMISE) break;
  }
  if (builder.size < treeSize) {
    // Rows missing at the end: stand in with the committed hashes, so the checkpoints are still checked.
    level0 = new Map((await repo.readTileRange(db, 0, Math.floor(builder.size / TILE_WIDTH), Math.ceil(treeSize / TILE_WIDTH))).map((t) => [t.index, t.hashes]));
    due.push(...(await repo.readCheckpointsIn(db, builder.size + 1, treeSize)));
    standIn(builder.size, treeSize - 1);
  }
  if (head < builder.size) {
    report({ kind: 'head-behind', index: head, message: `the head counter (${head}) is behind the entries (${builder.size}): the next append would collide` });
  }
  return { ok: problemCount === 0, entries, treeSize, checkpoints: checked, problems, problemCount, millis: Math.round(performance.now() - started) };
}

function compareTile(recomputed: Tile, stored: Tile | undefined, report: (p: AuditProblem) => void): void {
  const where = `tile ${recomputed.level}/${recomputed.index}`;
  if (!stored) {
    report({ kind: 'tile-missing', level: recomputed.level, index: recomputed.index, message: `${where} is missing` });
  } else if (stored.width !== recomputed.width || !equalBytes(stored.hashes, recomputed.hashes)) {
    report({ kind: 'tile-mismatch', level: recomputed.level, index: recomputed.index, message: `${where} differs from the recomputed tree` });
  }
}

async function loadUpperTiles(db: Db, treeSize: number): Promise<Map<string, Tile>> {
  const out = new Map<string, Tile>();
  for (let level = 1; 256 ** level <= treeSize; level++) {
    for (const tile of await repo.readTileRange(db, level, 0, Number.MAX_SAFE_INTEGER)) out.set(`${level}/${tile.index}`, tile);
  }
  return out;
}

interface EntryBatch {
  rows: { idx: number; data: Uint8Array }[];
  /** Level-0 tiles covering the rows, by tile index. */
  tiles: Map<number, Uint8Array>;
  /** Checkpoints whose size falls in the rows' range. */
  checkpoints: repo.CheckpointRow[];
}
const EMPTY: EntryBatch = { rows: [], tiles: new Map(), checkpoints: [] };
const EMPTY_PROMISE = Promise.resolve(EMPTY);

async function fetchBatch(db: Db, from: number, limit: number, treeSize: number): Promise<EntryBatch> {
  const { rows } = await db.execute<{ idx: string | number; data: Uint8Array }>(
    sql`select ${ledgerEntries.idx} as idx, ${ledgerEntries.data} as data from ${ledgerEntries} where ${ledgerEntries.idx} >= ${from} order by ${ledgerEntries.idx} limit ${limit}`,
  );
  const last = rows.length > 0 ? Number(rows[rows.length - 1]!.idx) : from - 1;
  const [tiles, checkpoints] = await Promise.all([
    from < treeSize ? repo.readTileRange(db, 0, Math.floor(from / TILE_WIDTH), Math.ceil(Math.min(last + 1, treeSize) / TILE_WIDTH)) : [],
    last >= from ? repo.readCheckpointsIn(db, from + 1, last + 1) : [],
  ]);
  return { rows: rows.map((r) => ({ idx: Number(r.idx), data: r.data })), tiles: new Map(tiles.map((t) => [t.index, t.hashes])), checkpoints };
}

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

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
  if (!ok) report({ kind: 'checkpoint-signature', size: cp.size, message: `checkpoint of size ${cp.size} is not validly signed by ${deps.logKey.name}, or its note and columns disagree` });
}

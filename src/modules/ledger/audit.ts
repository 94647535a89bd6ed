import { equalBytes } from '../../verify/tlog-bytes.ts';
import { TILE_WIDTH } from '../../verify/tlog-tiles.ts';
import { chunkNodes, fetchBatch, fullChunks, type EntryBatch } from './audit-batches.ts';
import { metaChecker, rootChecker } from './audit-checkpoints.ts';
import type { AuditDeps, AuditProblem, AuditReport } from './audit-report.ts';
import { checkUpperTiles, leafChecker, loadUpperTiles } from './audit-tiles.ts';
import { startHashWorkers, type HashedBatch } from './hash-workers.ts';
import { readHead } from './ledger.repository.ts';
import { latestCheckpoint, readCheckpointsIn, readTileRange, type CheckpointRow } from './tree.repository.ts';
import { TreeBuilder } from './tree-builder.ts';

const ZERO_HASH = new Uint8Array(32);

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

  const latest = await latestCheckpoint(db);
  const treeSize = latest?.size ?? 0;
  const head = await readHead(db);
  const total = Math.max(head, treeSize);
  const upper = await loadUpperTiles(db, treeSize);
  const roots = rootChecker(deps, report);
  const builder = new TreeBuilder(hasher);

  // Checkpoints due in the range being hashed, in size order.
  const due: CheckpointRow[] = [];
  const checkDue = () => {
    while (due[0] && due[0].size <= builder.size) {
      const cp = due.shift()!;
      if (cp.size === builder.size) roots.check(cp, builder.root());
    }
  };
  const afterAppend = () => {
    checkUpperTiles(builder, upper, treeSize, report);
    checkDue();
  };

  const level0 = leafChecker(treeSize, report);
  const standIn = (from: number, to: number) => {
    report({
      kind: 'missing-entry',
      index: from,
      to,
      message: from === to ? `entry ${from} is missing (deleted)` : `entries ${from}–${to} are missing (deleted)`,
    });
    for (let i = from; i <= to; i++) {
      builder.appendLeafHash(i < treeSize ? (level0.tileHashAt(i) ?? ZERO_HASH) : ZERO_HASH);
      afterAppend();
    }
  };

  let entries = 0;
  const process = (batch: EntryBatch, hashed: HashedBatch, chunks: number[]) => {
    level0.use(batch.tiles);
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
        const stored = level0.tile(idx / TILE_WIDTH);
        if (idx < treeSize && !(stored && stored.length === leaves.length && equalBytes(stored, leaves))) {
          for (let j = 0; j < TILE_WIDTH; j++) level0.compareEntry(idx + j, leaves.subarray(j * 32, (j + 1) * 32));
        }
        while (due[0] && due[0].size < idx + TILE_WIDTH) {
          const cp = due.shift()!;
          if (cp.size > idx) roots.check(cp, builder.rootWith(chunkNodes(cp.size - idx, leaves, interior)));
          else if (cp.size === idx) roots.check(cp, builder.root());
        }
        builder.appendFullTile(leaves, interior.subarray(254 * 32));
        afterAppend();
        entries += TILE_WIDTH;
        i += TILE_WIDTH;
        continue;
      }
      const leaf = hashed.leaves.subarray(i * 32, (i + 1) * 32);
      level0.compareEntry(idx, leaf);
      builder.appendLeafHash(leaf);
      afterAppend();
      entries++;
      i++;
    }
    deps.onProgress?.(builder.size, total);
  };

  const meta = metaChecker(treeSize, report);
  const initial = await readCheckpointsIn(db, 0, 0);
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
    level0.use(
      new Map(
        (await readTileRange(db, 0, Math.floor(builder.size / TILE_WIDTH), Math.ceil(treeSize / TILE_WIDTH))).map((t) => [
          t.index,
          t.hashes,
        ]),
      ),
    );
    due.push(...(await readCheckpointsIn(db, builder.size + 1, treeSize)));
    standIn(builder.size, treeSize - 1);
  }
  // Checkpoints beyond the last row (rows deleted at the end): their meta cannot match either.
  if (meta.checkedTo < treeSize) for (const cp of await readCheckpointsIn(db, meta.checkedTo + 1, treeSize)) meta.finish(cp);
  // Read after the entries: the sequencer moves the head and adds rows together.
  const finalHead = await readHead(db);
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
    checkpoints: roots.checked,
    problems,
    problemCount,
    millis: Math.round(performance.now() - started),
  };
}

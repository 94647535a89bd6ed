import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * Worker threads that hash entries for the audit: the leaf hash of every entry and, for each
 * run of 256 consecutive entries that fills a level-0 tile, the 255 interior nodes of that
 * tile's subtree. The main thread then only joins tiles, so an audit uses every core.
 *
 * The worker is plain JavaScript evaluated from a string: it needs nothing but node:crypto, and
 * so runs the same under tsx, vitest and a build.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { hash } = require('node:crypto');
const scratch = Buffer.allocUnsafe(65536 + 1);
const node = Buffer.allocUnsafe(65);
parentPort.on('message', ({ id, data, spans, chunks }) => {
  const bytes = new Uint8Array(data);
  const span = new Uint32Array(spans);
  const count = span.length / 2;
  const leaves = Buffer.allocUnsafe(count * 32);
  scratch[0] = 0;
  for (let i = 0; i < count; i++) {
    const s = span[2 * i], e = span[2 * i + 1];
    scratch.set(bytes.subarray(s, e), 1);
    hash('sha256', scratch.subarray(0, e - s + 1), 'buffer').copy(leaves, i * 32);
  }
  const starts = new Uint32Array(chunks);
  const interiors = Buffer.allocUnsafe(starts.length * 255 * 32);
  node[0] = 1;
  for (let c = 0; c < starts.length; c++) {
    // Levels 1..8 of the chunk, each after the other: 128 + 64 + ... + 1 = 255 hashes.
    let below = leaves.subarray(starts[c] * 32, (starts[c] + 256) * 32);
    let at = c * 255 * 32;
    for (let width = 128; width >= 1; width >>= 1) {
      const level = interiors.subarray(at, at + width * 32);
      for (let i = 0; i < width; i++) {
        below.copy(node, 1, 2 * i * 32, 2 * i * 32 + 64);
        hash('sha256', node, 'buffer').copy(level, i * 32);
      }
      below = level;
      at += width * 32;
    }
  }
  const l = new Uint8Array(leaves.buffer, leaves.byteOffset, leaves.length).slice();
  const n = new Uint8Array(interiors.buffer, interiors.byteOffset, interiors.length).slice();
  parentPort.postMessage({ id, leaves: l.buffer, interiors: n.buffer }, [l.buffer, n.buffer]);
});
`;

export interface HashedBatch {
  /** count × 32 bytes. */
  leaves: Uint8Array;
  /** Per requested chunk: 255 × 32 bytes, levels 1 (128 nodes) to 8 (the root), in that order. */
  interiors: Uint8Array;
}

/** Offset of level k (1–8) inside a chunk's interior block, in hashes. */
export function interiorOffset(level: number): number {
  let at = 0;
  for (let k = 1; k < level; k++) at += 256 >> k;
  return at;
}

export interface HashWorkers {
  /**
   * Entry i is data[spans[2i] .. spans[2i + 1]). `chunks`: positions of 256-entry runs to
   * build interior nodes for.
   */
  hash(data: Uint8Array, spans: Uint32Array, chunks: readonly number[]): Promise<HashedBatch>;
  close(): Promise<void>;
}

export function startHashWorkers(count = Math.max(1, Math.min(4, availableParallelism()))): HashWorkers {
  const workers = Array.from({ length: count }, () => new Worker(WORKER_SOURCE, { eval: true }));
  const pending = new Map<number, { resolve: (b: HashedBatch) => void; reject: (e: unknown) => void }>();
  for (const worker of workers) {
    worker.on('message', (msg: { id: number; leaves: ArrayBuffer; interiors: ArrayBuffer }) => {
      const job = pending.get(msg.id);
      pending.delete(msg.id);
      job?.resolve({ leaves: new Uint8Array(msg.leaves), interiors: new Uint8Array(msg.interiors) });
    });
    worker.on('error', (error) => {
      for (const job of pending.values()) job.reject(error);
      pending.clear();
    });
  }
  let next = 0;
  return {
    hash(data, spans, chunks) {
      // Own copies starting at offset 0, so that transferring them cannot detach a buffer the caller
      // shares. Not data.slice(): on a Node Buffer (pg's bytea, a small one cut from Node's shared
      // pool) that is a view, and its .buffer the whole pool, from the pool's start.
      const bytes = new Uint8Array(data);
      const offs = spans.slice();
      const starts = Uint32Array.from(chunks);
      const id = next++;
      const worker = workers[id % workers.length]!;
      return new Promise<HashedBatch>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, data: bytes.buffer, spans: offs.buffer, chunks: starts.buffer }, [
          bytes.buffer,
          offs.buffer,
          starts.buffer,
        ]);
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

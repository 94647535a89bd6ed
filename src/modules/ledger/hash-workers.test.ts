import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startHashWorkers } from './hash-workers.ts';

const leafHash = (bytes: Uint8Array) =>
  createHash('sha256')
    .update(Buffer.from([0]))
    .update(bytes)
    .digest('hex');

describe('the audit’s hash workers', () => {
  it('hash the entries of a Buffer that is a view into a larger one (as pg’s small bytea is, cut from Node’s pool), not that buffer from its start', async () => {
    const entries = ['{"a":1}', '{"kind":"certificate.issued"}', 'x'.repeat(300)].map((t) => Buffer.from(t, 'utf8'));
    // A view into a larger buffer at an offset, as a small Buffer cut from Node's pool is (whether
    // Buffer.from lands at the pool's offset 0 depends on what was allocated before: not left to chance).
    const records = Buffer.concat([Buffer.from('pad'), ...entries]);
    const slab = Buffer.alloc(8192, 0x5a);
    const data = slab.subarray(100, 100 + records.length);
    records.copy(data);
    expect(data.byteOffset).toBe(100);
    expect(data.buffer.byteLength).toBe(8192);
    const spans: number[] = [];
    let at = 3;
    for (const e of entries) {
      spans.push(at, at + e.length);
      at += e.length;
    }
    const workers = startHashWorkers(1);
    try {
      const hashed = await workers.hash(data, Uint32Array.from(spans), []);
      const got = entries.map((_, i) => Buffer.from(hashed.leaves.subarray(i * 32, (i + 1) * 32)).toString('hex'));
      expect(got).toEqual(entries.map(leafHash));
      // The caller's bytes are untouched (nothing transferred away from under it).
      expect(data.byteLength).toBe(records.length);
      expect(data.equals(records)).toBe(true);
      expect(slab.subarray(0, 100).every((b) => b === 0x5a)).toBe(true);
    } finally {
      await workers.close();
    }
  });
});

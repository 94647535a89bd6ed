import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startHashWorkers } from './hash-workers.ts';

const leafHash = (bytes: Uint8Array) =>
  createHash('sha256')
    .update(Buffer.from([0]))
    .update(bytes)
    .digest('hex');

describe('the audit’s hash workers', () => {
  it('hash the entries of a small Buffer cut from Node’s shared pool (as pg gives a small bytea), not the pool from its start', async () => {
    const entries = ['{"a":1}', '{"kind":"certificate.issued"}', 'x'.repeat(300)].map((t) => Buffer.from(t, 'utf8'));
    // Something else in the pool first, so that the batch does not start at the pool's offset 0.
    const before = Buffer.from('another value in the same pool');
    const records = Buffer.concat([Buffer.from('pad'), ...entries]);
    const data = Buffer.from(records.toString('hex'), 'hex');
    expect(data.byteOffset).toBeGreaterThan(0);
    expect(data.buffer.byteLength).toBeGreaterThan(data.byteLength);
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
      expect(before.toString()).toBe('another value in the same pool');
    } finally {
      await workers.close();
    }
  });
});

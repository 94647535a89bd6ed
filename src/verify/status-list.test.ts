import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeStatusList, encodeStatusList, isBitSet } from './status-list.ts';

describe('Bitstring Status List', () => {
  it('sets exactly the given bits, most significant bit first, and gunzips with zlib', async () => {
    const encoded = await encodeStatusList([0, 9, 131_071], 131_072);
    expect(encoded.startsWith('u')).toBe(true);
    const raw = gunzipSync(Buffer.from(encoded.slice(1), 'base64url'));
    expect(raw.length).toBe(16_384);
    expect(raw[0]).toBe(0x80);
    expect(raw[1]).toBe(0x40);
    expect(raw[16_383]).toBe(0x01);
    const bits = await decodeStatusList(encoded);
    expect(bits && [isBitSet(bits, 0), isBitSet(bits, 1), isBitSet(bits, 9), isBitSet(bits, 131_071)]).toEqual([true, false, true, true]);
    expect(bits && isBitSet(bits, 131_072)).toBeNull();
  });

  it('round-trips any set of indexes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 0, max: 8191 }), { maxLength: 50 }), async (indexes) => {
        const bits = await decodeStatusList(await encodeStatusList(indexes, 8192));
        expect(bits).not.toBeNull();
        const set = new Set(indexes);
        for (let i = 0; i < 8192; i += 7) expect(isBitSet(bits!, i)).toBe(set.has(i));
        for (const i of indexes) expect(isBitSet(bits!, i)).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('answers null, never throws, for garbage', async () => {
    expect(await decodeStatusList('xabc')).toBeNull();
    expect(await decodeStatusList('u!!!')).toBeNull();
    expect(await decodeStatusList('uAAAA')).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { createTtlCache } from './ttl-cache.ts';

describe('the dashboards’ per-process cache', () => {
  it('shares one load among concurrent callers, reuses it for its time, forgets failures and starts over when full', async () => {
    let now = 0;
    let loads = 0;
    const cache = createTtlCache<number>({ ttlMs: 1000, max: 2, now: () => now });
    const load = () => Promise.resolve(++loads);
    expect(await Promise.all([cache.get('a', load), cache.get('a', load)])).toEqual([1, 1]);
    now = 999;
    expect(await cache.get('a', load)).toBe(1);
    now = 1000;
    expect(await cache.get('a', load)).toBe(2);

    await expect(cache.get('b', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('b', load)).toBe(3);
    // A third key clears the two held.
    expect(await cache.get('c', load)).toBe(4);
    expect(await cache.get('a', load)).toBe(5);
  });
});

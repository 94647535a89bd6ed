import { describe, expect, it } from 'vitest';
import { randomText } from './random.ts';

describe('randomText', () => {
  it('gives text of the asked length, never the same twice across several refills of its pool', () => {
    const seen = new Set<string>();
    // 4 KiB a pool: 2,000 draws of 16 bytes use it about eight times over.
    for (let i = 0; i < 2_000; i++) {
      const nonce = randomText(16, 'base64url');
      expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
      seen.add(nonce);
    }
    expect(seen.size).toBe(2_000);
    expect(randomText(3, 'hex')).toMatch(/^[0-9a-f]{6}$/);
  });

  it('refuses a length it is not for', () => {
    expect(() => randomText(0, 'hex')).toThrow();
    expect(() => randomText(65, 'hex')).toThrow();
  });
});

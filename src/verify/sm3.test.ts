import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from './tlog-bytes.ts';
import { sm3, Sm3 } from './sm3.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('SM3', () => {
  // GB/T 32905-2016, Appendix A, examples 1 and 2.
  it('gives the known answers of GB/T 32905-2016 Appendix A', () => {
    expect(bytesToHex(sm3(utf8('abc')))).toBe('66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
    expect(bytesToHex(sm3(utf8('abcd'.repeat(16))))).toBe('debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732');
  });

  it('hashes the empty message (value from OpenSSL `dgst -sm3`)', () => {
    expect(bytesToHex(sm3(new Uint8Array()))).toBe('1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b');
  });

  it('gives the same digest however the input is split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(300), { maxLength: 5 }), (data, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
        const hash = new Sm3();
        let last = 0;
        for (const p of [...points, data.length]) {
          hash.update(data.subarray(last, p));
          last = p;
        }
        expect(bytesToHex(hash.digest())).toBe(bytesToHex(sm3(data)));
      }),
      { numRuns: 200 },
    );
  });

  it('handles the padding boundaries', () => {
    // Runs of "a" around the 55/56- and 64-byte edges; digests from OpenSSL 3.0.19 `openssl dgst -sm3`.
    const known: [number, string][] = [
      [55, '288337eef51eec62e7544d7270424c8dbe656254c99852870a73b2453a6a7fb1'],
      [56, 'ba00ebedaab54065a5fd4f9f56326016203166bcee3eed44ea868d59d67aa3c8'],
      [63, '587308543551881ebd70d27ad358ff5dcdf24ac54822e2f7b7c3edce0985d21b'],
      [64, '616ec433c359e7c2b19f360e2b8f2a1b6e9ed76b8dc1a7d207b31a5341c611e9'],
      [65, '3d1d94afa238ec3e2bbc20ad504702b24c16f2889c94973f2f8da3526c44e4bc'],
      [119, '53282a90724e9eb79b18d06b5b8f7f02d046e18b29247dcdb064a136d5c4459a'],
      [120, '4c9f0fe9f36ffe0191af73560c4afb1b671be02ba2d0e0c161b1e03488c2a45c'],
    ];
    for (const [length, digest] of known) expect(bytesToHex(sm3(new Uint8Array(length).fill(0x61)))).toBe(digest);
  });

  it('refuses to be used after digest()', () => {
    const hash = new Sm3();
    hash.digest();
    expect(() => hash.update(new Uint8Array(1))).toThrow();
  });
});

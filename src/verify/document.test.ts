import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { canonicalJson, fieldDigest } from './document.ts';

describe('fieldDigest', () => {
  it('is SHA-256 of the RFC 8785 form of [salt, name, value] for any strings (lone surrogates, controls, CJK)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string(), fc.string({ unit: 'grapheme' }), (salt, name, value) => {
        const expected = bytesToHex(sha256(utf8ToBytes(canonicalJson([salt, name, value]))));
        return fieldDigest({ salt, name, value }) === expected;
      }),
      { numRuns: 500 },
    );
    expect(fieldDigest({ salt: 's', name: 'holderName', value: '张伟' })).toBe(
      bytesToHex(sha256(utf8ToBytes('["s","holderName","张伟"]'))),
    );
  });
});

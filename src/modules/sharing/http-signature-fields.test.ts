import fc from 'fast-check';
import { isInnerList, parseDictionary, serializeDictionary, serializeList, type InnerList, type Parameters } from 'structured-headers';
import { describe, expect, it } from 'vitest';
import { componentItem, coveredList, signatureParams } from './http-signature-base.ts';
import { byteMember, readByteMember, readPlainInput } from './http-signature-fields.ts';
import { REQUEST_COMPONENTS, RESPONSE_COMPONENTS } from './http-signatures.ts';

const REQUEST = REQUEST_COMPONENTS.map(componentItem);
const RESPONSE = RESPONSE_COMPONENTS.map(componentItem);

/** The general library's serialization of a Signature-Input member. */
const library = (components: typeof REQUEST, params: Parameters) =>
  serializeList([[components.map(([n, p]) => [n, p]), params] as InnerList]);

const paramName = fc.constantFrom('created', 'expires', 'nonce', 'keyid', 'alg', 'tag', 'x-y');
/** Integers and strings in and out of the plain form: escapes, non-ASCII, long integers, negatives. */
const paramValue = fc.oneof(
  fc.nat({ max: 2 ** 40 }),
  fc.constantFrom(0, 999_999_999_999_999, -1, 1_000_000_000_000_000, 1.5),
  fc.string({ maxLength: 20 }),
  fc.constantFrom('sm2-sm3', 'a"b', 'a\\b', '张三', 'tab\there', ''),
);
const paramsOf = fc.uniqueArray(fc.tuple(paramName, paramValue), { selector: ([n]) => n, maxLength: 6 });

describe('the plain structured fields of the signature profile', () => {
  it('serializes the parameters as the general library does, or leaves them to it', () => {
    fc.assert(
      fc.property(fc.constantFrom(REQUEST, RESPONSE), paramsOf, (components, pairs) => {
        const params: Parameters = new Map(pairs);
        let expected: string | null;
        try {
          expected = library(components, params);
        } catch {
          expected = null; // not serializable at all (e.g. 1.5 is fine, but a non-finite or a 16-digit integer is not)
        }
        if (expected === null) {
          expect(() => signatureParams(components, params)).toThrow();
          return;
        }
        expect(signatureParams(components, params)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('reads a Signature-Input member as the general parser does, and only in the plain shape', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(REQUEST, RESPONSE),
        paramsOf,
        fc.constantFrom('', ', other=("@method")', ' '),
        (components, pairs, tail) => {
          let serialized: string;
          try {
            serialized = library(components, new Map(pairs));
          } catch {
            return;
          }
          const field = `sig=${serialized}${tail}`;
          const plain = readPlainInput(field, 'sig', coveredList(components));
          const member = parseDictionary(field).get('sig');
          if (!member || !isInnerList(member)) throw new Error('the library did not read its own field');
          const allPlain = pairs.every(
            ([, v]) =>
              (typeof v === 'number' && Number.isInteger(v) && v >= 0) ||
              (typeof v === 'string' && /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/.test(v)),
          );
          if (tail !== '' || !allPlain) {
            if (tail === ' ' && allPlain) return; // trailing space: the library trims it; the plain reader leaves it to the library
            expect(plain).toBeNull();
            return;
          }
          expect(plain).not.toBeNull();
          expect(plain!.serialized).toBe(serialized);
          expect([...plain!.params]).toEqual([...member[1]].map(([k, v]) => [k, typeof v === 'number' ? v : String(v)]));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses other component lists, repeated parameters and non-canonical integers', () => {
    const covered = coveredList(REQUEST);
    expect(readPlainInput(`sig=${covered};created=1;keyid="k"`, 'sig', covered)?.params.get('created')).toBe(1);
    expect(readPlainInput(`sig=${coveredList(RESPONSE)};created=1`, 'sig', covered)).toBeNull();
    expect(readPlainInput(`sig=${covered};created=1;created=2`, 'sig', covered)).toBeNull();
    expect(readPlainInput(`sig=${covered};created=01`, 'sig', covered)).toBeNull();
    expect(readPlainInput(`sig=${covered};created=-1`, 'sig', covered)).toBeNull();
    expect(readPlainInput(`sig=${covered};Created=1`, 'sig', covered)).toBeNull();
    expect(readPlainInput(`sig=${covered};alg=sm2`, 'sig', covered)).toBeNull(); // a token: the library's
    expect(readPlainInput(`other=${covered}`, 'sig', covered)).toBeNull();
  });

  it('writes and reads byte members as the library does, and leaves non-canonical base64 to it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.constantFrom('sig', 'sha-256'), (bytes, key) => {
        const field = byteMember(key, bytes);
        const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
        expect(field).toBe(serializeDictionary(new Map([[key, [copy, new Map()]]])));
        expect(readByteMember(field, key)).toEqual(Buffer.from(bytes));
      }),
      { numRuns: 300 },
    );
    // A view into a larger buffer is written as the view alone.
    const big = Buffer.from('0123456789');
    expect(byteMember('sig', big.subarray(2, 5))).toBe(`sig=:${Buffer.from('234').toString('base64')}:`);
    for (const odd of [
      'sig=:QUJD',
      'sig=:QUI:',
      'sig=:QU=I:',
      'sig=:QUJD:, x=:QQ==:',
      'sig=:QUJD:;p=1',
      'sig=:Q-JD:',
      'sigx=:QUJD:',
      'si=:QUJD:',
    ])
      expect(readByteMember(odd, 'sig')).toBeNull();
    expect(readByteMember('sig=::', 'sig')).toEqual(Buffer.alloc(0));
  });
});

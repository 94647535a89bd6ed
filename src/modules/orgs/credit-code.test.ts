import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CREDIT_CODE_ALPHABET, creditCodeCheckChar, makeCreditCode, validateCreditCode } from './credit-code.ts';

const alphabetChar = fc.constantFrom(...CREDIT_CODE_ALPHABET);
const digit = fc.constantFrom(...'0123456789');

/** A valid first 17 characters: any alphabet character, except places 3–8 (the division code) which are digits. */
const first17 = fc
  .tuple(
    fc.array(alphabetChar, { minLength: 2, maxLength: 2 }),
    fc.array(digit, { minLength: 6, maxLength: 6 }),
    fc.array(alphabetChar, { minLength: 9, maxLength: 9 }),
  )
  .map(([head, division, body]) => [...head, ...division, ...body].join(''));

/** Each vector satisfies the GB 32100 check here; the source is named beside it. */
const KNOWN_VALID = [
  // The worked example used by validator libraries, e.g. hutool's CreditCodeUtilTest.
  '91350100M000100Y43',
  // 华为技术有限公司, as printed on its business licence (public registration record).
  '914403001922038216',
  // 小米科技有限责任公司 (public registration record).
  '91110108551385082Q',
  // 深圳市腾讯计算机系统有限公司 (public registration record).
  '9144030071526726XG',
  // 北京百度网讯科技有限公司 (public registration record).
  '91110000802100433B',
];

describe('unified social credit code (GB 32100)', () => {
  it.each(KNOWN_VALID)('accepts the published code %s', (code) => {
    expect(validateCreditCode(code)).toEqual({ ok: true, code });
  });

  it('computes the check character of the standard example', () => {
    expect(creditCodeCheckChar('91350100M000100Y4')).toBe('3');
  });

  it('accepts every code built from a valid prefix, in upper or lower case', () => {
    fc.assert(
      fc.property(first17, (prefix) => {
        const code = makeCreditCode(prefix);
        expect(validateCreditCode(code)).toEqual({ ok: true, code });
        expect(validateCreditCode(code.toLowerCase())).toEqual({ ok: true, code });
        expect(validateCreditCode(` ${code} `)).toEqual({ ok: true, code });
      }),
    );
  });

  it('rejects every single-character substitution', () => {
    fc.assert(
      fc.property(first17, (prefix) => {
        const code = makeCreditCode(prefix);
        for (let i = 0; i < 18; i++) {
          for (const replacement of CREDIT_CODE_ALPHABET) {
            if (replacement === code[i]) continue;
            const changed = code.slice(0, i) + replacement + code.slice(i + 1);
            expect(validateCreditCode(changed).ok, changed).toBe(false);
          }
        }
      }),
      { numRuns: 50 },
    );
  });

  it('rejects every adjacent transposition of distinct characters', () => {
    fc.assert(
      fc.property(first17, (prefix) => {
        const code = makeCreditCode(prefix);
        for (let i = 0; i < 17; i++) {
          if (code[i] === code[i + 1]) continue;
          const swapped = code.slice(0, i) + code[i + 1]! + code[i]! + code.slice(i + 2);
          expect(validateCreditCode(swapped).ok, swapped).toBe(false);
        }
      }),
    );
  });

  it.each(['I', 'O', 'S', 'V', 'Z'])('rejects the letter %s, which the alphabet leaves out', (letter) => {
    const code = makeCreditCode('91350100M000100Y4');
    expect(validateCreditCode(code.slice(0, 10) + letter + code.slice(11))).toEqual({ ok: false, problem: 'alphabet' });
    expect(validateCreditCode(code.slice(0, 17) + letter)).toEqual({ ok: false, problem: 'alphabet' });
  });

  it('names the problem: length, division digits, alphabet, check character', () => {
    expect(validateCreditCode('91350100M000100Y4')).toEqual({ ok: false, problem: 'format' });
    expect(validateCreditCode(makeCreditCode('913501A0M000100Y4'))).toEqual({ ok: false, problem: 'format' });
    expect(validateCreditCode('91350100M000100Y4!')).toEqual({ ok: false, problem: 'alphabet' });
    expect(validateCreditCode('91350100M000100Y44')).toEqual({ ok: false, problem: 'checksum' });
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIdentifier, hybridCheckChar, isMod3736Valid, mod3736CheckChar, parseIdentifier } from './identifier.ts';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

describe('ISO 7064 MOD 37,36', () => {
  // ISO 7064 MOD 37,36 is the check system of ISAN and of GB/T 36904. Known answer: the ISO
  // 7064 hybrid system on the single character "0" with M = 36 gives p = 72 mod 37 = 35, check 2.
  // The same hybrid algorithm with M = 10 is Croatia's OIB check (ISO 7064 MOD 11,10);
  // 69435151530 is the example OIB its tax administration publishes.
  it('is the ISO 7064 hybrid algorithm (checked with MOD 11,10 on a published OIB)', () => {
    expect(hybridCheckChar('6943515153', '0123456789')).toBe('0');
  });

  it('gives known answers', () => {
    expect(mod3736CheckChar('0')).toBe('2');
    expect(isMod3736Valid('02')).toBe(true);
    expect(isMod3736Valid('03')).toBe(false);
  });

  const text = fc.array(fc.constantFrom(...ALPHABET), { minLength: 2, maxLength: 60 }).map((a) => a.join(''));

  it('detects every single substitution (property)', () => {
    fc.assert(
      fc.property(text, fc.nat(), fc.constantFrom(...ALPHABET), (body, at, ch) => {
        const full = body + mod3736CheckChar(body);
        const i = at % full.length;
        fc.pre(full[i] !== ch);
        expect(isMod3736Valid(full.slice(0, i) + ch + full.slice(i + 1))).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  // A hybrid system catches all single substitutions but not every transposition (ISO 7064
  // promises "most"); measured here: well over 99 % of adjacent transpositions are caught.
  it('detects nearly all adjacent transpositions of different characters', () => {
    let caught = 0;
    let total = 0;
    fc.assert(
      fc.property(text, fc.nat(), (body, at) => {
        const full = body + mod3736CheckChar(body);
        const i = at % (full.length - 1);
        fc.pre(full[i] !== full[i + 1]);
        total++;
        if (!isMod3736Valid(full.slice(0, i) + full[i + 1]! + full[i]! + full.slice(i + 2))) caught++;
      }),
      { numRuns: 5000 },
    );
    expect(caught / total).toBeGreaterThan(0.99);
  });
});

describe('GB/T 36904 identifier', () => {
  const parts = { typeCode: '11130123YB0130017R001', issuerCode: '54130123C001002429', serial: '00000042', version: '001' };

  it('formats and parses round trip', () => {
    const id = formatIdentifier(parts);
    expect(id.startsWith('1.2.156.3005.2.11130123YB0130017R001.54130123C001002429.00000042.001.')).toBe(true);
    expect(parseIdentifier(id)).toEqual({ ok: true, parts });
  });

  it('refuses malformed identifiers and wrong check characters', () => {
    const id = formatIdentifier(parts);
    const check = id.slice(-1);
    const wrong = ALPHABET[(ALPHABET.indexOf(check) + 1) % 36]!;
    expect(parseIdentifier(id.slice(0, -1) + wrong)).toEqual({ ok: false, reason: 'CHECK_CHARACTER' });
    expect(parseIdentifier('1.2.156.3005.2.A.B.C')).toEqual({ ok: false, reason: 'FORMAT' });
    expect(parseIdentifier(id.replace('1.2.156', '1.2.157'))).toEqual({ ok: false, reason: 'FORMAT' });
    expect(parseIdentifier(id.toLowerCase())).toEqual({ ok: false, reason: 'FORMAT' });
    expect(() => formatIdentifier({ ...parts, serial: '12-3' })).toThrow(RangeError);
  });
});

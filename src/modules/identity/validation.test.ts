import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.ts';
import { isNameLetter, NAME_DOT, normaliseName, normaliseResidentName } from './validation.ts';

const problemOf = (name: string): string | undefined => {
  try {
    normaliseResidentName(name);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('VALIDATION_FAILED');
    return ((error as AppError).details as { problem: string }).problem;
  }
};

// Ideographs from every accepted block: URO, Extension A, B (𪚥 U+2A6A5), C, D, E, F.
const ideograph = fc
  .oneof(
    fc.integer({ min: 0x4e00, max: 0x9fea }),
    fc.integer({ min: 0x3400, max: 0x4db5 }),
    fc.integer({ min: 0x20000, max: 0x2a6d6 }),
    fc.integer({ min: 0x2a700, max: 0x2b734 }),
    fc.integer({ min: 0x2b740, max: 0x2b81d }),
    fc.integer({ min: 0x2b820, max: 0x2cea1 }),
    fc.integer({ min: 0x2ceb0, max: 0x2ebe0 }),
  )
  .filter((cp) => /\p{Unified_Ideograph}/u.test(String.fromCodePoint(cp)))
  .map((cp) => String.fromCodePoint(cp));
const part = fc.array(ideograph, { minLength: 1, maxLength: 6 }).map((a) => a.join(''));
const hanName = fc
  .array(part, { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join(NAME_DOT))
  .filter((n) => [...n].length <= 50);

// Zero-width characters, joiners, word joiner, BOM, bidirectional marks, embeddings, overrides and isolates, soft hyphen.
const INVISIBLE = [
  '\u200b',
  '\u200c',
  '\u200d',
  '\u2060',
  '\ufeff',
  '\u200e',
  '\u200f',
  '\u061c',
  '\u202a',
  '\u202b',
  '\u202c',
  '\u202d',
  '\u202e',
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
  '\u00ad',
  '\u0000',
  '\u001b',
  '\u0085',
  '\u2028',
];
const EMOJI = ['😀', '❤', '🇨🇳', '👨‍👩‍👧', '🀄', '✅', '©'];
const MARKS = ['\u0301', '\u0308', '\u20dd', '\u3099', '\ufe0f', '\u{e0100}', '\u0489'];

const insertAt = (name: string, at: number, extra: string) => {
  const chars = [...name];
  const i = at % (chars.length + 1);
  return [...chars.slice(0, i), extra, ...chars.slice(i)].join('');
};

describe('resident names (real-name registration)', () => {
  it('accepts Chinese names of every supported block, 生僻字 included, in parts joined by the middle dot, unchanged', () => {
    fc.assert(fc.property(hanName, (name) => normaliseResidentName(name) === name));
    expect(normaliseResidentName('王𪚥')).toBe('王𪚥');
    expect(normaliseResidentName(' 买买提·艾力 ')).toBe('买买提·艾力');
    expect(normaliseResidentName('JOHN SMITH')).toBe('JOHN SMITH');
  });

  it('stores the middle dot look-alikes that input methods type as U+00B7', () => {
    for (const dot of ['\u30fb', '\uff65', '\u2022', '\u2027', '\u2219', '\u22c5', '\u00b7'])
      expect(normaliseResidentName(`阿依古丽${dot}买买提`)).toBe('阿依古丽·买买提');
  });

  it('refuses a control or format character (zero-width, bidi overrides) anywhere, saying so', () => {
    const inside = hanName.filter((n) => [...n].length >= 2);
    fc.assert(
      fc.property(
        inside,
        fc.constantFrom(...INVISIBLE),
        fc.nat(),
        (name, bad, at) => problemOf(insertAt(name, 1 + (at % ([...name].length - 1)), bad)) === 'invisible',
      ),
    );
    // At either end too, unless trimming removes it (a BOM or line separator): then it is not stored.
    for (const bad of INVISIBLE) expect([undefined, 'invisible']).toContain(problemOf(`${bad}张伟${bad}`));
    for (const bad of INVISIBLE) if (problemOf(`${bad}张伟`) === undefined) expect(normaliseResidentName(`${bad}张伟`)).toBe('张伟');
    // Inside a name there is no trimming to hide behind.
    expect(problemOf('张\u200b伟')).toBe('invisible');
    expect(problemOf('张\u202e伟')).toBe('invisible');
    expect(problemOf('\u2066张伟\u2069')).toBe('invisible');
  });

  it('refuses emoji anywhere', () => {
    fc.assert(fc.property(hanName, fc.constantFrom(...EMOJI), fc.nat(), (name, bad, at) => problemOf(insertAt(name, at, bad)) === 'emoji'));
  });

  it('refuses combining marks that do not compose into a letter (a mark on a Chinese character, stacked marks)', () => {
    fc.assert(fc.property(hanName, fc.constantFrom(...MARKS), (name, mark) => problemOf(name + mark) === 'mark'));
    expect(problemOf('张伟\u0301\u0301\u0301')).toBe('mark');
  });

  it('refuses ideographs the fonts cannot draw yet, and other characters, each with its reason', () => {
    expect(problemOf('张𰻞')).toBe('ideograph'); // Extension G
    expect(problemOf('张\u9fff')).toBe('ideograph'); // added in Unicode 14
    expect(problemOf('张3')).toBe('character');
    expect(problemOf('张⼀')).toBe('character'); // a Kangxi radical, not an ideograph
    expect(problemOf('José')).toBe('character');
    expect(problemOf('张A')).toBe('form');
    expect(problemOf('·张伟')).toBe('form');
    expect(problemOf('张··伟')).toBe('form');
    expect(problemOf('张 伟')).toBe('form');
    expect(problemOf('JOHN  SMITH')).toBe('form');
    expect(problemOf('   ')).toBe('length');
    expect(problemOf('张'.repeat(51))).toBe('length');
  });

  it('whatever it is given, what it accepts is letters, dots and spaces only, and normalising again changes nothing', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }), hanName),
        (input) => {
          let name: string;
          try {
            name = normaliseResidentName(input);
          } catch (error) {
            return error instanceof AppError && error.code === 'VALIDATION_FAILED';
          }
          return (
            [...name].every((ch) => ch === NAME_DOT || ch === ' ' || isNameLetter(ch.codePointAt(0)!)) &&
            normaliseResidentName(name) === name
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('composes what NFC composes: a compatibility ideograph becomes its unified one', () => {
    expect(normaliseResidentName('\uf900')).toBe('\u8c48');
  });
});

describe('staff display names', () => {
  it('allow what they did (letters, digits), but no control or format characters', () => {
    expect(normaliseName('测试village_reviewer')).toBe('测试village_reviewer');
    expect(() => normaliseName('审核员\u202e')).toThrow(AppError);
    expect(() => normaliseName('审核\u200b员')).toThrow(AppError);
  });
});

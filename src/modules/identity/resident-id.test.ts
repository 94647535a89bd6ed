import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeResidentId, maskResidentId, maskResidentIdsInText, parseResidentId, residentIdCheckChar } from './resident-id.ts';

const TODAY = '2025-06-01';
const PROVINCES = [
  '11',
  '12',
  '13',
  '14',
  '15',
  '21',
  '22',
  '23',
  '31',
  '32',
  '33',
  '34',
  '35',
  '36',
  '37',
  '41',
  '42',
  '43',
  '44',
  '45',
  '46',
  '50',
  '51',
  '52',
  '53',
  '54',
  '61',
  '62',
  '63',
  '64',
  '65',
  '71',
  '81',
  '82',
];

const addressCode = fc
  .tuple(fc.constantFrom(...PROVINCES), fc.integer({ min: 0, max: 9999 }))
  .map(([p, rest]) => p + String(rest).padStart(4, '0'));
const birthDate = fc
  .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date(`${TODAY}T00:00:00Z`), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const validId = fc
  .tuple(addressCode, birthDate, fc.integer({ min: 0, max: 999 }))
  .map(([a, b, s]) => ({ id: makeResidentId(a, b, s), addressCode: a, birthDate: b, sequence: s }));

const ID_CHARS = '0123456789X';

describe('parseResidentId', () => {
  it('accepts every ID built from a valid province, address code, real date and sequence', () => {
    fc.assert(
      fc.property(validId, ({ id, addressCode: a, birthDate: b, sequence }) => {
        const parsed = parseResidentId(id, TODAY);
        expect(parsed).toEqual({
          ok: true,
          value: { id, addressCode: a, birthDate: b, gender: sequence % 2 === 1 ? 'male' : 'female' },
        });
      }),
    );
  });

  it('rejects every single-character substitution', () => {
    fc.assert(
      fc.property(validId, fc.nat(17), fc.nat(10), ({ id }, position, pick) => {
        const replacement = ID_CHARS.replace(id[position]!, '')[pick % 10]!;
        const changed = id.slice(0, position) + replacement + id.slice(position + 1);
        expect(parseResidentId(changed, TODAY).ok).toBe(false);
      }),
    );
  });

  it('rejects every adjacent transposition of distinct characters', () => {
    fc.assert(
      fc.property(validId, fc.nat(16), ({ id }, i) => {
        fc.pre(id[i] !== id[i + 1]);
        const swapped = id.slice(0, i) + id[i + 1]! + id[i]! + id.slice(i + 2);
        expect(parseResidentId(swapped, TODAY).ok).toBe(false);
      }),
    );
  });

  it('accepts a lower-case x and normalises it to X', () => {
    fc.assert(
      fc.property(
        validId.filter(({ id }) => id.endsWith('X')),
        ({ id }) => {
          const parsed = parseResidentId(id.toLowerCase(), TODAY);
          expect(parsed.ok && parsed.value.id).toBe(id);
        },
      ),
    );
  });

  // Known answers. The first is the example printed in GB 11643-1999 itself; the others were
  // computed by hand with the ISO 7064 MOD 11-2 weights (7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2).
  it.each([
    ['11010519491231002X', '110105', '1949-12-31', 'female'],
    ['130123199003070013', '130123', '1990-03-07', 'male'],
    ['440308200002290036', '440308', '2000-02-29', 'male'],
    ['330102198801011238', '330102', '1988-01-01', 'male'],
    ['650101197001010003', '650101', '1970-01-01', 'female'],
    ['110101200012319996', '110101', '2000-12-31', 'male'],
  ])('accepts the known-answer vector %s', (id, a, b, gender) => {
    expect(residentIdCheckChar(id.slice(0, 17))).toBe(id[17]);
    expect(parseResidentId(id, TODAY)).toEqual({ ok: true, value: { id, addressCode: a, birthDate: b, gender } });
  });

  it.each([
    ['130123199003070017', 'checksum'],
    ['13012319900307001', 'format'],
    ['1301231990030700133', 'format'],
    ['13012319900307001Y', 'format'],
    [makeResidentId('130123', '2025-06-02', 1), 'future_birth_date'],
    [makeResidentId('130123', '1990-02-30', 1), 'birth_date'],
    [makeResidentId('130123', '2023-02-29', 1), 'birth_date'],
    [makeResidentId('130123', '1990-13-01', 1), 'birth_date'],
    [makeResidentId('990123', '1990-03-07', 1), 'province'],
    [makeResidentId('000000', '1990-03-07', 1), 'province'],
  ])('refuses %s (%s)', (id, problem) => {
    expect(parseResidentId(id, TODAY)).toEqual({ ok: false, problem });
  });
});

describe('masking', () => {
  it('keeps the address code and the last four characters', () => {
    expect(maskResidentId('11010519491231002X')).toBe('110105********002X');
    fc.assert(
      fc.property(validId, ({ id }) => {
        const masked = maskResidentId(id);
        expect(masked).toMatch(/^\d{6}\*{8}\d{3}[\dX]$/);
        expect(masked.slice(0, 6) + masked.slice(14)).toBe(id.slice(0, 6) + id.slice(14));
      }),
    );
  });

  it('masks IDs inside text but leaves longer digit runs alone', () => {
    expect(maskResidentIdsInText('居民 11010519491231002X 和 130123199003070013x 已提交')).toBe(
      '居民 110105********002X 和 130123199003070013x 已提交',
    );
    expect(maskResidentIdsInText('id=11010519491231002x,phone=13812345678')).toBe('id=110105********002x,phone=13812345678');
    expect(maskResidentIdsInText('{"residentId":"130123199003070013"}')).toBe('{"residentId":"130123********0013"}');
    expect(maskResidentIdsInText('order 1301231990030700131 and 91301231990030700133')).toBe(
      'order 1301231990030700131 and 91301231990030700133',
    );
    fc.assert(
      fc.property(validId, fc.string({ maxLength: 20 }), ({ id }, noise) => {
        const text = `${noise} ${id} ${noise}`;
        expect(maskResidentIdsInText(text)).not.toContain(id);
      }),
    );
  });
});

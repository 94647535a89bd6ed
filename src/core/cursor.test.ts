import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from './errors.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { hasUnsafeText } from './values.ts';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (error) {
    return error instanceof AppError ? error.code : 'other';
  }
};

describe('page cursors', () => {
  it('round-trips strings and finite numbers', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 20 }).filter((s) => !hasUnsafeText(s));
    fc.assert(
      fc.property(fc.array(fc.oneof(text, fc.integer()), { minLength: 1, maxLength: 3 }), (values) => {
        expect(decodeCursor(encodeCursor(values), values.length)).toEqual(values);
      }),
    );
  });

  it('refuses a cursor whose values PostgreSQL would choke on (NUL, lone surrogate, control characters)', () => {
    for (const bad of ['a\u0000', '\ud800', 'x\u001b']) {
      expect(
        codeOf(() => decodeCursor(encodeCursor([bad, 1]), 2)),
        JSON.stringify(bad),
      ).toBe('VALIDATION_FAILED');
    }
    expect(codeOf(() => decodeCursor(Buffer.from('["2026-01-01", 1e999]').toString('base64url'), 2))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => decodeCursor('not base64 json', 2))).toBe('VALIDATION_FAILED');
  });
});

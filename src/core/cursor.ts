import { AppError } from './errors.ts';
import { hasUnsafeText } from './values.ts';
import { message } from './messages.ts';

/** Keyset cursors are base64url JSON arrays: opaque to clients, checked on the way in. */
export function encodeCursor(values: (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor(cursor: string, arity: number): (string | number)[] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // A string with a control character (a NUL above all) would make the database throw.
    const fine = (v: unknown) => (typeof v === 'string' && !hasUnsafeText(v)) || (typeof v === 'number' && Number.isFinite(v));
    if (Array.isArray(parsed) && parsed.length === arity && parsed.every(fine)) {
      return parsed as (string | number)[];
    }
  } catch {
    // fall through to the error below
  }
  throw new AppError('VALIDATION_FAILED', { detail: message('cursor.invalid') });
}

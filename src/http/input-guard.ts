import type { FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.ts';
import { hasUnsafeText } from '../core/values.ts';
import { message } from '../core/messages.ts';

/**
 * Text PostgreSQL cannot store, refused before any route sees it. A NUL byte in a `text` value
 * (and `\u0000` or a lone surrogate in `jsonb`) makes the database throw, which used to surface
 * as a 500 from whichever query met it first. Path and query values are identifiers and search
 * words, so every control character is refused there; a JSON body keeps tab, line feed and
 * carriage return, which free text (an address, a reason) may contain.
 */
/** Where the first unsafe string (value or object key) sits in `value`, or null. Iterative: a body may nest deeply. */
export function findUnsafeText(value: unknown, root: string, options: { freeText?: boolean } = { freeText: true }): string | null {
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [current, where] = stack.pop()!;
    if (typeof current === 'string') {
      if (hasUnsafeText(current, options)) return where;
    } else if (Array.isArray(current)) {
      current.forEach((item, i) => stack.push([item, `${where}[${i}]`]));
    } else if (current !== null && typeof current === 'object') {
      for (const [key, item] of Object.entries(current)) {
        if (hasUnsafeText(key, options)) return where;
        stack.push([item, `${where}.${key}`]);
      }
    }
  }
  return null;
}

/** preValidation hook: refuses control characters and broken UTF-16 in params, query and body with one 400. */
export async function rejectUnsafeText(request: FastifyRequest): Promise<void> {
  const where =
    findUnsafeText(request.params, 'params', { freeText: false }) ??
    findUnsafeText(request.query, 'querystring', { freeText: false }) ??
    findUnsafeText(request.body, 'body', { freeText: true });
  if (where === null) return;
  throw new AppError('VALIDATION_FAILED', { detail: message('http.controlCharacter', { where }) }, [
    { where, reason: 'control_character' },
  ]);
}

/**
 * preHandler hook: Ajv coerces a path or query string such as `1e309` to Infinity, calls it an
 * integer and skips its minimum and maximum (they only look at finite numbers); this refuses what
 * slipped through that way, after validation, with the same 400 as any other bad value.
 */
export async function rejectNonFiniteNumbers(request: FastifyRequest): Promise<void> {
  for (const [context, values] of [
    ['params', request.params],
    ['querystring', request.query],
  ] as const) {
    if (values === null || typeof values !== 'object') continue;
    for (const [name, value] of Object.entries(values)) {
      if (typeof value === 'number' && !Number.isFinite(value)) {
        throw new AppError('VALIDATION_FAILED', {
          detail: message('http.outOfRange', { field: `${context}.${name}` }),
        });
      }
    }
  }
}

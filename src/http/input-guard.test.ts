import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../core/errors.ts';
import { findUnsafeText, rejectNonFiniteNumbers, rejectUnsafeText } from './input-guard.ts';
import type { FastifyRequest } from 'fastify';

const request = (parts: { params?: unknown; query?: unknown; body?: unknown }) => parts as unknown as FastifyRequest;
const codeOf = async (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (e: unknown) => (e instanceof AppError ? e.code : 'other'),
  );

describe('input guard', () => {
  it('finds a NUL, a control character or a lone surrogate anywhere in a body, keys included', () => {
    expect(findUnsafeText({ a: [{ b: 'x\u0000y' }] }, 'body')).toBe('body.a[0].b');
    expect(findUnsafeText({ 'k\u0000': 1 }, 'body')).toBe('body');
    expect(findUnsafeText(['\ud800'], 'body')).toBe('body[0]');
    expect(findUnsafeText('\udc00', 'body')).toBe('body');
    expect(findUnsafeText({ text: '第一行\n第二行\t\r', emoji: '𠮷👨‍👩‍👧' }, 'body')).toBeNull();
  });

  it('walks a deeply nested body without recursion', () => {
    let deep: unknown = 'a\u0001';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnsafeText(deep, 'body')).toMatch(/^body(\[0\])+$/);
  });

  it('flags every string with a character below U+0020 other than tab and line breaks, and no other string', () => {
    const isControl = (s: string) => [...s].some((c) => c.charCodeAt(0) < 0x20 && !'\t\n\r'.includes(c));
    const safeChar = fc.string({ unit: 'grapheme', maxLength: 10 }).filter((s) => !isControl(s));
    const control = fc.constantFrom(...Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).filter((c) => !'\t\n\r'.includes(c)));
    fc.assert(fc.property(safeChar, control, safeChar, (a, c, b) => findUnsafeText({ v: a + c + b }, 'body') === 'body.v'));
    fc.assert(fc.property(safeChar, (s) => findUnsafeText({ v: s }, 'body') === null));
  });

  it('refuses control characters in params and query (line breaks too) with VALIDATION_FAILED', async () => {
    expect(await codeOf(rejectUnsafeText(request({ params: { code: '\u0000' } })))).toBe('VALIDATION_FAILED');
    expect(await codeOf(rejectUnsafeText(request({ query: { q: 'a\nb' } })))).toBe('VALIDATION_FAILED');
    expect(await codeOf(rejectUnsafeText(request({ query: { q: ['ok', '\u007f'] } })))).toBe('VALIDATION_FAILED');
    expect(
      await codeOf(rejectUnsafeText(request({ params: { code: 'cert.residence' }, query: { q: '居住证明' }, body: { reason: 'a\nb' } }))),
    ).toBe('ok');
  });

  it('refuses an Infinity that Ajv coerced from a path or query string', async () => {
    expect(await codeOf(rejectNonFiniteNumbers(request({ params: { index: Infinity } })))).toBe('VALIDATION_FAILED');
    expect(await codeOf(rejectNonFiniteNumbers(request({ query: { size: -Infinity } })))).toBe('VALIDATION_FAILED');
    expect(await codeOf(rejectNonFiniteNumbers(request({ params: { index: 12 }, query: { size: 3 } })))).toBe('ok');
  });
});

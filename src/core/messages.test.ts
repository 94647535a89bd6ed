import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError, ERROR_CODES, formatMessage, notFound, type ErrorCode } from './errors.ts';
import { fillTemplate, message, MESSAGES, NOUNS, type MessageKey } from './messages.ts';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('the message catalogue', () => {
  it.each(Object.keys(MESSAGES) as MessageKey[])('%s: both languages, the same placeholders', (key) => {
    const { zh, en } = MESSAGES[key];
    expect(zh.trim()).not.toBe('');
    expect(en.trim()).not.toBe('');
    expect(/\p{Script=Han}/u.test(zh) || key === 'identity.name.atCodePoint', 'the Chinese text is Chinese').toBe(true);
    if (key !== 'identity.roles.notAtLevel') expect(placeholders(zh)).toEqual(placeholders(en));
  });

  it.each(Object.keys(ERROR_CODES) as ErrorCode[])('error %s: both languages, the same placeholders', (code) => {
    expect(placeholders(ERROR_CODES[code].zh)).toEqual(placeholders(ERROR_CODES[code].en));
  });

  it('fills placeholders, a pair param in each language', () => {
    expect(message('catalog.form.tooLong', { label: { zh: '用途', en: 'Purpose' }, max: 20 })).toEqual({
      zh: '“用途”最多 20 个字',
      en: 'Purpose must have at most 20 characters',
    });
    expect(message('cursor.invalid')).toEqual({ zh: '分页游标无效', en: 'invalid page cursor' });
  });

  it('inserts a param as it is: braces in it are not filled again (property)', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        expect(fillTemplate('<{a}>', { a: value, b: 'x' }, 'en')).toBe(`<${value}>`);
      }),
    );
  });

  it('an error message names its noun in the caller’s language, and a plain string stays as given', () => {
    expect(formatMessage('NOT_FOUND', { what: 'helper' }, 'zh-CN')).toBe(`未找到${NOUNS.helper.zh}`);
    expect(notFound('case').message).toBe('Case not found');
    expect(new AppError('NOT_FOUND', { what: 'constructor' }).message).toBe('constructor not found');
    expect(new AppError('VALIDATION_FAILED', { detail: message('http.bodyEmpty') }).message).toBe(
      'The request is invalid: the body is empty',
    );
  });
});

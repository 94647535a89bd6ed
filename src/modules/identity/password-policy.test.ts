import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkPasswordPolicy, MIN_PASSWORD_LENGTH, passwordProblem } from './password-policy.ts';

describe('password policy', () => {
  it('refuses the passwords the old rule accepted: password1, abcdefg1 and "        1a"', () => {
    for (const weak of ['password1', 'abcdefg1', '        1a']) {
      expect(() => checkPasswordPolicy(weak)).toThrow(expect.objectContaining({ code: 'WEAK_PASSWORD' }));
    }
    expect(passwordProblem('password1')).toBe('too_short');
    expect(passwordProblem('        1a')).toBe('guessable');
  });

  it('refuses the old demo password Yiban2026 and common passwords of ten characters and more', () => {
    for (const weak of ['Yiban2026', 'password12', 'qwertyuiop', 'aaaaaaaaaaaa', '1234567890', 'iloveyou123', 'P@ssw0rd2026']) {
      expect(passwordProblem(weak), weak).not.toBeNull();
    }
  });

  it('accepts a strong password, also in Chinese', () => {
    for (const strong of ['Lianghao-Mima-731', 'correct horse battery staple', '密码安全度很高2025年春']) {
      expect(passwordProblem(strong), strong).toBeNull();
      expect(() => checkPasswordPolicy(strong)).not.toThrow();
    }
  });

  it("refuses a password made of the account's own login or name", () => {
    const login = 'zhangwei-zhengding';
    expect(passwordProblem('zhangwei-zhengding1')).toBeNull();
    expect(passwordProblem('zhangwei-zhengding1', [login])).toBe('guessable');
  });

  it('says why, in both languages, with a stable reason in the details', () => {
    try {
      checkPasswordPolicy('abcdefg1');
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'WEAK_PASSWORD', details: { reason: 'too_short' } });
      expect((error as Error).message).toContain('fewer than 10 characters');
    }
    expect(() => checkPasswordPolicy('a'.repeat(129))).toThrow(
      expect.objectContaining({ code: 'WEAK_PASSWORD', details: { reason: 'too_long' } }),
    );
  });

  it('never accepts anything shorter than the minimum', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: MIN_PASSWORD_LENGTH - 1, unit: 'grapheme' }), (password) => {
        fc.pre([...password].length < MIN_PASSWORD_LENGTH);
        expect(passwordProblem(password)).toBe('too_short');
      }),
      { numRuns: 200 },
    );
  });
});

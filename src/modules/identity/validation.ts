export { chinaDate as chinaToday, isUuid } from '../../core/values.ts';
import { AppError } from '../../core/errors.ts';

/** Mainland mobile numbers: 11 digits starting 13–19. */
export const PHONE_PATTERN = /^1[3-9]\d{9}$/;
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{2,31}$/;

export function normalisePhone(phone: string): string {
  const trimmed = phone.trim();
  if (!PHONE_PATTERN.test(trimmed)) throw new AppError('INVALID_PHONE');
  return trimmed;
}

/** `13812345678` → `138****5678`. */
export function maskPhone(phone: string): string {
  return phone.length === 11 ? `${phone.slice(0, 3)}****${phone.slice(7)}` : '*'.repeat(phone.length);
}

/** A person's name: trimmed, 1–50 characters, no control characters. */
export function normaliseName(name: string): string {
  const trimmed = name.trim();
  const length = [...trimmed].length;
  if (length < 1 || length > 50 || /\p{Cc}/u.test(trimmed)) {
    throw new AppError('VALIDATION_FAILED', {
      detail: { zh: '姓名应为 1–50 个字符', en: 'the name must have 1–50 characters' },
    });
  }
  return trimmed;
}

export function normaliseUsername(username: string): string {
  const lowered = username.trim().toLowerCase();
  if (!USERNAME_PATTERN.test(lowered)) {
    throw new AppError('VALIDATION_FAILED', {
      detail: {
        zh: '用户名应为 3–32 个小写字母、数字、点、下划线或连字符',
        en: 'the username must be 3–32 lower-case letters, digits, dots, underscores or hyphens',
      },
    });
  }
  return lowered;
}

/** The SQLSTATE of a database error, looking through drizzle's wrapper. */
export function pgErrorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

export function isUniqueViolation(error: unknown): boolean {
  return pgErrorCode(error) === '23505';
}

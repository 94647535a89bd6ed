export { chinaDate as chinaToday, isUuid } from '../../core/values.ts';
import { AppError } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';

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

/** A staff member's display name: trimmed, 1–50 characters, no control or format characters. */
export function normaliseName(name: string): string {
  const trimmed = name.normalize('NFC').trim();
  const length = [...trimmed].length;
  if (length < 1 || length > 50) throw nameError('length');
  const invisible = /[\p{Cc}\p{Cf}]/u.exec(trimmed);
  if (invisible) throw nameError('invisible', invisible[0]);
  return trimmed;
}

/**
 * The ideographs a resident's name may hold: those of Unicode 10 — the URO (4E00–9FEA),
 * Extension A (3400–4DB5), the twelve unified ideographs among the compatibility ones, and
 * Extensions B–F — which the certificate fonts draw (Noto Serif SC, then HanaMinA/B; a test
 * checks every one). Later additions (9FEB–9FFF, 4DB6–4DBF, Extension G and beyond) are refused
 * with their own message until a font covers them.
 */
const NAME_IDEOGRAPHS: readonly (readonly [number, number])[] = [
  [0x3400, 0x4db5],
  [0x4e00, 0x9fea],
  [0xfa0e, 0xfa29],
  [0x20000, 0x2a6d6],
  [0x2a700, 0x2b734],
  [0x2b740, 0x2b81d],
  [0x2b820, 0x2cea1],
  [0x2ceb0, 0x2ebe0],
];

/**
 * The separator of names of several parts (少数民族 and transliterated names, 买买提·艾力) is the
 * middle dot U+00B7, as on the ID card. Input methods type look-alikes: the katakana middle dot
 * ・ U+30FB (and its half-width ･ U+FF65), the bullet • U+2022, the hyphenation point ‧ U+2027,
 * the bullet operator ∙ U+2219 and the dot operator ⋅ U+22C5. They are stored as U+00B7.
 */
export const NAME_DOT = '\u00b7';
const DOT_LOOKALIKES = /[\u30fb\uff65\u2022\u2027\u2219\u22c5]/gu;

/** Whether a code point may stand in a resident's name as one of its letters (not the dot). */
export function isNameLetter(codePoint: number): boolean {
  if ((codePoint >= 0x41 && codePoint <= 0x5a) || (codePoint >= 0x61 && codePoint <= 0x7a)) return true;
  return (
    NAME_IDEOGRAPHS.some(([from, to]) => codePoint >= from && codePoint <= to) &&
    /\p{Unified_Ideograph}/u.test(String.fromCodePoint(codePoint))
  );
}

const HAN_NAME = /^[^\u00b7 A-Za-z]+(?:\u00b7[^\u00b7 A-Za-z]+)*$/u;
const LATIN_NAME = /^[A-Za-z]+(?:[ \u00b7][A-Za-z]+)*$/u;

/**
 * A resident's name under real-name registration: NFC, trimmed, 1–50 characters; either Chinese
 * characters (生僻字 of Extensions B–F included) in parts joined by single middle dots, or Latin
 * letters in words joined by single spaces or dots (the name on a foreigner's permanent residence
 * card). Refused, each with a message saying why: control and format characters (zero-width
 * characters, bidirectional overrides), emoji, combining marks (a mark that does not compose
 * into a letter under NFC), ideographs the fonts cannot draw yet, and anything else.
 */
export function normaliseResidentName(name: string): string {
  const text = name.normalize('NFC').replace(DOT_LOOKALIKES, NAME_DOT).trim();
  const chars = [...text];
  if (chars.length < 1 || chars.length > 50) throw nameError('length');
  for (const ch of chars) {
    const cp = ch.codePointAt(0)!;
    if (ch === NAME_DOT || ch === ' ' || isNameLetter(cp)) continue;
    if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(ch) || /\s/u.test(ch)) throw nameError('invisible', ch);
    if (/\p{M}/u.test(ch)) throw nameError('mark', ch);
    if (/[\p{Extended_Pictographic}\p{Emoji_Presentation}\p{Regional_Indicator}]/u.test(ch)) throw nameError('emoji', ch);
    if (/\p{Unified_Ideograph}/u.test(ch)) throw nameError('ideograph', ch);
    throw nameError('character', ch);
  }
  if (!HAN_NAME.test(text) && !LATIN_NAME.test(text)) throw nameError('form');
  return text;
}

type NameProblem = 'length' | 'invisible' | 'mark' | 'emoji' | 'ideograph' | 'character' | 'form';

function nameError(problem: NameProblem, ch?: string): AppError {
  const codePoint = ch === undefined ? undefined : `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  const detail = message(`identity.name.${problem}`);
  return new AppError(
    'VALIDATION_FAILED',
    { detail: codePoint ? message('identity.name.atCodePoint', { problem: detail, codePoint }) : detail },
    { field: 'name', problem, ...(codePoint ? { codePoint } : {}) },
  );
}

export function normaliseUsername(username: string): string {
  const lowered = username.trim().toLowerCase();
  if (!USERNAME_PATTERN.test(lowered)) {
    throw new AppError('VALIDATION_FAILED', {
      detail: message('identity.username.format'),
    });
  }
  return lowered;
}

export { isUniqueViolation } from '../../db/pg-errors.ts';

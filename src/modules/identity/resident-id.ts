/**
 * 居民身份证号码 (GB 11643-1999): 6-digit address code, 8-digit birth date, 3-digit sequence
 * (odd for men, even for women) and an ISO 7064 MOD 11-2 check character.
 */
import { message, type Bilingual } from '../../core/messages.ts';

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';

/** Province-level codes (GB/T 2260), including Taiwan, Hong Kong and Macao. */
const PROVINCE_CODES = new Set([
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
]);

export type ResidentIdProblem = 'format' | 'checksum' | 'province' | 'birth_date' | 'future_birth_date';

export interface ParsedResidentId {
  /** Normalised: upper-case X. */
  id: string;
  addressCode: string;
  birthDate: string;
  gender: 'male' | 'female';
}

export type ResidentIdResult = { ok: true; value: ParsedResidentId } | { ok: false; problem: ResidentIdProblem };

export function residentIdCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11]!;
}

/** Validates a resident ID number; `today` (YYYY-MM-DD) bounds the birth date. */
export function parseResidentId(input: string, today: string = new Date().toISOString().slice(0, 10)): ResidentIdResult {
  const id = input.trim().toUpperCase();
  if (!/^\d{17}[\dX]$/.test(id)) return { ok: false, problem: 'format' };
  if (residentIdCheckChar(id.slice(0, 17)) !== id[17]) return { ok: false, problem: 'checksum' };
  if (!PROVINCE_CODES.has(id.slice(0, 2))) return { ok: false, problem: 'province' };
  const y = Number(id.slice(6, 10));
  const m = Number(id.slice(10, 12));
  const d = Number(id.slice(12, 14));
  const date = new Date(Date.UTC(y, m - 1, d));
  if (y < 1880 || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    return { ok: false, problem: 'birth_date' };
  }
  const birthDate = `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
  if (birthDate > today) return { ok: false, problem: 'future_birth_date' };
  return {
    ok: true,
    value: { id, addressCode: id.slice(0, 6), birthDate, gender: Number(id[16]) % 2 === 1 ? 'male' : 'female' },
  };
}

/** The problem in words: the catalogue's `identity.residentId.<problem>`. */
export function residentIdProblemText(problem: ResidentIdProblem): Bilingual {
  return message(`identity.residentId.${problem}`);
}

/** @deprecated for residentIdProblemText; src/modules/sharing still reads it. */
export const RESIDENT_ID_PROBLEM_TEXT: Record<ResidentIdProblem, Bilingual> = {
  format: residentIdProblemText('format'),
  checksum: residentIdProblemText('checksum'),
  province: residentIdProblemText('province'),
  birth_date: residentIdProblemText('birth_date'),
  future_birth_date: residentIdProblemText('future_birth_date'),
};

/** `130123199003070017` → `130123********0017`. */
export function maskResidentId(id: string): string {
  if (id.length !== 18) return '*'.repeat(id.length);
  return `${id.slice(0, 6)}********${id.slice(14)}`;
}

const ID_IN_TEXT = /(?<![\dA-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![\dA-Za-z])/g;

/** Masks every resident-ID-shaped number inside free text (log lines, messages). */
export function maskResidentIdsInText(text: string): string {
  return text.replace(ID_IN_TEXT, '$1********$2');
}

/** Builds a valid ID from its parts; for demo data and tests. */
export function makeResidentId(addressCode: string, birthDate: string, sequence: number): string {
  const first17 = `${addressCode}${birthDate.replace(/-/g, '')}${String(sequence).padStart(3, '0')}`;
  return first17 + residentIdCheckChar(first17);
}

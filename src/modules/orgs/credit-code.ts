/**
 * 统一社会信用代码 (GB 32100-2015): registration authority, organisation category, 6-digit
 * division code, 9-character organisation code, and a check character. The alphabet leaves
 * out I, O, S, V and Z; weights are 3^(i-1) mod 31; check = (31 − Σ mod 31) mod 31.
 */

export const CREDIT_CODE_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = Array.from({ length: 17 }, (_, i) => {
  let w = 1;
  for (let k = 0; k < i; k++) w = (w * 3) % 31;
  return w;
});

export type CreditCodeProblem = 'format' | 'alphabet' | 'checksum';

export function creditCodeCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const value = CREDIT_CODE_ALPHABET.indexOf(first17[i]!);
    if (value < 0) throw new RangeError(`character ${first17[i]} is not in the GB 32100 alphabet`);
    sum += value * WEIGHTS[i]!;
  }
  return CREDIT_CODE_ALPHABET[(31 - (sum % 31)) % 31]!;
}

export function validateCreditCode(input: string): { ok: true; code: string } | { ok: false; problem: CreditCodeProblem } {
  const code = input.trim().toUpperCase();
  if (code.length !== 18) return { ok: false, problem: 'format' };
  for (const ch of code) if (!CREDIT_CODE_ALPHABET.includes(ch)) return { ok: false, problem: 'alphabet' };
  if (!/^\d{6}$/.test(code.slice(2, 8))) return { ok: false, problem: 'format' };
  if (creditCodeCheckChar(code.slice(0, 17)) !== code[17]) return { ok: false, problem: 'checksum' };
  return { ok: true, code };
}

/** Builds a valid code from its first 17 characters; for demo data and tests. */
export function makeCreditCode(first17: string): string {
  return first17 + creditCodeCheckChar(first17);
}

/**
 * A stand-in unified social credit code for a village or community committee that has none on
 * file: `54` (基层群众性自治组织), the county's division code, and `C` with the last eight digits of
 * the village's 12-digit code as the organisation part. It is a valid GB 32100 code, unique per
 * division, and marked by its form; a deployment that imports the real codes replaces it.
 */
export function divisionCreditCode(divisionCode12: string): string {
  if (!/^\d{12}$/.test(divisionCode12)) throw new RangeError(`not a 12-digit division code: ${divisionCode12}`);
  return makeCreditCode(`54${divisionCode12.slice(0, 6)}C${divisionCode12.slice(4)}`);
}

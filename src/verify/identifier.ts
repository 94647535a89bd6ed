/**
 * 电子证照标识 (GB/T 36904-2018):
 * `1.2.156.3005.2.<type code>.<issuer credit code>.<serial>.<version>.<check>`.
 * The check character is ISO 7064 MOD 37,36 over the characters of the five variable parts
 * (dots left out), alphabet 0–9 A–Z.
 */

const IDENTIFIER_PREFIX = '1.2.156.3005.2';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** ISO 7064 hybrid system MOD (M+1),M over an alphabet of M characters. */
export function hybridCheckChar(text: string, alphabet: string): string {
  const M = alphabet.length;
  let p = M;
  for (const ch of text) {
    const value = alphabet.indexOf(ch);
    if (value < 0) throw new RangeError(`character ${ch} is outside the alphabet`);
    let s = (p + value) % M;
    if (s === 0) s = M;
    p = (s * 2) % (M + 1);
  }
  return alphabet[(M + 1 - p) % M]!;
}

export function mod3736CheckChar(text: string): string {
  return hybridCheckChar(text, ALPHABET);
}

export function isMod3736Valid(textWithCheck: string): boolean {
  if (textWithCheck.length < 2) return false;
  try {
    return mod3736CheckChar(textWithCheck.slice(0, -1)) === textWithCheck.slice(-1);
  } catch {
    return false;
  }
}

export interface IdentifierParts {
  typeCode: string;
  issuerCode: string;
  serial: string;
  version: string;
}

const PART = /^[0-9A-Z]+$/;

export function formatIdentifier(parts: IdentifierParts): string {
  for (const [name, value] of Object.entries(parts) as [string, string][]) {
    if (!PART.test(value)) throw new RangeError(`${name} must be 0-9A-Z: ${value}`);
  }
  const body = `${parts.typeCode}${parts.issuerCode}${parts.serial}${parts.version}`;
  return `${IDENTIFIER_PREFIX}.${parts.typeCode}.${parts.issuerCode}.${parts.serial}.${parts.version}.${mod3736CheckChar(body)}`;
}

export type ParsedIdentifier = { ok: true; parts: IdentifierParts } | { ok: false; reason: 'FORMAT' | 'CHECK_CHARACTER' };

export function parseIdentifier(identifier: string): ParsedIdentifier {
  if (!identifier.startsWith(`${IDENTIFIER_PREFIX}.`)) return { ok: false, reason: 'FORMAT' };
  const rest = identifier.slice(IDENTIFIER_PREFIX.length + 1).split('.');
  if (rest.length !== 5 || !rest.every((p) => PART.test(p))) return { ok: false, reason: 'FORMAT' };
  const [typeCode, issuerCode, serial, version, check] = rest as [string, string, string, string, string];
  if (check.length !== 1) return { ok: false, reason: 'FORMAT' };
  if (mod3736CheckChar(`${typeCode}${issuerCode}${serial}${version}`) !== check) return { ok: false, reason: 'CHECK_CHARACTER' };
  return { ok: true, parts: { typeCode, issuerCode, serial, version } };
}

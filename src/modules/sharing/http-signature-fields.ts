import type { Parameters } from 'structured-headers';

/**
 * The structured fields of this profile (RFC 8941) written and read by hand in the one canonical
 * shape the profile itself produces: `label=:base64:` for Content-Digest and Signature, and the
 * Signature-Input member `("comp" …);created=N;expires=N;nonce="…";keyid="…";alg="…"`. Each
 * function returns null for anything else (another member, another parameter, a string with an
 * escape, non-canonical base64 or integers), and the caller then uses the general parser of
 * `structured-headers` (http-signatures.ts, http-signature-verify.ts). On what it accepts, the
 * result is what the general parser gives and the text is what its serializer writes back
 * (http-signature-fields.test.ts checks both on generated input): a window settlement signs and
 * verifies twelve messages, and the general library was most of the cost of each.
 */

/** Base64 as RFC 8941 byte sequences serialize it: padded, length a multiple of 4. */
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** An sf-string with no character that needs an escape (no `"`, no `\`, printable ASCII). */
const PLAIN_STRING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** `key=:base64:`, the serialization of a dictionary with one byte-sequence member. */
export function byteMember(key: string, bytes: Uint8Array): string {
  return `${key}=:${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}:`;
}

/** The bytes of a field that is exactly `key=:base64:` with canonical base64, or null. */
export function readByteMember(field: string, key: string): Buffer | null {
  if (field.length < key.length + 3 || !field.startsWith(key) || field[key.length] !== '=' || field[key.length + 1] !== ':') return null;
  if (field[field.length - 1] !== ':') return null;
  const b64 = field.slice(key.length + 2, -1);
  return CANONICAL_BASE64.test(b64) ? Buffer.from(b64, 'base64') : null;
}

/** An integer the serializer writes as it is (RFC 8941 §3.3.1: at most 15 digits). */
const plainInteger = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= 999_999_999_999_999;

/**
 * `;name=value` for each parameter, in the map's order, or null when a value is not a plain
 * integer or plain string (or a name is not a lower-case key).
 */
export function plainParameters(params: Parameters): string | null {
  let out = '';
  for (const [name, value] of params) {
    if (!/^[a-z][a-z0-9_.*-]*$/.test(name)) return null;
    if (plainInteger(value)) out += `;${name}=${value}`;
    else if (typeof value === 'string' && PLAIN_STRING.test(value)) out += `;${name}="${value}"`;
    else return null;
  }
  return out;
}

export interface PlainInput {
  /** The member's value as received, which is also its canonical serialization. */
  serialized: string;
  params: Map<string, number | string>;
}

const INPUT_PARAM = /;([a-z][a-z0-9_.*-]*)=(?:(0|[1-9][0-9]{0,14})|"([\x20\x21\x23-\x5b\x5d-\x7e]*)")/y;

/**
 * A Signature-Input field that is exactly `label=` + `inner` (the profile's covered components,
 * serialized) + plain integer or string parameters, each named once; null for anything else.
 */
export function readPlainInput(field: string, label: string, inner: string): PlainInput | null {
  const head = `${label}=${inner}`;
  if (!field.startsWith(head)) return null;
  const params = new Map<string, number | string>();
  let at = head.length;
  while (at < field.length) {
    INPUT_PARAM.lastIndex = at;
    const m = INPUT_PARAM.exec(field);
    if (!m || params.has(m[1]!)) return null;
    params.set(m[1]!, m[2] !== undefined ? Number(m[2]) : m[3]!);
    at = INPUT_PARAM.lastIndex;
  }
  return { serialized: field.slice(label.length + 1), params };
}

/**
 * A strict DER reader and a small DER writer for the few fixed structures we sign and parse
 * ourselves (signature values, SPKI, PKCS#8, the outer shell of a certificate). Strictness
 * matters for signatures: DER gives every value exactly one encoding, so a flipped bit can
 * never produce a second valid encoding of the same signature.
 */
import { base64, concatBytes, hexToBytes } from './tlog-bytes.ts';

export class DerError extends Error {
  override readonly name = 'DerError';
}

export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
} as const;

export interface Tlv {
  tag: number;
  /** Offset of the tag byte in the buffer that was read. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset just past the content. */
  end: number;
  /** The content bytes (a view, not a copy). */
  content: Uint8Array;
  /** The whole encoding, tag to end (a view). */
  raw: Uint8Array;
}

/** Reads one TLV at `offset`; only single-byte tags and definite, minimal lengths are accepted. */
function readTlv(bytes: Uint8Array, offset = 0): Tlv {
  if (offset + 2 > bytes.length) throw new DerError('truncated');
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not supported');
  let pos = offset + 1;
  const first = bytes[pos++]!;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const count = first & 0x7f;
    if (count === 0) throw new DerError('indefinite length');
    if (count > 4) throw new DerError('length too large');
    if (pos + count > bytes.length) throw new DerError('truncated');
    if (bytes[pos] === 0) throw new DerError('non-minimal length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[pos++]!;
    if (length < 0x80) throw new DerError('non-minimal length');
  }
  const end = pos + length;
  if (end > bytes.length) throw new DerError('truncated');
  return { tag, start: offset, contentStart: pos, end, content: bytes.subarray(pos, end), raw: bytes.subarray(offset, end) };
}

/** Reads exactly one TLV spanning all of `bytes`. */
export function readSingle(bytes: Uint8Array, tag?: number): Tlv {
  const tlv = readTlv(bytes, 0);
  if (tlv.end !== bytes.length) throw new DerError('trailing bytes');
  if (tag !== undefined && tlv.tag !== tag) throw new DerError(`expected tag 0x${tag.toString(16)}`);
  return tlv;
}

/** The children of a constructed value, in order. */
export function readChildren(parent: Tlv | Uint8Array): Tlv[] {
  const content = parent instanceof Uint8Array ? parent : parent.content;
  const children: Tlv[] = [];
  let offset = 0;
  while (offset < content.length) {
    const child = readTlv(content, offset);
    children.push(child);
    offset = child.end;
  }
  return children;
}

export function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv || tlv.tag !== tag) throw new DerError(`expected ${what}`);
  return tlv;
}

/** A non-negative INTEGER in minimal two's-complement form. */
export function readUnsignedInteger(tlv: Tlv | undefined): bigint {
  const content = expectTag(tlv, TAG.INTEGER, 'INTEGER').content;
  if (content.length === 0) throw new DerError('empty INTEGER');
  if (content[0]! & 0x80) throw new DerError('negative INTEGER');
  if (content.length > 1 && content[0] === 0 && !(content[1]! & 0x80)) throw new DerError('non-minimal INTEGER');
  let value = 0n;
  for (const byte of content) value = (value << 8n) | BigInt(byte);
  return value;
}

export function readOid(tlv: Tlv | undefined): string {
  const content = expectTag(tlv, TAG.OID, 'OBJECT IDENTIFIER').content;
  if (content.length === 0) throw new DerError('empty OID');
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < content.length; i++) {
    const byte = content[i]!;
    if (value === 0 && byte === 0x80) throw new DerError('non-minimal OID arc');
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER) throw new DerError('OID arc too large');
    if (!(byte & 0x80)) {
      if (arcs.length === 0) {
        const firstArc = value < 40 ? 0 : value < 80 ? 1 : 2;
        arcs.push(firstArc, value - firstArc * 40);
      } else {
        arcs.push(value);
      }
      value = 0;
    } else if (i === content.length - 1) {
      throw new DerError('truncated OID');
    }
  }
  return arcs.join('.');
}

/** BIT STRING content without unused bits (keys and signatures are whole bytes). */
export function readBitStringBytes(tlv: Tlv | undefined): Uint8Array {
  const content = expectTag(tlv, TAG.BIT_STRING, 'BIT STRING').content;
  if (content.length === 0 || content[0] !== 0) throw new DerError('BIT STRING with unused bits');
  return content.subarray(1);
}

// ---- writer ----

function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = concatBytes(...content);
  return concatBytes(Uint8Array.of(tag), encodeLength(body.length), body);
}

export const sequence = (...items: Uint8Array[]): Uint8Array => tlv(TAG.SEQUENCE, ...items);
export const octetString = (bytes: Uint8Array): Uint8Array => tlv(TAG.OCTET_STRING, bytes);
export const bitString = (bytes: Uint8Array): Uint8Array => tlv(TAG.BIT_STRING, Uint8Array.of(0), bytes);
/** `[n]` context-specific, constructed (explicit tagging). */
export const explicit = (n: number, ...content: Uint8Array[]): Uint8Array => tlv(0xa0 | n, ...content);

export function unsignedInteger(value: bigint): Uint8Array {
  if (value < 0n) throw new DerError('negative INTEGER');
  const hex = value.toString(16);
  const bytes = hexToBytes(hex.length % 2 ? `0${hex}` : hex);
  return tlv(TAG.INTEGER, bytes[0]! & 0x80 ? concatBytes(Uint8Array.of(0), bytes) : bytes);
}

export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) throw new DerError(`bad OID ${dotted}`);
  const values = [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)];
  const bytes: number[] = [];
  for (const value of values) {
    const group: number[] = [value & 0x7f];
    for (let v = Math.floor(value / 128); v > 0; v = Math.floor(v / 128)) group.unshift((v & 0x7f) | 0x80);
    bytes.push(...group);
  }
  return tlv(TAG.OID, Uint8Array.from(bytes));
}

// ---- PEM ----

export function pemEncode(label: string, der: Uint8Array): string {
  const body = base64
    .encode(der)
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/** All PEM blocks in `text`, in order, with their labels. */
export function pemDecodeAll(text: string): { label: string; der: Uint8Array }[] {
  const blocks: { label: string; der: Uint8Array }[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (let match = re.exec(text); match; match = re.exec(text)) {
    const body = match[2]!.replace(/\s+/g, '');
    let der: Uint8Array;
    try {
      der = base64.decode(body);
    } catch {
      throw new DerError('PEM body is not base64');
    }
    blocks.push({ label: match[1]!, der });
  }
  return blocks;
}

/** The one PEM block with `label` (the first, if several). */
export function pemDecode(text: string, label: string): Uint8Array {
  const block = pemDecodeAll(text).find((b) => b.label === label);
  if (!block) throw new DerError(`no PEM block "${label}"`);
  return block.der;
}

/**
 * Byte helpers for the code in src/verify: base64/base64url from @scure/base, hex and
 * concatenation from @noble/hashes, constant-time comparison from @noble/curves. Browser-safe:
 * no node:* imports, nothing outside src/verify.
 */
import { equalBytes } from '@noble/curves/utils.js';
import { bytesToHex, concatBytes, hexToBytes } from '@noble/hashes/utils.js';
import { base64, base64urlnopad } from '@scure/base';

export { base64, base64urlnopad, bytesToHex, concatBytes, equalBytes, hexToBytes };

/** Standard base64 with padding (RFC 4648 §4), as signed notes and checkpoints use it. */
export function encodeBase64(bytes: Uint8Array): string {
  return base64.encode(bytes);
}

/**
 * Strict decoding: padded, standard alphabet, canonical (zero pad bits, so that two strings never
 * decode to the same bytes); null otherwise.
 */
export function decodeBase64(text: string): Uint8Array | null {
  try {
    return base64.decode(text);
  } catch {
    return null;
  }
}

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** An unsigned 64-bit big-endian integer (up to 2^53 − 1, the safe integers). */
export function writeUint64(value: number): Uint8Array {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.floor(value / 2 ** 32));
  view.setUint32(4, value % 2 ** 32);
  return out;
}

export function readUint64(bytes: Uint8Array, offset = 0): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getUint32(offset) * 2 ** 32 + view.getUint32(offset + 4);
}

/**
 * W3C Bitstring Status List v1.0: the list is a bitstring (bit 0 = the most significant bit of
 * the first byte), GZIP-compressed, encoded as multibase base64url without padding ('u' prefix).
 * Uses the platform's CompressionStream, present in browsers and Node ≥ 18.
 */
import { base64urlnopad } from './tlog-bytes.ts';

export async function encodeStatusList(setIndexes: readonly number[], size: number): Promise<string> {
  if (size % 8 !== 0) throw new RangeError('the list size must be a multiple of 8');
  const bits = new Uint8Array(size / 8);
  for (const i of setIndexes) {
    if (!Number.isInteger(i) || i < 0 || i >= size) throw new RangeError(`index ${i} is outside the list`);
    bits[i >> 3]! |= 0x80 >> (i & 7);
  }
  const gz = await pipe(bits, new CompressionStream('gzip'));
  return 'u' + base64urlnopad.encode(gz);
}

/** Decodes an encoded list; null when it is not a valid encoding (never throws). */
export async function decodeStatusList(encoded: string): Promise<Uint8Array | null> {
  if (!encoded.startsWith('u')) return null;
  try {
    return await pipe(base64urlnopad.decode(encoded.slice(1)), new DecompressionStream('gzip'));
  } catch {
    return null;
  }
}

export function isBitSet(bits: Uint8Array, index: number): boolean | null {
  if (!Number.isInteger(index) || index < 0 || index >= bits.length * 8) return null;
  return (bits[index >> 3]! & (0x80 >> (index & 7))) !== 0;
}

async function pipe(data: Uint8Array, transform: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(transform);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

import { randomFillSync } from 'node:crypto';

/**
 * Random bytes as text, drawn from a 4 KiB buffer that is refilled from the operating system's
 * CSPRNG when used up: for values made on every request (signature nonces, the random part of a
 * msgid), where one `randomBytes` call each cost more than the rest of their work. Not for keys.
 */
const pool = Buffer.alloc(4096);
let at = pool.length;

export function randomText(bytes: number, encoding: 'hex' | 'base64url'): string {
  if (bytes < 1 || bytes > 64) throw new Error('randomText draws 1 to 64 bytes');
  if (at + bytes > pool.length) {
    randomFillSync(pool);
    at = 0;
  }
  at += bytes;
  return pool.toString(encoding, at - bytes, at);
}

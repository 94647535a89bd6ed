/**
 * base64 / base64url / hex in src/verify: @scure/base and the noble utils (what the code uses since
 * issue 12) against the hand-written copies they replaced (kept below as the baseline), in the
 * sizes the verifier meets: a 32-byte hash, a signed-note signature line's 72 bytes, and a 16 KB
 * gzip status list in base64url. Figures are CPU time per operation (process.cpuUsage), so other
 * work on the machine matters less than for wall-clock rates.
 *
 *   npx tsx bench/base64.ts                 ~0.3 s per measurement, about 10 s in all
 *   npx tsx bench/base64.ts --seconds 2     longer runs
 */
import { loadavg } from 'node:os';
import { base64, base64urlnopad, bytesToHex, hexToBytes } from '../src/verify/tlog-bytes.ts';

const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1]) || 0.3;

// ---- the baseline: the hand-written code as it was in tlog-bytes.ts, status-list.ts and der.ts ----

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function oldEncodeBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + '=';
  }
  return out;
}

function oldDecodeBase64(text: string): Uint8Array | null {
  if (!BASE64.test(text)) return null;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const a = DECODE[text.charCodeAt(i)]!;
    const b = DECODE[text.charCodeAt(i + 1)]!;
    const c = text[i + 2] === '=' ? 0 : DECODE[text.charCodeAt(i + 2)]!;
    const d = text[i + 3] === '=' ? 0 : DECODE[text.charCodeAt(i + 3)]!;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    if (o < out.length) out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  const end = text.length;
  if (padding === 2 && (DECODE[text.charCodeAt(end - 3)]! & 0x0f) !== 0) return null;
  if (padding === 1 && (DECODE[text.charCodeAt(end - 2)]! & 0x03) !== 0) return null;
  return out;
}

function oldToBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function oldFromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new TypeError('not base64url');
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const binary = atob(b64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function oldToHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

function oldFromHex(hex: string): Uint8Array {
  if (hex.length % 2 || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error('bad hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

// ---- measurement ----

/** CPU microseconds per call of `fn`, after a short warm-up. */
function cpuMicros(fn: () => unknown): number {
  const warmUntil = performance.now() + 100;
  while (performance.now() < warmUntil) fn();
  const start = process.cpuUsage();
  const until = performance.now() + seconds * 1000;
  let runs = 0;
  while (performance.now() < until) {
    for (let i = 0; i < 20; i++) fn();
    runs += 20;
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / runs;
}

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const hash = random(32);
const signature = random(72);
const statusList = random(16 * 1024);
const hashB64 = base64.encode(hash);
const signatureB64 = base64.encode(signature);
const listB64u = base64urlnopad.encode(statusList);
const hashHex = bytesToHex(hash);

// Both sides must give the same answers before their speed means anything.
const same = (a: Uint8Array | null, b: Uint8Array | null) =>
  a !== null && b !== null && a.length === b.length && a.every((x, i) => x === b[i]);
if (
  oldEncodeBase64(signature) !== signatureB64 ||
  !same(oldDecodeBase64(signatureB64), base64.decode(signatureB64)) ||
  oldToBase64Url(statusList) !== listB64u ||
  !same(oldFromBase64Url(listB64u), base64urlnopad.decode(listB64u)) ||
  oldToHex(hash) !== hashHex ||
  !same(oldFromHex(hashHex), hexToBytes(hashHex))
) {
  throw new Error('the library and the baseline disagree');
}

const cases: [string, () => unknown, () => unknown][] = [
  ['base64 encode, 32-byte hash', () => oldEncodeBase64(hash), () => base64.encode(hash)],
  ['base64 decode, 32-byte hash', () => oldDecodeBase64(hashB64), () => base64.decode(hashB64)],
  ['base64 decode, 72-byte note signature', () => oldDecodeBase64(signatureB64), () => base64.decode(signatureB64)],
  ['base64url encode, 16 KB status list', () => oldToBase64Url(statusList), () => base64urlnopad.encode(statusList)],
  ['base64url decode, 16 KB status list', () => oldFromBase64Url(listB64u), () => base64urlnopad.decode(listB64u)],
  ['hex encode, 32 bytes', () => oldToHex(hash), () => bytesToHex(hash)],
  ['hex decode, 32 bytes', () => oldFromHex(hashHex), () => hexToBytes(hashHex)],
];

console.log(`bench/base64.ts — ${new Date().toISOString()}, node ${process.version}, ${seconds} s per measurement`);
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (CPU time per call; the machine may be shared)`,
);
console.log(`${'operation'.padEnd(40)} ${'hand-written µs'.padStart(16)} ${'library µs'.padStart(12)} ${'library/old'.padStart(12)}`);
for (const [name, old, library] of cases) {
  const a = cpuMicros(old);
  const b = cpuMicros(library);
  console.log(`${name.padEnd(40)} ${a.toFixed(3).padStart(16)} ${b.toFixed(3).padStart(12)} ${(b / a).toFixed(2).padStart(12)}`);
}

/**
 * A fast QR encoder for the certificate's QR code (ISO/IEC 18004): one byte-mode segment, error
 * correction level M, mask pattern 0 — what `drawQr` asked the `qrcode` package for, bit for bit
 * (qr.test.ts compares the two). The package took about 4 ms per certificate: a generic
 * polynomial Reed–Solomon and a matrix rebuilt from scratch. Here the function patterns of each
 * version and the order in which data modules are filled are taken from `qrcode` once per
 * version, and each document only computes its codewords (log/antilog Reed–Solomon) and writes
 * them into a copy of that template.
 */
import { createRequire } from 'node:module';
import QRCode from 'qrcode';

const require = createRequire(import.meta.url);
// The package's own capacity tables (not part of its typed API; qrcode is pinned).
const ecc = require('qrcode/lib/core/error-correction-code.js') as {
  getBlocksCount(version: number, level: unknown): number;
  getTotalCodewordsCount(version: number, level: unknown): number;
};
const qrUtils = require('qrcode/lib/core/utils.js') as { getSymbolTotalCodewords(version: number): number };
const levels = require('qrcode/lib/core/error-correction-level.js') as { M: unknown };

export interface QrMatrix {
  /** Modules per side. */
  size: number;
  /** Row-major, 1 for a dark module. */
  modules: Uint8Array;
}

interface VersionTemplate {
  version: number;
  size: number;
  /** Function patterns (finders, timing, alignment, format and version info) for level M, mask 0. */
  base: Uint8Array;
  /** Indexes of the data modules in placement order, each with its mask-0 bit folded in. */
  order: Uint32Array;
  flip: Uint8Array;
  dataCodewords: number;
  blocks: number;
  ecPerBlock: number;
  totalCodewords: number;
}

const templates = new Map<number, VersionTemplate>();

function template(version: number): VersionTemplate {
  const cached = templates.get(version);
  if (cached) return cached;
  const qr = QRCode.create([{ data: new Uint8Array(0), mode: 'byte' }], { version, errorCorrectionLevel: 'M', maskPattern: 0 });
  const { size, data } = qr.modules as unknown as { size: number; data: Uint8Array; reservedBit: Uint8Array };
  const reserved = (qr.modules as unknown as { reservedBit: Uint8Array }).reservedBit;
  const base = new Uint8Array(size * size);
  for (let i = 0; i < base.length; i++) base[i] = reserved[i] ? data[i]! : 0;
  // Two-column zig-zag from the bottom right, skipping the vertical timing column (ISO 18004 §7.7.3).
  const order: number[] = [];
  let upward = true;
  for (let right = size - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5;
    for (let step = 0; step < size; step++) {
      const row = upward ? size - 1 - step : step;
      for (const col of [right, right - 1]) if (!reserved[row * size + col]) order.push(row * size + col);
    }
    upward = !upward;
  }
  const flip = Uint8Array.from(order, (i) => ((Math.floor(i / size) + (i % size)) % 2 === 0 ? 1 : 0));
  const totalCodewords = qrUtils.getSymbolTotalCodewords(version);
  const ecTotal = ecc.getTotalCodewordsCount(version, levels.M);
  const blocks = ecc.getBlocksCount(version, levels.M);
  const t: VersionTemplate = {
    version,
    size,
    base,
    order: Uint32Array.from(order),
    flip,
    dataCodewords: totalCodewords - ecTotal,
    blocks,
    ecPerBlock: ecTotal / blocks,
    totalCodewords,
  };
  templates.set(version, t);
  return t;
}

// GF(2^8) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1.
const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
for (let i = 0, x = 1; i < 255; i++) {
  EXP[i] = x;
  LOG[x] = i;
  x <<= 1;
  if (x & 0x100) x ^= 0x11d;
}
for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;

const generators = new Map<number, Uint8Array>();

/** The generator polynomial ∏ (x − α^i), i < degree, highest coefficient (1) omitted, as logs. */
function generatorLogs(degree: number): Uint8Array {
  let g = generators.get(degree);
  if (g) return g;
  let poly = [1];
  for (let i = 0; i < degree; i++) {
    const next = new Array<number>(poly.length + 1).fill(0);
    for (let j = 0; j < poly.length; j++) {
      next[j] = next[j]! ^ poly[j]!;
      if (poly[j]) next[j + 1] = next[j + 1]! ^ EXP[LOG[poly[j]!]! + i]!;
    }
    poly = next;
  }
  g = Uint8Array.from(poly.slice(1), (c) => LOG[c]!);
  generators.set(degree, g);
  return g;
}

function reedSolomon(data: Uint8Array, degree: number): Uint8Array {
  const gen = generatorLogs(degree);
  const rem = new Uint8Array(degree);
  for (let i = 0; i < data.length; i++) {
    const factor = data[i]! ^ rem[0]!;
    if (factor === 0) {
      for (let j = 0; j < degree - 1; j++) rem[j] = rem[j + 1]!;
      rem[degree - 1] = 0;
      continue;
    }
    const lf = LOG[factor]!;
    for (let j = 0; j < degree - 1; j++) rem[j] = rem[j + 1]! ^ EXP[gen[j]! + lf]!;
    rem[degree - 1] = EXP[gen[degree - 1]! + lf]!;
  }
  return rem;
}

/** Level-M data capacity in bits, by version. */
const CAPACITY_BITS = Array.from({ length: 41 }, (_, v) =>
  v === 0 ? 0 : (qrUtils.getSymbolTotalCodewords(v) - ecc.getTotalCodewordsCount(v, levels.M)) * 8,
);

/** The smallest version whose level-M byte-mode capacity holds `length` bytes. */
function versionFor(length: number): number {
  for (let v = 1; v <= 40; v++) if (4 + (v < 10 ? 8 : 16) + length * 8 <= CAPACITY_BITS[v]!) return v;
  throw new Error('the QR payload is too long for a QR code');
}

export function encodeQrMatrix(data: Uint8Array): QrMatrix {
  const t = template(versionFor(data.length));
  // Data codewords: mode 0100, the count, the bytes, a terminator of up to 4 zero bits, padding.
  const codewords = new Uint8Array(t.dataCodewords);
  const countBits = t.version < 10 ? 8 : 16;
  let acc = 0b0100;
  let accBits = 4;
  let at = 0;
  const put = (value: number, bits: number) => {
    acc = (acc << bits) | value;
    accBits += bits;
    while (accBits >= 8) {
      accBits -= 8;
      codewords[at++] = (acc >>> accBits) & 0xff;
    }
    acc &= (1 << accBits) - 1;
  };
  put(data.length, countBits);
  for (const byte of data) put(byte, 8);
  if (at < codewords.length) put(0, Math.min(4, codewords.length * 8 - (at * 8 + accBits)));
  if (accBits > 0) put(0, 8 - accBits);
  for (let pad = 0; at < codewords.length; pad++) codewords[at++] = pad % 2 ? 0x11 : 0xec;

  // Blocks (the shorter ones first), their error correction, interleaved.
  const group2 = t.totalCodewords % t.blocks;
  const group1 = t.blocks - group2;
  const shortData = Math.floor(t.dataCodewords / t.blocks);
  const dataBlocks: Uint8Array[] = [];
  const ecBlocks: Uint8Array[] = [];
  for (let b = 0, offset = 0; b < t.blocks; b++) {
    const len = b < group1 ? shortData : shortData + 1;
    const block = codewords.subarray(offset, offset + len);
    dataBlocks.push(block);
    ecBlocks.push(reedSolomon(block, t.ecPerBlock));
    offset += len;
  }
  const final = new Uint8Array(t.totalCodewords);
  let k = 0;
  for (let i = 0; i <= shortData; i++) for (const block of dataBlocks) if (i < block.length) final[k++] = block[i]!;
  for (let i = 0; i < t.ecPerBlock; i++) for (const block of ecBlocks) final[k++] = block[i]!;

  const modules = t.base.slice();
  const { order, flip } = t;
  const totalBits = Math.min(final.length * 8, order.length);
  let i = 0;
  for (; i < totalBits; i++) modules[order[i]!] = ((final[i >> 3]! >> (7 - (i & 7))) & 1) ^ flip[i]!;
  for (; i < order.length; i++) modules[order[i]!] = flip[i]!; // remainder bits: 0, masked
  return { size: t.size, modules };
}

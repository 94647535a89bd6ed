import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import { qrPath } from './draw-qr.ts';
import { encodeQrMatrix } from './qr.ts';

/** The reference: the `qrcode` package with the same choices (one byte segment, level M, mask 0). */
function reference(data: Uint8Array): { size: number; modules: Uint8Array } {
  const qr = QRCode.create([{ data, mode: 'byte' }], { errorCorrectionLevel: 'M', maskPattern: 0 });
  return { size: qr.modules.size, modules: Uint8Array.from(qr.modules.data, (b) => (b ? 1 : 0)) };
}

describe('encodeQrMatrix', () => {
  it('gives the same modules as the qrcode package, for every version up to 40', () => {
    // Lengths around each version's capacity (the last that fits and the first that does not).
    const lengths = new Set<number>([0, 1, 2, 17, 100]);
    for (let v = 1; v <= 40; v++) {
      const probe = QRCode.create([{ data: new Uint8Array(0), mode: 'byte' }], { version: v, errorCorrectionLevel: 'M' });
      expect(probe.version).toBe(v);
    }
    for (let n = 10; n <= 2300; n += 97) lengths.add(n);
    for (const n of [14, 15, 26, 27, 213, 214, 1000, 1367, 1368, 2331]) lengths.add(n);
    const versions = new Set<number>();
    for (const n of lengths) {
      const data = new Uint8Array(randomBytes(n));
      const ours = encodeQrMatrix(data);
      const theirs = reference(data);
      expect(ours.size, `length ${n}`).toBe(theirs.size);
      expect(Buffer.from(ours.modules).equals(Buffer.from(theirs.modules)), `length ${n}`).toBe(true);
      versions.add((ours.size - 17) / 4);
    }
    expect(versions.size).toBeGreaterThan(25);
    expect(versions.has(40)).toBe(true);
  });

  it('refuses data longer than a version-40 code holds', () => {
    expect(() => encodeQrMatrix(new Uint8Array(2332))).toThrow();
  });
});

describe('qrPath', () => {
  it('covers every dark module exactly once and no light one', () => {
    for (const n of [20, 300, 1200]) {
      const qr = encodeQrMatrix(new Uint8Array(randomBytes(n)));
      const painted = new Uint8Array(qr.size * qr.size);
      const rects = [...new TextDecoder().decode(qrPath(qr)).matchAll(/(\d+) (\d+) (\d+) (\d+) re/g)].map((m) => m.slice(1).map(Number));
      for (const [x, y, w, h] of rects) {
        for (let dy = 0; dy < h!; dy++) for (let dx = 0; dx < w!; dx++) painted[(qr.size - 1 - (y! + dy)) * qr.size + x! + dx]! += 1;
      }
      expect(Buffer.from(painted).equals(Buffer.from(qr.modules)), `length ${n}`).toBe(true);
      // Merging rows saves rectangles over one per row run.
      let rowRuns = 0;
      for (let r = 0; r < qr.size; r++)
        for (let c = 0; c < qr.size; c++) if (qr.modules[r * qr.size + c] && (c === 0 || !qr.modules[r * qr.size + c - 1])) rowRuns++;
      expect(rects.length).toBeLessThan(rowRuns);
    }
  });
});

/**
 * The QR code on a certificate page: its dark modules as filled rectangles (row runs merged) in
 * a form XObject.
 */
import { concatTransformationMatrix, drawObject, popGraphicsState, pushGraphicsState, type PDFDocument, type PDFPage } from 'pdf-lib';
import { encodeQrMatrix, type QrMatrix } from './qr.ts';
import { deflated } from './zlib-streams.ts';

/**
 * The QR code of `text` as dark modules, each row's runs merged into one rectangle and equal runs
 * of consecutive rows into one taller rectangle, in a form
 * XObject whose content is written directly: module units under one scaling matrix keep every
 * number a small integer, and skipping pdf-lib's operator objects makes it cheap.
 */
export function drawQr(doc: PDFDocument, page: PDFPage, text: string, box: { x: number; y: number; size: number }): void {
  // One byte-mode segment and a fixed mask (any mask is valid for readers), see qr.ts.
  const qr = encodeQrMatrix(new TextEncoder().encode(text));
  const n = qr.size;
  const quiet = 2;
  const cell = box.size / (n + quiet * 2);
  const form = doc.context.stream(deflated(qrPath(qr), 1), { Type: 'XObject', Subtype: 'Form', BBox: [0, 0, n, n], Filter: 'FlateDecode' });
  const name = page.node.newXObject('QR', doc.context.register(form));
  page.pushOperators(
    pushGraphicsState(),
    concatTransformationMatrix(cell, 0, 0, cell, box.x + quiet * cell, box.y + quiet * cell),
    drawObject(name),
    popGraphicsState(),
  );
}

let pathScratch = new Uint8Array(0);

/**
 * The dark modules of a QR matrix as one filled path in module units (origin bottom left):
 * each row's runs become rectangles, and a run repeated on the rows below grows into one
 * taller rectangle. Every dark module is covered exactly once. Written straight into bytes:
 * a dense code has thousands of rectangles, and string building was most of a document's time.
 */
export function qrPath(qr: QrMatrix): Uint8Array {
  const n = qr.size;
  const m = qr.modules;
  // Worst case: every other module a rectangle, 4 numbers of up to 3 digits plus "re\n". The
  // scratch buffer is reused (a fresh one per document was most of this function's garbage).
  const worst = 8 + Math.ceil((n * n) / 2) * 19;
  if (pathScratch.length < worst) pathScratch = new Uint8Array(worst);
  const out = pathScratch;
  let at = 0;
  const put = (value: number, sep: number) => {
    // value < 1000: a QR code has at most 177 modules a side.
    if (value >= 100) out[at++] = 0x30 + Math.floor(value / 100);
    if (value >= 10) out[at++] = 0x30 + (Math.floor(value / 10) % 10);
    out[at++] = 0x30 + (value % 10);
    out[at++] = sep;
  };
  out.set([0x30, 0x20, 0x67, 0x0a], 0); // "0 g\n"
  at = 4;
  // Open rectangles by column: start row and run length of the run that starts there.
  const openRow = new Int32Array(n).fill(-1);
  const openLen = new Int32Array(n);
  const emit = (start: number, row: number) => {
    const height = row - openRow[start]!;
    put(start, 0x20);
    put(n - row, 0x20);
    put(openLen[start]!, 0x20);
    put(height, 0x20);
    out[at++] = 0x72; // r
    out[at++] = 0x65; // e
    out[at++] = 0x0a;
    openRow[start] = -1;
  };
  for (let row = 0; row <= n; row++) {
    let col = 0;
    let prevEnd = 0; // columns before this have been settled for this row
    while (col <= n) {
      // The next run on this row (none past the last row).
      let start = n;
      let end = n;
      if (row < n) {
        let c = col;
        while (c < n && m[row * n + c] !== 1) c++;
        start = c;
        while (c < n && m[row * n + c] === 1) c++;
        end = c;
      }
      // Rectangles open at columns before this run's start end here, unless they continue.
      for (let s = prevEnd; s < start; s++) if (openRow[s]! >= 0) emit(s, row);
      if (start >= n) break;
      if (openRow[start]! >= 0 && openLen[start] !== end - start) emit(start, row);
      for (let s = start + 1; s < end; s++) if (openRow[s]! >= 0) emit(s, row);
      if (openRow[start]! < 0) {
        openRow[start] = row;
        openLen[start] = end - start;
      }
      prevEnd = end;
      col = end;
    }
  }
  out.set([0x66, 0x0a], at); // "f\n"
  return out.slice(0, at + 2);
}

import { inflateSync } from 'node:zlib';

/**
 * WOFF 1.0 (W3C) to the plain sfnt it wraps: each table inflated once (WOFF2's transformed
 * glyf/loca would need a Brotli decoder and a glyph reconstruction; WOFF 1.0 is just zlib).
 */
export function woffToSfnt(woff: Uint8Array): Uint8Array {
  const view = new DataView(woff.buffer, woff.byteOffset, woff.byteLength);
  if (view.getUint32(0) !== 0x774f4646) throw new Error('not a WOFF font');
  const numTables = view.getUint16(12);
  const tables = Array.from({ length: numTables }, (_, i) => {
    const at = 44 + i * 20;
    const offset = view.getUint32(at + 4);
    const compLength = view.getUint32(at + 8);
    const origLength = view.getUint32(at + 12);
    const raw = woff.subarray(offset, offset + compLength);
    const data = compLength < origLength ? new Uint8Array(inflateSync(raw)) : raw;
    if (data.length !== origLength) throw new Error('corrupt WOFF table');
    return { tag: view.getUint32(at), data };
  });
  alignGlyphs(tables);
  const headerLength = 12 + numTables * 16;
  const total = tables.reduce((n, t) => n + ((t.data.length + 3) & ~3), headerLength);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  const entrySelector = Math.floor(Math.log2(numTables));
  dv.setUint32(0, view.getUint32(4)); // flavor: 0x00010000 for TrueType outlines
  dv.setUint16(4, numTables);
  dv.setUint16(6, 16 * 2 ** entrySelector);
  dv.setUint16(8, entrySelector);
  dv.setUint16(10, numTables * 16 - 16 * 2 ** entrySelector);
  let offset = headerLength;
  tables.forEach((t, i) => {
    dv.setUint32(12 + i * 16, t.tag);
    dv.setUint32(16 + i * 16, checksum(t.data));
    dv.setUint32(20 + i * 16, offset);
    dv.setUint32(24 + i * 16, t.data.length);
    out.set(t.data, offset);
    offset += (t.data.length + 3) & ~3;
  });
  return out;
}

function checksum(data: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < data.length; i += 4)
    sum = (sum + (((data[i] ?? 0) << 24) | ((data[i + 1] ?? 0) << 16) | ((data[i + 2] ?? 0) << 8) | (data[i + 3] ?? 0))) >>> 0;
  return sum;
}

const tag = (name: string) => name.split('').reduce((n, c) => n * 256 + c.charCodeAt(0), 0);

/**
 * Pads every glyph to 4 bytes and rewrites `loca` in the long format. The fontsource fonts pack
 * glyphs at odd lengths, which a short-format `loca` (offsets / 2) cannot address; fontkit's
 * subsetter wrote one and cut those glyphs off, leaving blank characters on the page. The
 * subsets of `truetype-subset.ts` keep the long format and the padding.
 */
function alignGlyphs(tables: { tag: number; data: Uint8Array }[]): void {
  const find = (name: string) => tables.find((t) => t.tag === tag(name));
  const head = find('head');
  const maxp = find('maxp');
  const loca = find('loca');
  const glyf = find('glyf');
  if (!head || !maxp || !loca || !glyf) return;
  const headView = new DataView(head.data.buffer, head.data.byteOffset, head.data.byteLength);
  const longFormat = headView.getInt16(50) === 1;
  const numGlyphs = new DataView(maxp.data.buffer, maxp.data.byteOffset).getUint16(4);
  const locaView = new DataView(loca.data.buffer, loca.data.byteOffset, loca.data.byteLength);
  const offsetAt = (i: number) => (longFormat ? locaView.getUint32(i * 4) : locaView.getUint16(i * 2) * 2);
  const newLoca = new Uint8Array((numGlyphs + 1) * 4);
  const locaOut = new DataView(newLoca.buffer);
  const pieces: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; i < numGlyphs; i++) {
    const piece = glyf.data.subarray(offsetAt(i), offsetAt(i + 1));
    locaOut.setUint32(i * 4, at);
    const padded = (piece.length + 3) & ~3;
    const copy = new Uint8Array(padded);
    copy.set(piece);
    pieces.push(copy);
    at += padded;
  }
  locaOut.setUint32(numGlyphs * 4, at);
  const newGlyf = new Uint8Array(at);
  let pos = 0;
  for (const piece of pieces) {
    newGlyf.set(piece, pos);
    pos += piece.length;
  }
  const newHead = head.data.slice();
  new DataView(newHead.buffer).setInt16(50, 1);
  head.data = newHead;
  loca.data = newLoca;
  glyf.data = newGlyf;
}

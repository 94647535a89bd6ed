/**
 * TrueType subsetting without a font library: the font is parsed once (`sfnt.ts`) into per-glyph byte
 * ranges and metrics, and a subset is written by copying the glyphs it needs (components of
 * composite glyphs included and renumbered) behind fresh head, hhea, maxp, hmtx, loca and post
 * tables — the tables fontkit's subsetter writes, which PDF readers need for a CIDFontType2
 * (ISO 32000-1 §9.9). A subset of a few glyphs takes microseconds; fontkit decodes every glyph's
 * outline through its object model and took about 5 ms per certificate.
 */
import { tagOf, type SfntFont } from './sfnt.ts';

// Composite glyph flags (OpenType glyf table).
const ARG_1_AND_2_ARE_WORDS = 0x0001;
const WE_HAVE_A_SCALE = 0x0008;
const MORE_COMPONENTS = 0x0020;
const WE_HAVE_AN_X_AND_Y_SCALE = 0x0040;
const WE_HAVE_A_TWO_BY_TWO = 0x0080;

/** The glyph ids a composite glyph refers to, with the byte offset of each reference. */
function components(glyph: Uint8Array): { gid: number; at: number }[] {
  if (glyph.length < 10) return [];
  const view = new DataView(glyph.buffer, glyph.byteOffset, glyph.byteLength);
  if (view.getInt16(0) >= 0) return [];
  const found: { gid: number; at: number }[] = [];
  let at = 10;
  for (;;) {
    const flags = view.getUint16(at);
    found.push({ gid: view.getUint16(at + 2), at: at + 2 });
    at += 4 + (flags & ARG_1_AND_2_ARE_WORDS ? 4 : 2);
    if (flags & WE_HAVE_A_SCALE) at += 2;
    else if (flags & WE_HAVE_AN_X_AND_Y_SCALE) at += 4;
    else if (flags & WE_HAVE_A_TWO_BY_TWO) at += 8;
    if (!(flags & MORE_COMPONENTS)) return found;
  }
}

/**
 * The glyphs a subset holds: `gids` in that order (new glyph id = index; the first should be
 * 0, .notdef), followed by any components they need that are not already in it.
 */
export function glyphClosure(font: SfntFont, gids: readonly number[]): number[] {
  const order = [...gids];
  const index = new Map(order.map((g, i) => [g, i]));
  for (let i = 0; i < order.length; i++) {
    for (const c of components(font.glyph(order[i]!))) {
      if (!index.has(c.gid)) {
        index.set(c.gid, order.length);
        order.push(c.gid);
      }
    }
  }
  return order;
}

function checksum(data: Uint8Array): number {
  let sum = 0;
  const full = data.length & ~3;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < full; i += 4) sum = (sum + view.getUint32(i)) >>> 0;
  if (full < data.length) {
    let last = 0;
    for (let i = full; i < full + 4; i++) last = (last << 8) | (data[i] ?? 0);
    sum = (sum + (last >>> 0)) >>> 0;
  }
  return sum;
}

/** A TrueType font holding `order` (from `glyphClosure`), glyph i of the subset = order[i]. */
export function writeTrueTypeSubset(font: SfntFont, order: readonly number[]): Uint8Array {
  const newId = new Map(order.map((g, i) => [g, i]));
  const n = order.length;
  // glyf and loca (long offsets, every glyph padded to 4 bytes).
  let glyfLength = 0;
  for (const gid of order) glyfLength += (font.glyph(gid).length + 3) & ~3;
  const glyf = new Uint8Array(glyfLength);
  const loca = new Uint8Array((n + 1) * 4);
  const locaView = new DataView(loca.buffer);
  let at = 0;
  order.forEach((gid, i) => {
    const g = font.glyph(gid);
    locaView.setUint32(i * 4, at);
    glyf.set(g, at);
    const parts = components(g);
    if (parts.length > 0) {
      const view = new DataView(glyf.buffer, at, g.length);
      for (const c of parts) view.setUint16(c.at, newId.get(c.gid)!);
    }
    at += (g.length + 3) & ~3;
  });
  locaView.setUint32(n * 4, at);

  const hmtx = new Uint8Array(n * 4);
  const hmtxView = new DataView(hmtx.buffer);
  order.forEach((gid, i) => {
    hmtxView.setUint16(i * 4, font.advances[gid]!);
    hmtxView.setInt16(i * 4 + 2, font.lsbs[gid]!);
  });
  const hhea = font.table('hhea')!.slice();
  new DataView(hhea.buffer).setUint16(34, n);
  const maxp = font.table('maxp')!.slice();
  new DataView(maxp.buffer).setUint16(4, n);
  const head = font.table('head')!.slice();
  const headView = new DataView(head.buffer);
  headView.setUint32(8, 0); // checkSumAdjustment, set below
  headView.setInt16(50, 1); // long loca
  // post format 3: no glyph names.
  const post = new Uint8Array(32);
  const original = font.table('post');
  if (original && original.length >= 32) post.set(original.subarray(0, 32));
  new DataView(post.buffer).setUint32(0, 0x00030000);

  const tables: [string, Uint8Array][] = [
    ['glyf', glyf],
    ['head', head],
    ['hhea', hhea],
    ['hmtx', hmtx],
    ['loca', loca],
    ['maxp', maxp],
    ['post', post],
  ];
  const prep = font.table('prep');
  if (prep) tables.push(['prep', prep]);
  for (const name of ['cvt ', 'fpgm']) {
    const t = font.table(name);
    if (t) tables.push([name, t]);
  }
  tables.sort((a, b) => tagOf(a[0]) - tagOf(b[0]));

  const headerLength = 12 + tables.length * 16;
  const total = tables.reduce((sum, [, data]) => sum + ((data.length + 3) & ~3), headerLength);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const entrySelector = Math.floor(Math.log2(tables.length));
  view.setUint32(0, 0x00010000);
  view.setUint16(4, tables.length);
  view.setUint16(6, 16 * 2 ** entrySelector);
  view.setUint16(8, entrySelector);
  view.setUint16(10, tables.length * 16 - 16 * 2 ** entrySelector);
  let offset = headerLength;
  let headOffset = 0;
  tables.forEach(([name, data], i) => {
    view.setUint32(12 + i * 16, tagOf(name));
    view.setUint32(16 + i * 16, checksum(data));
    view.setUint32(20 + i * 16, offset);
    view.setUint32(24 + i * 16, data.length);
    if (name === 'head') headOffset = offset;
    out.set(data, offset);
    offset += (data.length + 3) & ~3;
  });
  view.setUint32(headOffset + 8, (0xb1b0afba - checksum(out)) >>> 0);
  return out;
}

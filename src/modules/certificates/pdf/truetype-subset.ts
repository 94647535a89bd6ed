/**
 * TrueType subsetting without a font library: the font is parsed once into per-glyph byte
 * ranges and metrics, and a subset is written by copying the glyphs it needs (components of
 * composite glyphs included and renumbered) behind fresh head, hhea, maxp, hmtx, loca and post
 * tables — the tables fontkit's subsetter writes, which PDF readers need for a CIDFontType2
 * (ISO 32000-1 §9.9). A subset of a few glyphs takes microseconds; fontkit decodes every glyph's
 * outline through its object model and took about 5 ms per certificate.
 */

const tagOf = (name: string) =>
  ((name.charCodeAt(0) << 24) | (name.charCodeAt(1) << 16) | (name.charCodeAt(2) << 8) | name.charCodeAt(3)) >>> 0;

export interface SfntFont {
  unitsPerEm: number;
  numGlyphs: number;
  /** Advance widths and left side bearings by glyph id, in font units. */
  advances: Uint16Array;
  lsbs: Int16Array;
  /** head.xMin, yMin, xMax, yMax in font units. */
  bbox: [number, number, number, number];
  ascent: number;
  descent: number;
  capHeight: number;
  xHeight: number;
  italicAngle: number;
  /** PDF font descriptor flags (ISO 32000-1 Table 123). */
  flags: number;
  glyph(gid: number): Uint8Array;
  table(name: string): Uint8Array | undefined;
  /** The glyph of a Unicode code point (0, .notdef, when the font has none). */
  gidOf: (codePoint: number) => number;
}

export function parseSfnt(bytes: Uint8Array): SfntFont {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tables = new Map<number, Uint8Array>();
  const numTables = view.getUint16(4);
  for (let i = 0; i < numTables; i++) {
    const at = 12 + i * 16;
    const offset = view.getUint32(at + 8);
    tables.set(view.getUint32(at), bytes.subarray(offset, offset + view.getUint32(at + 12)));
  }
  const need = (name: string) => {
    const t = tables.get(tagOf(name));
    if (!t) throw new Error(`the font has no ${name} table`);
    return new DataView(t.buffer, t.byteOffset, t.byteLength);
  };
  const head = need('head');
  const hhea = need('hhea');
  const maxp = need('maxp');
  const hmtx = need('hmtx');
  const loca = need('loca');
  const glyf = tables.get(tagOf('glyf'));
  if (!glyf) throw new Error('the font has no glyf table (TrueType outlines expected)');
  const numGlyphs = maxp.getUint16(4);
  const longLoca = head.getInt16(50) === 1;
  const offsets = new Uint32Array(numGlyphs + 1);
  for (let i = 0; i <= numGlyphs; i++) offsets[i] = longLoca ? loca.getUint32(i * 4) : loca.getUint16(i * 2) * 2;
  const numberOfHMetrics = hhea.getUint16(34);
  const advances = new Uint16Array(numGlyphs);
  const lsbs = new Int16Array(numGlyphs);
  for (let i = 0; i < numGlyphs; i++) {
    const m = Math.min(i, numberOfHMetrics - 1);
    advances[i] = hmtx.getUint16(m * 4);
    lsbs[i] = i < numberOfHMetrics ? hmtx.getInt16(i * 4 + 2) : hmtx.getInt16(numberOfHMetrics * 4 + (i - numberOfHMetrics) * 2);
  }
  const os2Table = tables.get(tagOf('OS/2'));
  const os2 = os2Table && new DataView(os2Table.buffer, os2Table.byteOffset, os2Table.byteLength);
  const postTable = tables.get(tagOf('post'));
  const post = postTable && new DataView(postTable.buffer, postTable.byteOffset, postTable.byteLength);
  const ascent = hhea.getInt16(4);
  const familyClass = os2 ? os2.getInt16(30) >> 8 : 0;
  const italicAngle = post ? post.getInt32(4) / 65536 : 0;
  const fixedPitch = post ? post.getUint32(12) !== 0 : false;
  // FixedPitch 1, Serif 2, Symbolic 4 (always: the glyphs are addressed by CID), Script 8, Italic 64.
  const flags =
    (fixedPitch ? 1 : 0) | (familyClass >= 1 && familyClass <= 7 ? 2 : 0) | 4 | (familyClass === 10 ? 8 : 0) | (italicAngle !== 0 ? 64 : 0);
  return {
    unitsPerEm: head.getUint16(18),
    numGlyphs,
    advances,
    lsbs,
    bbox: [head.getInt16(36), head.getInt16(38), head.getInt16(40), head.getInt16(42)],
    ascent,
    descent: hhea.getInt16(6),
    capHeight: os2 && os2.getUint16(0) >= 2 ? os2.getInt16(88) : ascent,
    xHeight: os2 && os2.getUint16(0) >= 2 ? os2.getInt16(86) : 0,
    italicAngle,
    flags,
    glyph: (gid) => glyf.subarray(offsets[gid], offsets[gid + 1]),
    table: (name) => tables.get(tagOf(name)),
    gidOf: unicodeCmap(tables.get(tagOf('cmap'))),
  };
}

/** The Unicode cmap: format 12 (full Unicode) if there is one, else format 4 (BMP). */
function unicodeCmap(cmap: Uint8Array | undefined): (codePoint: number) => number {
  const map = new Map<number, number>();
  if (!cmap) return () => 0;
  const view = new DataView(cmap.buffer, cmap.byteOffset, cmap.byteLength);
  const subtables = Array.from({ length: view.getUint16(2) }, (_, i) => ({
    platform: view.getUint16(4 + i * 8),
    encoding: view.getUint16(6 + i * 8),
    offset: view.getUint32(8 + i * 8),
  })).map((t) => ({ ...t, format: view.getUint16(t.offset) }));
  const full = subtables.find((t) => t.format === 12 && (t.platform === 0 || (t.platform === 3 && t.encoding === 10)));
  const bmp = subtables.find((t) => t.format === 4 && (t.platform === 0 || (t.platform === 3 && t.encoding === 1)));
  if (full) {
    const at = full.offset;
    const groups = view.getUint32(at + 12);
    for (let g = 0; g < groups; g++) {
      const start = view.getUint32(at + 16 + g * 12);
      const end = view.getUint32(at + 20 + g * 12);
      const gid = view.getUint32(at + 24 + g * 12);
      for (let cp = start; cp <= end; cp++) map.set(cp, gid + cp - start);
    }
  } else if (bmp) {
    const at = bmp.offset;
    const segments = view.getUint16(at + 6) / 2;
    const ends = at + 14;
    const starts = ends + segments * 2 + 2;
    const deltas = starts + segments * 2;
    const rangeOffsets = deltas + segments * 2;
    for (let s = 0; s < segments; s++) {
      const end = view.getUint16(ends + s * 2);
      const start = view.getUint16(starts + s * 2);
      const delta = view.getInt16(deltas + s * 2);
      const rangeOffset = view.getUint16(rangeOffsets + s * 2);
      for (let cp = start; cp <= end && cp !== 0xffff; cp++) {
        let gid: number;
        if (rangeOffset === 0) gid = (cp + delta) & 0xffff;
        else {
          const glyphAt = rangeOffsets + s * 2 + rangeOffset + (cp - start) * 2;
          const raw = view.getUint16(glyphAt);
          gid = raw === 0 ? 0 : (raw + delta) & 0xffff;
        }
        if (gid !== 0) map.set(cp, gid);
      }
    }
  }
  return (codePoint) => map.get(codePoint) ?? 0;
}

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

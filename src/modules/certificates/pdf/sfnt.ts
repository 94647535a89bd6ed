/**
 * Reading a TrueType (sfnt) font without a font library: its tables, per-glyph byte ranges and
 * metrics, and its Unicode cmap, parsed once into what `truetype-subset.ts` copies from and the
 * PDF font descriptor needs.
 */

/** A table tag as the big-endian number the table directory holds. */
export const tagOf = (name: string) =>
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

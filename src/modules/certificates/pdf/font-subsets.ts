/**
 * The subset fonts of `cjk-font.ts`: a TrueType subset of a face (`truetype-subset.ts`) with its
 * widths and ToUnicode CMap, compressed, and written into a document as a Type0/CIDFontType2 font
 * (ISO 32000-1 §9.7). Fixed subsets, which depend only on a template's text, are built once and
 * kept in a small LRU.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { PDFInvalidObject, PDFRawStream, PDFString, type PDFDocument, type PDFRef } from 'pdf-lib';
import { fontTables, primaryFace, type FontFace, type FontWeight } from './font.ts';
import type { SfntFont } from './sfnt.ts';
import { glyphClosure, writeTrueTypeSubset } from './truetype-subset.ts';

/**
 * Always in the fixed subset of the regular weight: what identifiers, masked ID numbers and dates
 * are made of (digits, capitals, a few signs, 年月日). Other ASCII, such as the deployment's URL,
 * comes with the template's fixed text or goes into the variable subset. The bold weight draws
 * only the title and the seal's text.
 */
const ALWAYS: Record<FontWeight, string> = {
  regular: ' 0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.-*:/()年月日',
  bold: ' ',
};

/** What one embedded subset font contributes to a document. */
interface SubsetFont {
  baseFont: string;
  fontFile: Uint8Array; // deflated TrueType
  fontFileLength: number; // Length1: the uncompressed size
  toUnicode: Uint8Array; // deflated CMap
  widths: Uint8Array; // the serialised W array
}

/** A built fixed subset: its PDF bytes and which CID draws which character. */
export interface FixedSubset extends SubsetFont {
  cids: Map<number, number>;
}

// Per template and issuer, each about 40–60 KB compressed.
const FIXED_CACHE_LIMIT = 128;
const fixedCache = new Map<string, FixedSubset>();

function subsetTag(face: FontFace, gids: readonly number[]): string {
  const digest = createHash('sha256').update(face.name).update(Uint32Array.from(gids)).digest();
  let tag = '';
  for (let i = 0; i < 6; i++) tag += String.fromCharCode(65 + (digest[i]! % 26));
  return tag;
}

/** W array: `[0 [w0 w1 …]]` in thousandths of the em (ISO 32000-1 §9.7.4.3). */
function widthsArray(font: SfntFont, order: readonly number[]): Uint8Array {
  const scale = 1000 / font.unitsPerEm;
  const ws = order.map((gid) => Math.round(font.advances[gid]! * scale * 100) / 100);
  return new TextEncoder().encode(`[0 [${ws.join(' ')}]]`);
}

export const hex4 = (n: number) => n.toString(16).padStart(4, '0');

function utf16Hex(codePoint: number): string {
  if (codePoint < 0x10000) return hex4(codePoint);
  const v = codePoint - 0x10000;
  return hex4(0xd800 + (v >> 10)) + hex4(0xdc00 + (v & 0x3ff));
}

/** ToUnicode CMap (Adobe technical note #5411), at most 100 mappings per bfchar block. */
function toUnicodeCmap(codePoints: readonly number[]): string {
  const entries = codePoints.map((cp, i) => `<${hex4(i + 1)}> <${utf16Hex(cp)}>`);
  let blocks = '';
  for (let i = 0; i < entries.length; i += 100) {
    const chunk = entries.slice(i, i + 100);
    blocks += `${chunk.length} beginbfchar\n${chunk.join('\n')}\nendbfchar\n`;
  }
  return (
    '/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n' +
    '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n' +
    '/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n' +
    '1 begincodespacerange\n<0000> <ffff>\nendcodespacerange\n' +
    blocks +
    'endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend'
  );
}

/** A subset of `face` for `codePoints` (CID i + 1 = codePoints[i]; CID 0 is .notdef). */
export function buildSubset(face: FontFace, codePoints: readonly number[], level: number): SubsetFont {
  const sfnt = face.tables();
  const gids = [0, ...codePoints.map((cp) => sfnt.gidOf(cp))];
  const order = glyphClosure(sfnt, gids);
  const file = writeTrueTypeSubset(sfnt, order);
  return {
    baseFont: `${subsetTag(face, order)}+${face.name}`,
    fontFile: deflateSync(file, { level }),
    fontFileLength: file.length,
    toUnicode: deflateSync(new TextEncoder().encode(toUnicodeCmap(codePoints)), { level }),
    widths: widthsArray(sfnt, order),
  };
}

/** The same fixed text usually comes back verbatim: a lookup before the glyph set is computed. */
const byText = new Map<string, FixedSubset>();

export function fixedSubset(weight: FontWeight, fixedText: string): FixedSubset {
  const textKey = `${weight}:${fixedText}`;
  const known = byText.get(textKey);
  if (known) return known;
  const built = fixedSubsetOf(weight, fixedText);
  byText.set(textKey, built);
  if (byText.size > FIXED_CACHE_LIMIT) byText.delete(byText.keys().next().value!);
  return built;
}

function fixedSubsetOf(weight: FontWeight, fixedText: string): FixedSubset {
  const { gidOf } = fontTables(weight);
  const set = new Set<number>();
  for (const ch of ALWAYS[weight] + fixedText) {
    const cp = ch.codePointAt(0)!;
    if (gidOf(cp) !== 0) set.add(cp);
  }
  const codePoints = [...set].sort((a, b) => a - b);
  const key = `${weight}:${String.fromCodePoint(...codePoints)}`;
  const hit = fixedCache.get(key);
  if (hit) {
    fixedCache.delete(key);
    fixedCache.set(key, hit);
    return hit;
  }
  const built: FixedSubset = { ...buildSubset(primaryFace(weight), codePoints, 9), cids: new Map(codePoints.map((cp, i) => [cp, i + 1])) };
  fixedCache.set(key, built);
  if (fixedCache.size > FIXED_CACHE_LIMIT) fixedCache.delete(fixedCache.keys().next().value!);
  return built;
}

/** The PDF objects of one subset, registered at `ref` (the Type0 font). */
export function registerSubset(doc: PDFDocument, ref: PDFRef, subset: SubsetFont, face: FontFace): void {
  const context = doc.context;
  const fontFile = context.register(
    PDFRawStream.of(context.obj({ Length1: subset.fontFileLength, Filter: 'FlateDecode' }), subset.fontFile),
  );
  const sfnt = face.tables();
  const scale = 1000 / sfnt.unitsPerEm;
  const descriptor = context.register(
    context.obj({
      Type: 'FontDescriptor',
      FontName: subset.baseFont,
      Flags: sfnt.flags,
      FontBBox: sfnt.bbox.map((v) => v * scale),
      ItalicAngle: sfnt.italicAngle,
      Ascent: sfnt.ascent * scale,
      Descent: sfnt.descent * scale,
      CapHeight: sfnt.capHeight * scale,
      XHeight: sfnt.xHeight * scale,
      StemV: 0,
      FontFile2: fontFile,
    }),
  );
  const widths = context.register(PDFInvalidObject.of(subset.widths));
  const cidFont = context.register(
    context.obj({
      Type: 'Font',
      Subtype: 'CIDFontType2',
      CIDToGIDMap: 'Identity',
      BaseFont: subset.baseFont,
      CIDSystemInfo: { Registry: PDFString.of('Adobe'), Ordering: PDFString.of('Identity'), Supplement: 0 },
      FontDescriptor: descriptor,
      W: widths,
    }),
  );
  const toUnicode = context.register(PDFRawStream.of(context.obj({ Filter: 'FlateDecode' }), subset.toUnicode));
  context.assign(
    ref,
    context.obj({
      Type: 'Font',
      Subtype: 'Type0',
      BaseFont: subset.baseFont,
      Encoding: 'Identity-H',
      DescendantFonts: [cidFont],
      ToUnicode: toUnicode,
    }),
  );
}

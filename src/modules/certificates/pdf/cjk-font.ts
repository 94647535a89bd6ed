/**
 * Chinese text on a certificate page with subset fonts that cost almost nothing per document.
 *
 * Each weight is embedded as two Type0/CIDFontType2 fonts (ISO 32000-1 §9.7):
 * - a **fixed** subset: the glyphs of the template's own text, the issuer's name, ASCII and the
 *   characters of dates. It depends only on that text, so it is built, compressed and kept once
 *   (a small LRU keyed by the glyph set) and every document reuses its bytes;
 * - a **variable** subset: only the characters the fixed one lacks — the holder's name, the
 *   address, a village — usually a few glyphs, written per document by `truetype-subset.ts`;
 * - for a rare character Noto Serif SC lacks (生僻字, e.g. 𪚥 U+2A6A5), a variable subset of the
 *   fallback face that has it (HanaMinA/B, see `font.ts`), only in the documents that need it.
 *
 * Text is drawn with raw text operators that switch between the two fonts inside one BT … ET, so
 * the page reads as before: the same advance widths, each glyph mapped back to its character by
 * a ToUnicode CMap (copy, search and `pdftotext` work). A character the font lacks throws
 * MissingGlyphsError instead of becoming a blank.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import type { PDFName } from 'pdf-lib';
import {
  beginText,
  endText,
  PDFHexString,
  PDFInvalidObject,
  PDFRawStream,
  PDFString,
  popGraphicsState,
  pushGraphicsState,
  rotateAndSkewTextDegreesAndTranslate,
  setFillingColor,
  setFontAndSize,
  setGraphicsState,
  showText,
  type BlendMode,
  type Color,
  type PDFDocument,
  type PDFOperator,
  type PDFPage,
  type PDFRef,
} from 'pdf-lib';
import { faceFor, fontTables, MissingGlyphsError, primaryFace, type FontFace, type FontWeight } from './font.ts';
import { glyphClosure, writeTrueTypeSubset, type SfntFont } from './truetype-subset.ts';

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
interface FixedSubset extends SubsetFont {
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

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

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
function buildSubset(face: FontFace, codePoints: readonly number[], level: number): SubsetFont {
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

function fixedSubset(weight: FontWeight, fixedText: string): FixedSubset {
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
function registerSubset(doc: PDFDocument, ref: PDFRef, subset: SubsetFont, face: FontFace): void {
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

export interface TextStyle {
  x: number;
  y: number;
  size: number;
  color: Color;
  /** Degrees, counter-clockwise. */
  rotate?: number;
  opacity?: number;
  blendMode?: BlendMode;
}

/** A per-document subset of one face: the characters drawn with it, in CID order (CID = index + 1). */
interface VariableSubset {
  face: FontFace;
  ref: PDFRef;
  codePoints: number[];
  cids: Map<number, number>;
}

/** One weight of the certificate font in one document. Call `finish()` before saving. */
export class CertificateFont {
  private readonly fixed: FixedSubset;
  private readonly fixedRef: PDFRef;
  /** The weight's own face first, then any fallback face a character needed. */
  private readonly variables = new Map<FontFace, VariableSubset>();
  /** The resource name of each font on each page, added when first drawn with there. */
  private readonly pageKeys = new Map<PDFPage, Map<PDFRef, PDFName>>();
  private readonly states = new Map<string, PDFName>();
  private finished = false;

  /** `fixedText`: the text that does not change between this template's documents. */
  constructor(
    private readonly doc: PDFDocument,
    private readonly weight: FontWeight,
    fixedText: string,
  ) {
    this.fixed = fixedSubset(weight, fixedText);
    this.fixedRef = doc.context.nextRef();
  }

  widthOfTextAtSize(text: string, size: number): number {
    let width = 0;
    for (const ch of text) {
      const found = faceFor(this.weight, ch.codePointAt(0)!);
      const sfnt = (found?.face ?? primaryFace(this.weight)).tables();
      width += sfnt.advances[found?.gid ?? 0]! / sfnt.unitsPerEm;
    }
    return width * size;
  }

  draw(page: PDFPage, text: string, style: TextStyle): void {
    if (this.finished) throw new Error('the font of this document is already written');
    const ops: PDFOperator[] = [pushGraphicsState()];
    if (style.opacity !== undefined || style.blendMode !== undefined) ops.push(setGraphicsState(this.graphicsState(page, style)));
    ops.push(beginText(), setFillingColor(style.color), rotateAndSkewTextDegreesAndTranslate(style.rotate ?? 0, 0, 0, style.x, style.y));
    let current: PDFRef | undefined;
    let run = '';
    const flush = () => {
      if (run) ops.push(showText(PDFHexString.of(run)));
      run = '';
    };
    const missing: string[] = [];
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      let ref = this.fixedRef;
      let cid = this.fixed.cids.get(cp);
      if (cid === undefined) {
        const found = faceFor(this.weight, cp);
        if (!found) {
          missing.push(ch);
          continue;
        }
        const subset = this.variableOf(found.face);
        ref = subset.ref;
        cid = subset.cids.get(cp);
        if (cid === undefined) {
          subset.codePoints.push(cp);
          subset.cids.set(cp, (cid = subset.codePoints.length));
        }
      }
      if (ref !== current) {
        flush();
        ops.push(setFontAndSize(this.keyOn(page, ref), style.size));
        current = ref;
      }
      run += hex4(cid);
    }
    if (missing.length > 0) throw new MissingGlyphsError([...new Set(missing)]);
    flush();
    ops.push(endText(), popGraphicsState());
    page.pushOperators(...ops);
  }

  private variableOf(face: FontFace): VariableSubset {
    let subset = this.variables.get(face);
    if (!subset) this.variables.set(face, (subset = { face, ref: this.doc.context.nextRef(), codePoints: [], cids: new Map() }));
    return subset;
  }

  private keyOn(page: PDFPage, ref: PDFRef): PDFName {
    let keys = this.pageKeys.get(page);
    if (!keys) this.pageKeys.set(page, (keys = new Map<PDFRef, PDFName>()));
    let key = keys.get(ref);
    if (!key) keys.set(ref, (key = page.node.newFontDictionary('F', ref)));
    return key;
  }

  private graphicsState(page: PDFPage, style: TextStyle): PDFName {
    const key = `${style.opacity ?? ''}|${style.blendMode ?? ''}`;
    let name = this.states.get(key);
    if (!name) {
      const dict = this.doc.context.obj({ Type: 'ExtGState', ca: style.opacity, BM: style.blendMode });
      name = page.node.newExtGState('GS', this.doc.context.register(dict));
      this.states.set(key, name);
    }
    return name;
  }

  /** Writes the fixed subset and each variable one that has glyphs into the document. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    registerSubset(this.doc, this.fixedRef, this.fixed, primaryFace(this.weight));
    for (const subset of this.variables.values()) {
      if (subset.codePoints.length > 0) registerSubset(this.doc, subset.ref, buildSubset(subset.face, subset.codePoints, 6), subset.face);
    }
  }
}

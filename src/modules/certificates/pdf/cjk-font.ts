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
import type { PDFName } from 'pdf-lib';
import {
  beginText,
  endText,
  PDFHexString,
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
import { faceFor, MissingGlyphsError, primaryFace, type FontFace, type FontWeight } from './font.ts';
import { buildSubset, fixedSubset, hex4, registerSubset, type FixedSubset } from './font-subsets.ts';

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

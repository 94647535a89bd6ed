/**
 * The CJK fonts of PDF renditions: Noto Serif SC (SIL OFL 1.1) from `@fontsource/noto-serif-sc`,
 * its "chinese-simplified" cut (about 7,900 characters: GB2312 and the common extras, Latin,
 * CJK punctuation), regular and bold, from the WOFF files. Each weight is read, unwrapped and
 * parsed once per process into the per-glyph tables `truetype-subset.ts` copies from; embedding
 * is in `cjk-font.ts`.
 *
 * Names hold rarer characters (生僻字) than that cut: the whole URO, Extension A and Extensions
 * B–F. For those the fallback fonts are HanaMinA and HanaMinB (花園明朝, from GlyphWiki, free;
 * Debian's `fonts-hanazono`, which the project's preflight `scripts/system-tools.mjs` installs):
 * TrueType outlines, so the same subsetter embeds them. No npm package carries a font with the
 * supplementary ideographs (fontsource's CJK cuts stop at the BMP). They are found by path at run
 * time (`YIBAN_FALLBACK_FONTS`, colon-separated, overrides the list) and read only when a text needs
 * them; a character no font has gives PDF_GLYPHS_UNAVAILABLE (503), never a blank or a 500.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';
import { AppError } from '../../../core/errors.ts';
import { parseSfnt, type SfntFont } from './truetype-subset.ts';

export type FontWeight = 'regular' | 'bold';

const FILES: Record<FontWeight, string> = {
  regular: '@fontsource/noto-serif-sc/files/noto-serif-sc-chinese-simplified-400-normal.woff',
  bold: '@fontsource/noto-serif-sc/files/noto-serif-sc-chinese-simplified-700-normal.woff',
};

/** Thrown when text holds characters no font can draw, instead of dropping them silently. */
export class MissingGlyphsError extends AppError {
  constructor(readonly characters: string[]) {
    super(
      'PDF_GLYPHS_UNAVAILABLE',
      { characters: characters.join(' ') },
      { codePoints: characters.map((ch) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`) },
    );
    this.name = 'MissingGlyphsError';
  }
}

/** One font a PDF can embed glyphs from. */
export interface FontFace {
  /** PostScript-style name, the BaseFont after the subset tag. */
  name: string;
  tables(): SfntFont;
}

const PRIMARY_NAMES: Record<FontWeight, string> = { regular: 'NotoSerifSC-Regular', bold: 'NotoSerifSC-Bold' };
const primaryFaces: Record<FontWeight, FontFace> = {
  regular: { name: PRIMARY_NAMES.regular, tables: () => fontTables('regular').sfnt },
  bold: { name: PRIMARY_NAMES.bold, tables: () => fontTables('bold').sfnt },
};

/** The Noto Serif SC face of a weight. */
export const primaryFace = (weight: FontWeight): FontFace => primaryFaces[weight];

export const DEFAULT_FALLBACK_FONTS = [
  '/usr/share/fonts/truetype/hanazono/HanaMinA.ttf',
  '/usr/share/fonts/truetype/hanazono/HanaMinB.ttf',
];

let fallbacks: (FontFace & { file: string })[] | undefined;

/** The fallback faces present on this machine, in order (HanaMinA: BMP; HanaMinB: Extensions B–F). */
export function fallbackFaces(): readonly (FontFace & { file: string })[] {
  if (!fallbacks) {
    const files = process.env.YIBAN_FALLBACK_FONTS?.split(':').filter(Boolean) ?? DEFAULT_FALLBACK_FONTS;
    fallbacks = files
      .filter((file) => existsSync(file))
      .map((file) => {
        let sfnt: SfntFont | undefined;
        const base = file
          .replace(/^.*\//, '')
          .replace(/\.[^.]+$/, '')
          .replace(/[^A-Za-z0-9-]/g, '');
        return { file, name: base, tables: () => (sfnt ??= parseSfnt(new Uint8Array(readFileSync(file)))) };
      });
  }
  return fallbacks;
}

/** For tests: forget the fallback faces found, so that the next call looks again. */
export function resetFallbackFacesForTest(): void {
  fallbacks = undefined;
}

/**
 * The face and glyph that draw a code point: the weight's Noto face, else the first fallback face
 * that has it (the fallback faces have one weight; the bold text is the title and the seal's).
 */
export function faceFor(weight: FontWeight, codePoint: number): { face: FontFace; gid: number } | undefined {
  const primary = fontTables(weight).gidOf(codePoint);
  if (primary !== 0) return { face: primaryFaces[weight], gid: primary };
  for (const face of fallbackFaces()) {
    const gid = face.tables().gidOf(codePoint);
    if (gid !== 0) return { face, gid };
  }
  return undefined;
}

/** The TrueType bytes (glyphs padded, long loca) of a weight, unwrapped from its WOFF once. */
const sfntBytes = new Map<FontWeight, Uint8Array>();
const parsed = new Map<FontWeight, SfntFont>();

export function certificateFontBytes(weight: FontWeight): Uint8Array {
  let bytes = sfntBytes.get(weight);
  if (!bytes) {
    const file = createRequire(import.meta.url).resolve(FILES[weight]);
    sfntBytes.set(weight, (bytes = woffToSfnt(readFileSync(file))));
  }
  return bytes;
}

/** The parsed font of a weight: metrics, glyph data and the Unicode cmap. */
export function fontTables(weight: FontWeight): { sfnt: SfntFont; gidOf: (codePoint: number) => number } {
  let sfnt = parsed.get(weight);
  if (!sfnt) parsed.set(weight, (sfnt = parseSfnt(certificateFontBytes(weight))));
  return { sfnt, gidOf: sfnt.gidOf };
}

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

const IGNORABLE = /[\s\u200b-\u200d\ufeff]/u;

/** The characters of `text` that no font (the weight's, then the fallbacks) can draw, whitespace aside. */
export function missingGlyphs(text: string, weight: FontWeight = 'regular'): string[] {
  const missing = new Set<string>();
  for (const ch of text) if (!IGNORABLE.test(ch) && !faceFor(weight, ch.codePointAt(0)!)) missing.add(ch);
  return [...missing];
}

/** Throws MissingGlyphsError when any of the texts has a character the font cannot draw. */
export function assertDrawable(texts: Iterable<string>, weight: FontWeight = 'regular'): void {
  const missing = new Set<string>();
  for (const text of texts) for (const ch of missingGlyphs(text, weight)) missing.add(ch);
  if (missing.size > 0) throw new MissingGlyphsError([...missing]);
}

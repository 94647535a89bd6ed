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
import { AppError } from '../../../core/errors.ts';
import { parseSfnt, type SfntFont } from './sfnt.ts';
import { woffToSfnt } from './woff.ts';

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

/**
 * The CJK fonts of PDF renditions: Noto Serif SC (SIL OFL 1.1) from `@fontsource/noto-serif-sc`,
 * its "chinese-simplified" cut (about 7,900 characters: GB2312 and the common extras, Latin,
 * CJK punctuation), regular and bold. Each weight is read and parsed once per process.
 *
 * Why the wrapper: pdf-lib calls `fontkit.create(bytes)` for every document and `font.layout()`
 * for every string; parsing the font and running the OpenType shaper are what make naive
 * rendering slow (13–33 PDFs/s). Here `create` hands back the one parsed font, and `layout` maps
 * code points straight to glyphs — Chinese and the ASCII of identifiers and URLs need no
 * shaping. Each document still gets its own subset with only the glyphs it uses.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import fontkit from '@pdf-lib/fontkit';
import type { PDFDocument } from 'pdf-lib';

export type FontWeight = 'regular' | 'bold';

type Fontkit = Parameters<PDFDocument['registerFontkit']>[0];

type FontkitFont = ReturnType<Fontkit['create']>;
type GlyphRun = ReturnType<FontkitFont['layout']>;

const FILES: Record<FontWeight, string> = {
  regular: '@fontsource/noto-serif-sc/files/noto-serif-sc-chinese-simplified-400-normal.woff2',
  bold: '@fontsource/noto-serif-sc/files/noto-serif-sc-chinese-simplified-700-normal.woff2',
};

/** Thrown when text holds characters the font cannot draw, instead of dropping them silently. */
export class MissingGlyphsError extends Error {
  constructor(readonly characters: string[]) {
    super(`the certificate font has no glyph for: ${characters.join(' ')}`);
    this.name = 'MissingGlyphsError';
  }
}

const loaded = new Map<FontWeight, FontkitFont>();

function loadFont(weight: FontWeight): FontkitFont {
  const cached = loaded.get(weight);
  if (cached) return cached;
  const file = createRequire(import.meta.url).resolve(FILES[weight]);
  const real = (fontkit as Fontkit).create(new Uint8Array(readFileSync(file)));
  const fast = Object.create(real) as FontkitFont;
  fast.layout = (text: string): GlyphRun => {
    const glyphs = [];
    for (const ch of text) glyphs.push(real.glyphForCodePoint(ch.codePointAt(0)!));
    return { glyphs } as unknown as GlyphRun;
  };
  loaded.set(weight, fast);
  return fast;
}

/** A fontkit for `registerFontkit` whose `create` returns the parsed font of that weight. */
export function fontkitFor(weight: FontWeight): Fontkit {
  const font = loadFont(weight);
  return { create: () => font };
}

/** The bytes handed to `embedFont`; ignored by `fontkitFor`, but pdf-lib wants some. */
export const FONT_PLACEHOLDER = new Uint8Array(4);

const IGNORABLE = /[\s\u200b-\u200d\ufeff]/u;

/** The characters of `text` the font lacks (whitespace aside). */
export function missingGlyphs(text: string, weight: FontWeight = 'regular'): string[] {
  const font = loadFont(weight);
  const missing = new Set<string>();
  for (const ch of text) if (!IGNORABLE.test(ch) && !font.hasGlyphForCodePoint(ch.codePointAt(0)!)) missing.add(ch);
  return [...missing];
}

/** Throws MissingGlyphsError when any of the texts has a character the font cannot draw. */
export function assertDrawable(texts: Iterable<string>, weight: FontWeight = 'regular'): void {
  const missing = new Set<string>();
  for (const text of texts) for (const ch of missingGlyphs(text, weight)) missing.add(ch);
  if (missing.size > 0) throw new MissingGlyphsError([...missing]);
}

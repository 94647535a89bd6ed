/**
 * The CJK fonts of PDF renditions: Noto Serif SC (SIL OFL 1.1) from `@fontsource/noto-serif-sc`,
 * its "chinese-simplified" cut (about 7,900 characters: GB2312 and the common extras, Latin,
 * CJK punctuation), regular and bold, from the WOFF files. Each weight is read, unwrapped and
 * parsed once per process.
 *
 * Why the wrapper: pdf-lib calls `fontkit.create(bytes)` for every document and `font.layout()`
 * for every string; parsing the font and running the OpenType shaper are what make naive
 * rendering slow (13–33 PDFs/s). Here `create` hands back the one parsed font, and `layout` maps
 * code points straight to glyphs — Chinese and the ASCII of identifiers and URLs need no
 * shaping. Each document still gets its own subset with only the glyphs it uses.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';
import fontkit from '@pdf-lib/fontkit';
import type { PDFDocument } from 'pdf-lib';

export type FontWeight = 'regular' | 'bold';

type Fontkit = Parameters<PDFDocument['registerFontkit']>[0];

type FontkitFont = ReturnType<Fontkit['create']>;
type GlyphRun = ReturnType<FontkitFont['layout']>;

const FILES: Record<FontWeight, string> = {
  regular: '@fontsource/noto-serif-sc/files/noto-serif-sc-chinese-simplified-400-normal.woff',
  bold: '@fontsource/noto-serif-sc/files/noto-serif-sc-chinese-simplified-700-normal.woff',
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
  const real = (fontkit).create(woffToSfnt(readFileSync(file)));
  const fast = Object.create(real) as FontkitFont;
  // fontkit's cmap lookup is slow enough to show in a profile; a certificate reuses few characters.
  const byCodePoint = new Map<number, ReturnType<FontkitFont['glyphForCodePoint']>>();
  fast.glyphForCodePoint = (codePoint) => {
    let glyph = byCodePoint.get(codePoint);
    if (!glyph) byCodePoint.set(codePoint, (glyph = real.glyphForCodePoint(codePoint)));
    return glyph;
  };
  fast.hasGlyphForCodePoint = (codePoint) => fast.glyphForCodePoint(codePoint).id !== 0;
  fast.layout = (text: string): GlyphRun => {
    const glyphs = [];
    for (const ch of text) glyphs.push(fast.glyphForCodePoint(ch.codePointAt(0)!));
    return { glyphs } as unknown as GlyphRun;
  };
  fast.createSubset = () => synchronousSubset(real);
  loaded.set(weight, fast);
  return fast;
}

/**
 * WOFF 1.0 (W3C) to the plain sfnt it wraps: each table inflated once. fontkit reads WOFF
 * directly but inflates a table on every access, and its subsetter mishandles WOFF2's
 * transformed glyf/loca (it copies the whole glyph table into every subset).
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

type Subset = ReturnType<FontkitFont['createSubset']>;
interface ChunkSink {
  push(chunk: Uint8Array | null): boolean;
  end(): void;
}
type EncodeStreamClass = new () => ChunkSink;
let encodeStreamClass: EncodeStreamClass | undefined;

/**
 * A subset whose `encodeStream` encodes at once. fontkit's own defers through a bundled
 * `process.nextTick` shim built on `setTimeout`, whose minimum delay of about a millisecond per
 * chunk dominated the time of a whole document.
 */
function synchronousSubset(real: FontkitFont): Subset {
  const subset = real.createSubset() as Subset & { encode(stream: ChunkSink): void };
  // restructure's EncodeStream, taken from a stream fontkit makes (the class is not exported).
  encodeStreamClass ??= subset.encodeStream().constructor as unknown as EncodeStreamClass;
  const Stream = encodeStreamClass;
  subset.encodeStream = () => {
    const chunks: Uint8Array[] = [];
    const sink = new Stream();
    sink.push = (chunk) => {
      if (chunk) chunks.push(chunk);
      return true;
    };
    subset.encode(sink);
    sink.end();
    const bytes = Buffer.concat(chunks);
    const emitter = {
      on(event: string, listener: (arg?: Uint8Array) => void) {
        if (event === 'data') listener(bytes);
        else if (event === 'end') listener();
        return emitter;
      },
    };
    return emitter as unknown as ReturnType<Subset['encodeStream']>;
  };
  return subset;
}

/** A fontkit for `registerFontkit` whose `create` returns the parsed font of that weight. */
export function fontkitFor(weight: FontWeight): Fontkit {
  const font = loadFont(weight);
  return { create: () => font };
}

function checksum(data: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < data.length; i += 4) sum = (sum + (((data[i] ?? 0) << 24) | ((data[i + 1] ?? 0) << 16) | ((data[i + 2] ?? 0) << 8) | (data[i + 3] ?? 0))) >>> 0;
  return sum;
}

const tag = (name: string) => name.split('').reduce((n, c) => n * 256 + c.charCodeAt(0), 0);

/**
 * Pads every glyph to 4 bytes and rewrites `loca` in the long format. The fontsource fonts pack
 * glyphs at odd lengths; fontkit's subsetter then writes a short-format `loca` (offsets / 2),
 * which cuts those glyphs off and leaves blank characters on the page.
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

/** A subset font's PostScript name: six capitals, '+', the font (ISO 32000-1 §9.6.4). */
export function subsetFontName(base: string): string {
  let tag = '';
  for (let i = 0; i < 6; i++) tag += String.fromCharCode(65 + Math.floor(Math.random() * 26));
  return `${tag}+${base}`;
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

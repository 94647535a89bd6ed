/**
 * Line breaking for Chinese text: any two CJK characters may be split, runs of Latin letters and
 * digits (identifiers, URLs, ID numbers) stay whole unless longer than a line, and the kinsoku
 * rules hold: closing punctuation never starts a line (it hangs into the margin instead, as in
 * Chinese typesetting), opening punctuation never ends one.
 */

const NO_LINE_START = new Set([...'，。、；：？！）》」』】〕〉”’%‰·…—～,.;:?!)]}']);
const NO_LINE_END = new Set([...'（《「『【〔〈“‘([{']);
const WORD = /[A-Za-z0-9@#&*+\-=/_.:~%]/;

export type Measure = (text: string) => number;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let word = '';
  for (const ch of text) {
    if (WORD.test(ch)) {
      word += ch;
      continue;
    }
    if (word) tokens.push(word);
    word = '';
    tokens.push(ch);
  }
  if (word) tokens.push(word);
  return tokens;
}

/** Splits a token wider than a line into pieces that fit. */
function splitLong(token: string, width: number, measure: Measure): string[] {
  const pieces: string[] = [];
  let piece = '';
  for (const ch of token) {
    if (piece && measure(piece + ch) > width) {
      pieces.push(piece);
      piece = '';
    }
    piece += ch;
  }
  if (piece) pieces.push(piece);
  return pieces;
}

/**
 * The lines of one paragraph; `firstIndent` is the width taken off the first line. `measure`
 * must be additive (the width of a string is the sum of its parts' widths, as without kerning):
 * the line's width is kept as a running sum instead of being measured again for every token.
 */
export function wrapParagraph(text: string, options: { width: number; measure: Measure; firstIndent?: number }): string[] {
  const { width, measure } = options;
  const lines: string[] = [];
  let line = '';
  let lineWidth = 0;
  let available = width - (options.firstIndent ?? 0);
  const push = () => {
    lines.push(line.trimEnd());
    line = '';
    lineWidth = 0;
    available = width;
  };
  const tokens = tokenize(text).flatMap((t) => (measure(t) > width ? splitLong(t, width, measure) : [t]));
  for (const token of tokens) {
    if (line === '' && token === ' ') continue;
    const w = measure(token);
    if (lineWidth + w <= available || line === '') {
      line += token;
      lineWidth += w;
      continue;
    }
    if (NO_LINE_START.has(token)) {
      line += token; // hanging punctuation
      lineWidth += w;
      continue;
    }
    // An opening bracket at the end of the line moves down with what it opens.
    const last = [...line].at(-1);
    if (last && NO_LINE_END.has(last)) {
      line = line.slice(0, -last.length);
      push();
      line = last + token;
      lineWidth = measure(line);
      continue;
    }
    push();
    line = token === ' ' ? '' : token;
    lineWidth = line ? w : 0;
  }
  if (line) push();
  return lines;
}

/** Fills `{{name}}` placeholders; unknown or undisclosed names become `hidden`. */
export function fillTemplate(template: string, values: ReadonlyMap<string, string>, hidden = '＊＊＊'): string {
  return template.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_, name: string) => values.get(name) || hidden);
}

import { describe, expect, it } from 'vitest';
import { fillTemplate, wrapParagraph } from './text-layout.ts';

// Full-width characters 1 unit, ASCII half: additive, as the certificate font's widths are.
const measure = (t: string) => [...t].reduce((w, ch) => w + (ch.charCodeAt(0) < 0x80 ? 0.5 : 1), 0);
const CLOSING = '，。、；：？！）》」';
const OPENING = '（《「';

function randomText(seed: number, length: number, longWords: boolean): string {
  const pool = [
    '证',
    '明',
    '居',
    '住',
    '于',
    '河',
    '北',
    '省',
    ...CLOSING,
    ...OPENING,
    ' ',
    'ID',
    '130123',
    ...(longWords ? ['https://yiban.example.cn/verify'] : []),
  ];
  let x = seed;
  let s = '';
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    s += pool[x % pool.length];
  }
  return s;
}

describe('wrapParagraph', () => {
  it('keeps lines within the width (hanging punctuation aside) and loses nothing but spaces at breaks', () => {
    for (let seed = 1; seed <= 600; seed++) {
      // Words longer than a line are split to full lines (checked below), so only half the texts have them.
      const longWords = seed % 2 === 0;
      const text = randomText(seed, 10 + (seed % 60), longWords);
      const lines = wrapParagraph(text, { width: 12, measure, firstIndent: 2 });
      lines.forEach((line, i) => {
        const available = i === 0 ? 10 : 12;
        const trimmed = [...line];
        // Hanging closing punctuation may pass the margin; nothing else may.
        while (trimmed.length > 1 && CLOSING.includes(trimmed.at(-1)!)) trimmed.pop();
        if (!longWords && trimmed.length > 1)
          expect(measure(trimmed.join('')), `seed ${seed} line ${i}: ${line}`).toBeLessThanOrEqual(available + 1e-9);
      });
      // Nothing lost but spaces at the breaks.
      expect(lines.join('').replace(/ /g, '')).toBe(text.replace(/ /g, ''));
    }
  });

  it('hangs closing punctuation instead of starting a line with it', () => {
    expect(wrapParagraph('证明证明证明证明证明。特此', { width: 10, measure })).toEqual(['证明证明证明证明证明。', '特此']);
  });

  it('moves an opening bracket at the end of a line down with what it opens', () => {
    const lines = wrapParagraph('证明证明证明证明证明（居民）', { width: 11, measure });
    expect(lines).toEqual(['证明证明证明证明证明', '（居民）']);
    expect(OPENING).toContain('（');
  });

  it('keeps identifiers whole unless longer than a line', () => {
    const lines = wrapParagraph('证明编号证明编号证明 1.2.156.3005.2 核验', { width: 12, measure });
    expect(lines.some((l) => l.includes('1.2.156.3005.2'))).toBe(true);
    const long = wrapParagraph('x'.repeat(60), { width: 12, measure });
    expect(long).toEqual(['x'.repeat(24), 'x'.repeat(24), 'x'.repeat(12)]);
  });
});

describe('fillTemplate', () => {
  it('fills known names and hides unknown or empty ones', () => {
    expect(
      fillTemplate(
        '兹证明 {{holderName}}（{{ id }}）{{missing}}',
        new Map([
          ['holderName', '张伟'],
          ['id', ''],
        ]),
      ),
    ).toBe('兹证明 张伟（＊＊＊）＊＊＊');
  });
});

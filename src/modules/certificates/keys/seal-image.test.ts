import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arcLayout, renderSealSvg, starPath } from './seal-image.ts';

/** A strict little well-formedness check: balanced tags, quoted attributes, known entities only. */
function assertWellFormed(xml: string): void {
  const stack: string[] = [];
  const token = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = token.exec(xml))) {
    consumed = token.lastIndex;
    const [, closing, name, , selfClosing, text] = match;
    if (text !== undefined) {
      expect(text.replace(/&(lt|gt|amp|quot|apos);/g, '')).not.toMatch(/[&<>]/);
      continue;
    }
    if (closing) expect(stack.pop()).toBe(name);
    else if (!selfClosing) stack.push(name!);
  }
  expect(consumed).toBe(xml.length);
  expect(stack).toEqual([]);
}

const textOf = (svg: string) =>
  [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) =>
    m[1]!
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&'),
  );

describe('seal image', () => {
  it('draws the ring, the star, each character of the name and the bottom line', () => {
    const svg = renderSealSvg({ name: '塔元庄村民委员会', bottomText: '电子证明专用章' });
    assertWellFormed(svg);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain(`<path d="${starPath()}"/>`);
    expect(svg).toMatch(/<circle [^>]*fill="none" stroke="#d7000f"/);
    const texts = textOf(svg);
    expect(texts.slice(0, 8)).toEqual([...'塔元庄村民委员会']);
    expect(texts[8]).toBe('电子证明专用章');
    // Characters are placed one by one, rotated symmetrically about the top.
    const angles = [...svg.matchAll(/rotate\((-?[\d.]+)\)/g)].map((m) => Number(m[1]));
    expect(angles).toHaveLength(8);
    expect(angles[0]).toBeCloseTo(-angles[7]!, 5);
    expect(svg).toMatch(/font-family="[^"]*SimSun[^"]*serif"/);
  });

  it('draws a regular five-pointed star centred in the seal', () => {
    const coordinates = starPath()
      .slice(1, -1)
      .split('L')
      .map((p) => p.split(' ').map(Number) as [number, number]);
    expect(coordinates).toHaveLength(10);
    const centre = coordinates.reduce(([sx, sy], [x, y]) => [sx + x / 10, sy + y / 10], [0, 0]);
    expect(centre[0]).toBeCloseTo(100, 1);
    expect(centre[1]).toBeCloseTo(100, 1);
    expect(coordinates[0]).toEqual([100, 70]); // the top point straight up
  });

  it('adapts spacing and size to the length of the name', () => {
    expect(arcLayout(2).spanDeg).toBe(60);
    expect(arcLayout(8)).toMatchObject({ stepDeg: 30, spanDeg: 210 });
    expect(arcLayout(25).spanDeg).toBeCloseTo(240, 5);
    expect(arcLayout(25).fontSize).toBeLessThan(arcLayout(8).fontSize);
  });

  it('accepts any name of 2–25 characters, escaped and complete', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.integer({ min: 0x4e00, max: 0x9fa5 }).map((c) => String.fromCharCode(c)),
            fc.constantFrom('&', '<', '>', '"', "'", '（', '）', 'A'),
          ),
          { minLength: 2, maxLength: 25 },
        ),
        (chars) => {
          const name = chars.join('');
          fc.pre(name.trim() === name);
          const svg = renderSealSvg({ name, bottomText: '专用章' });
          assertWellFormed(svg);
          expect(textOf(svg).slice(0, chars.length)).toEqual(chars);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses names that are too short or too long', () => {
    expect(() => renderSealSvg({ name: '村' })).toThrow();
    expect(() => renderSealSvg({ name: '村'.repeat(26) })).toThrow();
    expect(() => renderSealSvg({ name: '塔元庄村', bottomText: '字'.repeat(13) })).toThrow();
    expect(() => renderSealSvg({ name: '塔元庄村', color: 'red"/><script>' })).toThrow();
  });
});

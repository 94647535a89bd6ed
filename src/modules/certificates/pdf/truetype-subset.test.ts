import fontkit from '@pdf-lib/fontkit';
import { describe, expect, it } from 'vitest';
import { certificateFontBytes, fontTables } from './font.ts';
import { parseSfnt, type SfntFont } from './sfnt.ts';
import { glyphClosure, writeTrueTypeSubset } from './truetype-subset.ts';

describe('TrueType subsets', () => {
  it('keep each glyph outline and advance of the original (read back with fontkit)', () => {
    const original = fontkit.create(certificateFontBytes('regular'));
    const { sfnt, gidOf } = fontTables('regular');
    const text = '居住证明张伟河北省塔元庄村ABC123年月日：。';
    const order = glyphClosure(sfnt, [0, ...[...text].map((ch) => gidOf(ch.codePointAt(0)!))]);
    const subset = fontkit.create(writeTrueTypeSubset(sfnt, order));
    expect(subset.numGlyphs).toBe(order.length);
    order.forEach((gid, i) => {
      expect(gid).toBe(i === 0 ? 0 : original.glyphForCodePoint([...text][i - 1]!.codePointAt(0)!).id);
      expect(subset.getGlyph(i).advanceWidth).toBe(original.getGlyph(gid).advanceWidth);
      expect(subset.getGlyph(i).path.toSVG()).toBe(original.getGlyph(gid).path.toSVG());
    });
    // Our cmap agrees with fontkit's for the whole CJK block.
    for (let cp = 0x4e00; cp < 0x9fa6; cp += 7) expect(gidOf(cp)).toBe(original.glyphForCodePoint(cp).id);
  });

  it('bring the components of composite glyphs along, renumbered', () => {
    const real = fontTables('regular').sfnt;
    // Glyph 5: a composite of glyphs 3 and 7 (ARG_1_AND_2_ARE_WORDS, MORE_COMPONENTS on the first).
    const composite = new Uint8Array(10 + 8 + 8);
    const v = new DataView(composite.buffer);
    v.setInt16(0, -1);
    v.setUint16(10, 0x0001 | 0x0020);
    v.setUint16(12, 3);
    v.setUint16(18, 0x0001);
    v.setUint16(20, 7);
    const simple = real.glyph(real.gidOf('一'.codePointAt(0)!));
    const fake: SfntFont = { ...real, glyph: (gid) => (gid === 5 ? composite : gid === 0 ? new Uint8Array(0) : simple) };
    const order = glyphClosure(fake, [0, 5]);
    expect(order).toEqual([0, 5, 3, 7]);
    const back = parseSfnt(writeTrueTypeSubset(fake, order));
    expect(back.numGlyphs).toBe(4);
    const g = new DataView(back.glyph(1).buffer, back.glyph(1).byteOffset);
    expect([g.getUint16(12), g.getUint16(20)]).toEqual([2, 3]);
    expect(Buffer.from(back.glyph(2)).equals(Buffer.from(simple))).toBe(true);
  });
});

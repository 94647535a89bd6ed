import fontkit from '@pdf-lib/fontkit';
import { readFileSync } from 'node:fs';
for (const ext of ['woff','woff2']) {
  const p = `node_modules/@fontsource/noto-serif-sc/files/noto-serif-sc-chinese-simplified-400-normal.${ext}`;
  let t=performance.now();
  try {
  const f = fontkit.create(readFileSync(p));
  console.log(ext, 'parse ms', (performance.now()-t).toFixed(1), f.numGlyphs, f.characterSet.length, 'cff?', !!f['CFF '], f.unitsPerEm);
  const s = '居住证明兹证明张伟（居民身份证号码）自起居住于河北省石家庄市正定县正定镇塔元庄村特此证明。扫描二维码或访问核验鑫淼犇';
  console.log('missing', [...s].filter(c=>!f.hasGlyphForCodePoint(c.codePointAt(0))).join(''));
  t=performance.now();
  for (let i=0;i<50;i++){ const sub=f.createSubset(); for (const g of f.layout(s+i).glyphs) sub.includeGlyph(g); const b=sub.encodeStream? null:null; }
  console.log('layout ms/iter', ((performance.now()-t)/50).toFixed(2));
  } catch(e) { console.log(ext, 'ERR', e.message); }
}

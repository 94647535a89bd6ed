import fontkit from '@pdf-lib/fontkit';
import { readFileSync } from 'node:fs';
const f = fontkit.create(readFileSync('node_modules/@fontsource/noto-serif-sc/files/noto-serif-sc-chinese-simplified-400-normal.woff2'));
const base = '居住证明兹证明张伟（居民身份证号码）自起居住于河北省石家庄市正定县正定镇塔元庄村特此证明。扫描二维码或访问核验1.2.156.3005.2.YB101 http://localhost:3000/verify 2026年11月29日';
const names='赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜';
function run(i){
  const s = base + names[i%names.length]+names[(i*7)%names.length];
  let t0=performance.now();
  const glyphs=[...s].map(c=>f.glyphForCodePoint(c.codePointAt(0)));
  let t1=performance.now();
  const widths=glyphs.map(g=>g.advanceWidth);
  let t2=performance.now();
  const sub=f.createSubset(); for(const g of glyphs) sub.includeGlyph(g.id);
  const chunks=[]; const st=sub.encodeStream(); st.on('data',c=>chunks.push(c));
  let t3=performance.now();
  return [t1-t0,t2-t1,t3-t2, chunks.reduce((a,c)=>a+c.length,0)];
}
for (let k=0;k<3;k++){ const acc=[0,0,0,0]; for(let i=0;i<100;i++){const r=run(i); r.forEach((v,j)=>acc[j]+=v);} console.log(acc.map(v=>(v/100).toFixed(3))); }

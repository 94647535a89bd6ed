import { csvRows, readDivisionCsv } from './src/modules/orgs/division-source.ts';
let t = performance.now();
const text = await readDivisionCsv('village');
console.log('read', performance.now() - t); t = performance.now();
let n = 0; for (const r of csvRows(text)) if (r.code) n++;
console.log('parse', n, performance.now() - t);

import { randomBytes } from 'node:crypto';
import { encodeQrMatrix } from '../../src/modules/certificates/pdf/qr.ts';
import { qrPath } from '../../src/modules/certificates/pdf/draw.ts';
const t = (name: string, n: number, f: () => unknown) => { for (let i = 0; i < 20; i++) f(); const c = process.cpuUsage(); for (let i = 0; i < n; i++) f(); const u = process.cpuUsage(c); console.log(name, ((u.user + u.system) / 1000 / n).toFixed(3), 'ms CPU'); };
for (const len of [1200, 1700, 2200]) {
  const d = new Uint8Array(randomBytes(len));
  const m = encodeQrMatrix(d);
  console.log('len', len, 'size', m.size);
  t(' encode', 200, () => encodeQrMatrix(d));
  t(' path', 200, () => qrPath(m));

}

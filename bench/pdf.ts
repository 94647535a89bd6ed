/**
 * PDF renditions per second on one core: 200 signed certificate PDFs, each for a different
 * holder (so that every document gets its own font subset), against the floor of 100/s
 * (issue 3; aim 200/s). The certificate and keys come from one issuance on an in-memory PGlite;
 * only the rendering and signing are timed.
 */
import { randomBytes } from 'node:crypto';
import { createServices } from '../src/app.ts';
import { openDatabase } from '../src/db/database.ts';
import { SEED_CERTIFICATE_TYPES } from '../src/modules/certificates/certificate-types.seed.ts';
import { renderCertificatePdf } from '../src/modules/certificates/pdf/render-certificate-pdf.ts';
import { issueDemoCertificate } from '../src/demo/demo-certificate.ts';

const COUNT = Number(process.env.PDF_BENCH_COUNT ?? 200);
const FLOOR = 100;
const AIM = 200;
const SURNAMES = [...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤'];
const GIVEN = [...'伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志强海波鑫淼晨曦宇航梓涵子轩浩然欣怡思远嘉怡雨桐'];

const database = await openDatabase({ engine: 'pglite', memory: true });
try {
  await database.migrate();
  const services = createServices(database, { masterKey: randomBytes(32), publicUrl: 'https://yiban.example.cn' });
  const { cert, bundle } = await issueDemoCertificate(database, services);
  const signingKey = await services.keys.ensurePdfKey();
  const template = SEED_CERTIFICATE_TYPES.find((t) => t.code === 'residence')!.template;

  // Different holders: the name in the body changes, and so do the glyphs of each subset.
  const inputs = Array.from({ length: COUNT }, (_, i) => {
    const name = `${SURNAMES[i % SURNAMES.length]}${GIVEN[(i * 7) % GIVEN.length]}${GIVEN[(i * 13 + 5) % GIVEN.length]}`;
    return {
      certificate: cert,
      template,
      bundle: { ...bundle, disclosures: bundle.disclosures.map((d) => (d.name === 'holderName' ? { ...d, value: name } : d)) },
      signingKey,
      publicUrl: 'https://yiban.example.cn',
      sealBottomText: '电子证明专用章',
    };
  });

  // Warm-up: the fonts are parsed once per process, outside the timed run.
  for (const input of inputs.slice(0, 5)) await renderCertificatePdf(input);
  const started = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  let bytes = 0;
  for (const input of inputs) bytes += (await renderCertificatePdf(input)).length;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const rate = COUNT / seconds;
  const perCpu = COUNT / cpuSeconds;
  console.log(`PDF renditions (signed, A4, CJK subset fonts, seal, QR): ${COUNT} in ${seconds.toFixed(2)} s`);
  console.log(`  ${rate.toFixed(0)} PDFs/s wall, ${perCpu.toFixed(0)} PDFs/s per CPU-second (single process)`);
  console.log(`  average size ${(bytes / COUNT / 1024).toFixed(1)} KiB`);
  console.log(`  floor ${FLOOR}/s: ${rate >= FLOOR ? 'met' : 'NOT met'}; aim ${AIM}/s: ${rate >= AIM ? 'met' : 'not met'}`);
} finally {
  await database.close();
}

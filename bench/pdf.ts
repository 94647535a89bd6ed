/**
 * PDF renditions per second on one core, against the floor of 100/s (issue 3; aim 200/s):
 * COUNT signed certificate PDFs, each for a different holder and address (so that every
 * document has its own variable glyphs), then, in the same run, the naive way for comparison:
 * plain pdf-lib with @pdf-lib/fontkit, `embedFont(font, { subset: true })` per document, the
 * same text (title, body, issuer, date, footer) and nothing else — no seal, QR, attachment or
 * signature, so the baseline is if anything flattered. The certificate and keys come from one
 * issuance on an in-memory PGlite; only rendering is timed. Prints wall and per-CPU-second
 * rates and the load average (the machine is shared).
 *
 *   npx tsx bench/pdf.ts                      # PDF_BENCH_COUNT=400 PDF_BENCH_NAIVE=40
 *   PDF_BENCH_PROFILE=/tmp/pdf.cpuprofile npx tsx bench/pdf.ts   # profile of the timed run only
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import fontkit from '@pdf-lib/fontkit';
import { PDFDocument, rgb } from 'pdf-lib';
import { createServices } from '../src/app.ts';
import { openDatabase } from '../src/db/database.ts';
import { issueDemoCertificate } from '../src/demo/demo-certificate.ts';
import { SEED_CERTIFICATE_TYPES } from '../src/modules/certificates/certificate-types.seed.ts';
import { certificateFontBytes } from '../src/modules/certificates/pdf/font.ts';
import {
  formatChineseDate,
  renderCertificatePdf,
  type CertificatePdfInput,
} from '../src/modules/certificates/pdf/render-certificate-pdf.ts';
import { fillTemplate, wrapParagraph } from '../src/modules/certificates/pdf/text-layout.ts';

const COUNT = Number(process.env.PDF_BENCH_COUNT ?? 400);
const NAIVE_COUNT = Number(process.env.PDF_BENCH_NAIVE ?? 40);
const PROFILE = process.env.PDF_BENCH_PROFILE;
const FLOOR = 100;
const AIM = 200;
const SURNAMES = [
  ...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤',
];
const GIVEN = [
  ...'伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志强海波鑫淼晨曦宇航梓涵子轩浩然欣怡思远嘉怡雨桐',
];
const PLACES = [
  '河北省石家庄市正定县正定镇塔元庄村',
  '河北省保定市阜平县龙泉关镇骆驼湾村',
  '浙江省湖州市安吉县天荒坪镇余村',
  '贵州省遵义市播州区枫香镇花茂村',
  '四川省凉山彝族自治州昭觉县支尔莫乡阿土列尔村',
];

const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function timed(label: string, count: number, run: (i: number) => Promise<Uint8Array>) {
  const startLoad = load();
  const started = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  let bytes = 0;
  for (let i = 0; i < count; i++) bytes += (await run(i)).length;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = cpuSeconds(cpuStart);
  const result = { wall: count / seconds, perCpu: count / cpu, msCpu: (cpu * 1000) / count, kib: bytes / count / 1024 };
  console.log(`${label}: ${count} in ${seconds.toFixed(2)} s`);
  console.log(
    `  ${result.wall.toFixed(0)} PDFs/s wall, ${result.perCpu.toFixed(0)} PDFs/s per CPU-second (${result.msCpu.toFixed(2)} ms CPU each), average ${result.kib.toFixed(1)} KiB`,
  );
  console.log(`  load average before ${startLoad}, after ${load()}`);
  return result;
}

/** The naive rendition: same text, fontkit subsetting per document, nothing else. */
async function naivePdf(input: CertificatePdfInput, ttf: Uint8Array): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit);
  const regular = await doc.embedFont(ttf, { subset: true });
  const page = doc.addPage([595.28, 841.89]);
  const ink = rgb(0.1, 0.1, 0.1);
  const title = [...input.template.titleZh].join(' ');
  page.drawText(title, { x: (595.28 - regular.widthOfTextAtSize(title, 24)) / 2, y: 700, size: 24, font: regular, color: ink });
  const values = new Map(input.bundle.disclosures.map((d) => [d.name, d.value]));
  let y = 620;
  for (const paragraph of fillTemplate(input.template.bodyZh, values)
    .split('\n')
    .filter((p) => p.trim())) {
    for (const line of wrapParagraph(paragraph.trim(), { width: 437, measure: (t) => regular.widthOfTextAtSize(t, 15), firstIndent: 30 })) {
      page.drawText(line, { x: 79, y, size: 15, font: regular, color: ink });
      y -= 28.5;
    }
  }
  page.drawText(input.certificate.issuer.name, { x: 350, y: 380, size: 15, font: regular, color: ink });
  page.drawText(formatChineseDate(input.certificate.issuedAt), { x: 350, y: 351, size: 15, font: regular, color: ink });
  page.drawText(`证明编号：${input.certificate.identifier}`, { x: 233, y: 162, size: 9, font: regular });
  page.drawText('扫描二维码或访问 https://yiban.example.cn/verify 核验', { x: 233, y: 144, size: 9, font: regular });
  return doc.save();
}

const database = await openDatabase({ engine: 'pglite', memory: true });
try {
  await database.migrate();
  const services = createServices(database, { masterKey: randomBytes(32), publicUrl: 'https://yiban.example.cn' });
  const { cert, bundle } = await issueDemoCertificate(database, services);
  const signingKey = await services.keys.ensurePdfKey();
  const template = SEED_CERTIFICATE_TYPES.find((t) => t.code === 'residence')!.template;

  // Different holders and addresses: the variable glyphs of every document differ.
  const inputs: CertificatePdfInput[] = Array.from({ length: COUNT }, (_, i) => {
    const name = `${SURNAMES[i % SURNAMES.length]}${GIVEN[(i * 7) % GIVEN.length]}${GIVEN[(i * 13 + 5) % GIVEN.length]}`;
    const place = PLACES[i % PLACES.length]!;
    return {
      certificate: cert,
      template,
      bundle: {
        ...bundle,
        disclosures: bundle.disclosures.map((d) =>
          d.name === 'holderName' ? { ...d, value: name } : d.name === 'address' ? { ...d, value: place } : d,
        ),
      },
      signingKey,
      publicUrl: 'https://yiban.example.cn',
      sealBottomText: '电子证明专用章',
    };
  });
  console.log(`node ${process.version}, load average ${load()}`);

  // Warm-up: fonts parsed, the template's fixed subsets built, JIT warm — once per process.
  for (const input of inputs.slice(0, 20)) await renderCertificatePdf(input);
  const session = PROFILE ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const ours = await timed('Yiban PDF renditions (signed PAdES, A4, CJK subsets, seal, QR, attached bundle)', COUNT, (i) =>
    renderCertificatePdf(inputs[i]!),
  );
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(PROFILE!, JSON.stringify(profile));
    console.log(`  profile of the timed run written to ${PROFILE}`);
  }

  const ttf = certificateFontBytes('regular');
  await naivePdf(inputs[0]!, ttf);
  const naive = await timed('Naive pdf-lib + fontkit embedFont({ subset: true }) per document, text only', NAIVE_COUNT, (i) =>
    naivePdf(inputs[i % inputs.length]!, ttf),
  );

  console.log(`speed-up per CPU-second: ${(ours.perCpu / naive.perCpu).toFixed(1)}×`);
  console.log(
    `floor ${FLOOR}/s per core (CPU-second): ${ours.perCpu >= FLOOR ? 'met' : 'NOT met'}; aim ${AIM}/s: ${ours.perCpu >= AIM ? 'met' : 'not met'}; wall ${ours.wall >= FLOOR ? 'meets' : 'does not meet'} the floor`,
  );
} finally {
  await database.close();
}

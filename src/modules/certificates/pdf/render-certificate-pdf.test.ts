import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, VILLAGE, type TestContext } from '../../../../test/factories.ts';
import { decodeQr, encodeQr, type CertificateBundle } from '../../../verify/bundle.ts';
import { extractBundleFromPdf } from '../../../verify/pdf-extract.ts';
import { verifyCertificate, type StatusEvidence, type TrustAnchors } from '../../../verify/verify-certificate.ts';
import { SEED_CERTIFICATE_TYPES } from '../certificate-types.seed.ts';
import type { CertificateView } from '../certificates.service.ts';
import type { KeySigner } from '../keys/key-store.ts';
import { createPdfRenditionCache } from './pdf-cache.ts';
import { encodeQrText } from './qr-text.ts';
import { AppError } from '../../../core/errors.ts';
import { MissingGlyphsError, resetFallbackFacesForTest } from './font.ts';
import { renderCertificatePdf, type CertificatePdfInput } from './render-certificate-pdf.ts';

/**
 * The PDF rendition checked by tools that are not ours: poppler's pdfsig validates the CMS
 * signature (and, with the platform root imported into an NSS database, the chain), pdftotext
 * reads the Chinese text back (dropped glyphs would show here), and the attached bundle verifies.
 * Needs poppler-utils, libnss3-tools (certutil) and zbar-tools, which the preflight
 * (scripts/system-tools.mjs) installs before any test runs.
 */
const residence = SEED_CERTIFICATE_TYPES.find((t) => t.code === 'residence')!;
const SIGNATURE_SVG =
  'data:image/svg+xml;utf8,' +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 100"><path d="M10 70 C 40 10, 70 10, 90 60 S 150 90, 170 40 L 200 70 Q 240 20 290 50" fill="none" stroke="#000"/></svg>',
  );

describe('certificate PDF rendition', () => {
  let ctx: TestContext;
  let dir: string;
  let cert: CertificateView;
  let bundle: CertificateBundle;
  let trust: TrustAnchors;
  let status: StatusEvidence;
  let pdfKey: KeySigner;
  let pdfFile: string;
  let nssDir: string;
  let input: CertificatePdfInput;

  const pdfsig = (file: string): { ok: boolean; out: string } => {
    try {
      return { ok: true, out: execFileSync('pdfsig', ['-nssdir', `sql:${nssDir}`, file], { stdio: 'pipe' }).toString() };
    } catch (error) {
      const e = error as { stdout?: Buffer; stderr?: Buffer };
      return { ok: false, out: `${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}` };
    }
  };

  beforeAll(async () => {
    ctx = await createTestContext('pglite');
    await ctx.services.keys.ensurePlatformRoot();
    const resident = await ctx.newResident({ name: '张伟' });
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const { case: c } = await ctx.services.applications.submit(resident, {
      serviceCode: 'cert.residence',
      form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
    });
    await ctx.services.applications.act(reviewer, c.id, 'approve');
    cert = await ctx.services.certificates.getByCase(resident, c.id);
    await ctx.services.ledger.integrate();
    bundle = await ctx.services.certificates.bundle(
      resident,
      cert.id,
      cert.fields.map((f) => f.name),
    );
    trust = await ctx.services.certificates.trustAnchors();
    status = {
      revocation: await ctx.services.certificates.statusBits('1', 'revocation'),
      suspension: await ctx.services.certificates.statusBits('1', 'suspension'),
    };
    pdfKey = await ctx.services.keys.ensurePdfKey();

    dir = mkdtempSync(path.join(tmpdir(), 'yiban-pdf-'));
    // An NSS database that trusts the platform's P-256 root, so that pdfsig checks the whole chain.
    nssDir = path.join(dir, 'nss');
    execFileSync('mkdir', ['-p', nssDir]);
    execFileSync('certutil', ['-N', '-d', `sql:${nssDir}`, '--empty-password']);
    const rootPem = pdfKey.chainPem.split(/(?=-----BEGIN CERTIFICATE-----)/).at(-1)!;
    writeFileSync(path.join(dir, 'root.pem'), rootPem);
    execFileSync('certutil', ['-A', '-d', `sql:${nssDir}`, '-n', 'yiban-root', '-t', 'CT,C,C', '-a', '-i', path.join(dir, 'root.pem')]);

    input = {
      certificate: cert,
      template: residence.template,
      bundle,
      signingKey: pdfKey,
      publicUrl: 'https://yiban.example.cn',
      reviewerSignature: SIGNATURE_SVG,
      sealBottomText: '电子证明专用章',
    };
    pdfFile = path.join(dir, 'certificate.pdf');
    writeFileSync(pdfFile, await renderCertificatePdf(input));
  }, 60_000);
  afterAll(async () => {
    await ctx?.close();
  });

  it('carries a PAdES signature that pdfsig reports valid, with a trusted chain', () => {
    const { ok, out } = pdfsig(pdfFile);
    expect(ok, out).toBe(true);
    expect(out).toContain('Signature is Valid.');
    expect(out).toContain('Certificate is Trusted.');
    expect(out).toContain('ETSI.CAdES.detached');
    expect(out).toContain('Total document signed');
  });

  it('has the Chinese text on the page, not dropped glyphs', () => {
    const text = execFileSync('pdftotext', ['-layout', pdfFile, '-'])
      .toString()
      .replace(/[ \t]+/g, '');
    expect(text).toContain('居住证明');
    expect(text).toContain('兹证明张伟');
    expect(text).toContain('河北省石家庄市正定县正定镇塔元庄村');
    expect(text).toContain(cert.issuer.name);
    expect(text).toContain(cert.identifier);
    expect(text).toContain('扫描二维码或访问https://yiban.example.cn/verify核验');
  });

  it('draws the seal text and the title in the bold subset, readable as text', () => {
    const raw = execFileSync('pdftotext', ['-raw', pdfFile, '-']).toString();
    expect(raw.replace(/\s+/g, '')).toContain('居住证明');
    // The seal's characters are drawn one by one around the arc; each is in the text layer.
    for (const ch of cert.issuer.name) expect(raw).toContain(ch);
    for (const ch of '电子证明专用章') expect(raw).toContain(ch);
  });

  it('embeds small subsets, not the font: two fonts per weight, the variable ones tiny', () => {
    const fonts = execFileSync('pdffonts', [pdfFile]).toString();
    const rows = fonts.split('\n').filter((l) => /NotoSerifSC/.test(l));
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const row of rows) expect(row).toMatch(/^[A-Z]{6}\+NotoSerifSC-(Regular|Bold)\s+CID TrueType\s+Identity-H\s+yes yes yes/);
    expect(readFileSync(pdfFile).length).toBeLessThan(200 * 1024);
  });

  it('has a QR code that a reader decodes to the bundle, which verifies', async () => {
    const png = path.join(dir, 'page');
    // The QR's corner of the page at 300 dpi (the code is dense: a whole bundle with its seal certificate).
    execFileSync('pdftoppm', ['-png', '-r', '300', '-x', '250', '-y', '2600', '-W', '720', '-H', '720', '-singlefile', pdfFile, png]);
    const out = execFileSync('zbarimg', ['--raw', '-q', `${png}.png`], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    expect(out).toBe(encodeQrText(bundle));
    const decoded = await decodeQr(out);
    expect(decoded).not.toBeNull();
    expect(verifyCertificate(decoded!, trust, { status }).verdict).toBe('VALID');
  });

  it('writes the QR text exactly as the verification package does', async () => {
    expect(encodeQrText(bundle)).toBe(await encodeQr(bundle));
    const bare = { ...bundle, disclosures: [] };
    delete (bare as { seal?: unknown }).seal;
    expect(encodeQrText(bare)).toBe(await encodeQr(bare));
  });

  it('renders another holder with other characters: every one of them comes out as text', async () => {
    const other = {
      ...bundle,
      disclosures: bundle.disclosures.map((d) =>
        d.name === 'holderName'
          ? { ...d, value: '欧阳淼鑫' }
          : d.name === 'address'
            ? { ...d, value: '四川省凉山彝族自治州昭觉县支尔莫乡阿土列尔村' }
            : d,
      ),
    };
    const file = path.join(dir, 'other.pdf');
    writeFileSync(file, await renderCertificatePdf({ ...input, bundle: other }));
    const text = execFileSync('pdftotext', ['-layout', file, '-']).toString().replace(/\s+/g, '');
    expect(text).toContain('兹证明欧阳淼鑫');
    expect(text).toContain('四川省凉山彝族自治州昭觉县支尔莫乡阿土列尔村');
    expect(text).toContain(cert.identifier);
    expect(pdfsig(file).out).toContain('Signature is Valid.');
  });

  it('embeds the bundle, which extracts and verifies VALID', async () => {
    const extracted = await extractBundleFromPdf(new Uint8Array(readFileSync(pdfFile)));
    expect(extracted).toEqual(bundle);
    expect(verifyCertificate(extracted!, trust, { status }).verdict).toBe('VALID');
    expect(await extractBundleFromPdf(new TextEncoder().encode('%PDF-1.7 not really'))).toBeNull();
  });

  it('is reported invalid by pdfsig when one signed byte changes', async () => {
    const bytes = Buffer.from(readFileSync(pdfFile));
    // A byte of the page content, inside the first signed range.
    const at = bytes.indexOf('/Producer');
    expect(at).toBeGreaterThan(0);
    bytes[at + 12] = bytes[at + 12]! ^ 0x01;
    const tampered = path.join(dir, 'tampered.pdf');
    writeFileSync(tampered, bytes);
    const { out } = pdfsig(tampered);
    expect(out).not.toContain('Signature is Valid.');
    expect(out).toMatch(/Signature is Invalid|Digest Mismatch/i);
  });

  it('draws rare characters (生僻字, Extensions B–F) from the fallback font, as text pdftotext reads back, signed', async () => {
    // 𪚥 U+2A6A5 (Ext B, in HanaMinA), 𫝀 U+2B740 (Ext D) and 𬺰 U+2CEB0 (Ext F, in HanaMinB).
    const rare = {
      ...bundle,
      disclosures: bundle.disclosures.map((d) =>
        d.name === 'holderName' ? { ...d, value: '王𪚥𫝀𬺰' } : d.name === 'address' ? { ...d, value: '塔元庄村𠀀号' } : d,
      ),
    };
    const file = path.join(dir, 'rare.pdf');
    writeFileSync(file, await renderCertificatePdf({ ...input, bundle: rare }));
    const text = execFileSync('pdftotext', ['-layout', file, '-']).toString().replace(/\s+/g, '');
    expect(text).toContain('兹证明王𪚥𫝀𬺰');
    expect(text).toContain('塔元庄村𠀀号');
    const fonts = execFileSync('pdffonts', [file]).toString();
    expect(fonts).toMatch(/[A-Z]{6}\+HanaMinA\s+CID TrueType\s+Identity-H\s+yes yes yes/);
    expect(fonts).toMatch(/[A-Z]{6}\+HanaMinB\s+CID TrueType\s+Identity-H\s+yes yes yes/);
    const { ok, out } = pdfsig(file);
    expect(ok, out).toBe(true);
    expect(out).toContain('Signature is Valid.');
    // Subsets: a few glyphs of the 22 and 30 MB fallback fonts.
    expect(readFileSync(file).length).toBeLessThan(200 * 1024);
  });

  it('refuses text no font can draw instead of dropping it: PDF_GLYPHS_UNAVAILABLE (503), never a 500', async () => {
    // 𰻞 U+30EDE is in Extension G, which neither Noto Serif SC nor HanaMin has.
    const rare = { ...bundle, disclosures: bundle.disclosures.map((d) => (d.name === 'holderName' ? { ...d, value: '张𰻞' } : d)) };
    const error = await renderCertificatePdf({ ...input, bundle: rare }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingGlyphsError);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'PDF_GLYPHS_UNAVAILABLE', status: 503, details: { codePoints: ['U+30EDE'] } });
  });

  it('without the fallback fonts installed, a rare character is PDF_GLYPHS_UNAVAILABLE, not a blank', async () => {
    const before = process.env.YIBAN_FALLBACK_FONTS;
    process.env.YIBAN_FALLBACK_FONTS = path.join(dir, 'no-such-font.ttf');
    resetFallbackFacesForTest();
    try {
      const rare = { ...bundle, disclosures: bundle.disclosures.map((d) => (d.name === 'holderName' ? { ...d, value: '王𪚥' } : d)) };
      await expect(renderCertificatePdf({ ...input, bundle: rare })).rejects.toMatchObject({
        code: 'PDF_GLYPHS_UNAVAILABLE',
        params: { characters: '𪚥' },
      });
    } finally {
      if (before === undefined) delete process.env.YIBAN_FALLBACK_FONTS;
      else process.env.YIBAN_FALLBACK_FONTS = before;
      resetFallbackFacesForTest();
    }
  });

  it('caches renditions by certificate, status and disclosed fields', async () => {
    const cache = createPdfRenditionCache({ maxEntries: 2 });
    let renders = 0;
    const render = async () => {
      renders++;
      return new Uint8Array([renders]);
    };
    const key = { certificateId: cert.id, status: 'active', fields: ['b', 'a'] };
    await Promise.all([cache.get(key, render), cache.get({ ...key, fields: ['a', 'b'] }, render)]);
    expect(renders).toBe(1);
    await cache.get({ ...key, status: 'revoked' }, render);
    await cache.get({ ...key, fields: ['a'] }, render);
    expect(renders).toBe(3);
    await cache.get(key, render); // evicted: least recently used
    expect(renders).toBe(4);
  });
});

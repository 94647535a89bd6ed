/**
 * The PDF rendition of a certificate (A4): title, the type's template filled with the disclosed
 * values, the issuer's name and date under the round red seal, the reviewer's registered
 * signature, a QR code carrying the offline-verifiable bundle, the GB/T 36904 identifier, the
 * bundle itself as an attached file (`certificate-bundle.json`, read back by
 * `src/verify/pdf-extract.ts`), and a PAdES-B-B digital signature by the platform's P-256 PDF key.
 */
import { AFRelationship, PDFDocument, rgb, type PDFPage } from 'pdf-lib';
import type { CertificateBundle } from '../../../verify/bundle.ts';
import type { CertificateView } from '../certificates.service.ts';
import { CertificateFont } from './cjk-font.ts';
import { prepareKey, type PdfKey, type PreparedKey } from './cms.ts';
import { drawSeal, drawSignatureImage, SEAL_COLOR } from './draw.ts';
import { drawQr } from './draw-qr.ts';
import { assertDrawable } from './font.ts';
import { addSignaturePlaceholder, signSavedPdf } from './pdf-signature.ts';
import { encodeQrText } from './qr-text.ts';
import { fillTemplate, wrapParagraph } from './text-layout.ts';
import { useZlibDeflate } from './zlib-streams.ts';

export const BUNDLE_ATTACHMENT_NAME = 'certificate-bundle.json';

export interface CertificatePdfInput {
  certificate: Pick<CertificateView, 'identifier' | 'issuer' | 'issuedAt' | 'validUntil' | 'status'>;
  /** The type's template: `{{field}}` placeholders are filled from the bundle's disclosures. */
  template: { titleZh: string; bodyZh: string; bodySize?: number };
  /** What the holder shares: the disclosures in it are the values printed, the QR and the attachment. */
  bundle: CertificateBundle;
  /** The platform's PDF signing key (`keyStore.ensurePdfKey()`). */
  signingKey: PdfKey;
  /** Public base URL of the deployment, for the verification line. */
  publicUrl: string;
  /** The reviewer's registered signature (手签备案), a PNG, JPEG or SVG data URL. */
  reviewerSignature?: string;
  /** A line under the seal's star, e.g. 电子证明专用章. */
  sealBottomText?: string;
  signingTime?: Date;
}

const A4 = { width: 595.28, height: 841.89 };
const MARGIN_X = 79; // about 28 mm, as in GB/T 9704 official documents
const BODY_SIZE = 15;
const BODY_LEADING = BODY_SIZE * 1.9;
const INK = rgb(0.1, 0.1, 0.1);
const GREY = rgb(0.35, 0.35, 0.35);
// A CMS with a two-certificate P-256 chain is about 1.6 KB; room to spare for longer names.
const SIGNATURE_BYTES = 5120;
// A version-40 QR at level M holds 2,331 bytes: a longer bundle (a settlement statement's fee lines)
// puts the signed payload and the seal in the QR without the disclosed values, which are in the
// attached bundle and printed on the page (the payload binds them).
const QR_MAX_CHARS = 2331;
// A page's body stops above the footer; the last page's ends above the seal block.
const PAGE_TOP = 780;
const PAGE_FLOOR = 60;
const SIGN_BLOCK_FLOOR = 450;

const FOOTNOTE = '本文件附有平台数字签名与可离线核验的证明数据。';
const STATUS_MARKS = '已撤销已暂停';
const preparedKeys = new WeakMap<PdfKey, PreparedKey>();

function prepared(key: PdfKey): PreparedKey {
  let p = preparedKeys.get(key);
  if (!p) preparedKeys.set(key, (p = prepareKey(key)));
  return p;
}

/** 2026年5月1日, in China Standard Time. */
export function formatChineseDate(iso: string): string {
  const d = new Date(new Date(iso).getTime() + 8 * 3_600_000);
  return `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日`;
}

const STATUS_MARK: Partial<Record<CertificatePdfInput['certificate']['status'], string>> = { revoked: '已撤销', suspended: '已暂停' };

export async function renderCertificatePdf(input: CertificatePdfInput): Promise<Uint8Array> {
  const { certificate, template, bundle } = input;
  const signingTime = input.signingTime ?? new Date();
  const values = new Map(bundle.disclosures.map((d) => [d.name, d.value]));
  const body = fillTemplate(template.bodyZh, values);
  const issuedOn = formatChineseDate(certificate.issuedAt);
  const verifyLine = `扫描二维码或访问 ${input.publicUrl.replace(/\/+$/, '')}/verify 核验`;
  const validLine = certificate.validUntil ? `本证明有效期至 ${formatChineseDate(certificate.validUntil)}。` : '';
  const statusMark = STATUS_MARK[certificate.status];
  assertDrawable([body, issuedOn, verifyLine, validLine, certificate.identifier, certificate.issuer.name, '证明编号：经办人：', FOOTNOTE]);
  assertDrawable([template.titleZh, certificate.issuer.name, input.sealBottomText ?? '', statusMark ?? ''], 'bold');

  const doc = await PDFDocument.create({ updateMetadata: false });
  useZlibDeflate(doc);
  // The fixed subsets hold what every document of this template and issuer shares (cached, see
  // cjk-font.ts); the holder's values and anything else go into small per-document subsets.
  const issuerName = certificate.issuer.name;
  const regular = new CertificateFont(
    doc,
    'regular',
    `${fillTemplate(template.bodyZh, new Map())}本证明有效期至。证明编号：经办人：${issuerName}${verifyLine}${FOOTNOTE}`,
  );
  const bold = new CertificateFont(doc, 'bold', `${template.titleZh}${issuerName}${input.sealBottomText ?? ''}${STATUS_MARKS}`);
  const page = doc.addPage([A4.width, A4.height]);

  // Title, centred, its characters spaced out.
  const title = [...template.titleZh].join(' ');
  const titleSize = 24;
  bold.draw(page, title, { x: (A4.width - bold.widthOfTextAtSize(title, titleSize)) / 2, y: 700, size: titleSize, color: INK });

  // Body: each paragraph indented by two characters; a long body runs onto more pages.
  const bodySize = template.bodySize ?? BODY_SIZE;
  const leading = template.bodySize ? bodySize * 1.6 : BODY_LEADING;
  const width = A4.width - 2 * MARGIN_X;
  const measure = (t: string) => regular.widthOfTextAtSize(t, bodySize);
  const pages = [page];
  let current = page;
  let y = 620;
  for (const paragraph of [...body.split('\n'), validLine].filter((p) => p.trim())) {
    const indent = bodySize * 2;
    wrapParagraph(paragraph.trim(), { width, measure, firstIndent: indent }).forEach((line, i) => {
      if (y < PAGE_FLOOR) {
        pages.push((current = doc.addPage([A4.width, A4.height])));
        y = PAGE_TOP;
      }
      regular.draw(current, line, { x: MARGIN_X + (i === 0 ? indent : 0), y, size: bodySize, color: INK });
      y -= leading;
    });
  }
  // A long (small-type) body that leaves no room for the seal above the QR gets a page for them.
  if (template.bodySize && y < SIGN_BLOCK_FLOOR) {
    pages.push((current = doc.addPage([A4.width, A4.height])));
    y = PAGE_TOP;
  }

  // Issuer and date, bottom right; the seal over the issuer's name.
  const signY = Math.min(y - 70, 380);
  const right = A4.width - MARGIN_X;
  const orgWidth = regular.widthOfTextAtSize(certificate.issuer.name, BODY_SIZE);
  const dateWidth = regular.widthOfTextAtSize(issuedOn, BODY_SIZE);
  const blockWidth = Math.max(orgWidth, dateWidth);
  const orgX = right - blockWidth + (blockWidth - orgWidth) / 2;
  regular.draw(current, certificate.issuer.name, { x: orgX, y: signY, size: BODY_SIZE, color: INK });
  regular.draw(current, issuedOn, {
    x: right - blockWidth + (blockWidth - dateWidth) / 2,
    y: signY - BODY_LEADING,
    size: BODY_SIZE,
    color: INK,
  });
  if (input.reviewerSignature) {
    const labelY = signY - BODY_LEADING * 2.6;
    regular.draw(current, '经办人：', { x: MARGIN_X, y: labelY, size: BODY_SIZE, color: INK });
    await drawSignatureImage(doc, current, input.reviewerSignature, {
      x: MARGIN_X + BODY_SIZE * 4,
      y: labelY - 14,
      width: 120,
      height: 44,
    });
  }
  drawSeal(current, {
    name: certificate.issuer.name,
    ...(input.sealBottomText ? { bottomText: input.sealBottomText } : {}),
    cx: orgX + orgWidth / 2,
    cy: signY + BODY_SIZE * 0.35,
    diameter: 119,
    font: bold,
  });

  // Verification footer: QR, identifier, where to verify.
  const qrSize = 150;
  drawQr(doc, current, qrText(bundle), { x: MARGIN_X - 8, y: 56, size: qrSize });
  const footX = MARGIN_X + qrSize + 4;
  drawSmall(current, regular, `证明编号：${certificate.identifier}`, footX, 56 + qrSize - 44);
  drawSmall(current, regular, verifyLine, footX, 56 + qrSize - 62);
  drawSmall(current, regular, FOOTNOTE, footX, 56 + qrSize - 80);

  for (const marked of pages) {
    if (!statusMark) break;
    const size = 96;
    const w = bold.widthOfTextAtSize(statusMark, size);
    bold.draw(marked, statusMark, {
      x: A4.width / 2 - (w / 2) * Math.SQRT1_2,
      y: A4.height / 2 - (w / 2) * Math.SQRT1_2,
      size,
      color: SEAL_COLOR,
      opacity: 0.35,
      rotate: 45,
    });
  }

  doc.setTitle(`${template.titleZh} ${certificate.identifier}`);
  doc.setAuthor(certificate.issuer.name);
  doc.setCreator('一办 Yiban');
  doc.setProducer('一办 Yiban (pdf-lib)');
  doc.setCreationDate(new Date(certificate.issuedAt));
  doc.setModificationDate(signingTime);
  await doc.attach(new TextEncoder().encode(JSON.stringify(bundle)), BUNDLE_ATTACHMENT_NAME, {
    mimeType: 'application/json',
    description: '可离线核验的证明数据 Certificate bundle for offline verification',
    creationDate: new Date(certificate.issuedAt),
    modificationDate: new Date(certificate.issuedAt),
    afRelationship: AFRelationship.Data,
  });

  addSignaturePlaceholder(doc, page, {
    reason: `${template.titleZh} ${certificate.identifier}`,
    contactInfo: input.publicUrl,
    name: '一办平台电子证明文件签名',
    location: certificate.issuer.name,
    signingTime,
    contentsBytes: SIGNATURE_BYTES,
    subFilter: 'ETSI.CAdES.detached',
    appName: 'Yiban',
  });
  regular.finish();
  bold.finish();
  const unsigned = await doc.save({
    useObjectStreams: false,
    addDefaultPage: false,
    updateFieldAppearances: false,
    objectsPerTick: Infinity,
  });
  return signSavedPdf(unsigned, prepared(input.signingKey), signingTime);
}

/** The QR text of the bundle, or of its signed payload and seal alone when the values make it too dense. */
function qrText(bundle: CertificateBundle): string {
  const full = encodeQrText(bundle);
  return full.length <= QR_MAX_CHARS ? full : encodeQrText({ ...bundle, disclosures: [] });
}

function drawSmall(page: PDFPage, font: CertificateFont, text: string, x: number, y: number): void {
  font.draw(page, text, { x, y, size: 9, color: GREY });
}

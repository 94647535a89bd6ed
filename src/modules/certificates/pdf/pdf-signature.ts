/**
 * The PDF digital signature (ISO 32000-1 §12.8, PAdES-B-B): a signature field whose dictionary
 * holds a /ByteRange and a /Contents placeholder, written with the rest of the document in one
 * `save()`; then the byte ranges are filled in, hashed where they lie and the CMS is written
 * over the placeholder — in place, without copying or re-serialising the document.
 */
import { createHash } from 'node:crypto';
import { PDFArray, PDFDict, PDFHexString, PDFInvalidObject, PDFName, PDFNumber, PDFString, type PDFDocument, type PDFPage } from 'pdf-lib';
import { createDetachedCms, type PreparedKey } from './cms.ts';

/** Stands for each of the three ByteRange numbers until they are known; as wide as any of them. */
const RANGE_PLACEHOLDER = '**********';
/** The placeholder array as pdf-lib writes it. */
const RANGE_MARKER = `/ByteRange [ 0 /${RANGE_PLACEHOLDER} /${RANGE_PLACEHOLDER} /${RANGE_PLACEHOLDER} ]`;
const SIG_FLAGS = 3; // SignaturesExist | AppendOnly
const PRINT = 4; // annotation flag

export interface SignatureInfo {
  reason: string;
  contactInfo: string;
  name: string;
  location: string;
  signingTime: Date;
  /** Bytes reserved for the CMS; the placeholder is twice as many hex digits. */
  contentsBytes: number;
  subFilter: 'ETSI.CAdES.detached';
  appName: string;
}

/** Adds the invisible signature field to `page`; sign the saved bytes with `signSavedPdf`. */
export function addSignaturePlaceholder(doc: PDFDocument, page: PDFPage, info: SignatureInfo): void {
  const context = doc.context;
  // Written as bytes directly (a 10 KB hex placeholder through pdf-lib's object model costs more
  // than the signature), as a raw object: never compressed into an object stream, never rewritten.
  // Text strings are UTF-16BE with a BOM, so that Chinese reasons and names survive.
  const text = (value: string) => PDFHexString.fromText(value).toString();
  const dict =
    `<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /${info.subFilter} ${RANGE_MARKER} /Contents <${'0'.repeat(info.contentsBytes * 2)}>` +
    ` /Reason ${text(info.reason)} /M ${PDFString.fromDate(info.signingTime).toString()} /ContactInfo ${text(info.contactInfo)}` +
    ` /Name ${text(info.name)} /Location ${text(info.location)}` +
    ` /Prop_Build << /Filter << /Name /Adobe.PPKLite >> /App << /Name ${PDFName.of(info.appName).toString()} >> >> >>`;
  const signatureRef = context.register(PDFInvalidObject.of(Buffer.from(dict, 'latin1')));
  // An empty appearance, as a raw stream: formXObject would run pdf-lib's pure-JS deflate on nothing.
  const appearance = context.register(
    context.stream(new Uint8Array(0), { Type: 'XObject', Subtype: 'Form', BBox: [0, 0, 0, 0], Resources: {} }),
  );
  const widget = context.register(
    context.obj({
      Type: 'Annot',
      Subtype: 'Widget',
      FT: 'Sig',
      Rect: [0, 0, 0, 0],
      V: signatureRef,
      T: PDFString.of('Signature1'),
      F: PRINT,
      P: page.ref,
      AP: { N: appearance },
    }),
  );
  const annots = page.node.lookupMaybe(PDFName.of('Annots'), PDFArray) ?? context.obj([]);
  annots.push(widget);
  page.node.set(PDFName.of('Annots'), annots);
  const existing = doc.catalog.lookupMaybe(PDFName.of('AcroForm'), PDFDict);
  const acroForm = existing ?? context.obj({ Fields: [] });
  acroForm.lookup(PDFName.of('Fields'), PDFArray).push(widget);
  acroForm.set(PDFName.of('SigFlags'), PDFNumber.of(SIG_FLAGS));
  if (!existing) doc.catalog.set(PDFName.of('AcroForm'), context.register(acroForm));
}

/**
 * Signs a document saved with one placeholder from `addSignaturePlaceholder`: fills in
 * /ByteRange, hashes everything but the /Contents hex string and writes the CMS into it.
 * Modifies and returns `pdf`.
 */
export async function signSavedPdf(pdf: Uint8Array, key: PreparedKey, signingTime: Date): Promise<Uint8Array> {
  const buf = Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength);
  const rangeAt = buf.lastIndexOf(RANGE_MARKER, undefined, 'latin1');
  if (rangeAt < 0 || buf.indexOf(RANGE_MARKER, 0, 'latin1') !== rangeAt) throw new Error('expected exactly one signature placeholder');
  const contentsKey = buf.indexOf('/Contents <', rangeAt, 'latin1');
  if (contentsKey < 0) throw new Error('the signature placeholder has no /Contents');
  const open = contentsKey + '/Contents '.length;
  const close = buf.indexOf('>', open, 'latin1');
  const ranges = [0, open, close + 1, buf.length - (close + 1)];
  const actual = `/ByteRange [${ranges.join(' ')}]`;
  if (actual.length > RANGE_MARKER.length) throw new Error('the PDF is too large for its ByteRange placeholder');
  buf.write(actual.padEnd(RANGE_MARKER.length, ' '), rangeAt, 'latin1');
  const digest = createHash('sha256')
    .update(buf.subarray(0, open))
    .update(buf.subarray(close + 1))
    .digest();
  const cms = await createDetachedCms(key, digest, signingTime);
  const room = close - open - 1;
  if (cms.length * 2 > room) throw new Error(`the signature needs ${cms.length * 2} hex digits, the placeholder has ${room}`);
  buf.write(Buffer.from(cms).toString('hex'), open + 1, 'latin1');
  return pdf;
}

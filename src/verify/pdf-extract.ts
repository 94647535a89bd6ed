/**
 * The certificate bundle attached to a Yiban PDF rendition (`certificate-bundle.json` in the
 * document's EmbeddedFiles name tree), so that a PDF verifies offline like a QR code or a JSON
 * file. Reading it proves nothing by itself: the bundle goes through `verifyCertificate` as any
 * other. Browser-safe (pdf-lib runs in browsers); never throws.
 */
import {
  decodePDFRawStream,
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFHexString,
  PDFName,
  PDFRawStream,
  PDFString,
  type PDFObject,
} from 'pdf-lib';
import { parseBundleJson, type CertificateBundle } from './bundle.ts';

const PDF_BUNDLE_NAME = 'certificate-bundle.json';
const MAX_PDF_BYTES = 32 * 1024 * 1024;
const MAX_BUNDLE_BYTES = 256 * 1024;
const MAX_TREE_DEPTH = 8;

/** The bundle inside a PDF, or null when there is none or the PDF is unreadable. */
export async function extractBundleFromPdf(bytes: Uint8Array): Promise<CertificateBundle | null> {
  if (bytes.length > MAX_PDF_BYTES || !startsWithPdfHeader(bytes)) return null;
  try {
    const doc = await PDFDocument.load(bytes, { ignoreEncryption: true, updateMetadata: false, throwOnInvalidObject: false });
    const names = doc.catalog.lookupMaybe(PDFName.of('Names'), PDFDict);
    const tree = names?.lookupMaybe(PDFName.of('EmbeddedFiles'), PDFDict);
    const spec = tree && findInNameTree(tree, PDF_BUNDLE_NAME, 0);
    const file = spec?.lookupMaybe(PDFName.of('EF'), PDFDict)?.lookup(PDFName.of('F'));
    if (!(file instanceof PDFRawStream)) return null;
    const data = decodePDFRawStream(file).decode();
    if (data.length > MAX_BUNDLE_BYTES) return null;
    return parseBundleJson(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch {
    return null;
  }
}

function startsWithPdfHeader(bytes: Uint8Array): boolean {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 1024));
  return head.includes('%PDF-');
}

function textOf(obj: PDFObject | undefined): string | null {
  return obj instanceof PDFString || obj instanceof PDFHexString ? obj.decodeText() : null;
}

/** A name tree lookup (ISO 32000-1 §7.9.6): leaves in /Names pairs, inner nodes in /Kids. */
function findInNameTree(node: PDFDict, name: string, depth: number): PDFDict | undefined {
  if (depth > MAX_TREE_DEPTH) return undefined;
  const pairs = node.lookupMaybe(PDFName.of('Names'), PDFArray);
  if (pairs) {
    for (let i = 0; i + 1 < pairs.size(); i += 2) {
      if (textOf(pairs.lookup(i)) === name) {
        const value = pairs.lookup(i + 1);
        return value instanceof PDFDict ? value : undefined;
      }
    }
  }
  const kids = node.lookupMaybe(PDFName.of('Kids'), PDFArray);
  for (let i = 0; kids && i < kids.size(); i++) {
    const kid = kids.lookup(i);
    const found = kid instanceof PDFDict ? findInNameTree(kid, name, depth + 1) : undefined;
    if (found) return found;
  }
  return undefined;
}

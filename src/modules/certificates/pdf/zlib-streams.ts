/**
 * pdf-lib compresses streams with pako, a pure-JS deflate that took a third of a certificate's
 * rendering time; Node's zlib gives the same FlateDecode bytes several times faster. This swaps
 * the compressor of one document's context (font files, ToUnicode maps, attachments, page
 * content), nothing global. Tied to pdf-lib 1.17.1's internals, which is pinned.
 */
import { deflateSync } from 'node:zlib';
import { Cache, PDFName, typedArrayFor, type PDFDocument } from 'pdf-lib';

const LEVEL = 6;

export function useZlibDeflate(doc: PDFDocument): void {
  const context = doc.context;
  context.flateStream = (contents, dict = {}) =>
    context.stream(deflateSync(typedArrayFor(contents), { level: LEVEL }), { ...dict, Filter: 'FlateDecode' });
  const contentStream = context.contentStream.bind(context);
  context.contentStream = (operators, dict) => {
    const stream = contentStream(operators, dict);
    stream.dict.set(PDFName.of('Filter'), PDFName.of('FlateDecode'));
    (stream as unknown as { contentsCache: Cache<Uint8Array> }).contentsCache = Cache.populatedBy(() =>
      deflateSync(stream.getUnencodedContents(), { level: LEVEL }),
    );
    return stream;
  };
}

/** A raw, zlib-compressed stream from bytes already serialised (used for the QR code). */
export function deflated(bytes: Uint8Array, level = LEVEL): Uint8Array {
  return deflateSync(bytes, { level });
}

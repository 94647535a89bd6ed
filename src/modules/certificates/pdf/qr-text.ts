/**
 * The QR text of a bundle, as `encodeQr` of src/verify/bundle.ts writes it, synchronously with
 * Node's zlib: the browser-safe original goes through CompressionStream and web streams, about
 * 1 ms per certificate of stream plumbing for a few hundred bytes. qr-text.test.ts checks that
 * both give the same text, so the format has one definition (bundle.ts) and decodeQr reads it.
 */
import { createHash } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { QR_PREFIX, type CertificateBundle } from '../../../verify/bundle.ts';

export function encodeQrText(bundle: CertificateBundle): string {
  const body: { p: string; s: string; d?: [string, string, string][]; c?: string } = { p: bundle.payload, s: bundle.signature };
  if (bundle.disclosures.length > 0) body.d = bundle.disclosures.map((d) => [d.name, d.value, d.salt]);
  if (bundle.seal) body.c = bundle.seal.certificate.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  const packed = deflateRawSync(Buffer.from(JSON.stringify(body), 'utf8'));
  const check = createHash('sha256').update(packed).digest().subarray(0, 4);
  return `${QR_PREFIX}${packed.toString('base64url')}.${check.toString('base64url')}`;
}

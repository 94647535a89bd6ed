/**
 * What a verifier is handed: the signed document, and the evidence that lets it stand alone —
 * the seal's certificate chain and, optionally, a ledger inclusion proof. Also the compact QR
 * form: `YB1.` + base64url(deflate-raw(JSON)) + `.` + base64url(first 4 bytes of SHA-256 of the
 * compressed bytes). The check makes every change to the text detectable, even one that only
 * touches padding bits, which base64 and deflate would otherwise ignore. Browser-safe.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { CertificateDocument, Disclosure } from './document.ts';
import { pemDecode, pemEncode } from './der.ts';
import { base64, base64urlnopad } from './tlog-bytes.ts';

export interface CertificateBundle extends CertificateDocument {
  /** The seal's certificate and its issuers (PEM), when the verifier has not pinned them. */
  seal?: { certificate: string; chain?: string };
  /** Inclusion of the issuance leaf in the transparency ledger. */
  ledger?: { index: number; proof: string[]; checkpoint: string };
}

export const QR_PREFIX = 'YB1.';

interface QrBody {
  p: string;
  s: string;
  d?: [string, string, string][];
  c?: string;
}

/** The QR text: payload, signature, the given disclosures and the seal certificate (DER). */
export async function encodeQr(bundle: CertificateBundle, options: { includeSeal?: boolean } = {}): Promise<string> {
  const body: QrBody = { p: bundle.payload, s: bundle.signature };
  if (bundle.disclosures.length > 0) body.d = bundle.disclosures.map((d) => [d.name, d.value, d.salt]);
  if (options.includeSeal !== false && bundle.seal) body.c = base64.encode(pemDecode(bundle.seal.certificate, 'CERTIFICATE'));
  const packed = await transform(new TextEncoder().encode(JSON.stringify(body)), new CompressionStream('deflate-raw'));
  return `${QR_PREFIX}${base64urlnopad.encode(packed)}.${base64urlnopad.encode(sha256(packed).subarray(0, 4))}`;
}

/** The bundle inside a QR text, or null when the text is not one (never throws). */
export async function decodeQr(text: string): Promise<CertificateBundle | null> {
  const trimmed = text.trim();
  if (!trimmed.startsWith(QR_PREFIX) || trimmed.length > 8000) return null;
  try {
    const [data = '', check = '', ...rest] = trimmed.slice(QR_PREFIX.length).split('.');
    if (rest.length > 0) return null;
    const packed = base64urlnopad.decode(data);
    // Only the one canonical text of these bytes is accepted, and the bytes must match their check.
    if (base64urlnopad.encode(packed) !== data || base64urlnopad.encode(sha256(packed).subarray(0, 4)) !== check) return null;
    const raw = await transform(packed, new DecompressionStream('deflate-raw'));
    if (raw.length > 64 * 1024) return null;
    const body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw)) as Partial<QrBody>;
    if (typeof body.p !== 'string' || typeof body.s !== 'string') return null;
    const disclosures: Disclosure[] = [];
    for (const d of body.d ?? []) {
      if (!Array.isArray(d) || d.length !== 3 || !d.every((x) => typeof x === 'string')) return null;
      disclosures.push({ name: d[0], value: d[1], salt: d[2] });
    }
    const bundle: CertificateBundle = { payload: body.p, signature: body.s, disclosures };
    if (typeof body.c === 'string') bundle.seal = { certificate: pemEncode('CERTIFICATE', base64.decode(body.c)) };
    return bundle;
  } catch {
    return null;
  }
}

/** Reads a bundle from JSON text: a bundle, a bare document, or a VC carrying one in its proof. */
export function parseBundleJson(text: string): CertificateBundle | null {
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    const candidate = (isRecord(value.proof) && isRecord(value.proof.yiban) ? value.proof.yiban : value) as Partial<CertificateBundle>;
    if (typeof candidate.payload !== 'string' || typeof candidate.signature !== 'string' || !Array.isArray(candidate.disclosures))
      return null;
    if (
      !candidate.disclosures.every(
        (d) => isRecord(d) && typeof d.name === 'string' && typeof d.value === 'string' && typeof d.salt === 'string',
      )
    )
      return null;
    return candidate as CertificateBundle;
  } catch {
    return null;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function transform(data: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  return new Uint8Array(await new Response(new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream)).arrayBuffer());
}

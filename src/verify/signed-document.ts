/**
 * Documents a federation hub signs (its directory, the national trust list): the document, and an
 * SM2 signature (SM3, default ID, DER) over the UTF-8 of its canonical JSON (RFC 8785). A trust
 * list also carries its signer's certificate, which must chain to the list's own national root.
 * Failure is a result with a reason, never a throw. Browser-safe.
 */
import { canonicalJson } from './document.ts';
import { verify } from './signatures.ts';
import { decodeBase64, utf8 } from './tlog-bytes.ts';
import type { TrustAnchors } from './verification-result.ts';
import { createChainVerifier, splitPemChain } from './x509.ts';

export interface DocumentSignature {
  keyId: string;
  alg: 'sm2-sm3';
  /** Base64 DER (r, s). */
  value: string;
}

export interface SignedDocument<T> {
  document: T;
  signature: DocumentSignature;
  /** The signing key's certificate and its chain (leaf's issuer first), when the reader does not pin the key. */
  signer?: { certificate: string; chain: string };
}

/** A province root as the national trust list names it. */
export interface TrustListProvince {
  memberId: string;
  name: string;
  rootCertificate: string;
  nationalCertificate: string;
}

/** The national trust list: trust anchors (the national root, the cross-signed province roots) and who is who. */
export interface NationalTrustList extends TrustAnchors {
  kind: 'yiban-national-trust-list';
  issuedAt: string;
  /** Larger is newer. */
  serial: number;
  intermediates: string[];
  statusSigners: Record<string, { certificate: string; chain?: string }>;
  provinces: TrustListProvince[];
}

export type OpenResult<T> = { ok: true; document: T } | { ok: false; reason: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks a signed document against a pinned SM2 key (SubjectPublicKeyInfo DER). */
export function openSignedDocument<T>(envelope: unknown, publicKeySpki: Uint8Array, keyId?: string): OpenResult<T> {
  if (!isRecord(envelope) || !isRecord(envelope.document) || !isRecord(envelope.signature))
    return { ok: false, reason: 'not a signed document' };
  const signature = envelope.signature;
  if (signature.alg !== 'sm2-sm3' || typeof signature.value !== 'string' || typeof signature.keyId !== 'string')
    return { ok: false, reason: 'the signature is not sm2-sm3' };
  if (keyId !== undefined && signature.keyId !== keyId)
    return { ok: false, reason: `signed by ${signature.keyId}, not the pinned ${keyId}` };
  const value = decodeBase64(signature.value);
  if (!value) return { ok: false, reason: 'the signature is not base64' };
  if (!verify('SM2', publicKeySpki, utf8(canonicalJson(envelope.document)), value))
    return { ok: false, reason: 'the signature does not verify' };
  return { ok: true, document: envelope.document as T };
}

/**
 * Opens a national trust list offline: its signer's certificate must chain to the list's own
 * national root (its `roots`), and the signature must verify; `pinnedRoot` (a PEM certificate or
 * its SHA-256 fingerprint hex), when given, must be that root.
 */
export function openTrustList(
  envelope: unknown,
  options: { at?: Date; pinnedRootFingerprint?: string } = {},
): OpenResult<NationalTrustList> {
  if (!isRecord(envelope) || !isRecord(envelope.document) || !isRecord(envelope.signer))
    return { ok: false, reason: 'not a signed trust list' };
  const doc = envelope.document;
  if (doc.kind !== 'yiban-national-trust-list' || doc.version !== 1 || !Array.isArray(doc.roots) || doc.roots.length === 0)
    return { ok: false, reason: 'not a national trust list' };
  const roots = doc.roots.filter((r): r is string => typeof r === 'string');
  const signer = envelope.signer;
  if (typeof signer.certificate !== 'string' || typeof signer.chain !== 'string') return { ok: false, reason: 'no signer certificate' };
  const chain = createChainVerifier({ anchors: roots, intermediates: splitPemChain(signer.chain) }).verify(signer.certificate, {
    at: options.at ?? new Date(),
    keyUsage: ['digitalSignature'],
  });
  if (!chain.ok) return { ok: false, reason: `the signer's certificate: ${chain.reason} ${chain.detail}` };
  const root = chain.chain[chain.chain.length - 1]!;
  if (options.pinnedRootFingerprint && root.fingerprint !== options.pinnedRootFingerprint.toLowerCase())
    return { ok: false, reason: `signed under root ${root.fingerprint}, not the pinned one` };
  return openSignedDocument<NationalTrustList>(envelope, chain.leaf.publicKeySpki);
}

/**
 * X.509 path validation (RFC 5280 §6, the parts a pinned-root verifier needs): build the path
 * from a leaf to a pinned anchor by name, key identifier and signature, then check it: CA flags,
 * key usage, path length, unknown critical extensions and validity at a given time. Failure is a
 * result with a reason code, never a throw. Browser-safe.
 */
import { equalBytes } from './tlog-bytes.ts';
import type { KeyAlgorithm } from './keys.ts';
import { verify } from './signatures.ts';
import type { CertificateInfo, CertificateSignatureAlgorithm, ParsedCertificate, ParseFailure } from './x509-certificate.ts';
import type { KeyUsageType } from './x509-extensions.ts';

export type ChainFailure =
  | ParseFailure
  | 'NO_TRUST_ANCHORS'
  | 'UNKNOWN_ISSUER'
  | 'BAD_SIGNATURE'
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  | 'NOT_A_CA'
  | 'KEY_USAGE'
  | 'PATH_LENGTH'
  | 'UNKNOWN_CRITICAL_EXTENSION';

export type ChainResult =
  | { ok: true; leaf: CertificateInfo; /** leaf first, the pinned root last */ chain: CertificateInfo[] }
  | { ok: false; reason: ChainFailure; detail: string; /** 0 = leaf, 1 = its issuer, … */ depth?: number };

const KEY_FOR_SIGNATURE: Record<CertificateSignatureAlgorithm, KeyAlgorithm> = {
  'SM2-with-SM3': 'SM2',
  Ed25519: 'Ed25519',
  'ECDSA-with-SHA256': 'P-256',
};

/** Whether `issuer`'s key made `subject`'s signature. */
function isSignedBy(subject: ParsedCertificate, issuer: Pick<CertificateInfo, 'publicKeySpki' | 'publicKeyAlgorithm'>): boolean {
  const keyAlgorithm = KEY_FOR_SIGNATURE[subject.signatureAlgorithm];
  if (issuer.publicKeyAlgorithm !== keyAlgorithm) return false;
  return verify(keyAlgorithm, issuer.publicKeySpki, subject.tbs, subject.signature);
}

/** What callers see: the parsed certificate without the internal byte slices. */
function publicInfo(certificate: ParsedCertificate): CertificateInfo {
  const {
    tbs: _tbs,
    signature: _signature,
    issuerDer: _issuer,
    subjectDer: _subject,
    unknownCriticalExtensions: _unknown,
    ...info
  } = certificate;
  return info;
}

export type ChainFailureResult = Extract<ChainResult, { ok: false }>;

export const fail = (reason: ChainFailure, detail: string, depth?: number): ChainFailureResult => ({
  ok: false,
  reason,
  detail,
  ...(depth !== undefined ? { depth } : {}),
});

/**
 * Builds the path: at each step the issuer is the certificate whose subject is the issuer name
 * and, where both key identifiers exist, whose key identifier matches, and whose key verifies.
 */
export function buildPath(
  leaf: ParsedCertificate,
  anchors: ParsedCertificate[],
  intermediates: ParsedCertificate[],
  maxLength: number,
): ParsedCertificate[] | ChainFailureResult {
  const chain: ParsedCertificate[] = [leaf];
  const isAnchor = (c: ParsedCertificate) => anchors.some((a) => a.fingerprint === c.fingerprint);
  const used = new Set<string>([leaf.fingerprint]);
  let current = leaf;
  while (!isAnchor(current)) {
    if (chain.length >= maxLength) return fail('PATH_LENGTH', `no anchor within ${maxLength} certificates`, chain.length - 1);
    const candidates = [...anchors, ...intermediates].filter(
      (c) =>
        !used.has(c.fingerprint) &&
        equalBytes(c.subjectDer, current.issuerDer) &&
        !(current.authorityKeyId && c.subjectKeyId && current.authorityKeyId !== c.subjectKeyId),
    );
    const depth = chain.length - 1;
    if (candidates.length === 0) return fail('UNKNOWN_ISSUER', `no pinned or supplied certificate issued "${current.issuer.text}"`, depth);
    const issuer = candidates.find((c) => isSignedBy(current, c));
    if (!issuer) return fail('BAD_SIGNATURE', `the signature of "${current.subject.text}" does not verify`, depth);
    used.add(issuer.fingerprint);
    chain.push(issuer);
    current = issuer;
  }
  return chain;
}

/** Checks a built path (leaf first) at `atDate`: constraints of the CAs, the leaf's usages, then every validity period. */
export function checkChain(chain: ParsedCertificate[], atDate: Date, keyUsage: KeyUsageType[]): ChainResult {
  const leaf = chain[0]!;
  for (const [depth, certificate] of chain.entries()) {
    if (certificate.unknownCriticalExtensions.length) {
      return fail('UNKNOWN_CRITICAL_EXTENSION', `critical extension ${certificate.unknownCriticalExtensions.join(', ')}`, depth);
    }
    if (depth > 0) {
      if (!certificate.isCA) return fail('NOT_A_CA', `"${certificate.subject.text}" is not a CA`, depth);
      if (certificate.keyUsage && !certificate.keyUsage.includes('keyCertSign')) {
        return fail('KEY_USAGE', `"${certificate.subject.text}" may not sign certificates`, depth);
      }
      // Intermediates below this CA (the leaf does not count).
      if (certificate.pathLenConstraint !== undefined && depth - 1 > certificate.pathLenConstraint) {
        return fail('PATH_LENGTH', `"${certificate.subject.text}" allows ${certificate.pathLenConstraint} intermediates`, depth);
      }
    }
  }
  for (const usage of keyUsage) {
    if (!leaf.keyUsage?.includes(usage)) return fail('KEY_USAGE', `the certificate does not grant ${usage}`, 0);
  }
  const at = atDate.getTime();
  if (Number.isNaN(at)) return fail('MALFORMED', 'invalid verification time');
  for (const [depth, certificate] of chain.entries()) {
    if (at < certificate.notBefore.getTime())
      return fail('NOT_YET_VALID', `"${certificate.subject.text}" is valid from ${certificate.notBefore.toISOString()}`, depth);
    if (at > certificate.notAfter.getTime())
      return fail('EXPIRED', `"${certificate.subject.text}" expired at ${certificate.notAfter.toISOString()}`, depth);
  }
  const infos = chain.map(publicInfo);
  return { ok: true, leaf: infos[0]!, chain: infos };
}

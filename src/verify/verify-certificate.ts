/**
 * Verifies a Yiban certificate with nothing but pinned trust anchors: the seal's signature over
 * the exact payload bytes, the seal certificate's chain to a pinned root, the validity period,
 * the status lists, and (when given) inclusion in the transparency ledger. Returns VALID,
 * INVALID or INDETERMINATE with a reason for every check; a missing key, list or proof never
 * yields VALID, and no input makes it throw. Browser-safe.
 *
 * The checks are in certificate-checks.ts, the result types in verification-result.ts; this file
 * runs them in order and is what callers import, types included.
 */
import type { CertificateBundle } from './bundle.ts';
import { fieldDigest, parsePayload } from './document.ts';
import { parseIdentifier } from './identifier.ts';
import { issuerCheck, ledgerCheck, signatureCheck, statusCheck, validityCheck, verdictOf } from './certificate-checks.ts';
import type { Check, TrustAnchors, VerificationResult, VerifiedCertificate, VerifyOptions } from './verification-result.ts';
import { createChainVerifier, splitPemChain, type ChainVerifier } from './x509.ts';

export {
  REASON_TEXT,
  type Check,
  type CheckName,
  type StatusEvidence,
  type TrustAnchors,
  type Verdict,
  type VerificationResult,
  type VerifiedCertificate,
  type VerifyOptions,
} from './verification-result.ts';

/** Parsing pinned roots once pays off when one verifier checks many certificates. */
export function createCertificateVerifier(trust: TrustAnchors): (bundle: CertificateBundle, options?: VerifyOptions) => VerificationResult {
  const intermediates = [
    ...(trust.intermediates ?? []),
    ...Object.values(trust.seals ?? {}).flatMap((s) => (s.chain ? splitPemChain(s.chain) : [])),
  ];
  const chains: ChainVerifier = createChainVerifier({ anchors: trust.roots, intermediates });
  return (bundle, options = {}) => {
    try {
      return run(bundle, trust, chains, options);
    } catch (error) {
      return { verdict: 'INVALID', checks: [{ check: 'format', result: 'fail', reason: 'MALFORMED', detail: String(error) }] };
    }
  };
}

export function verifyCertificate(bundle: CertificateBundle, trust: TrustAnchors, options: VerifyOptions = {}): VerificationResult {
  return createCertificateVerifier(trust)(bundle, options);
}

function run(bundle: CertificateBundle, trust: TrustAnchors, chains: ChainVerifier, options: VerifyOptions): VerificationResult {
  const checks: Check[] = [];
  const done = (certificate?: VerifiedCertificate): VerificationResult => ({
    verdict: verdictOf(checks),
    checks,
    ...(certificate ? { certificate } : {}),
  });

  const payload = parsePayload(bundle.payload);
  if (!payload) {
    checks.push({ check: 'format', result: 'fail', reason: 'MALFORMED', detail: 'the payload is not a Yiban certificate' });
    return done();
  }
  if (!parseIdentifier(payload.id).ok) {
    checks.push({ check: 'format', result: 'fail', reason: 'BAD_IDENTIFIER', detail: payload.id });
    return done();
  }
  checks.push({ check: 'format', result: 'pass' });

  const signed = new Set(payload.fields);
  const seen = new Set<string>();
  const digests = bundle.disclosures.map(fieldDigest);
  const bad = bundle.disclosures.filter((d, i) => {
    const ok = signed.has(digests[i]!) && !seen.has(d.name);
    seen.add(d.name);
    return !ok;
  });
  checks.push(
    bad.length === 0
      ? { check: 'disclosures', result: 'pass' }
      : { check: 'disclosures', result: 'fail', reason: 'DISCLOSURE_MISMATCH', detail: bad.map((d) => d.name).join(', ') },
  );

  const issuer = issuerCheck(bundle, payload, trust, chains);
  checks.push(issuer.check);
  checks.push(signatureCheck(bundle, payload, issuer.spki));
  checks.push(validityCheck(payload, options.at ?? new Date()));
  checks.push(statusCheck(payload, options.status));
  checks.push(ledgerCheck(bundle, payload, trust, options));

  return done({
    id: payload.id,
    type: payload.type,
    typeName: payload.typeName,
    issuer: payload.issuer,
    holder: payload.holder,
    issuedAt: payload.issuedAt,
    validUntil: payload.validUntil,
    statusIndex: payload.status.index,
    statusList: payload.status.list,
    fields: bundle.disclosures.filter((_, i) => signed.has(digests[i]!)).map((d) => ({ name: d.name, value: d.value })),
  });
}

/**
 * The checks of verify-certificate.ts after the format, one function per aspect: the seal
 * certificate's chain to a pinned root, the seal's signature, the validity period, the status
 * lists and the ledger inclusion proof. Each returns a Check and never throws on bad input.
 * Browser-safe.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { CertificateBundle } from './bundle.ts';
import { issuanceLeaf, type SignedPayload } from './document.ts';
import { verifyLedgerInclusion } from './ledger.ts';
import { verify as verifySignature } from './signatures.ts';
import { isBitSet } from './status-list.ts';
import { decodeBase64 } from './tlog-bytes.ts';
import type { Check, StatusEvidence, TrustAnchors, Verdict, VerifyOptions } from './verification-result.ts';
import { createChainVerifier, splitPemChain, type ChainVerifier } from './x509.ts';

const SEAL_USAGE = ['digitalSignature'] as const;
const encoder = new TextEncoder();

/**
 * The seal certificate (the bundle's own, else the published one for the key) must chain to a
 * pinned root, be for the key that signed and name the issuer; its key is returned when it does.
 */
export function issuerCheck(
  bundle: CertificateBundle,
  payload: SignedPayload,
  trust: TrustAnchors,
  chains: ChainVerifier,
): { check: Check; spki?: Uint8Array } {
  const sealSource = bundle.seal ?? trust.seals?.[payload.keyId];
  if (!sealSource) {
    return {
      check: {
        check: 'issuer',
        result: 'unknown',
        reason: 'NO_SEAL_CERTIFICATE',
        detail: `no certificate for seal key ${payload.keyId}`,
      },
    };
  }
  const chain = chains.verify(sealSource.certificate, { at: new Date(payload.issuedAt), keyUsage: [...SEAL_USAGE] });
  // The bundle's own intermediates only when the pinned ones do not make a path.
  const extra = chain.ok || !sealSource.chain ? [] : splitPemChain(sealSource.chain);
  const result =
    chain.ok || extra.length === 0
      ? chain
      : createChainVerifier({ anchors: trust.roots, intermediates: [...(trust.intermediates ?? []), ...extra] }).verify(
          sealSource.certificate,
          {
            at: new Date(payload.issuedAt),
            keyUsage: [...SEAL_USAGE],
          },
        );
  if (!result.ok) {
    return {
      check: {
        check: 'issuer',
        result: result.reason === 'NO_TRUST_ANCHORS' ? 'unknown' : 'fail',
        reason: result.reason === 'NO_TRUST_ANCHORS' ? 'NO_TRUST_ANCHORS' : 'ISSUER_UNTRUSTED',
        detail: `${result.reason}: ${result.detail}`,
      },
    };
  }
  if (bytesToHex(sha256(result.leaf.publicKeySpki)).slice(0, 32) !== payload.keyId) {
    return {
      check: {
        check: 'issuer',
        result: 'fail',
        reason: 'KEY_MISMATCH',
        detail: 'the seal certificate is not for the key that signed',
      },
    };
  }
  if (result.leaf.subject.commonName !== payload.issuer.name) {
    return {
      check: {
        check: 'issuer',
        result: 'fail',
        reason: 'ISSUER_UNTRUSTED',
        detail: `the seal belongs to ${result.leaf.subject.commonName ?? '?'}`,
      },
    };
  }
  return {
    check: { check: 'issuer', result: 'pass', detail: result.chain.map((c) => c.subject.commonName ?? '').join(' ← ') },
    spki: result.leaf.publicKeySpki,
  };
}

/** The seal's signature over the exact payload bytes, with the key the issuer check accepted. */
export function signatureCheck(bundle: CertificateBundle, payload: SignedPayload, spki: Uint8Array | undefined): Check {
  const signature = decodeBase64(bundle.signature);
  if (!spki) return { check: 'signature', result: 'unknown', reason: 'NO_SEAL_CERTIFICATE' };
  if (!signature || !verifySignature(payload.alg, spki, encoder.encode(bundle.payload), signature)) {
    return { check: 'signature', result: 'fail', reason: 'BAD_SIGNATURE' };
  }
  return { check: 'signature', result: 'pass' };
}

/** The certificate's own validity period at `at`. */
export function validityCheck(payload: SignedPayload, at: Date): Check {
  const issuedAt = Date.parse(payload.issuedAt);
  const validUntil = payload.validUntil === null ? null : Date.parse(payload.validUntil);
  if (Number.isNaN(issuedAt) || (validUntil !== null && Number.isNaN(validUntil))) {
    return { check: 'validity', result: 'fail', reason: 'MALFORMED' };
  }
  if (at.getTime() < issuedAt) return { check: 'validity', result: 'fail', reason: 'NOT_YET_VALID' };
  if (validUntil !== null && at.getTime() > validUntil) {
    return { check: 'validity', result: 'fail', reason: 'EXPIRED', detail: payload.validUntil ?? '' };
  }
  return { check: 'validity', result: 'pass' };
}

export function statusCheck(payload: SignedPayload, status: StatusEvidence | undefined): Check {
  const revoked = status?.revocation ? isBitSet(status.revocation, payload.status.index) : null;
  const suspended = status?.suspension ? isBitSet(status.suspension, payload.status.index) : null;
  if (revoked === true) return { check: 'status', result: 'fail', reason: 'REVOKED' };
  if (suspended === true) return { check: 'status', result: 'fail', reason: 'SUSPENDED' };
  if (revoked === false && suspended === false) {
    const until = status?.lists?.map((l) => l.validUntil).sort()[0];
    return { check: 'status', result: 'pass', ...(until ? { detail: `lists valid until ${until}` } : {}) };
  }
  const problem = status?.problems?.find((p) => (p.purpose === 'revocation' ? revoked : suspended) === null);
  if (problem) return { check: 'status', result: 'unknown', reason: problem.reason, detail: `${problem.purpose}: ${problem.detail}` };
  return { check: 'status', result: 'unknown', reason: 'STATUS_UNAVAILABLE', detail: 'no current status list' };
}

export function ledgerCheck(bundle: CertificateBundle, payload: SignedPayload, trust: TrustAnchors, options: VerifyOptions): Check {
  if (!bundle.ledger || !trust.ledger) {
    return options.requireLedger
      ? {
          check: 'ledger',
          result: 'unknown',
          reason: 'LEDGER_UNAVAILABLE',
          detail: bundle.ledger ? 'no pinned ledger key' : 'no inclusion proof',
        }
      : { check: 'ledger', result: 'skipped' };
  }
  const result = verifyLedgerInclusion({
    leaf: encoder.encode(issuanceLeaf(payload, bundle.payload)),
    index: bundle.ledger.index,
    proof: bundle.ledger.proof,
    checkpoint: bundle.ledger.checkpoint,
    logVkey: trust.ledger.vkey,
    ...(trust.ledger.witnesses ? { witnesses: trust.ledger.witnesses } : {}),
  });
  if (result.status === 'VALID') return { check: 'ledger', result: 'pass', detail: `${result.origin} #${result.index} of ${result.size}` };
  if (result.status === 'INVALID') return { check: 'ledger', result: 'fail', reason: 'LEDGER_PROOF_INVALID', detail: result.detail };
  return { check: 'ledger', result: 'unknown', reason: 'LEDGER_UNAVAILABLE', detail: result.detail };
}

export function verdictOf(checks: Check[]): Verdict {
  if (checks.some((c) => c.result === 'fail')) return 'INVALID';
  if (checks.some((c) => c.result === 'unknown')) return 'INDETERMINATE';
  return 'VALID';
}

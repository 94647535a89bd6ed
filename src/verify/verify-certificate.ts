/**
 * Verifies a Yiban certificate with nothing but pinned trust anchors: the seal's signature over
 * the exact payload bytes, the seal certificate's chain to a pinned root, the validity period,
 * the status lists, and (when given) inclusion in the transparency ledger. Returns VALID,
 * INVALID or INDETERMINATE with a reason for every check; a missing key, list or proof never
 * yields VALID, and no input makes it throw. Browser-safe.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { CertificateBundle } from './bundle.ts';
import { fieldDigest, issuanceLeaf, parsePayload, type SignedPayload } from './document.ts';
import { parseIdentifier } from './identifier.ts';
import { verifyLedgerInclusion } from './ledger.ts';
import { verify as verifySignature } from './signatures.ts';
import { isBitSet } from './status-list.ts';
import { decodeBase64 } from './tlog-bytes.ts';
import { createChainVerifier, splitPemChain, type ChainVerifier } from './x509.ts';

export type Verdict = 'VALID' | 'INVALID' | 'INDETERMINATE';
export type CheckName = 'format' | 'disclosures' | 'issuer' | 'signature' | 'validity' | 'status' | 'ledger';

export type ReasonCode =
  | 'MALFORMED'
  | 'BAD_IDENTIFIER'
  | 'DISCLOSURE_MISMATCH'
  | 'NO_SEAL_CERTIFICATE'
  | 'NO_TRUST_ANCHORS'
  | 'ISSUER_UNTRUSTED'
  | 'KEY_MISMATCH'
  | 'BAD_SIGNATURE'
  | 'NOT_YET_VALID'
  | 'EXPIRED'
  | 'REVOKED'
  | 'SUSPENDED'
  | 'STATUS_UNAVAILABLE'
  | StatusListProblem
  | 'LEDGER_PROOF_INVALID'
  | 'LEDGER_UNAVAILABLE';

/** Why a status list at hand could not be used. */
export type StatusListProblem = 'STATUS_LIST_UNSIGNED' | 'STATUS_LIST_UNTRUSTED' | 'STATUS_LIST_MISMATCH' | 'STATUS_LIST_EXPIRED';

export interface Check {
  check: CheckName;
  result: 'pass' | 'fail' | 'unknown' | 'skipped';
  reason?: ReasonCode;
  detail?: string;
}

export interface TrustAnchors {
  version: 1;
  /** Pinned root certificates (PEM). */
  roots: string[];
  /** Published seal certificates by key id, for documents that do not carry their own. */
  seals?: Record<string, { certificate: string; chain?: string }>;
  /** The transparency ledger's C2SP vkey, and witnesses whose cosignatures are required. */
  ledger?: { vkey: string; witnesses?: { vkeys: string[]; threshold: number } };
  /** The keys that sign status list credentials, by key id, with their certificates (chained to a root). */
  statusSigners?: Record<string, { certificate: string; chain?: string }>;
}

export interface StatusEvidence {
  /** Decoded bitstrings from trusted status lists; absent or null when not at hand. */
  revocation?: Uint8Array | null;
  suspension?: Uint8Array | null;
  /** Why a purpose has no bitstring (status-credential.ts), reported instead of a bare "unavailable". */
  problems?: { purpose: 'revocation' | 'suspension'; reason: ReasonCode; detail: string; validFrom?: string; validUntil?: string }[];
  /** The signed lists used, with their validity, so that a page can say how old they are. */
  lists?: { purpose: 'revocation' | 'suspension'; id: string; validFrom: string; validUntil: string }[];
}

export interface VerifyOptions {
  at?: Date;
  status?: StatusEvidence;
  /** Refuse VALID without a ledger inclusion proof (off by default: a QR cannot carry one). */
  requireLedger?: boolean;
}

export interface VerifiedCertificate {
  id: string;
  type: string;
  typeName: { zh: string; en: string };
  issuer: { code: string; name: string; creditCode: string };
  holder: { name: string; residentIdMasked: string };
  issuedAt: string;
  validUntil: string | null;
  statusIndex: number;
  statusList: string;
  fields: { name: string; value: string }[];
}

export interface VerificationResult {
  verdict: Verdict;
  checks: Check[];
  certificate?: VerifiedCertificate;
}

const SEAL_USAGE = ['digitalSignature'] as const;
const encoder = new TextEncoder();

/** Parsing pinned roots once pays off when one verifier checks many certificates. */
export function createCertificateVerifier(trust: TrustAnchors): (bundle: CertificateBundle, options?: VerifyOptions) => VerificationResult {
  const intermediates = Object.values(trust.seals ?? {}).flatMap((s) => (s.chain ? splitPemChain(s.chain) : []));
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

  const sealSource = bundle.seal ?? trust.seals?.[payload.keyId];
  let spki: Uint8Array | undefined;
  if (!sealSource) {
    checks.push({
      check: 'issuer',
      result: 'unknown',
      reason: 'NO_SEAL_CERTIFICATE',
      detail: `no certificate for seal key ${payload.keyId}`,
    });
  } else {
    const chain = chains.verify(sealSource.certificate, { at: new Date(payload.issuedAt), keyUsage: [...SEAL_USAGE] });
    // The bundle's own intermediates only when the pinned ones do not make a path.
    const extra = chain.ok || !sealSource.chain ? [] : splitPemChain(sealSource.chain);
    const result =
      chain.ok || extra.length === 0
        ? chain
        : createChainVerifier({ anchors: trust.roots, intermediates: extra }).verify(sealSource.certificate, {
            at: new Date(payload.issuedAt),
            keyUsage: [...SEAL_USAGE],
          });
    if (!result.ok) {
      checks.push({
        check: 'issuer',
        result: result.reason === 'NO_TRUST_ANCHORS' ? 'unknown' : 'fail',
        reason: result.reason === 'NO_TRUST_ANCHORS' ? 'NO_TRUST_ANCHORS' : 'ISSUER_UNTRUSTED',
        detail: `${result.reason}: ${result.detail}`,
      });
    } else if (bytesToHex(sha256(result.leaf.publicKeySpki)).slice(0, 32) !== payload.keyId) {
      checks.push({
        check: 'issuer',
        result: 'fail',
        reason: 'KEY_MISMATCH',
        detail: 'the seal certificate is not for the key that signed',
      });
    } else if (result.leaf.subject.commonName !== payload.issuer.name) {
      checks.push({
        check: 'issuer',
        result: 'fail',
        reason: 'ISSUER_UNTRUSTED',
        detail: `the seal belongs to ${result.leaf.subject.commonName ?? '?'}`,
      });
    } else {
      spki = result.leaf.publicKeySpki;
      checks.push({ check: 'issuer', result: 'pass', detail: result.chain.map((c) => c.subject.commonName ?? '').join(' ← ') });
    }
  }

  const signature = decodeBase64(bundle.signature);
  if (!spki) {
    checks.push({ check: 'signature', result: 'unknown', reason: 'NO_SEAL_CERTIFICATE' });
  } else if (!signature || !verifySignature(payload.alg, spki, encoder.encode(bundle.payload), signature)) {
    checks.push({ check: 'signature', result: 'fail', reason: 'BAD_SIGNATURE' });
  } else {
    checks.push({ check: 'signature', result: 'pass' });
  }

  const at = options.at ?? new Date();
  const issuedAt = Date.parse(payload.issuedAt);
  const validUntil = payload.validUntil === null ? null : Date.parse(payload.validUntil);
  if (Number.isNaN(issuedAt) || (validUntil !== null && Number.isNaN(validUntil))) {
    checks.push({ check: 'validity', result: 'fail', reason: 'MALFORMED' });
  } else if (at.getTime() < issuedAt) {
    checks.push({ check: 'validity', result: 'fail', reason: 'NOT_YET_VALID' });
  } else if (validUntil !== null && at.getTime() > validUntil) {
    checks.push({ check: 'validity', result: 'fail', reason: 'EXPIRED', detail: payload.validUntil ?? '' });
  } else {
    checks.push({ check: 'validity', result: 'pass' });
  }

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

function statusCheck(payload: SignedPayload, status: StatusEvidence | undefined): Check {
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

function ledgerCheck(bundle: CertificateBundle, payload: SignedPayload, trust: TrustAnchors, options: VerifyOptions): Check {
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

function verdictOf(checks: Check[]): Verdict {
  if (checks.some((c) => c.result === 'fail')) return 'INVALID';
  if (checks.some((c) => c.result === 'unknown')) return 'INDETERMINATE';
  return 'VALID';
}

/** Reason codes in plain words, for pages and the CLI. */
export const REASON_TEXT: Record<ReasonCode, { zh: string; en: string }> = {
  MALFORMED: { zh: '内容无法识别或已损坏', en: 'unreadable or damaged content' },
  BAD_IDENTIFIER: { zh: '电子证照标识校验不通过', en: 'the certificate identifier does not check' },
  DISCLOSURE_MISMATCH: { zh: '显示的信息与签名内容不符', en: 'shown information does not match what was signed' },
  NO_SEAL_CERTIFICATE: { zh: '缺少印章证书，无法核验', en: 'the seal certificate is missing' },
  NO_TRUST_ANCHORS: { zh: '未配置信任根', en: 'no trusted roots are configured' },
  ISSUER_UNTRUSTED: { zh: '印章证书不可信', en: 'the seal certificate is not trusted' },
  KEY_MISMATCH: { zh: '印章证书与签名密钥不符', en: 'the seal certificate does not match the signing key' },
  BAD_SIGNATURE: { zh: '电子印章签名无效（内容可能被篡改）', en: 'the seal signature is invalid (content may have been altered)' },
  NOT_YET_VALID: { zh: '证明尚未生效', en: 'the certificate is not yet valid' },
  EXPIRED: { zh: '证明已过有效期', en: 'the certificate has expired' },
  REVOKED: { zh: '证明已被撤销', en: 'the certificate has been revoked' },
  SUSPENDED: { zh: '证明已被挂起', en: 'the certificate is suspended' },
  STATUS_UNAVAILABLE: { zh: '无法获取证明的最新状态', en: 'the current status could not be checked' },
  STATUS_LIST_UNSIGNED: { zh: '状态列表未经平台签名，不予采信', en: 'the status list is not signed by the platform' },
  STATUS_LIST_UNTRUSTED: {
    zh: '状态列表签名无效或签名密钥不在信任列表中',
    en: 'the status list signature is invalid or its key is not in the trust list',
  },
  STATUS_LIST_MISMATCH: { zh: '状态列表不是证明所指定的列表', en: 'the status list is not the one the certificate names' },
  STATUS_LIST_EXPIRED: { zh: '状态列表已过有效期，请联网更新', en: 'the status list has expired; go online to update it' },
  LEDGER_PROOF_INVALID: { zh: '存证账本证明无效', en: 'the ledger proof is invalid' },
  LEDGER_UNAVAILABLE: { zh: '缺少存证账本证明', en: 'the ledger proof is missing' },
};

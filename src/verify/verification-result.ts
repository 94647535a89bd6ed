/**
 * What verifying a certificate answers (verify-certificate.ts): the verdict, one check per
 * aspect with its reason code, the trust anchors and status evidence it is given, and the
 * reason codes in plain words. Browser-safe.
 */
import type { SignedPayload } from './document.ts';

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
  | 'STATUS_ISSUER_UNREACHABLE'
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
  /**
   * CA certificates that link other roots to a pinned one: in a federation's national trust list,
   * each province's root cross-signed by the national root (PEM).
   */
  intermediates?: string[];
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

/** The signed payload's own facts, its status slot, and the fields shown. */
export interface VerifiedCertificate extends Pick<
  SignedPayload,
  'id' | 'type' | 'typeName' | 'issuer' | 'holder' | 'issuedAt' | 'validUntil'
> {
  statusIndex: number;
  statusList: string;
  fields: { name: string; value: string }[];
}

export interface VerificationResult {
  verdict: Verdict;
  checks: Check[];
  certificate?: VerifiedCertificate;
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
  STATUS_ISSUER_UNREACHABLE: {
    zh: '签发地平台暂时无法连接，且没有有效的状态列表缓存，无法确认证明是否已被撤销',
    en: "the issuing member's platform cannot be reached and no valid copy of its status lists is cached",
  },
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

/**
 * Signed W3C Bitstring Status List credentials. The platform secures each list with a Data
 * Integrity proof (VC Data Integrity 1.0) whose cryptosuite, `yiban-sm2-jcs-2026`, is the
 * `ecdsa-jcs-2019` construction with the national algorithms:
 *
 *   proofConfig = the proof without `proofValue`, with the document's `@context`
 *   hashData    = SM3(JCS(proofConfig)) ‖ SM3(JCS(document without proof))      (JCS = RFC 8785)
 *   proofValue  = 'u' + base64url(DER SM2 signature over hashData, SM3, ID 1234567812345678)
 *
 * `verificationMethod` is `<trust list URL>#<key id>`; a verifier accepts only a key its pinned
 * trust list names in `statusSigners`, with a certificate that chains to a pinned root. A list is
 * used only when it is the one the certificate names (id and purpose) and `at` lies within its
 * `validFrom`–`validUntil`. Anything else is a reason, never an exception. Browser-safe.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { canonicalJson, parsePayload } from './document.ts';
import { sm3 } from './sm3.ts';
import { verify as verifySignature } from './signatures.ts';
import { decodeStatusList } from './status-list.ts';
import { base64urlnopad } from './tlog-bytes.ts';
import { concatBytes, utf8 } from './tlog-bytes.ts';
import { createChainVerifier, splitPemChain, type ChainResult } from './x509.ts';
import type { StatusEvidence, StatusListProblem, TrustAnchors } from './verification-result.ts';

const STATUS_CRYPTOSUITE = 'yiban-sm2-jcs-2026';
export type StatusPurpose = 'revocation' | 'suspension';
export const STATUS_PURPOSES: readonly StatusPurpose[] = ['revocation', 'suspension'];

export interface DataIntegrityProof {
  type: 'DataIntegrityProof';
  cryptosuite: string;
  created: string;
  verificationMethod: string;
  proofPurpose: 'assertionMethod';
  proofValue: string;
}

export interface StatusListCredential {
  '@context': string[];
  id: string;
  type: string[];
  issuer: string;
  validFrom: string;
  validUntil: string;
  credentialSubject: { id: string; type: 'BitstringStatusList'; statusPurpose: StatusPurpose; encodedList: string };
  proof: DataIntegrityProof;
}

function hashData(document: Record<string, unknown>, proofConfig: Record<string, unknown>): Uint8Array {
  return concatBytes(sm3(utf8(canonicalJson(proofConfig))), sm3(utf8(canonicalJson(document))));
}

/** Adds the proof; `sign` is an SM2 signer (DER out) of the key `verificationMethod` names. */
export async function signStatusListCredential(
  credential: Omit<StatusListCredential, 'proof'>,
  key: { verificationMethod: string; sign: (message: Uint8Array) => Uint8Array | Promise<Uint8Array> },
  created: Date,
): Promise<StatusListCredential> {
  const config = {
    type: 'DataIntegrityProof' as const,
    cryptosuite: STATUS_CRYPTOSUITE,
    created: created.toISOString(),
    verificationMethod: key.verificationMethod,
    proofPurpose: 'assertionMethod' as const,
  };
  const signature = await key.sign(hashData(credential, { '@context': credential['@context'], ...config }));
  return { ...credential, proof: { ...config, proofValue: `u${base64urlnopad.encode(signature)}` } };
}

export type CheckedStatusList =
  | { ok: true; purpose: StatusPurpose; bits: Uint8Array; validFrom: string; validUntil: string; keyId: string }
  | { ok: false; reason: StatusListProblem; detail: string; validFrom?: string; validUntil?: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks one status list credential: that it is the list `expect` names, that a status signer of
 * the pinned trust list signed it, and that it is current at `at`.
 */
async function checkStatusListCredential(
  credential: unknown,
  trust: TrustAnchors,
  expect: { id: string; purpose: StatusPurpose },
  at: Date,
  /** Chain results by signer and time, shared by the checks of one verification. */
  chains: Map<string, ChainResult> = new Map(),
  /** How far the issuer's clock may run ahead of `at`: a list just signed elsewhere is not yet "valid from". */
  skewMs = 0,
): Promise<CheckedStatusList> {
  if (!isRecord(credential) || !isRecord(credential.credentialSubject))
    return { ok: false, reason: 'STATUS_LIST_MISMATCH', detail: 'not a status list credential' };
  const subject = credential.credentialSubject;
  if (credential.id !== expect.id)
    return {
      ok: false,
      reason: 'STATUS_LIST_MISMATCH',
      detail: `the list is ${String(credential.id)}, the certificate names ${expect.id}`,
    };
  if (subject.statusPurpose !== expect.purpose || subject.type !== 'BitstringStatusList') {
    return {
      ok: false,
      reason: 'STATUS_LIST_MISMATCH',
      detail: `the list's purpose is ${String(subject.statusPurpose)}, not ${expect.purpose}`,
    };
  }
  const types = credential.type;
  if (!Array.isArray(types) || !types.includes('BitstringStatusListCredential'))
    return { ok: false, reason: 'STATUS_LIST_MISMATCH', detail: 'not a BitstringStatusListCredential' };

  const { proof, ...document } = credential;
  if (!isRecord(proof) || typeof proof.proofValue !== 'string')
    return { ok: false, reason: 'STATUS_LIST_UNSIGNED', detail: 'the list carries no proof' };
  if (proof.type !== 'DataIntegrityProof' || proof.cryptosuite !== STATUS_CRYPTOSUITE || proof.proofPurpose !== 'assertionMethod') {
    return { ok: false, reason: 'STATUS_LIST_UNTRUSTED', detail: `unsupported proof ${String(proof.type)}/${String(proof.cryptosuite)}` };
  }
  const method = typeof proof.verificationMethod === 'string' ? proof.verificationMethod : '';
  const keyId = method.slice(method.lastIndexOf('#') + 1);
  const signer = trust.statusSigners?.[keyId];
  if (!signer || !/^[0-9a-f]{32}$/.test(keyId))
    return { ok: false, reason: 'STATUS_LIST_UNTRUSTED', detail: `signed by ${method || 'no key'}, which the trust list does not name` };
  const created = typeof proof.created === 'string' ? new Date(proof.created) : new Date(NaN);
  if (Number.isNaN(created.getTime())) return { ok: false, reason: 'STATUS_LIST_UNTRUSTED', detail: 'the proof has no creation time' };
  // Both lists of a certificate name the same signer: its chain is checked once (a third use of the
  // root key would make signatures.ts build a comb table, ~1 s, for nothing in a one-off check).
  const known = chains.get(keyId);
  const inPeriod = (r: ChainResult | undefined) => r?.ok === true && r.chain.every((c) => c.notBefore <= created && created <= c.notAfter);
  const chain =
    known && inPeriod(known)
      ? known
      : createChainVerifier({
          anchors: trust.roots,
          intermediates: [...(trust.intermediates ?? []), ...(signer.chain ? splitPemChain(signer.chain) : [])],
        }).verify(signer.certificate, {
          at: created,
          keyUsage: ['digitalSignature'],
        });
  chains.set(keyId, chain);
  if (!chain.ok) return { ok: false, reason: 'STATUS_LIST_UNTRUSTED', detail: `the status signer's certificate: ${chain.reason}` };
  if (bytesToHex(sha256(chain.leaf.publicKeySpki)).slice(0, 32) !== keyId)
    return { ok: false, reason: 'STATUS_LIST_UNTRUSTED', detail: 'the status signer certificate is for another key' };
  let signature: Uint8Array;
  try {
    if (!proof.proofValue.startsWith('u')) throw new TypeError('not base64url multibase');
    signature = base64urlnopad.decode(proof.proofValue.slice(1));
  } catch {
    return { ok: false, reason: 'STATUS_LIST_UNTRUSTED', detail: 'unreadable proofValue' };
  }
  const { proofValue: _value, ...config } = proof;
  if (!verifySignature('SM2', chain.leaf.publicKeySpki, hashData(document, { '@context': document['@context'], ...config }), signature)) {
    return { ok: false, reason: 'STATUS_LIST_UNTRUSTED', detail: 'the proof does not verify (forged or altered list)' };
  }

  const validFrom = typeof credential.validFrom === 'string' ? Date.parse(credential.validFrom) : NaN;
  const validUntil = typeof credential.validUntil === 'string' ? Date.parse(credential.validUntil) : NaN;
  if (Number.isNaN(validFrom) || Number.isNaN(validUntil))
    return { ok: false, reason: 'STATUS_LIST_EXPIRED', detail: 'the list has no validity period' };
  if (at.getTime() > validUntil) {
    return {
      ok: false,
      reason: 'STATUS_LIST_EXPIRED',
      detail: `valid until ${String(credential.validUntil)}`,
      validFrom: String(credential.validFrom),
      validUntil: String(credential.validUntil),
    };
  }
  if (at.getTime() + skewMs < validFrom)
    return { ok: false, reason: 'STATUS_LIST_EXPIRED', detail: `valid only from ${String(credential.validFrom)}` };
  const bits = typeof subject.encodedList === 'string' ? await decodeStatusList(subject.encodedList) : null;
  if (!bits) return { ok: false, reason: 'STATUS_LIST_MISMATCH', detail: 'the encoded list is unreadable' };
  return {
    ok: true,
    purpose: expect.purpose,
    bits,
    validFrom: String(credential.validFrom),
    validUntil: String(credential.validUntil),
    keyId,
  };
}

/**
 * The status evidence for a certificate from whatever list credentials are at hand (fetched,
 * cached, or given as files): only the signed, current lists the payload names count; for a
 * purpose without one, the reason why.
 */
export async function statusEvidenceFromCredentials(
  payloadText: string,
  credentials: readonly unknown[],
  trust: TrustAnchors,
  at: Date = new Date(),
  options: { skewMs?: number } = {},
): Promise<StatusEvidence> {
  const payload = parsePayload(payloadText);
  if (!payload) return { problems: [], lists: [] };
  return statusEvidenceForList(payload.status.list, credentials, trust, at, options);
}

/** The same for a list known by its URL (`status.list` of the certificates it serves), without a certificate. */
export async function statusEvidenceForList(
  list: string,
  credentials: readonly unknown[],
  trust: TrustAnchors,
  at: Date = new Date(),
  options: { skewMs?: number } = {},
): Promise<StatusEvidence> {
  const evidence: StatusEvidence = { problems: [], lists: [] };
  const chains = new Map<string, ChainResult>();
  for (const purpose of STATUS_PURPOSES) {
    const id = `${list}/${purpose}`;
    let best: CheckedStatusList | null = null;
    for (const credential of credentials) {
      const checked = await checkStatusListCredential(credential, trust, { id, purpose }, at, chains, options.skewMs);
      // A list for another purpose or id is simply not this one; report it only if nothing else is found.
      if (checked.ok) {
        best = checked;
        break;
      }
      if (!best || (best.reason === 'STATUS_LIST_MISMATCH' && checked.reason !== 'STATUS_LIST_MISMATCH')) best = checked;
    }
    if (best?.ok) {
      evidence[purpose] = best.bits;
      evidence.lists!.push({ purpose, id, validFrom: best.validFrom, validUntil: best.validUntil });
    } else {
      evidence.problems!.push({
        purpose,
        reason: best?.reason ?? 'STATUS_UNAVAILABLE',
        detail: best?.detail ?? `no list ${id} at hand`,
        ...(best?.validFrom && best.validUntil ? { validFrom: best.validFrom, validUntil: best.validUntil } : {}),
      });
    }
  }
  return evidence;
}

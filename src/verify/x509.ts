/**
 * X.509 certificates for the verifier: parse DER or PEM, and check a chain from a leaf through
 * optional intermediates to a pinned root, at a given time. Signatures: SM2 with SM3
 * (1.2.156.10197.1.501, default ID 1234567812345678 as GM/T 0015 prescribes for certificates),
 * Ed25519 (1.3.101.112) and ECDSA P-256 with SHA-256 (1.2.840.10045.4.3.2).
 *
 * Failure is a normal answer here: every function returns a result union with a reason code
 * and never throws on bad input. Browser-safe.
 *
 * The signed bytes are sliced out of the original encoding with our strict DER reader, never
 * re-serialised; @peculiar/asn1-x509 only reads names and extensions.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
  KeyUsage,
  Name,
  SubjectKeyIdentifier,
  Version,
} from '@peculiar/asn1-x509';
import { sha256 } from '@noble/hashes/sha2.js';
import { expectTag, pemDecodeAll, readBitStringBytes, readChildren, readOid, readSingle, TAG, type Tlv } from './der.ts';
import { bytesToHex, equalBytes } from './tlog-bytes.ts';
import { decodeSpki, OID, type KeyAlgorithm } from './keys.ts';
import { verify } from './signatures.ts';

export type CertificateInput = Uint8Array | string;
export type CertificateSignatureAlgorithm = 'SM2-with-SM3' | 'Ed25519' | 'ECDSA-with-SHA256';
/** RFC 5280 §4.2.1.3 names, in bit order. */
const KEY_USAGES = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;
export type KeyUsageType = (typeof KEY_USAGES)[number];

export interface NameInfo {
  commonName?: string;
  organization?: string;
  organizationalUnit?: string;
  country?: string;
  /** The subject's serialNumber attribute (2.5.4.5): for us the credit code or division code. */
  serialNumber?: string;
  locality?: string;
  province?: string;
  /** All attributes, RFC 4514 style (most significant first), for display. */
  text: string;
}

export interface CertificateInfo {
  subject: NameInfo;
  issuer: NameInfo;
  /** Hex of the serial number's content octets. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
  publicKeySpki: Uint8Array;
  publicKeyAlgorithm: KeyAlgorithm;
  signatureAlgorithm: CertificateSignatureAlgorithm;
  isCA: boolean;
  pathLenConstraint?: number;
  /** Undefined when the certificate has no keyUsage extension. */
  keyUsage?: KeyUsageType[];
  subjectKeyId?: string;
  authorityKeyId?: string;
  /** SHA-256 of the DER, hex. */
  fingerprint: string;
  der: Uint8Array;
}

export interface ParsedCertificate extends CertificateInfo {
  tbs: Uint8Array;
  signature: Uint8Array;
  issuerDer: Uint8Array;
  subjectDer: Uint8Array;
  unknownCriticalExtensions: string[];
}

export type ParseFailure = 'MALFORMED' | 'UNSUPPORTED_ALGORITHM';
export type ParseResult = { ok: true; certificate: ParsedCertificate } | { ok: false; reason: ParseFailure; detail: string };

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

const SIGNATURE_OIDS: Record<string, CertificateSignatureAlgorithm | undefined> = {
  [OID.sm2WithSm3]: 'SM2-with-SM3',
  [OID.ed25519]: 'Ed25519',
  [OID.ecdsaWithSha256]: 'ECDSA-with-SHA256',
};
const KEY_FOR_SIGNATURE: Record<CertificateSignatureAlgorithm, KeyAlgorithm> = {
  'SM2-with-SM3': 'SM2',
  Ed25519: 'Ed25519',
  'ECDSA-with-SHA256': 'P-256',
};
const KNOWN_EXTENSIONS = new Set([
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
  id_ce_authorityKeyIdentifier,
  '2.5.29.37', // extKeyUsage: read by the application, not here
  '2.5.29.17', // subjectAltName
  '2.5.29.32', // certificatePolicies
]);

const NAME_ATTRIBUTES: Record<string, [keyof Omit<NameInfo, 'text'>, string]> = {
  '2.5.4.3': ['commonName', 'CN'],
  '2.5.4.10': ['organization', 'O'],
  '2.5.4.11': ['organizationalUnit', 'OU'],
  '2.5.4.6': ['country', 'C'],
  '2.5.4.5': ['serialNumber', 'serialNumber'],
  '2.5.4.7': ['locality', 'L'],
  '2.5.4.8': ['province', 'ST'],
};

class Malformed extends Error {}

function toDer(input: CertificateInput): Uint8Array {
  if (input instanceof Uint8Array) return input;
  const block = pemDecodeAll(input).find((b) => b.label === 'CERTIFICATE');
  if (!block) throw new Malformed('no CERTIFICATE PEM block');
  return block.der;
}

/** Every CERTIFICATE block of a PEM bundle, in order (for chain files). */
export function splitPemChain(pem: string): Uint8Array[] {
  try {
    return pemDecodeAll(pem)
      .filter((b) => b.label === 'CERTIFICATE')
      .map((b) => b.der);
  } catch {
    return [];
  }
}

function describeName(der: Uint8Array): NameInfo {
  const name = AsnConvert.parse(der, Name);
  const info: NameInfo = { text: '' };
  const parts: string[] = [];
  for (const rdn of name) {
    for (const attribute of rdn) {
      const value = attribute.value.toString();
      const known = NAME_ATTRIBUTES[attribute.type];
      if (known) info[known[0]] = value;
      parts.push(`${known ? known[1] : attribute.type}=${value.replace(/([,+"\\<>;=])/g, '\\$1')}`);
    }
  }
  info.text = parts.reverse().join(', ');
  return info;
}

function signatureAlgorithmOf(tlv: Tlv | undefined): CertificateSignatureAlgorithm {
  const [algOid, params, ...rest] = readChildren(expectTag(tlv, TAG.SEQUENCE, 'AlgorithmIdentifier'));
  const id = readOid(algOid);
  const algorithm = SIGNATURE_OIDS[id];
  if (!algorithm) throw new UnsupportedAlgorithm(`signature algorithm ${id}`);
  // RFC 5758 and RFC 8410 say absent; some SM2 issuers write NULL, which is harmless.
  const nullAllowed = algorithm === 'SM2-with-SM3';
  if (rest.length || (params && !(nullAllowed && params.tag === TAG.NULL && params.content.length === 0))) {
    throw new Malformed('unexpected signature algorithm parameters');
  }
  return algorithm;
}

class UnsupportedAlgorithm extends Error {}

/** Parses a certificate; never throws. */
export function parseCertificate(input: CertificateInput): ParseResult {
  try {
    return { ok: true, certificate: parseOrThrow(toDer(input)) };
  } catch (error) {
    if (error instanceof UnsupportedAlgorithm) return { ok: false, reason: 'UNSUPPORTED_ALGORITHM', detail: error.message };
    return { ok: false, reason: 'MALFORMED', detail: error instanceof Error ? error.message : String(error) };
  }
}

function parseOrThrow(der: Uint8Array): ParsedCertificate {
  const [tbsTlv, algTlv, sigTlv, ...extra] = readChildren(readSingle(der, TAG.SEQUENCE));
  if (extra.length) throw new Malformed('trailing fields in Certificate');
  const tbs = expectTag(tbsTlv, TAG.SEQUENCE, 'TBSCertificate');
  const signatureAlgorithm = signatureAlgorithmOf(algTlv);
  const signature = readBitStringBytes(sigTlv);

  const fields = readChildren(tbs);
  let index = 0;
  if (fields[0]?.tag === 0xa0) index++;
  const serial = expectTag(fields[index++], TAG.INTEGER, 'serialNumber');
  const innerAlg = fields[index++];
  if (!innerAlg || !equalBytes(innerAlg.raw, algTlv!.raw)) throw new Malformed('inner and outer signature algorithms differ');
  const issuerDer = expectTag(fields[index++], TAG.SEQUENCE, 'issuer').raw;
  expectTag(fields[index++], TAG.SEQUENCE, 'validity');
  const subjectDer = expectTag(fields[index++], TAG.SEQUENCE, 'subject').raw;
  const spki = expectTag(fields[index++], TAG.SEQUENCE, 'subjectPublicKeyInfo').raw;

  let publicKey;
  try {
    publicKey = decodeSpki(spki);
  } catch (error) {
    throw new UnsupportedAlgorithm(`subject public key: ${error instanceof Error ? error.message : String(error)}`);
  }

  const parsed = AsnConvert.parse(der, Certificate);
  const tbsParsed = parsed.tbsCertificate;
  if (tbsParsed.version !== Version.v3 && tbsParsed.extensions?.length) throw new Malformed('extensions in a certificate that is not v3');

  let isCA = false;
  let pathLenConstraint: number | undefined;
  let keyUsage: KeyUsageType[] | undefined;
  let subjectKeyId: string | undefined;
  let authorityKeyId: string | undefined;
  const unknownCriticalExtensions: string[] = [];
  const seen = new Set<string>();
  for (const extension of tbsParsed.extensions ?? []) {
    if (seen.has(extension.extnID)) throw new Malformed(`duplicate extension ${extension.extnID}`);
    seen.add(extension.extnID);
    const value = new Uint8Array(extension.extnValue.buffer);
    switch (extension.extnID) {
      case id_ce_basicConstraints: {
        const bc = AsnConvert.parse(value, BasicConstraints);
        isCA = bc.cA;
        pathLenConstraint = bc.pathLenConstraint;
        break;
      }
      case id_ce_keyUsage:
        {
          const flags = AsnConvert.parse(value, KeyUsage).toNumber();
          keyUsage = KEY_USAGES.filter((_, bit) => flags & (1 << bit));
        }
        break;
      case id_ce_subjectKeyIdentifier:
        subjectKeyId = bytesToHex(new Uint8Array(AsnConvert.parse(value, SubjectKeyIdentifier).buffer));
        break;
      case id_ce_authorityKeyIdentifier: {
        const aki = AsnConvert.parse(value, AuthorityKeyIdentifier);
        if (aki.keyIdentifier) authorityKeyId = bytesToHex(new Uint8Array(aki.keyIdentifier.buffer));
        break;
      }
      default:
        if (extension.critical && !KNOWN_EXTENSIONS.has(extension.extnID)) unknownCriticalExtensions.push(extension.extnID);
    }
  }

  return {
    subject: describeName(subjectDer),
    issuer: describeName(issuerDer),
    serial: bytesToHex(serial.content),
    notBefore: tbsParsed.validity.notBefore.getTime(),
    notAfter: tbsParsed.validity.notAfter.getTime(),
    publicKeySpki: spki.slice(),
    publicKeyAlgorithm: publicKey.algorithm,
    signatureAlgorithm,
    isCA,
    ...(pathLenConstraint !== undefined ? { pathLenConstraint } : {}),
    ...(keyUsage ? { keyUsage } : {}),
    ...(subjectKeyId ? { subjectKeyId } : {}),
    ...(authorityKeyId ? { authorityKeyId } : {}),
    fingerprint: bytesToHex(sha256(der)),
    der: der.slice(),
    tbs: tbs.raw.slice(),
    signature: signature.slice(),
    issuerDer: issuerDer.slice(),
    subjectDer: subjectDer.slice(),
    unknownCriticalExtensions,
  };
}

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

export interface ChainOptions {
  leaf: CertificateInput;
  intermediates?: CertificateInput[];
  /** The pinned roots. Only a chain that ends in one of these can be valid. */
  anchors: CertificateInput[];
  /** The time to check validity periods at. */
  at: Date;
  /** Usages the leaf's keyUsage extension must grant (e.g. digitalSignature, nonRepudiation for a seal). */
  keyUsage?: KeyUsageType[];
  /** Longest chain, anchor included (default 6). */
  maxLength?: number;
}

type ChainFailureResult = Extract<ChainResult, { ok: false }>;

const fail = (reason: ChainFailure, detail: string, depth?: number): ChainFailureResult => ({
  ok: false,
  reason,
  detail,
  ...(depth !== undefined ? { depth } : {}),
});

/** Verifies leaf → intermediates → pinned anchor at `at`; never throws. */
export function verifyCertificateChain(options: ChainOptions): ChainResult {
  const verifier = createChainVerifier({
    anchors: options.anchors,
    intermediates: options.intermediates ?? [],
    maxLength: options.maxLength,
    cacheSize: 0,
  });
  return verifier.verify(options.leaf, { at: options.at, keyUsage: options.keyUsage });
}

export interface ChainVerifier {
  /** Same answers as verifyCertificateChain with the pinned anchors and intermediates; never throws. */
  verify(leaf: CertificateInput, options: { at: Date; keyUsage?: KeyUsageType[] }): ChainResult;
}

/**
 * A verifier for many leaves against the same pinned anchors: the anchors and intermediates are
 * parsed once, and the path found for a leaf (parsing and signatures, the costly part) is
 * remembered by the leaf's exact bytes or PEM text, so a seal certificate met again costs a
 * lookup and a few comparisons. The time and usage checks run every time.
 */
export function createChainVerifier(options: {
  anchors: CertificateInput[];
  intermediates?: CertificateInput[];
  maxLength?: number;
  cacheSize?: number;
}): ChainVerifier {
  const setup = prepare(options.anchors, options.intermediates ?? []);
  const cacheSize = options.cacheSize ?? 1024;
  const paths = new Map<string, ParsedCertificate[]>();
  return {
    verify(leafInput, check) {
      try {
        if ('reason' in setup) return setup;
        // Keyed by the exact input, so that a leaf met again is neither parsed nor verified again.
        const key = typeof leafInput === 'string' ? leafInput : bytesToHex(leafInput);
        let chain = paths.get(key);
        if (!chain) {
          const leafResult = parseCertificate(leafInput);
          if (!leafResult.ok) return fail(leafResult.reason, leafResult.detail, 0);
          const built = buildPath(leafResult.certificate, setup.anchors, setup.intermediates, options.maxLength ?? 6);
          if (!Array.isArray(built)) return built;
          chain = built;
          if (cacheSize > 0) {
            if (paths.size >= cacheSize) paths.delete(paths.keys().next().value!);
            paths.set(key, chain);
          }
        }
        return checkChain(chain, check.at, check.keyUsage ?? []);
      } catch (error) {
        return fail('MALFORMED', error instanceof Error ? error.message : String(error));
      }
    },
  };
}

function prepare(
  anchorInputs: CertificateInput[],
  intermediateInputs: CertificateInput[],
): { anchors: ParsedCertificate[]; intermediates: ParsedCertificate[] } | ChainFailureResult {
  if (anchorInputs.length === 0) return fail('NO_TRUST_ANCHORS', 'no trust anchors are pinned');
  const anchors: ParsedCertificate[] = [];
  for (const input of anchorInputs) {
    const result = parseCertificate(input);
    if (!result.ok) return fail(result.reason, `trust anchor: ${result.detail}`);
    anchors.push(result.certificate);
  }
  const intermediates: ParsedCertificate[] = [];
  for (const input of intermediateInputs) {
    const result = parseCertificate(input);
    if (!result.ok) return fail(result.reason, `intermediate: ${result.detail}`);
    intermediates.push(result.certificate);
  }
  return { anchors, intermediates };
}

/**
 * Builds the path: at each step the issuer is the certificate whose subject is the issuer name
 * and, where both key identifiers exist, whose key identifier matches, and whose key verifies.
 */
function buildPath(
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

function checkChain(chain: ParsedCertificate[], atDate: Date, keyUsage: KeyUsageType[]): ChainResult {
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

/**
 * X.509 certificates for the verifier: parse DER or PEM into what the chain check needs (x509.ts).
 * Signatures: SM2 with SM3 (1.2.156.10197.1.501), Ed25519 (1.3.101.112) and ECDSA P-256 with
 * SHA-256 (1.2.840.10045.4.3.2); anything else is UNSUPPORTED_ALGORITHM.
 *
 * Failure is a normal answer here: parseCertificate returns a result union with a reason code
 * and never throws on bad input. Browser-safe.
 *
 * The signed bytes are sliced out of the original encoding with our strict DER reader, never
 * re-serialised; @peculiar/asn1-x509 only reads names and extensions.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, Version } from '@peculiar/asn1-x509';
import { sha256 } from '@noble/hashes/sha2.js';
import { expectTag, pemDecodeAll, readBitStringBytes, readChildren, readOid, readSingle, TAG, type Tlv } from './der.ts';
import { bytesToHex, equalBytes } from './tlog-bytes.ts';
import { decodeSpki, OID, type KeyAlgorithm } from './keys.ts';
import { readExtensions, type KeyUsageType } from './x509-extensions.ts';
import { describeName, type NameInfo } from './x509-name.ts';

export type CertificateInput = Uint8Array | string;
export type CertificateSignatureAlgorithm = 'SM2-with-SM3' | 'Ed25519' | 'ECDSA-with-SHA256';

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

const SIGNATURE_OIDS: Record<string, CertificateSignatureAlgorithm | undefined> = {
  [OID.sm2WithSm3]: 'SM2-with-SM3',
  [OID.ed25519]: 'Ed25519',
  [OID.ecdsaWithSha256]: 'ECDSA-with-SHA256',
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
  const { unknownCriticalExtensions, ...extensions } = readExtensions(tbsParsed.extensions ?? []);

  return {
    subject: describeName(subjectDer),
    issuer: describeName(issuerDer),
    serial: bytesToHex(serial.content),
    notBefore: tbsParsed.validity.notBefore.getTime(),
    notAfter: tbsParsed.validity.notAfter.getTime(),
    publicKeySpki: spki.slice(),
    publicKeyAlgorithm: publicKey.algorithm,
    signatureAlgorithm,
    ...extensions,
    fingerprint: bytesToHex(sha256(der)),
    der: der.slice(),
    tbs: tbs.raw.slice(),
    signature: signature.slice(),
    issuerDer: issuerDer.slice(),
    subjectDer: subjectDer.slice(),
    unknownCriticalExtensions,
  };
}

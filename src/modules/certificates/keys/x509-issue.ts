/**
 * Builds and signs X.509 v3 certificates (RFC 5280) with our own signers: SM2 with SM3
 * (signatureAlgorithm 1.2.156.10197.1.501, parameters absent, default signer ID as GM/T 0015
 * prescribes), Ed25519 (1.3.101.112) or ECDSA P-256 with SHA-256. The TBSCertificate is built
 * with @peculiar/asn1-x509; the outer Certificate is assembled by hand around the exact TBS
 * bytes that were signed.
 */
import { randomBytes } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Extension,
  Extensions,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import { sha256 } from '@noble/hashes/sha2.js';
import { bitString, pemEncode, readChildren, readSingle, sequence, TAG } from '../../../verify/der.ts';
import { bytesToHex } from '../../../verify/tlog-bytes.ts';
import { decodeSpki, OID, type KeyAlgorithm } from '../../../verify/keys.ts';

export interface CertificateName {
  commonName: string;
  organization?: string;
  organizationalUnit?: string;
  /** ISO 3166 code; CN unless said otherwise. */
  country?: string;
  /** The org's unified social credit code (GB 32100) or division code (2.5.4.5). */
  serialNumber?: string;
}

/** Anything that signs with a known algorithm: our key store's signers, a test key. */
export interface CertificateSigner {
  algorithm: KeyAlgorithm;
  publicKeySpki: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/**
 * root: a self-signed CA (keyCertSign, cRLSign); ca: an intermediate;
 * seal: an org's electronic seal (digitalSignature, nonRepudiation);
 * pdf: the PDF signing key (digitalSignature, nonRepudiation).
 */
export type CertificateProfile = 'root' | 'ca' | 'seal' | 'pdf';

export interface IssueCertificateInput {
  profile: CertificateProfile;
  subject: CertificateName;
  subjectPublicKeySpki: Uint8Array;
  /** For a root, the subject and key themselves. */
  issuer: { name: CertificateName; signer: CertificateSigner };
  notBefore: Date;
  notAfter: Date;
  /** Positive, at most 20 octets; 16 random bytes by default. */
  serialNumber?: Uint8Array;
  /** For a CA: how many intermediates may follow it. */
  pathLength?: number;
}

export interface IssuedCertificate {
  der: Uint8Array;
  pem: string;
  serialHex: string;
}

const SIGNATURE_OID: Record<KeyAlgorithm, string> = {
  SM2: OID.sm2WithSm3,
  Ed25519: OID.ed25519,
  'P-256': OID.ecdsaWithSha256,
};

const ATTRIBUTE = {
  country: '2.5.4.6',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
};

/** C=…, O=…, OU=…, CN=…, serialNumber=…: one attribute per RDN, in this order. */
export function buildName(name: CertificateName): Name {
  const rdn = (type: string, value: AttributeValue) => new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value })]);
  const rdns: RelativeDistinguishedName[] = [];
  // RFC 5280: countryName and serialNumber are PrintableString; the rest UTF8String for Chinese.
  const country = name.country ?? 'CN';
  if (!/^[A-Z]{2}$/.test(country)) throw new Error('country must be a two-letter code');
  rdns.push(rdn(ATTRIBUTE.country, new AttributeValue({ printableString: country })));
  if (name.organization) rdns.push(rdn(ATTRIBUTE.organization, new AttributeValue({ utf8String: name.organization })));
  if (name.organizationalUnit) rdns.push(rdn(ATTRIBUTE.organizationalUnit, new AttributeValue({ utf8String: name.organizationalUnit })));
  rdns.push(rdn(ATTRIBUTE.commonName, new AttributeValue({ utf8String: name.commonName })));
  if (name.serialNumber) {
    if (!/^[A-Za-z0-9 '()+,\-./:=?]+$/.test(name.serialNumber)) throw new Error('serialNumber must be printable');
    rdns.push(rdn(ATTRIBUTE.serialNumber, new AttributeValue({ printableString: name.serialNumber })));
  }
  return new Name(rdns);
}

/** RFC 7093 §2 method 1: the leftmost 160 bits of SHA-256 over the subjectPublicKey bits. */
export function keyIdentifier(spki: Uint8Array): Uint8Array {
  const parsed = decodeSpki(spki);
  return sha256(parsed.key).slice(0, 20);
}

/** A fresh ArrayBuffer of exactly these bytes (on a Node Buffer .slice() is a view into a possibly larger, shared buffer). */
const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer => new Uint8Array(bytes).buffer;

function makeExtension(extnID: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

function randomSerial(): Uint8Array {
  const serial = new Uint8Array(randomBytes(16));
  // Positive and without a leading zero octet, so the DER INTEGER is exactly 16 octets.
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  return serial;
}

export function issueCertificate(input: IssueCertificateInput): IssuedCertificate {
  const { profile, issuer } = input;
  if (input.notAfter.getTime() <= input.notBefore.getTime()) throw new Error('notAfter must be after notBefore');
  const serial = input.serialNumber ?? randomSerial();
  if (serial.length === 0 || serial.length > 20 || serial[0]! & 0x80 || (serial.length > 1 && serial[0] === 0 && !(serial[1]! & 0x80))) {
    throw new Error('the serial number must be a positive minimal integer of at most 20 octets');
  }
  const spki = AsnConvert.parse(input.subjectPublicKeySpki, SubjectPublicKeyInfo);
  const isCA = profile === 'root' || profile === 'ca';
  const usage = isCA ? KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign : KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation;
  const extensions = [
    makeExtension(
      id_ce_basicConstraints,
      true,
      new BasicConstraints(isCA ? { cA: true, ...(input.pathLength !== undefined ? { pathLenConstraint: input.pathLength } : {}) } : {}),
    ),
    makeExtension(id_ce_keyUsage, true, new KeyUsage(usage)),
    makeExtension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(toArrayBuffer(keyIdentifier(input.subjectPublicKeySpki)))),
    makeExtension(
      id_ce_authorityKeyIdentifier,
      false,
      new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(toArrayBuffer(keyIdentifier(issuer.signer.publicKeySpki))) }),
    ),
  ];
  const signatureAlgorithm = new AlgorithmIdentifier({ algorithm: SIGNATURE_OID[issuer.signer.algorithm] });
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: toArrayBuffer(serial),
    signature: signatureAlgorithm,
    issuer: buildName(issuer.name),
    validity: new Validity({ notBefore: input.notBefore, notAfter: input.notAfter }),
    subject: buildName(input.subject),
    subjectPublicKeyInfo: spki,
    extensions: new Extensions(extensions),
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const algDer = new Uint8Array(AsnConvert.serialize(signatureAlgorithm));
  // asn1-schema must leave the parameters out (not NULL) for all three algorithms.
  if (readChildren(readSingle(algDer, TAG.SEQUENCE)).length !== 1) throw new Error('signature algorithm parameters present');
  const signature = issuer.signer.sign(tbsDer);
  const der = sequence(tbsDer, algDer, bitString(signature));
  return { der, pem: pemEncode('CERTIFICATE', der), serialHex: bytesToHex(serial) };
}

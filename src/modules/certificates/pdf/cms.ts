/**
 * CMS SignedData (RFC 5652) for PDF signatures, PAdES-B-B style (ETSI EN 319 142-1): detached,
 * SHA-256, signed attributes contentType, signingTime, messageDigest and ESS
 * signing-certificate-v2 (RFC 5035), the certificate chain included. The signature itself comes
 * from the caller's signer, so the private key never leaves the key store.
 */
import { createHash } from 'node:crypto';
import { AsnConvert, AsnObjectIdentifierConverter } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { IssuerAndSerialNumber, id_data, id_signedData } from '@peculiar/asn1-cms';

const OID = {
  sha256: '2.16.840.1.101.3.4.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
};

/** What signs a PDF: the P-256 PDF key of the key store (DER ECDSA-SHA256 over the message). */
export interface PdfKey {
  certificatePem: string;
  /** The issuers' certificates up to the root, leaf's issuer first. */
  chainPem: string;
  sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

function pemBlocks(pem: string): Uint8Array[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map(
    (m) => new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')),
  );
}

function derLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

function derTlv(tag: number, content: Uint8Array): Uint8Array {
  return Buffer.concat([Uint8Array.of(tag), derLength(content.length), content]);
}

/** SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }, with SHA-256 (the default, so omitted). */
function signingCertificateV2(certificateDer: Uint8Array): Uint8Array {
  const hash = createHash('sha256').update(certificateDer).digest();
  const essCertId = derTlv(0x30, derTlv(0x04, hash));
  return derTlv(0x30, derTlv(0x30, essCertId));
}

/** DER of an OBJECT IDENTIFIER (memoised: the encoder is slow and the set is small). */
const oids = new Map<string, Uint8Array>();
function oid(dotted: string): Uint8Array {
  let der = oids.get(dotted);
  if (!der) oids.set(dotted, (der = new Uint8Array(AsnObjectIdentifierConverter.toASN(dotted).toBER())));
  return der;
}

/** AlgorithmIdentifier with absent parameters (as RFC 5754 and RFC 5758 ask for these two). */
const algorithm = (dotted: string) => derTlv(0x30, oid(dotted));
const seq = (...parts: Uint8Array[]) => derTlv(0x30, Buffer.concat(parts));
const attribute = (type: string, value: Uint8Array) => seq(oid(type), derTlv(0x31, value));
const INTEGER_1 = Uint8Array.of(0x02, 0x01, 0x01);

/** What a key contributes to every signature, serialised once. */
export interface PreparedKey {
  key: PdfKey;
  /** The certificates, leaf first, as the content of `certificates [0] IMPLICIT`. */
  certificates: Uint8Array;
  issuerAndSerialNumber: Uint8Array;
  signingCertificateAttr: Uint8Array;
}

/** Parses the key's certificates once; reuse the result for every document. */
export function prepareKey(key: PdfKey): PreparedKey {
  const ders = pemBlocks(key.certificatePem + key.chainPem);
  const [leafDer] = ders;
  if (!leafDer) throw new Error('the PDF signing key has no certificate');
  const leaf = AsnConvert.parse(leafDer, Certificate);
  const issuerAndSerialNumber = new IssuerAndSerialNumber({
    issuer: leaf.tbsCertificate.issuer,
    serialNumber: leaf.tbsCertificate.serialNumber,
  });
  return {
    key,
    certificates: Buffer.concat(ders),
    issuerAndSerialNumber: new Uint8Array(AsnConvert.serialize(issuerAndSerialNumber)),
    signingCertificateAttr: attribute(OID.signingCertificateV2, signingCertificateV2(leafDer)),
  };
}

/** UTCTime until 2049, GeneralizedTime after (RFC 5652 §11.3), whole seconds. */
function signingTimeDer(at: Date): Uint8Array {
  const iso = at.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  const year = at.getUTCFullYear();
  return year >= 1950 && year < 2050
    ? derTlv(0x17, Buffer.from(`${iso.slice(2)}Z`, 'latin1'))
    : derTlv(0x18, Buffer.from(`${iso}Z`, 'latin1'));
}

/**
 * A DER CMS ContentInfo holding a detached SignedData over content whose SHA-256 is
 * `contentDigest` (the caller hashes the PDF's byte ranges in place). Written byte by byte from
 * parts prepared once per key: an ASN.1 object model per document cost more than the rest of
 * the signature.
 */
export async function createDetachedCms(prepared: PreparedKey, contentDigest: Uint8Array, signingTime: Date): Promise<Uint8Array> {
  if (contentDigest.length !== 32) throw new Error('createDetachedCms expects the SHA-256 digest of the signed content');
  const attributes = [
    attribute(OID.contentType, oid(id_data)),
    attribute(OID.signingTime, signingTimeDer(signingTime)),
    attribute(OID.messageDigest, derTlv(0x04, contentDigest)),
    prepared.signingCertificateAttr,
  ].sort((a, b) => Buffer.compare(a, b)); // DER: a SET OF is sorted by its elements' encodings
  const attributesContent = Buffer.concat(attributes);
  // The signature covers the attributes as a SET (tag 0x31); in the SignerInfo they are [0] IMPLICIT.
  const signature = await prepared.key.sign(derTlv(0x31, attributesContent));
  const signerInfo = seq(
    INTEGER_1,
    prepared.issuerAndSerialNumber,
    algorithm(OID.sha256),
    derTlv(0xa0, attributesContent),
    algorithm(OID.ecdsaWithSha256),
    derTlv(0x04, signature),
  );
  const signedData = seq(
    INTEGER_1,
    derTlv(0x31, algorithm(OID.sha256)),
    seq(oid(id_data)),
    derTlv(0xa0, prepared.certificates),
    derTlv(0x31, signerInfo),
  );
  return seq(oid(id_signedData), derTlv(0xa0, signedData));
}
